// ml-processor: scores events with a model file over named features — a
// logistic regression (numeric, categorical and presence features) or
// decision rules (expressions with scores) — and flags those at or above
// the threshold that `sensitivity` sets. Each score is a decision record
// with the features it used and the features that pushed it most.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../ai_common/ai_node.h"
#include "../builtin_list.h"
#include "../common/expr_config.h"
#include "flowctl/base/strings.h"
#include "flowctl/data/json.h"
#include "flowctl/data/json_bounded.h"

namespace flowctl::components {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Feature {
  std::string name;   // as the model and config call it
  std::string field;  // event path it is read from
  enum class Kind { kNumeric, kCategorical, kPresence, kBoolean } kind = Kind::kNumeric;
  double weight = 0;
  std::map<std::string, double> weights;  // categorical
  double missing = 0;                     // value used when absent (numeric)
  double mean = 0, scale = 1;             // standardization
  bool log1p = false;
};

struct Rule {
  std::shared_ptr<const expr::Program> when;
  std::string text;
  double score = 0;
  std::string reason;
};

struct Model {
  std::string name, type, version, path, output = "ml";
  double intercept = 0;
  double threshold = 0.5;
  std::vector<Feature> features;
  std::vector<Rule> rules;
  double default_score = 0;
};

std::string ModelPath(const json& c) {
  std::string m = c.value("model", "");
  if (m.find('/') != std::string::npos || EndsWith(m, ".json")) return m;
  std::string dir = c.value("model_dir", "");
  if (dir.empty()) {
    const char* env = std::getenv("FLOWCTL_MODEL_DIR");
    dir = env != nullptr ? env : "models";
  }
  return dir + "/" + m + ".json";
}

Result<Model> LoadModel(const json& c) {
  Model m;
  m.path = ModelPath(c);
  std::ifstream in(m.path);
  if (!in)
    return Status::NotFound("model file " + m.path +
                            " not found (model: a path to a .json "
                            "model, or a name looked up as MODEL_DIR/NAME.json; MODEL_DIR is "
                            "config.model_dir, $FLOWCTL_MODEL_DIR or ./models)");
  std::stringstream ss;
  ss << in.rdbuf();
  json j = ParseJsonBoundedOrDiscarded(ss.str(), FileJsonLimits());
  if (j.is_discarded() || !j.is_object())
    return Status::Invalid("model file " + m.path + " is not a JSON object");
  auto bad = [&](const std::string& what) {
    return Status::Invalid("model file " + m.path + ": " + what);
  };
  m.name = j.value("name", std::filesystem::path(m.path).stem().string());
  m.type = j.value("type", "logistic_regression");
  m.version = j.value("version", "");
  m.output = j.value("output", "ml");
  m.threshold = j.value("threshold", 0.5);
  if (m.type == "logistic_regression") {
    m.intercept = j.value("intercept", 0.0);
    if (!j.contains("features") || !j["features"].is_array() || j["features"].empty())
      return bad("logistic_regression needs features: [{name, weight | weights, ...}]");
    for (const auto& fj : j["features"]) {
      if (!fj.is_object() || !fj.contains("name")) return bad("each feature needs a name");
      Feature f;
      f.name = fj["name"].get<std::string>();
      f.field = fj.value("field", f.name);
      std::string kind = fj.value("kind", fj.contains("weights") ? "categorical" : "numeric");
      if (kind == "numeric")
        f.kind = Feature::Kind::kNumeric;
      else if (kind == "categorical")
        f.kind = Feature::Kind::kCategorical;
      else if (kind == "presence")
        f.kind = Feature::Kind::kPresence;
      else if (kind == "boolean")
        f.kind = Feature::Kind::kBoolean;
      else
        return bad("feature " + f.name +
                   ": kind must be numeric, categorical, presence or boolean");
      f.weight = fj.value("weight", 0.0);
      if (fj.contains("weights") && fj["weights"].is_object())
        for (auto it = fj["weights"].begin(); it != fj["weights"].end(); ++it)
          f.weights[it.key()] = it->get<double>();
      f.missing = fj.value("missing", 0.0);
      f.mean = fj.value("mean", 0.0);
      f.scale = fj.value("scale", 1.0);
      if (f.scale == 0) return bad("feature " + f.name + ": scale must not be 0");
      f.log1p = fj.value("transform", "") == "log1p";
      m.features.push_back(std::move(f));
    }
  } else if (m.type == "rules") {
    m.default_score = j.value("default_score", 0.0);
    if (!j.contains("rules") || !j["rules"].is_array())
      return bad("rules models need rules: [{when, score, reason}]");
    for (const auto& rj : j["rules"]) {
      Rule r;
      r.text = rj.value("when", "");
      auto prog = CompileField("model rule '" + r.text + "'", r.text);
      if (!prog.ok()) return bad(prog.status().message());
      r.when = prog.value();
      r.score = rj.value("score", 0.0);
      r.reason = rj.value("reason", r.text);
      m.rules.push_back(std::move(r));
    }
  } else {
    return bad("type must be logistic_regression or rules, not '" + m.type + "'");
  }
  return m;
}

// The model's features restricted to the configured ones (all if none).
Status SelectFeatures(Model* m, const json& c) {
  if (!c.contains("features") || m->type != "logistic_regression") return Status::OK();
  std::vector<std::string> names;
  for (const auto& f : m->features) names.push_back(f.name);
  std::vector<Feature> kept;
  for (const auto& want : c["features"]) {
    std::string w = want.get<std::string>();
    auto it = std::find_if(m->features.begin(), m->features.end(),
                           [&](const Feature& f) { return f.name == w; });
    if (it == m->features.end()) {
      std::string dym = DidYouMean(w, names);
      return Status::Invalid("feature '" + w + "' is not in model " + m->name + " (" + m->path +
                             ")" + (dym.empty() ? "" : "; did you mean '" + dym + "'?") +
                             " model features: " + Join(names, ", "));
    }
    kept.push_back(*it);
  }
  m->features = std::move(kept);
  return Status::OK();
}

class MlProcessor : public Processor {
 public:
  Model model_;
  double threshold_ = 0.5;
  std::shared_ptr<ai_common::NodeState> state_;
  std::string score_field_, flag_field_, reasons_field_;
  std::atomic<int64_t>* missing_ = nullptr;
  std::atomic<int64_t>* flagged_ = nullptr;

  Status Process(std::vector<Event>& events, Emitter& out) override {
    for (auto& e : events) {
      auto start = Clock::now();
      const Value& body = e.body();
      double score = 0;
      std::vector<std::pair<double, std::string>> contrib;
      std::string inputs = "{";
      if (model_.type == "rules") {
        score = model_.default_score;
        bool failed = false;
        for (const auto& r : model_.rules) {
          auto hit = r.when->EvalBool(body);
          if (!hit.ok()) {
            out.Fail(std::move(e),
                     Status::Invalid("model rule '" + r.text + "': " + hit.status().message()));
            failed = true;
            break;
          }
          if (hit.value() && r.score > score) {
            score = r.score;
            contrib.assign(1, {r.score, r.reason});
          }
        }
        if (failed) continue;
        inputs += "\"rules\":" + std::to_string(model_.rules.size());
      } else {
        double z = model_.intercept;
        bool first = true;
        for (const auto& f : model_.features) {
          const Value* v = body.FindPath(f.field);
          double x = 0, w = f.weight;
          switch (f.kind) {
            case Feature::Kind::kNumeric:
              if (v != nullptr && v->is_number()) {
                x = v->as_number();
              } else {
                x = f.missing;
                if (missing_) missing_->fetch_add(1, std::memory_order_relaxed);
              }
              if (f.log1p) x = std::log1p(std::max(0.0, x));
              x = (x - f.mean) / f.scale;
              break;
            case Feature::Kind::kCategorical: {
              x = 1;
              std::string key = v == nullptr ? "" : v->is_string() ? v->as_string() : v->ToJson();
              auto it = f.weights.find(key);
              if (it == f.weights.end()) it = f.weights.find("*");
              w = it == f.weights.end() ? 0 : it->second;
              break;
            }
            case Feature::Kind::kPresence:
              x = (v != nullptr && !v->is_null()) ? 1 : 0;
              break;
            case Feature::Kind::kBoolean:
              x = (v != nullptr && v->is_bool() && v->as_bool()) ? 1 : 0;
              break;
          }
          z += w * x;
          if (w * x != 0) contrib.emplace_back(w * x, f.name);
          if (!first) inputs += ",";
          first = false;
          AppendJsonString(f.name, &inputs);
          inputs += ":" + (v == nullptr ? std::string("null") : v->ToJson());
        }
        score = 1.0 / (1.0 + std::exp(-z));
      }
      inputs += "}";
      score = std::round(score * 10000.0) / 10000.0;
      bool flag = score >= threshold_;
      if (flag && flagged_) flagged_->fetch_add(1, std::memory_order_relaxed);
      std::sort(contrib.begin(), contrib.end(),
                [](const auto& a, const auto& b) { return a.first > b.first; });
      Value reasons = Value::MakeArray();
      for (size_t i = 0; i < contrib.size() && i < 3; ++i)
        if (contrib[i].first > 0) reasons.as_array().emplace_back(contrib[i].second);
      std::string id = state_->decisions->NextId();
      // Distance from the threshold, as a 0.5..1 certainty of the flag.
      double confidence = 0.5 + std::min(0.5, std::abs(score - threshold_));
      if (state_->decisions_made) state_->decisions_made->fetch_add(1, std::memory_order_relaxed);
      if (state_->decisions->persistent()) {
        json o = {{score_field_, score},
                  {flag_field_, flag},
                  {"threshold", threshold_},
                  {reasons_field_, json::parse(reasons.ToJson())}};
        auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
        state_->decisions->Record(
            id, "ml-processor", model_.name + (model_.version.empty() ? "" : "@" + model_.version),
            "local", inputs, o.dump(), confidence, us, 0.0);
      }
      Value& b = e.Mutable();
      b.Set(score_field_, Value(score));
      b.Set(flag_field_, Value(flag));
      b.Set(reasons_field_, std::move(reasons));
      if (state_->decisions->persistent()) {
        Value a = Value::MakeObject();
        a.Set("decision", Value(id));
        a.Set("model", Value(model_.name));
        a.Set("confidence", Value(std::round(confidence * 1000.0) / 1000.0));
        b.Set("_ml", std::move(a));
        ai_common::AppendDecision(e, id);
      }
      out.Emit(std::move(e));
    }
    state_->decisions->Flush();  // records reach the disk with their batch
    return Status::OK();
  }
};

}  // namespace

ComponentDescriptor MlProcessorDescriptor() {
  ComponentDescriptor d;
  d.type = "ml-processor";
  d.kind = NodeKind::kProcessor;
  d.summary =
      "Scores events with a local model file (logistic regression or decision rules) "
      "and flags those above the threshold sensitivity sets.";
  d.description =
      "model names a JSON model file (a path, or NAME looked up as MODEL_DIR/NAME.json). A "
      "logistic_regression model has an intercept and features (numeric with weight, "
      "optional mean/scale/log1p; categorical with weights per value and '*'; presence; "
      "boolean); a rules model has rules [{when: expression, score, reason}] and "
      "default_score. The event gets OUTPUT_score (0..1), OUTPUT_flag (score >= 1 - "
      "sensitivity) and OUTPUT_reasons (the features that pushed the score most), OUTPUT "
      "being the model's output name (fraud -> fraud_score). features lists which model "
      "features to use (a name the model lacks is an error). Every score is a decision "
      "record for `flowctl explain`.";
  d.keywords = {"ml",        "machine learning", "model",   "score",      "scoring",  "fraud",
                "risk",      "anomaly",          "predict", "classifier", "logistic", "detection",
                "suspicious"};
  json props = {
      {"model",
       {{"type", "string"},
        {"minLength", 1},
        {"description", "model file path or name"},
        {"x-flowctl-path", "read"},
        // A name (no '/', no .json) is looked up in model_dir at open.
        {"x-flowctl-path-if", "/|\\.json$"}}},
      {"model_dir",
       {{"type", "string"},
        {"description", "where model names are looked up"},
        {"x-flowctl-path", "read"}}},
      {"sensitivity",
       {{"type", "number"},
        {"minimum", 0},
        {"maximum", 1},
        {"description",
         "0..1; flag when score >= 1 - sensitivity (default: the model's threshold)"}}},
      {"features", {{"type", "array"}, {"items", {{"type", "string"}}}}},
      {"output",
       {{"type", "string"}, {"description", "field prefix (default: the model's output name)"}}},
      {"decisions",
       {{"type", "object"},
        {"properties",
         {{"enabled", {{"type", "boolean"}, {"default", true}}},
          {"max_records", {{"type", "integer"}, {"minimum", 1}, {"default", 100000}}}}},
        {"additionalProperties", false}}}};
  d.config_schema = {{"type", "object"},
                     {"properties", props},
                     {"required", {"model"}},
                     {"additionalProperties", false}};
  d.example =
      "- id: fraud-scorer\n  type: ml-processor\n  inputs: [transactions]\n  config:\n"
      "    model: examples/models/fraud-detector-v2.json\n    sensitivity: 0.8\n"
      "    features: [amount, merchant_category, user_history, device_fingerprint]\n";
  d.check = [](const json& c) {
    using L = ComponentDescriptor::Check::Level;
    std::vector<ComponentDescriptor::Check> out;
    auto m = LoadModel(c);
    if (!m.ok()) {
      out.push_back({m.status().code() == StatusCode::kNotFound ? L::kWarning : L::kError, "/model",
                     m.status().message(), ""});
      return out;
    }
    Status st = SelectFeatures(&m.value(), c);
    if (!st.ok()) out.push_back({L::kError, "/features", st.message(), ""});
    return out;
  };
  d.make_processor = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Processor>> {
    json c = ctx.config;
    // A name resolves to MODEL_DIR/NAME.json only now: check that file too.
    auto path = ResolvePath(ctx, ModelPath(c), PathAccess::kRead);
    if (!path.ok()) return path.status();
    c["model"] = path.value();
    auto m = LoadModel(c);
    if (!m.ok()) return m.status();
    Status st = SelectFeatures(&m.value(), c);
    if (!st.ok()) return st;
    json cfg = c;
    cfg["model"] = "embedded";  // the node state needs no remote provider
    cfg.erase("provider");
    ComponentContext local = ctx;
    local.config = cfg;
    auto state = ai_common::GetNodeState(local, "ml-processor");
    if (!state.ok()) return state.status();
    auto p = std::make_unique<MlProcessor>();
    p->model_ = std::move(m).value();
    p->state_ = state.value();
    p->threshold_ =
        c.contains("sensitivity") ? 1.0 - c["sensitivity"].get<double>() : p->model_.threshold;
    std::string prefix = c.value("output", p->model_.output);
    p->score_field_ = prefix + "_score";
    p->flag_field_ = prefix + "_flag";
    p->reasons_field_ = prefix + "_reasons";
    if (ctx.counters) {
      p->missing_ = ctx.counters->Get("ml_missing_features");
      p->flagged_ = ctx.counters->Get("ml_flagged");
    }
    return std::unique_ptr<Processor>(std::move(p));
  };
  return d;
}

}  // namespace flowctl::components
