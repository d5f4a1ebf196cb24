// Plain model of flowctl documents (Pipeline, PipelineTemplate, and the other
// kinds of the design seed). No parsing here: config/ builds these from YAML,
// graph/ validates them, engine/ and ai/ produce them.
//
// Contract: plain value types, not synchronized. Every element keeps the
// source Mark (file:line:col, 1-based) it was read from, so that later
// validation stages can point at the exact place in the user's file.
#ifndef FLOWCTL_SPEC_SPEC_H_
#define FLOWCTL_SPEC_SPEC_H_

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace flowctl {

struct Mark {
  std::string file;
  int line = 0;                  // 1-based; 0 = unknown
  int column = 0;                // 1-based; 0 = unknown
  std::string ToString() const;  // "file:line:col" (parts omitted if unknown)
};

enum class NodeKind { kSource, kProcessor, kSink };
const char* NodeKindName(NodeKind k);  // "source", "processor", "sink"

struct ErrorPolicy {
  enum class Kind { kFail, kDrop, kRetry, kDeadLetter };
  Kind kind = Kind::kFail;
  int max_retries = 3;         // retry: attempts after the first
  int backoff_ms = 100;        // retry: first backoff, doubled each attempt
  std::string dead_letter_to;  // dead_letter: id of the sink receiving failures
  // After retries are exhausted: what happens then (drop, dead_letter, fail).
  Kind then = Kind::kFail;
  Mark mark;
};
const char* ErrorPolicyName(ErrorPolicy::Kind k);

struct NodeSpec {
  std::string id;
  std::string type;
  NodeKind kind = NodeKind::kProcessor;
  std::vector<std::string> inputs;
  std::vector<Mark> input_marks;  // parallel to inputs
  nlohmann::json config = nlohmann::json::object();
  // JSON pointer inside config ("/path", "/rules/0/when") -> where it was written.
  std::map<std::string, Mark> config_marks;
  std::string filter;  // optional expression: events not matching are skipped
  Mark filter_mark;
  int concurrency = 0;  // 0 = let the runtime decide
  bool has_on_error = false;
  ErrorPolicy on_error;
  Mark mark;       // where the node starts
  Mark type_mark;  // where its type is written

  // Mark of a config field given as a JSON pointer; falls back to the
  // nearest parent that has a mark, then to the node's mark.
  Mark ConfigMark(const std::string& pointer) const;
};

struct Metadata {
  std::string name;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

// spec.ai-policies[] of type self-healing (the seed's self-healing-pipeline;
// acted on by the daemon's ai/healing.h): symptoms measured over a window of
// the metric history, then a diagnosis and remediation strategies tried in
// turn, each through the governance gate.
struct HealingDetection {
  std::string metric;          // one of HealingMetrics()
  double threshold = 0;        // fraction (rates, drop, busy), ms (latency_p99), events (queue)
  std::string threshold_text;  // as written, for messages
  int64_t window_s = 300;
  Mark mark;
};

struct HealingPolicy {
  std::string name;
  std::vector<HealingDetection> detection;
  bool diagnosis = false;       // an ai-diagnosis action is listed
  std::string diagnosis_model;  // "provider:model" narrates; else findings only
  std::vector<std::string> diagnosis_context;
  std::vector<std::string> strategies;  // of HealingStrategies(), in the order written
  std::string incident_webhook;         // create-incident POSTs here ("" : audit only)
  int max_workers = 0;                  // scale-horizontally's bound; 0: the host's threads
  bool learning = false, feedback_loop = true, share_learnings = false;
  Mark mark;
};

inline const std::vector<std::string>& HealingMetrics() {
  static const std::vector<std::string> kMetrics = {"error_rate",  "dlq_rate", "latency_p99",
                                                    "queue_depth", "busy",     "throughput_drop"};
  return kMetrics;
}
inline const std::vector<std::string>& HealingStrategies() {
  static const std::vector<std::string> kStrategies = {"restart-component", "scale-horizontally",
                                                       "reroute-traffic", "rollback-version",
                                                       "create-incident"};
  return kStrategies;
}

struct PipelineSpec {
  std::string api_version;
  std::string kind = "Pipeline";
  Metadata metadata;
  std::vector<NodeSpec> sources;
  std::vector<NodeSpec> processors;
  std::vector<NodeSpec> sinks;
  // Pipeline-level defaults.
  int batch_size = 0;        // 0 = runtime default
  int channel_capacity = 0;  // batches per channel; 0 = runtime default
  // Seed sections kept as written (observability, ai-policies) so that
  // tools can show them and the canonical YAML keeps them; observability is
  // not acted on (validation warns).
  std::map<std::string, nlohmann::json> extensions;
  std::vector<HealingPolicy> healing;  // the ai-policies of type self-healing
  Mark mark;

  // All nodes in declaration order: sources, processors, sinks.
  std::vector<const NodeSpec*> AllNodes() const;
  const NodeSpec* FindNode(const std::string& id) const;
};

// One declared parameter of a PipelineTemplate. Values (default, enum,
// minimum, maximum) are JSON of the parameter's type: a string, an int64, a
// double or a bool.
struct TemplateParameter {
  enum class Type { kString, kInt, kFloat, kBool };
  std::string name;
  std::string description;
  Type type = Type::kString;
  std::string type_name;  // as written ("float", "number", ...), for messages
  bool has_default = false;
  nlohmann::json default_value;
  bool ai_tunable = false;
  // The seed's free-form advice for agents ([{model, when}, ...]); null when
  // absent. Kept, not interpreted.
  nlohmann::json ai_recommendations;
  std::vector<nlohmann::json> enum_values;  // empty: any value of the type
  nlohmann::json minimum;                   // null: no bound (int/float only)
  nlohmann::json maximum;
  Mark mark;          // where the parameter's entry starts
  Mark default_mark;  // where its default is written
};
// "string", "int", "float", "bool".
const char* ParameterTypeName(TemplateParameter::Type t);

// kind PipelineTemplate: parameters plus a pipeline body whose scalars may
// reference them as ${name}.
struct TemplateSpec {
  std::vector<TemplateParameter> parameters;
  // The body as written, references unresolved ("${sensitivity}" is still a
  // string). For display and tools; runs use an instantiation.
  PipelineSpec body;
  Mark mark;  // where spec.template is written

  const TemplateParameter* FindParameter(const std::string& name) const;
};

// A Pipeline's `spec.template`: which template to instantiate and with what.
struct TemplateRef {
  std::string name;
  Mark name_mark;
  std::string path;  // optional; relative to the referencing file
  Mark path_mark;
  // Parameter name -> value as written (YAML-typed) and where.
  std::map<std::string, nlohmann::json> parameters;
  std::map<std::string, Mark> parameter_marks;
  Mark mark;
};

// How a document's pipeline was made from a template.
struct Instantiation {
  std::string template_name;
  Mark template_mark;  // the PipelineTemplate document
  std::vector<TemplateParameter> parameters;
  std::map<std::string, nlohmann::json> values;  // every parameter's value
};

// Any document kind other than Pipeline and PipelineTemplate is kept as its
// raw content so that later issues can model it; the loader reports it as
// not runnable.
// kind: AIMonitor (the seed's "Predictive Monitoring"): predictions over
// the metric history of the pipelines its targets name, and what to do when
// one fires. Run by the daemon (ai/monitor.h); the loader checks it.
struct MonitorPrediction {
  std::string type;              // failure-prediction, capacity-planning, anomaly-prediction
  std::string model;             // as written (the seed's names, or the algorithm's)
  std::string algorithm;         // the built-in it runs: linear-trend, holt-linear, robust-zscore
  double alert_threshold = 0.8;  // failure-prediction: the least trend score (r2)
  int64_t advance_warning_s = 1800;  // failure-prediction: how far ahead
  std::vector<std::string> metrics;  // capacity-planning: throughput, latency, error-rate
  int64_t forecast_window_s = 7 * 86400;
  std::string sensitivity = "medium";  // anomaly-prediction: high, medium, low
  Mark mark;
};

struct MonitorAction {
  std::string kind;     // notify, execute, prepare
  std::string target;   // notify: who (a name); execute: the action; prepare: rollback-plan
  std::string webhook;  // notify: an http(s) URL to POST the alert to ("" = none)
  Mark mark;
};

struct MonitorSpec {
  std::vector<std::string> targets;  // pipeline name globs (* and ?)
  int64_t interval_s = 30;           // how often the predictions run
  std::vector<MonitorPrediction> predictions;
  std::vector<MonitorAction> on_predicted_failure;
  std::vector<MonitorAction> on_anomaly;
};

// kind: AIGovernancePolicy (the seed's "Security & Governance"): which
// actions on pipelines need an approval, by whom, and how the audit log is
// kept. Enforced by the daemon's governance gate (governance/gate.h).
struct ApprovalCondition {
  std::string kind;          // estimated_cost, data_sensitivity, label
  std::string op;            // estimated_cost: >, >=, <, <=
  double amount = 0;         // estimated_cost: USD per hour
  std::string label, value;  // data_sensitivity / label: the metadata label and its value
  std::string text;          // as written, for messages
  Mark mark;
};

struct ApprovalRule {
  std::string action;                  // one of GovernanceActions()
  std::vector<std::string> approvers;  // groups; any member may approve
  // An action an AI proposes with at least this confidence needs no
  // approval; below it (or proposed by a person) it does. < 0: not set.
  double ai_confidence_threshold = -1;
  bool human_confirmation = false;  // no agent's token may approve
  // Any one that holds makes the rule apply; none: the rule always applies.
  std::vector<ApprovalCondition> conditions;
  int64_t expires_s = 24 * 3600;  // a pending approval lapses after this
  Mark mark;
};

struct GovernanceSpec {
  std::vector<ApprovalRule> approval_required;
  bool log_all_actions = true;
  bool include_reasoning = true;
  int64_t retention_s = 90 * 86400;  // audit records older than this are pruned
};

// The action classes of the governance gate, in the seed's words.
inline const std::vector<std::string>& GovernanceActions() {
  static const std::vector<std::string> kActions = {"create-new-pipeline",
                                                    "modify-pipeline",
                                                    "modify-production-pipeline",
                                                    "delete-resources",
                                                    "rollback",
                                                    "stop",
                                                    "scale",
                                                    "switch-model",
                                                    "self-healing"};
  return kActions;
}

struct Document {
  std::string api_version;
  std::string kind;
  Metadata metadata;
  Mark mark;
  // The pipeline to run: valid when Runnable(). For a Pipeline referencing a
  // template and for a PipelineTemplate instantiated on its own, it is the
  // instantiation (kind "Pipeline", references resolved).
  PipelineSpec pipeline;
  TemplateSpec template_spec;               // valid when kind == "PipelineTemplate"
  std::optional<TemplateRef> template_ref;  // a Pipeline's spec.template
  std::optional<Instantiation> instance;    // set when pipeline came from one
  MonitorSpec monitor;                      // valid when kind == "AIMonitor"
  GovernanceSpec governance;                // valid when kind == "AIGovernancePolicy"
  nlohmann::json raw;                       // the whole document as JSON

  // A Pipeline (one referencing a template only once instantiated), or a
  // PipelineTemplate that the loader instantiated because no Pipeline of its
  // file references it.
  bool Runnable() const {
    if (kind == "Pipeline" && !template_ref) return true;
    return instance.has_value();
  }
};

}  // namespace flowctl

#endif  // FLOWCTL_SPEC_SPEC_H_
