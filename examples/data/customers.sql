-- Loaded into an in-memory SQLite database by the agent's sql tool.
CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT, tier TEXT, lifetime_value REAL);
INSERT INTO customers VALUES
  ('ada', 'Ada Lovelace', 'gold', 18250.0),
  ('bob', 'Bob Marley', 'silver', 2310.5),
  ('cy', 'Cyrus Smith', 'bronze', 120.0),
  ('dee', 'Dee Dee Ramone', 'gold', 9400.0);
