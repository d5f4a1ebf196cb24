// The model-written "AI Analysis" of `ai debug` (ai/ops.h, Narrative).
#include <regex>
#include <set>

#include "flowctl/ai/client.h"
#include "flowctl/ai/ops.h"

namespace flowctl::ai {

using nlohmann::json;

namespace {

constexpr char kSystem[] =
    "You explain the health findings of a data pipeline to its operator. Use only the facts "
    "and numbers in the findings you are given: do not introduce any other number, cause or "
    "event. Say what is most likely going on and in what order to act, in at most six "
    "sentences of plain text, no lists, no markdown.";

// The numbers a text contains, as written (12, 12.5, 15%).
std::vector<std::string> Numbers(const std::string& text) {
  static const std::regex kNumber(R"((\d+(?:[.,]\d+)?))");
  std::vector<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), kNumber), end; it != end; ++it)
    out.push_back((*it)[1].str());
  return out;
}

// Whether n is one of the findings' numbers: as written there, or equal to
// one of them at the precision it is written with.
bool Grounded(const std::string& n, const std::string& facts, const std::vector<double>& values) {
  if (facts.find(n) != std::string::npos) return true;
  std::string dot = n;
  for (char& c : dot)
    if (c == ',') c = '.';
  double v = std::strtod(dot.c_str(), nullptr);
  size_t p = dot.find('.');
  double tol = p == std::string::npos ? 0.5 : 0.5 * std::pow(10.0, -double(dot.size() - p - 1));
  for (double f : values)
    if (std::fabs(f - v) <= tol || std::fabs(f * 100 - v) <= tol) return true;
  return false;
}

void Collect(const json& j, std::vector<double>* out) {
  if (j.is_number()) out->push_back(j.get<double>());
  if (j.is_structured())
    for (const auto& x : j) Collect(x, out);
}

}  // namespace

Result<Narrative> NarrateDebugReport(const DebugReport& r, const std::string& provider,
                                     const std::string& model, const EnvLookup& env) {
  auto chosen = ResolveModelChoice(provider, model, env);
  if (!chosen.ok()) return chosen.status();
  ProviderOptions po;
  po.name = chosen->provider;
  po.timeout_ms = 120000;
  auto made = MakeProvider(po, env);
  if (!made.ok())
    return Status::Unavailable("model provider " + po.name + ": " + made.status().message());
  ClientOptions co;
  co.max_retries = 2;
  co.cache_entries = 0;
  ModelClient client(std::move(made).value(), co, ClientCounters{});
  // What the model sees: the findings without the example events (which may
  // hold personal data and are not needed to explain).
  json facts = json::array();
  for (const auto& f : r.findings) {
    json e = f.evidence;
    if (e.contains("clusters"))
      for (auto& c : e["clusters"]) c.erase("examples");
    facts.push_back({{"severity", f.severity},
                     {"kind", f.kind},
                     {"node", f.node},
                     {"title", f.title},
                     {"evidence", e},
                     {"suggested_fix", f.fix}});
  }
  json input = {{"pipeline", r.name}, {"window", r.since}, {"findings", facts}};
  CompletionRequest cr;
  cr.model = chosen->model;
  cr.system = kSystem;
  cr.max_tokens = 600;
  cr.messages.push_back({"user", "Findings (JSON):\n" + input.dump(2), "", json()});
  auto answer = client.Complete(cr);
  if (!answer.ok())
    return Status::Unavailable("model provider " + po.name + " (" + chosen->model +
                               "): " + answer.status().message());
  Narrative n;
  n.model = chosen->provider + ":" + chosen->model;
  n.text = answer->text;
  std::string dump = input.dump();
  std::vector<double> values;
  Collect(input, &values);
  std::set<std::string> seen;
  for (const auto& x : Numbers(n.text))
    if (!Grounded(x, dump, values) && seen.insert(x).second) n.unverified_numbers.push_back(x);
  return n;
}

}  // namespace flowctl::ai
