// parse-json: parses a string field holding JSON text into structure.
#include "../builtin_list.h"
#include "flowctl/data/json.h"

namespace flowctl::components {
namespace {

using nlohmann::json;

class ParseJsonProcessor : public Processor {
 public:
  ParseJsonProcessor(std::string field, std::string target, bool remove)
      : field_(std::move(field)), target_(std::move(target)), remove_(remove) {}

  Status Process(std::vector<Event>& events, Emitter& out) override {
    for (auto& e : events) {
      const Value* src = e.body().FindPath(field_);
      if (!src) {
        out.Fail(std::move(e), Status::Invalid("field '" + field_ + "' is missing"));
        continue;
      }
      if (!src->is_string()) {
        out.Fail(std::move(e), Status::Invalid("field '" + field_ + "' is a " +
                                               src->TypeName() + ", not a string"));
        continue;
      }
      Value parsed;
      Status st = ParseJson(src->as_string(), &parsed);
      if (!st.ok()) {
        out.Fail(std::move(e), Status::Invalid("field '" + field_ + "': " + st.message()));
        continue;
      }
      Value& body = e.Mutable();
      if (remove_) body.ErasePath(field_);
      if (target_.empty()) {
        if (!parsed.is_object()) {
          out.Fail(std::move(e), Status::Invalid("field '" + field_ +
                                                 "' holds a non-object; set target to keep it"));
          continue;
        }
        for (auto& m : parsed.as_object()) body.Set(m.key, std::move(m.value));
      } else {
        body.SetPath(target_, std::move(parsed));
      }
      out.Emit(std::move(e));
    }
    return Status::OK();
  }

 private:
  std::string field_, target_;
  bool remove_;
};

}  // namespace

ComponentDescriptor ParseJsonDescriptor() {
  ComponentDescriptor d;
  d.type = "parse-json";
  d.kind = NodeKind::kProcessor;
  d.summary = "Parses JSON text held in a field (e.g. a log line) into structured fields.";
  d.description =
      "Reads the string in field (default message), parses it as JSON and merges the "
      "resulting object into the event (or stores any JSON value under target). Text that "
      "is not valid JSON goes to the node's on_error policy with the parse error.";
  d.keywords = {"parse", "json", "decode", "deserialize", "unpack", "text", "log line",
                "structure"};
  d.config_schema = {
      {"type", "object"},
      {"properties",
       {{"field",
         {{"type", "string"}, {"default", "message"}, {"description", "field holding JSON text"}}},
        {"target",
         {{"type", "string"},
          {"default", ""},
          {"description", "where to put the result; empty merges an object into the event"}}},
        {"remove_source",
         {{"type", "boolean"},
          {"default", false},
          {"description", "delete the text field after parsing"}}}}},
      {"additionalProperties", false}};
  d.example =
      "- id: parse\n  type: parse-json\n  inputs: [lines]\n  config:\n    field: message\n";
  d.make_processor = [](const ComponentContext& ctx) -> Result<std::unique_ptr<Processor>> {
    const auto& c = ctx.config;
    return std::unique_ptr<Processor>(new ParseJsonProcessor(
        c.value("field", "message"), c.value("target", ""), c.value("remove_source", false)));
  };
  return d;
}

}  // namespace flowctl::components
