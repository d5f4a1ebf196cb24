// Filler: maps an output schema onto the embedded heuristics once, so that
// per event only the models run.
#include <algorithm>

#include "flowctl/ai/embedded.h"
#include "flowctl/base/strings.h"

namespace flowctl::ai::embedded {
namespace {

bool Has(const std::string& name, std::initializer_list<const char*> words) {
  for (const char* w : words)
    if (name.find(w) != std::string::npos) return true;
  return false;
}

std::vector<std::string> EnumOf(const nlohmann::json& prop) {
  std::vector<std::string> out;
  const nlohmann::json* e = nullptr;
  if (prop.contains("enum")) e = &prop["enum"];
  if (e == nullptr && prop.contains("items") && prop["items"].is_object() &&
      prop["items"].contains("enum"))
    e = &prop["items"]["enum"];
  if (e != nullptr && e->is_array())
    for (const auto& v : *e)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string TypeOf(const nlohmann::json& prop) {
  if (prop.contains("type") && prop["type"].is_string()) return prop["type"].get<std::string>();
  if (prop.contains("enum")) return "string";
  return "";
}

Value StringList(const std::vector<std::string>& v) {
  Value::Array a;
  for (const auto& s : v) a.emplace_back(s);
  return Value(std::move(a));
}

}  // namespace

Result<Filler> Filler::Make(const std::vector<std::string>& tasks, const nlohmann::json& schema,
                            std::vector<CategoryDef> categories) {
  Filler f;
  for (const auto& t : tasks)
    if (std::find(std::begin(kTasks), std::end(kTasks), t) == std::end(kTasks))
      return Status::Invalid(
          "unknown task '" + t + "'; valid: " +
          Join(std::vector<std::string>(std::begin(kTasks), std::end(kTasks)), ", "));
  auto wants = [&](const char* t) {
    return std::find(tasks.begin(), tasks.end(), t) != tasks.end();
  };
  auto add = [&](std::string name, Kind kind, std::vector<std::string> values = {},
                 bool as_string = false) {
    f.names_.push_back(name);
    f.fields_.push_back({std::move(name), kind, std::move(values), as_string});
  };
  bool need_classifier = false;
  if (schema.is_object() && schema.contains("properties") && schema["properties"].is_object()) {
    std::vector<std::string> required;
    if (schema.contains("required") && schema["required"].is_array())
      for (const auto& r : schema["required"])
        if (r.is_string()) required.push_back(r.get<std::string>());
    for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
      std::string name = ToLower(it.key());
      const auto& prop = it.value();
      std::string type = TypeOf(prop);
      std::vector<std::string> values = EnumOf(prop);
      if (Has(name, {"sentiment", "mood", "tone", "emotion", "polarity"})) {
        add(it.key(),
            type == "number" || type == "integer" ? Kind::kSentimentScore : Kind::kSentimentLabel,
            values);
      } else if (Has(name, {"urgent", "escalat"}) && type == "boolean") {
        add(it.key(), Kind::kUrgent);
      } else if (Has(name, {"priority", "urgency", "severity", "level"})) {
        if (!values.empty()) f.levels_ = values;
        add(it.key(), Kind::kPriority, values);
      } else if (Has(name, {"categor", "class", "label", "topic", "team", "queue", "department",
                            "intent", "type", "segment"})) {
        if (categories.empty())
          for (const auto& v : values) categories.push_back({v, {}});
        need_classifier = true;
        add(it.key(), Kind::kCategory, values);
      } else if (Has(name, {"action", "next_step", "recommend", "suggest"})) {
        add(it.key(), Kind::kActions);
      } else if (Has(name, {"summary", "summar", "abstract", "tldr"})) {
        add(it.key(), Kind::kSummary);
      } else if (Has(name, {"entit", "extract"})) {
        add(it.key(), Kind::kEntities);
      } else if (Has(name, {"email"})) {
        add(it.key(), Kind::kEmails);
      } else if (Has(name, {"url", "link"})) {
        add(it.key(), Kind::kUrls);
      } else if (Has(name, {"amount", "price"})) {
        add(it.key(), Kind::kAmounts);
      } else if (Has(name, {"keyword", "tags"})) {
        add(it.key(), Kind::kKeywords);
      } else if (Has(name, {"confidence", "certainty"})) {
        add(it.key(), Kind::kConfidence);
      } else if (std::find(required.begin(), required.end(), it.key()) != required.end()) {
        return Status::Invalid("output_schema field '" + it.key() +
                               "' is required, but no embedded model can produce it (they "
                               "fill sentiment, category, priority, urgent, actions, summary, "
                               "entities, confidence); use a remote provider or make it optional");
      }
    }
    if (f.fields_.empty())
      return Status::Invalid(
          "no output_schema field can be filled by the embedded models; name fields like "
          "sentiment, category, priority, urgent, actions, summary or entities");
  } else {
    if (wants("classify-and-enrich")) {
      add("category", Kind::kCategory);
      add("sentiment", Kind::kSentimentScore);
      add("priority", Kind::kPriority);
      add("actions", Kind::kActions);
      need_classifier = true;
    }
    if (wants("sentiment")) {
      add("sentiment", Kind::kSentimentScore);
      add("sentiment_label", Kind::kSentimentLabel);
    }
    if (wants("classify")) {
      add("category", Kind::kCategory);
      need_classifier = true;
    }
    if (wants("priority")) {
      add("priority", Kind::kPriority);
      add("urgent", Kind::kUrgent);
    }
    if (wants("extract")) add("entities", Kind::kEntities);
    if (wants("summarize")) add("summary", Kind::kSummary);
  }
  if (need_classifier) {
    // Without configured classes: a general support/operations taxonomy.
    if (categories.empty())
      for (const char* c : kDefaultCategories) categories.push_back({c, {}});
    f.classifier_ = std::make_shared<Classifier>(std::move(categories));
  }
  static const char* kHigh[] = {"critical", "urgent", "high", "p0", "p1", "sev1", "blocker"};
  if (!f.levels_.empty())
    f.levels_descending_ = std::find(std::begin(kHigh), std::end(kHigh),
                                     ToLower(f.levels_.front())) != std::end(kHigh);
  return f;
}

void Filler::Fill(std::string_view text, std::vector<Member>* out, double* confidence) const {
  size_t levels = levels_.size();
  Analysis a = Analyze(text, classifier_.get(), levels);
  size_t level = levels_descending_ ? levels - 1 - a.priority.level : a.priority.level;
  double conf_sum = 0;
  int conf_n = 0;
  auto used = [&](double c) {
    conf_sum += c;
    ++conf_n;
  };
  const std::string* category = classifier_ ? &classifier_->name(a.category.index) : nullptr;
  for (const auto& fd : fields_) {
    Value v;
    switch (fd.kind) {
      case Kind::kSentimentScore:
        v = a.sentiment.score;
        used(a.sentiment.confidence);
        break;
      case Kind::kSentimentLabel: {
        std::string label = a.sentiment.label;
        for (const auto& e : fd.values)  // map onto the schema's own spelling
          if (StartsWith(ToLower(e), label.substr(0, 3))) label = e;
        v = label;
        used(a.sentiment.confidence);
        break;
      }
      case Kind::kCategory:
        v = *category;
        used(a.category.confidence);
        break;
      case Kind::kPriority:
        v = levels_[level];
        used(a.priority.confidence);
        break;
      case Kind::kUrgent:
        v = a.priority.urgent;
        used(a.priority.confidence);
        break;
      case Kind::kActions:
        v = StringList(SuggestActions(category ? *category : std::string("review"),
                                      a.priority.level, levels, a.sentiment.score < -0.05));
        break;
      case Kind::kSummary:
        v = Summarize(text, 30);
        break;
      case Kind::kEntities: {
        Extraction x = Extract(text);
        Value obj = Value::MakeObject();
        obj.Set("emails", StringList(x.emails));
        obj.Set("urls", StringList(x.urls));
        obj.Set("phones", StringList(x.phones));
        obj.Set("amounts", StringList(x.amounts));
        obj.Set("order_ids", StringList(x.order_ids));
        v = std::move(obj);
        break;
      }
      case Kind::kEmails:
        v = StringList(Extract(text).emails);
        break;
      case Kind::kUrls:
        v = StringList(Extract(text).urls);
        break;
      case Kind::kAmounts:
        v = StringList(Extract(text).amounts);
        break;
      case Kind::kKeywords: {
        std::vector<std::string> kws;
        for (const auto& w : Words(text))
          if (w.size() > 4 && std::find(kws.begin(), kws.end(), w) == kws.end() && kws.size() < 5)
            kws.push_back(w);
        v = StringList(kws);
        break;
      }
      case Kind::kConfidence:
        continue;  // filled below, once the others are known
    }
    out->push_back({fd.name, std::move(v)});
  }
  double c = conf_n > 0 ? conf_sum / conf_n : 0.5;
  c = std::round(c * 1000.0) / 1000.0;
  for (const auto& fd : fields_)
    if (fd.kind == Kind::kConfidence) out->push_back({fd.name, Value(c)});
  *confidence = c;
}

nlohmann::json Filler::Evidence(std::string_view text) const {
  nlohmann::json words = embedded::Evidence(text);
  Analysis a = Analyze(text, classifier_.get(), levels_.size());
  nlohmann::json out = nlohmann::json::object();
  auto rule = [](const char* kind, const char* text) {
    return nlohmann::json{{"kind", kind}, {"rule", text}};
  };
  for (const auto& fd : fields_) {
    switch (fd.kind) {
      case Kind::kSentimentScore:
      case Kind::kSentimentLabel:
        out[fd.name] = {{"kind", "sentiment"},
                        {"score", a.sentiment.score},
                        {"opinion_words", words["opinion_words"]},
                        {"negations", words["negations"]}};
        break;
      case Kind::kCategory:
        out[fd.name] = CategoryEvidence(text, *classifier_);
        break;
      case Kind::kPriority:
      case Kind::kUrgent:
        out[fd.name] = {{"kind", "priority"},
                        {"signals", a.priority.signals},
                        {"urgency_words", words["urgency_words"]},
                        {"shouted_words", words["shouted_words"]},
                        {"exclamations", words["exclamations"]},
                        {"sentiment_score", a.sentiment.score},
                        {"rule",
                         "urgency words, plus 1 for 2+ '!', 1 for 2+ shouted words, 1.5 for "
                         "strongly negative feeling (0.5 mildly); 3+ signals is urgent"}};
        break;
      case Kind::kActions:
        out[fd.name] = rule("actions", "templated phrases for the category, priority and feeling");
        break;
      case Kind::kSummary:
        out[fd.name] = rule("summary", "the leading sentence(s), at most 30 words");
        break;
      case Kind::kEntities:
      case Kind::kEmails:
      case Kind::kUrls:
      case Kind::kAmounts:
        out[fd.name] = rule("extraction",
                            "regular expressions for emails, URLs, phone numbers, amounts and "
                            "order ids; the output lists what matched");
        break;
      case Kind::kKeywords:
        out[fd.name] = rule("keywords", "the first five distinct words longer than four letters");
        break;
      case Kind::kConfidence:
        out[fd.name] = rule("confidence", "the mean of the confidences of the other fields");
        break;
    }
  }
  return out;
}

}  // namespace flowctl::ai::embedded
