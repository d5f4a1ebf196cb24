// Intent extraction, part 1: connectors, constraints and the source; and
// ExtractIntent, which runs every step in order (each marks the tokens it
// consumed, so a later rule does not read "latency under 100 ms" as a
// filter once it was a constraint).
#include <algorithm>
#include <regex>
#include <set>

#include "connectors.h"

namespace flowctl::ai::planner {
namespace intent_impl {

const Connector kConnectors[] = {
    {"kafka", "Kafka", true},          {"kinesis", "Kinesis", true},
    {"pulsar", "Pulsar", true},        {"rabbitmq", "RabbitMQ", true},
    {"amqp", "AMQP", true},            {"mqtt", "MQTT", true},
    {"nats", "NATS", true},            {"redis", "Redis", true},
    {"sqs", "SQS", true},              {"pubsub", "Pub/Sub", true},
    {"eventhub", "Event Hubs", true},  {"eventhubs", "Event Hubs", true},
    {"websocket", "WebSocket", true},  {"webhook", "webhook", true},
    {"webhooks", "webhook", true},     {"http", "HTTP", true},
    {"https", "HTTP", true},           {"api", "HTTP API", true},
    {"grpc", "gRPC", true},            {"tcp", "TCP", true},
    {"udp", "UDP", true},              {"syslog", "syslog", true},
    {"journald", "journald", true},    {"cloudwatch", "CloudWatch", true},
    {"firehose", "Firehose", true},    {"s3", "S3", false},
    {"gcs", "Google Cloud Storage", false}, {"azure", "Azure Blob Storage", false},
    {"postgres", "PostgreSQL", false}, {"postgresql", "PostgreSQL", false},
    {"mysql", "MySQL", false},         {"mariadb", "MariaDB", false},
    {"mongodb", "MongoDB", false},     {"mongo", "MongoDB", false},
    {"database", "database", false},   {"sql", "SQL database", false},
    {"bigquery", "BigQuery", false},   {"snowflake", "Snowflake", false},
    {"redshift", "Redshift", false},   {"elasticsearch", "Elasticsearch", false},
    {"opensearch", "OpenSearch", false}, {"dynamodb", "DynamoDB", false},
    {"cassandra", "Cassandra", false}, {"clickhouse", "ClickHouse", false},
    {"sftp", "SFTP", false},           {"ftp", "FTP", false},
    {"hdfs", "HDFS", false},           {"parquet", "Parquet", false},
    {"salesforce", "Salesforce", false}, {"zendesk", "Zendesk", false},
    {"jira", "Jira", false},           {"slack", "Slack", false},
    {"pagerduty", "PagerDuty", false}, {"email", "email", false},
    {"sms", "SMS", false},             {"splunk", "Splunk", false},
    {"datadog", "Datadog", false},     {"prometheus", "Prometheus", false},
    {"loki", "Loki", false},           {"influxdb", "InfluxDB", false},
    {"warehouse", "data warehouse", false}, {"opsgenie", "Opsgenie", false},
    {"discord", "Discord", false},     {"sheets", "Google Sheets", false}};

const std::set<std::string>& InputWords() {
  static const std::set<std::string> k = {
      "from",     "read",     "reads",    "reading",  "ingest",   "ingests",  "ingesting",
      "tail",     "tails",    "tailing",  "parse",    "parses",   "parsing",  "consume",
      "consumes", "consuming", "load",    "loads",    "loading",  "watch",    "watches",
      "take",     "takes",    "follow",   "follows",  "monitor",  "monitors", "scan",
      "scans",    "process",  "processes", "analyze", "analyzes", "subscribe", "listen",
      "listens",  "pull",     "pulls",    "receive",  "receives", "given",    "on"};
  return k;
}
const std::set<std::string>& OutputWords() {
  static const std::set<std::string> k = {
      "to",      "into",   "write",   "writes",  "writing", "save",    "saves",   "saving",
      "store",   "stores", "storing", "output",  "outputs", "append",  "appends", "dump",
      "dumps",   "export", "exports", "emit",    "emits",   "as",      "print",   "prints",
      "publish", "publishes", "push", "pushes",  "send",    "sends",   "index",   "upload",
      "uploads", "insert", "inserts", "notify",  "alert",   "post",    "posts",   "sink"};
  return k;
}

std::string Unit(const Token& t, const Goal& g, int i) {
  if (!t.unit.empty()) return t.unit;
  if (i + 1 < g.size()) {
    const std::string& u = g.at(i + 1).lower;
    if (u == "ms" || u == "milliseconds") return "ms";
    if (u == "s" || u == "seconds" || u == "second" || u == "sec") return "s";
  }
  return "";
}

// mark: the noun found names the assumed source (its clause is understood).
std::string DomainNoun(const Goal& g, bool mark = false) {
  static const std::vector<std::pair<const char*, const char*>> kNouns = {
      {"feedback", "feedback"},     {"ticket*", "tickets"},        {"review*", "reviews"},
      {"transaction*", "transactions"}, {"payment*", "payments"},  {"order*", "orders"},
      {"clickstream", "clicks"},    {"click*", "clicks"},          {"sensor*", "sensor-readings"},
      {"reading*", "sensor-readings"}, {"telemetry", "telemetry"}, {"metric*", "metrics"},
      {"security", "security-events"}, {"audit", "audit-events"},  {"log*", "logs"},
      {"alert*", "alerts"},         {"email*", "emails"},          {"comment*", "comments"},
      {"request*", "requests"},     {"signup*", "signups"},        {"invoice*", "invoices"},
      {"shipment*", "shipments"},   {"tweet*", "posts"},           {"posts", "posts"},
      {"chat*", "chats"},           {"call*", "calls"},            {"customer*", "customers"},
      {"user", "users"},            {"users", "users"},
      {"message*", "messages"},     {"record*", "records"},        {"event*", "events"}};
  // The input file's name says best what the events are (payments.jsonl).
  for (const Token& t : g.tokens) {
    if (t.kind != Token::Kind::kPath || RoleBefore(g, static_cast<int>(&t - &g.tokens[0]), 4) < 0)
      continue;
    std::string stem = t.lower.substr(t.lower.find_last_of('/') + 1);
    stem = stem.substr(0, stem.find('.'));
    for (const auto& [w, noun] : kNouns) {
      std::string p = w;
      bool prefix = p.back() == '*';
      if (prefix) p.pop_back();
      if (stem == p || (prefix && (stem == p + "s" || stem == p + "es"))) return noun;
    }
    break;
  }
  // Naming probes do not mark words as understood (Find's mark = false).
  for (const auto& [w, noun] : kNouns) {
    int at = g.Find(w, 0, false);
    while (at >= 0) {
      const std::string& t = g.at(at).lower;
      bool alpha = true;
      for (char c : t) alpha = alpha && std::isalpha(static_cast<unsigned char>(c));
      if (alpha && g.at(at).kind == Token::Kind::kWord) {
        if (mark) g.at(at).seen = true;
        return noun;
      }
      at = g.Find(w, at + 1, false);
    }
  }
  return "events";
}

}  // namespace intent_impl

const Connector* ConnectorAt(const Goal& g, int i, int* len) {
  *len = 1;
  const std::string& w = g.at(i).lower;
  if (w == "pub" && i + 1 < g.size() && g.at(i + 1).lower == "sub") {
    *len = 2;
    return &intent_impl::kConnectors[9];
  }
  if (w == "event" && i + 1 < g.size() && g.at(i + 1).lower == "hubs") {
    *len = 2;
    return &intent_impl::kConnectors[10];
  }
  if (w == "microsoft" && i + 1 < g.size() && g.at(i + 1).lower == "teams") {
    static const Connector kTeams{"teams", "Microsoft Teams", false};
    *len = 2;
    return &kTeams;
  }
  for (const auto& c : intent_impl::kConnectors)
    if (w == c.word) {
      // "api" / "http" are only connectors next to a role word or another
      // connector word; "email" only as a destination or source, not "email addresses".
      if ((w == "email") && i + 1 < g.size() &&
          (g.at(i + 1).lower == "addresses" || g.at(i + 1).lower == "address" ||
           g.at(i + 1).lower == "field"))
        return nullptr;
      if (w == "database" && i > 0 && g.at(i - 1).lower == "vector") return nullptr;
      return &c;
    }
  return nullptr;
}

std::string ConnectorObjectName(const Goal& g, int i, int len) {
  static const std::set<std::string> kObj = {"topic", "topics", "bucket", "table", "index",
                                             "queue", "stream", "channel", "collection",
                                             "subject", "endpoint", "database"};
  auto name_at = [&](int k) -> std::string {
    if (k < 0 || k >= g.size()) return "";
    const Token& t = g.at(k);
    if (t.kind == Token::Kind::kQuoted) return Slug(t.raw);
    if (t.kind != Token::Kind::kWord && t.kind != Token::Kind::kPath) return "";
    if (IsStopWord(t.lower) || kObj.count(t.lower)) return "";
    return Slug(t.raw);
  };
  int k = i + len;
  if (k < g.size() && kObj.count(g.at(k).lower) && !g.at(k - 1).clause_end) {
    std::string n = name_at(k + 1);
    if (!n.empty() && !g.at(k).clause_end) return n;
    // "the orders topic" written before
    if (i > 0) {
      std::string b = name_at(i - 1);
      if (!b.empty() && g.at(i - 1).lower != "from") return b;
    }
  }
  if (i > 0 && k < g.size() && kObj.count(g.at(k).lower)) return "";
  // "the customer-feedback topic from kafka"
  int t = g.Find("topic");
  if (t > 0 && std::abs(t - i) <= 4) {
    std::string b = name_at(t - 1);
    if (!b.empty() && b != Slug(g.at(i).lower)) return b;
    std::string a = name_at(t + 1);
    if (!a.empty()) return a;
  }
  return "";
}

int RoleBefore(const Goal& g, int i, int window) {
  for (int k = i - 1; k >= 0 && k >= i - window; --k) {
    const Token& t = g.at(k);
    if (t.kind == Token::Kind::kPath) break;
    if (intent_impl::InputWords().count(t.lower)) return +1;
    if (intent_impl::OutputWords().count(t.lower)) return -1;
    if (t.clause_end && k != i - 1) break;
  }
  return 0;
}

// Where the words of a constraint ending at number i start ("with a
// latency budget of 50 ms", "under $2 per hour"): back over the constraint's
// own words only, so "write to big.jsonl within 50 ms" keeps its destination.
int ConstraintStart(const Goal& g, int i) {
  static const std::set<std::string> k = {
      "within", "under", "below", "max", "maximum", "budget", "of", "a", "an", "cost", "costs",
      "at", "most", "spend", "spending", "than", "less", "cap", "limit", "latency", "sla",
      "target", "p99", "p95", "end-to-end", "with", "keep", "low", "processing", "in", "no",
      "more", "and", "price", "priced", "money", "total"};
  int s = i;
  while (s > 0 && i - s < 5 && g.at(s - 1).kind == Token::Kind::kWord &&
         k.count(g.at(s - 1).lower) && !g.at(s - 1).clause_end && !g.at(s - 1).comma_after)
    --s;
  return s;
}

void ExtractConstraints(Goal& g, Intent* in) {
  for (int i = 0; i < g.size(); ++i) {
    Token& t = g.tokens[static_cast<size_t>(i)];
    if (t.kind != Token::Kind::kNumber || t.used) continue;
    std::string unit = intent_impl::Unit(t, g, i);
    int after = i + 1 + ((t.unit.empty() && !unit.empty()) ? 1 : 0);
    auto next = [&](int k) -> std::string { return k < g.size() ? g.at(k).lower : ""; };
    auto prev = [&](int k) -> std::string { return k >= 0 ? g.at(k).lower : ""; };
    auto use = [&](int a, int b) {
      for (int k = std::max(0, a); k < b && k < g.size(); ++k) g.tokens[static_cast<size_t>(k)].used = true;
    };
    // Latency: "within 200 ms", "under 100ms latency", "latency budget of 50 ms",
    // "p99 under 200ms", "max latency 100ms".
    if (unit == "ms" || unit == "s") {
      double ms = unit == "s" ? t.number * 1000 : t.number;
      bool lat_after = next(after) == "latency" || next(after) == "end-to-end" ||
                       next(after) == "p99" || (next(after) == "end" && next(after + 1) == "to");
      // "write them to fx.jsonl under 100ms": a budget right after a destination.
      bool after_dest = (prev(i - 1) == "under" || prev(i - 1) == "below") && i >= 2 &&
                        (g.at(i - 2).kind == Token::Kind::kPath || prev(i - 2) == "stdout");
      bool within = prev(i - 1) == "within" || (prev(i - 1) == "under" && prev(i - 2) == "in") ||
                    after_dest;
      bool budget = false;
      for (int k = i - 1; k >= 0 && k >= i - 4; --k) {
        const std::string& w = g.at(k).lower;
        if (w == "budget" || w == "sla" || w == "target" || w == "p99" || w == "p95" ||
            w == "max" || w == "maximum" || w == "end-to-end")
          budget = true;
        if (w == "latency" && k >= 1 &&
            (g.at(k - 1).lower == "max" || g.at(k - 1).lower == "maximum" ||
             g.at(k - 1).lower == "with" || g.at(k - 1).lower == "keep" ||
             g.at(k - 1).lower == "processing" || g.at(k - 1).lower == "pipeline" ||
             g.at(k - 1).lower == "low"))
          budget = true;
      }
      if (lat_after || within || budget) {
        in->constraints.max_latency_ms = static_cast<int>(ms);
        use(budget || within ? ConstraintStart(g, i) : i, after + (lat_after ? 1 : 0));
        ++in->signals;
        continue;
      }
    }
    // Throughput: "10k events per second", "5000 events/s", "1000 eps".
    {
      int k = after;
      if (next(k) == "events" || next(k) == "messages" || next(k) == "msgs" ||
          next(k) == "records" || next(k) == "requests" || next(k) == "transactions" ||
          next(k) == "orders" || next(k) == "readings" || next(k) == "logs" || next(k) == "lines")
        ++k;
      bool per_sec = (next(k) == "per" || next(k) == "a" || next(k) == "each") &&
                     (next(k + 1) == "second" || next(k + 1) == "sec" || next(k + 1) == "s");
      bool slash = next(k) == "s" || next(k) == "sec" || next(k) == "second" ||
                   next(k) == "eps" || next(k) == "rps";
      if ((per_sec || (slash && k > after) || next(after) == "eps" || next(after) == "rps") &&
          t.unit.empty()) {
        in->constraints.required_throughput = static_cast<int>(t.number);
        use(i, k + (per_sec ? 2 : 1));
        ++in->signals;
        continue;
      }
    }
    // Cost: "$5 per hour", "under $2/hour", "budget of $1 an hour", "$100 per day".
    if (t.unit == "$") {
      int k = i + 1;
      double div = 0;
      if (next(k) == "per" || next(k) == "an" || next(k) == "a" || next(k) == "each") ++k;
      if (next(k) == "hour" || next(k) == "hr" || next(k) == "h") div = 1;
      if (next(k) == "day") div = 24;
      if (next(k) == "month") div = 720;
      if (div > 0) {
        in->constraints.max_cost_per_hour = t.number / div;
        use(ConstraintStart(g, i), k + 1);
        ++in->signals;
      }
    }
  }
}

void ExtractSource(Goal& g, const Registry& registry, Intent* in) {
  in->source_id = intent_impl::DomainNoun(g);
  // 1. stdin.
  if (g.HasAny({"stdin", "standard input", "piped", "pipe"})) {
    in->source_type = "stdin";
    in->source_why = "the goal reads standard input";
    ++in->signals;
  }
  // 2. A file path in an input role (or the first path when none has a role).
  int input_path = -1;
  for (int i = 0; i < g.size() && in->source_type == "file"; ++i) {
    const Token& t = g.at(i);
    if (t.kind != Token::Kind::kPath || t.lower.size() < 3) continue;
    if (t.lower.size() > 3 && t.lower.compare(t.lower.size() - 3, 3, ".md") == 0) continue;
    if (RoleBefore(g, i, 4) > 0) {
      input_path = i;
      break;
    }
  }
  if (input_path < 0 && in->source_type == "file") {
    for (int i = 0; i < g.size(); ++i) {
      const Token& t = g.at(i);
      if (t.kind == Token::Kind::kPath && RoleBefore(g, i, 4) == 0 &&
          t.lower.find(".md") == std::string::npos) {
        input_path = i;
        break;
      }
    }
  }
  // 3. A connector in an input role.
  const Connector* conn = nullptr;
  int conn_at = -1, conn_len = 1;
  for (int i = 0; i < g.size(); ++i) {
    int len = 1;
    const Connector* c = ConnectorAt(g, i, &len);
    if (c == nullptr || g.at(i).used) continue;
    int role = RoleBefore(g, i, 4);
    if (role == 0) role = RoleBefore(g, i, 6);
    bool first_thing = role == 0 && conn == nullptr && i < g.size() / 2 + 1;
    if (role > 0 || (first_thing && input_path < 0)) {
      // "api"/"http"/"email"/"database" need a role word to be a source.
      std::string w = c->word;
      if (role <= 0 && (w == "api" || w == "http" || w == "https" || w == "email" ||
                        w == "database" || w == "sql" || w == "slack" || w == "pagerduty"))
        continue;
      conn = c;
      conn_at = i;
      conn_len = len;
      break;
    }
  }
  bool generator = g.HasAny({"generate", "generates", "generated", "generator", "synthetic",
                             "test data", "fake", "simulated", "simulate", "sample data",
                             "demo data", "random events", "dummy"});
  if (in->source_type == "stdin") {
    // nothing more to choose
  } else if (input_path >= 0) {
    Token& t = g.tokens[static_cast<size_t>(input_path)];
    t.used = true;
    in->source_config["path"] = t.raw;
    in->source_why = "the goal names the input file " + t.raw;
    ++in->signals;
  } else if (conn != nullptr) {
    for (int k = conn_at; k < conn_at + conn_len; ++k) g.tokens[static_cast<size_t>(k)].used = true;
    std::string object = ConnectorObjectName(g, conn_at, conn_len);
    // A registered source for this connector (a newer build) wins.
    for (const ComponentDescriptor* d : registry.List()) {
      if (d->kind != NodeKind::kSource) continue;
      bool match = d->type == conn->word || d->type == std::string(conn->word) + "-source";
      for (const auto& k : d->keywords) match = match || k == conn->word;
      if (match && d->type != "file" && d->type != "stdin" && d->type != "generator") {
        in->source_type = d->type;
        in->source_config = nlohmann::json::object();
        if (!object.empty()) {
          const auto& props = d->config_schema.value("properties", nlohmann::json::object());
          for (const char* key : {"topic", "bucket", "table", "queue", "stream", "index"})
            if (props.contains(key)) in->source_config[key] = object;
        }
        in->source_why = "the goal reads from " + std::string(conn->name);
        ++in->signals;
        break;
      }
    }
    if (in->source_type == "file") {
      std::string base = object.empty() ? Slug(conn->word) : object;
      in->source_config["path"] = base + ".jsonl";
      if (conn->stream) in->source_config["follow"] = true;
      in->warnings.push_back(
          std::string("no ") + conn->name + " source in this build: using a file source on " +
          base + ".jsonl" + (conn->stream ? " that keeps reading as it grows (follow: true)" : "") +
          " instead. Nearest ways in: export/bridge the " + conn->name +
          (object.empty() ? "" : " " + object) +
          " data into that file as JSON lines, or pipe it in with a stdin source");
      in->source_why = "stands in for the " + std::string(conn->name) + " source the goal names";
      ++in->signals;
    }
    if (!object.empty() && in->source_id == "events") in->source_id = object;
  } else if (generator) {
    in->source_type = "generator";
    in->source_config = {{"shape", "bench"}, {"count", 1000}};
    for (int i = 0; i + 1 < g.size(); ++i) {
      const Token& t = g.at(i);
      if (t.kind == Token::Kind::kNumber && t.unit.empty() && !t.used) {
        std::string n = g.at(i + 1).lower;
        if (n == "events" || n == "records" || n == "messages" || n == "test" ||
            n == "synthetic" || n == "fake" || n == "sample" || n == "random") {
          in->source_config["count"] = static_cast<int64_t>(t.number);
          g.tokens[static_cast<size_t>(i)].used = true;
        }
        if ((n == "per" || n == "a") && i + 2 < g.size() &&
            (g.at(i + 2).lower == "second" || g.at(i + 2).lower == "sec")) {
          in->source_config["rate"] = t.number;
          g.tokens[static_cast<size_t>(i)].used = true;
        }
      }
    }
    in->source_why = "the goal asks for generated (synthetic) events";
    in->assumptions.push_back(
        "generated events have the benchmark shape: id, ts, user_id, event_type, amount, "
        "currency, priority, message, tags, geo.country");
    ++in->signals;
  } else {
    bool text_logs = g.HasAny({"log lines", "access logs", "apache", "nginx", "syslog", "text logs",
                               "plain text", "server logs", "app logs", "application logs"}) &&
                     !g.Has("json");
    intent_impl::DomainNoun(g, true);  // "processes customer feedback" is the source
    in->source_config["path"] = in->source_id + (text_logs ? ".log" : ".jsonl");
    in->source_why = "reads the " + in->source_id + " the goal is about";
    in->assumptions.push_back("the input is the file " + in->source_config["path"].get<std::string>() +
                              (text_logs ? " (text lines)" : " (JSON lines)") +
                              "; set path: to your data, or use a stdin source");
  }
  if (in->source_type != "file" && in->source_type != "stdin") return;
  // Format: JSON lines, plain lines (logs, text), CSV.
  std::string path = in->source_config.value("path", "");
  auto ends = [&](const char* ext) {
    std::string e = ext;
    return path.size() > e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  bool csv = ends(".csv") || ends(".tsv") || g.Has("csv");
  bool text_ext = ends(".log") || ends(".txt") || ends(".out");
  bool plain_words = g.HasAny({"log lines", "plain text", "text lines", "raw lines", "plain lines",
                               "access logs", "apache", "nginx", "syslog", "text logs",
                               "unstructured"});
  bool json_ext = ends(".jsonl") || ends(".ndjson") || ends(".json");
  if (csv) {
    in->lines = true;
    in->source_config["codec"] = "lines";
    in->source_config["field"] = "line";
    in->warnings.push_back(
        "CSV columns cannot be parsed: there is no CSV codec or parser. Nearest: each line is "
        "read as text into the field line (codec: lines); convert the file to JSON lines first "
        "(e.g. mlr --icsv --ojsonl cat FILE) to work on columns");
  } else if (!json_ext && (text_ext || plain_words)) {
    in->lines = true;
    in->source_config["codec"] = "lines";
    in->source_config["field"] = "message";
    // Lines that hold JSON text: parse them.
    for (int i = 0; i < g.size(); ++i)
      if (g.at(i).kind == Token::Kind::kWord && g.at(i).lower == "json") {
        in->parse_json = true;
        in->parse_field = "message";
        g.at(i).seen = true;  // "parse the JSON in each line" is understood
      }
    if (!in->parse_json) in->assumptions.push_back("each line becomes {message: LINE}");
  }
  // "the payload field holds JSON": parse that field.
  for (int i = 0; i + 1 < g.size(); ++i) {
    if (g.at(i).lower != "field" || i == 0) continue;
    for (int k = i + 1; k < std::min(g.size(), i + 5); ++k)
      if (g.at(k).lower == "json" && !g.at(i - 1).used && !IsStopWord(g.at(i - 1).lower)) {
        in->parse_json = true;
        in->parse_field = FieldName(g.at(i - 1).raw);
        break;
      }
  }
}

Intent ExtractIntent(const Goal& goal_in, const PlanRequest& req, const Registry& registry) {
  Goal g = goal_in;
  Intent in;
  in.constraints = req.constraints;
  ExtractConstraints(g, &in);
  ExtractSource(g, registry, &in);
  ExtractProcessing(g, &in);
  ExtractTransforms(g, &in);
  ExtractOutputs(g, registry, &in);
  // Whatever conditions are left belong to the whole stream: a filter.
  std::vector<std::string> why;
  std::vector<ClauseVerb> descriptive(in.conditions.size(), ClauseVerb::kNone);
  auto conds = ExtractConditions(g, 0, g.size(), in.lines, &why, &in.assumptions, &descriptive);
  for (size_t i = 0; i < conds.size(); ++i) {
    in.conditions.push_back(conds[i]);
    in.condition_why.push_back(why[i]);
    ++in.signals;
  }
  RefineConditions(&in, descriptive);
  size_t before = in.warnings.size();
  NoteUnexpressible(g, &in);
  // A goal about some data that only asks for what cannot be done still
  // gets the nearest pipeline, with the warnings.
  if (in.warnings.size() > before) ++in.signals;
  NoteLostClauses(g, &in);
  if (in.signals == 0 && (intent_impl::DomainNoun(g) != "events" || g.Has("events")) &&
      g.HasAny({"process", "processes", "read", "reads", "ingest", "ingests", "collect",
                "collects", "monitor", "monitors", "watch", "watches", "handle", "handles",
                "stream", "streams", "consume", "consumes", "tail", "tails", "parse", "parses",
                "take", "takes", "load", "loads", "import", "imports"}))
    ++in.signals;
  return in;
}

}  // namespace flowctl::ai::planner
