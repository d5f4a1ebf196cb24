#include "schema_epochs.h"

#include <sstream>

namespace flowctl::store::schema_epochs {

const char* CreateSql() {
  return "CREATE TABLE IF NOT EXISTS schema_epochs(pipeline TEXT NOT NULL, node TEXT NOT NULL,"
         " from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL, sampled INTEGER NOT NULL,"
         " not_objects INTEGER NOT NULL, other_fields INTEGER NOT NULL, fields TEXT NOT NULL,"
         " PRIMARY KEY(pipeline, node, from_ms)) WITHOUT ROWID;";
}

namespace {

// Field names may hold any character: tab, newline and backslash are escaped.
std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char n = s[++i];
    out += n == 't' ? '\t' : n == 'n' ? '\n' : n;
  }
  return out;
}

SchemaEpoch Row(const sqlite::Statement& st) {
  SchemaEpoch e;
  e.node = st.ColumnText(0);
  e.from_ms = st.ColumnInt64(1);
  e.to_ms = st.ColumnInt64(2);
  e.profile.sampled = st.ColumnInt64(3);
  e.profile.not_objects = st.ColumnInt64(4);
  e.profile.other_fields = st.ColumnInt64(5);
  DecodeFields(st.ColumnText(6), &e.profile);
  return e;
}

constexpr char kColumns[] = "node, from_ms, to_ms, sampled, not_objects, other_fields, fields";

}  // namespace

std::string EncodeFields(const SchemaProfile& p) {
  std::string out;
  for (const auto& [name, f] : p.fields) {
    out += Escape(name) + '\t' + std::to_string(f.present);
    for (int64_t k : f.kinds) out += '\t' + std::to_string(k);
    out += '\n';
  }
  return out;
}

void DecodeFields(const std::string& text, SchemaProfile* p) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    FieldProfile f;
    std::istringstream nums(line.substr(tab + 1));
    nums >> f.present;
    for (auto& k : f.kinds) nums >> k;
    p->fields[Unescape(line.substr(0, tab))] = f;
  }
}

Status Recorder::Add(sqlite::Database& db, const std::string& pipeline, const std::string& node,
                     const SchemaProfile& delta, int64_t from_ms, int64_t now_ms, bool final) {
  Pending& pending = pending_[pipeline + '\n' + node];
  if (pending.profile.sampled == 0) pending.from_ms = from_ms;
  pending.profile.Merge(delta);
  if (pending.profile.sampled == 0 || (pending.profile.sampled < kMinSample && !final))
    return Status::OK();
  SchemaProfile block = std::move(pending.profile);
  int64_t block_from = pending.from_ms;
  pending = Pending{};

  auto last = db.Prepare(std::string("SELECT ") + kColumns +
                         " FROM schema_epochs WHERE pipeline = ?1 AND node = ?2"
                         " ORDER BY from_ms DESC LIMIT 1");
  if (!last.ok()) return last.status();
  last->Bind(1, pipeline).Bind(2, node);
  auto row = last->Step();
  if (!row.ok()) return row.status();
  if (row.value()) {
    SchemaEpoch e = Row(*last);
    if (ShapeChanges(e.profile, block).empty()) {
      e.profile.Merge(block);
      auto up = db.Prepare(
          "UPDATE schema_epochs SET to_ms = ?4, sampled = ?5, not_objects = ?6,"
          " other_fields = ?7, fields = ?8 WHERE pipeline = ?1 AND node = ?2 AND from_ms = ?3");
      if (!up.ok()) return up.status();
      up->Bind(1, pipeline)
          .Bind(2, node)
          .Bind(3, e.from_ms)
          .Bind(4, std::max(e.to_ms, now_ms))
          .Bind(5, e.profile.sampled)
          .Bind(6, e.profile.not_objects)
          .Bind(7, e.profile.other_fields)
          .Bind(8, EncodeFields(e.profile));
      return up->Run();
    }
    // A new shape starts where this block did (or right after the last one).
    block_from = std::max(block_from, e.to_ms);
  }
  auto ins = db.Prepare(
      "INSERT OR REPLACE INTO schema_epochs(pipeline, node, from_ms, to_ms, sampled,"
      " not_objects, other_fields, fields) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!ins.ok()) return ins.status();
  ins->Bind(1, pipeline)
      .Bind(2, node)
      .Bind(3, block_from)
      .Bind(4, std::max(block_from, now_ms))
      .Bind(5, block.sampled)
      .Bind(6, block.not_objects)
      .Bind(7, block.other_fields)
      .Bind(8, EncodeFields(block));
  FLOWCTL_RETURN_IF_ERROR(ins->Run());
  auto cap = db.Prepare(
      "DELETE FROM schema_epochs WHERE pipeline = ?1 AND node = ?2 AND from_ms NOT IN (SELECT "
      "from_ms FROM schema_epochs WHERE pipeline = ?1 AND node = ?2 ORDER BY from_ms DESC "
      "LIMIT ?3)");
  if (!cap.ok()) return cap.status();
  cap->Bind(1, pipeline).Bind(2, node).Bind(3, int64_t{kMaxEpochs});
  return cap->Run();
}

Result<std::vector<SchemaEpoch>> Query(sqlite::Database& db, const std::string& pipeline,
                                       const std::string& node, int64_t since_ms) {
  auto st = db.Prepare(std::string("SELECT ") + kColumns +
                       " FROM schema_epochs WHERE pipeline = ?1 AND (?2 = '' OR node = ?2)"
                       " AND to_ms >= ?3 ORDER BY node, from_ms");
  if (!st.ok()) return st.status();
  st->Bind(1, pipeline).Bind(2, node).Bind(3, since_ms);
  std::vector<SchemaEpoch> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    out.push_back(Row(*st));
  }
  return out;
}

Status Prune(sqlite::Database& db, int64_t before_ms) {
  auto st = db.Prepare("DELETE FROM schema_epochs WHERE to_ms < ?1");
  if (!st.ok()) return st.status();
  st->Bind(1, before_ms);
  return st->Run();
}

}  // namespace flowctl::store::schema_epochs
