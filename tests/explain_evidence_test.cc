// Issue 9 item 7: an event that passed several AI nodes names every decision
// (`_ai.decisions`), and `flowctl explain` shows evidence that fits the kind
// of each decision: opinion words for sentiment, the keywords that chose a
// category or destination, the rule that routed. Runs the real binary on
// fixture events and checks the evidence against the outputs and the text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "test_util.h"

namespace flowctl {
namespace {

using json = nlohmann::json;

constexpr char kPipeline[] = R"(apiVersion: flowctl/v1
kind: Pipeline
metadata: {name: evidence}
spec:
  sources:
    - {id: in, type: file, config: {path: in.jsonl}}
  processors:
    - {id: mood, type: ai-processor, inputs: [in], config: {tasks: [sentiment, priority], text_field: message}}
    - id: topic
      type: ai-processor
      inputs: [mood]
      config:
        task: classify
        text_field: message
        categories: [billing, technical, {name: outage, keywords: [down, production]}, general]
    - id: route
      type: ai-router
      inputs: [topic]
      config:
        routing_strategy: model
        text_field: message
        rules: [{name: urgent, when: "urgent == true"}]
        destinations: {urgent: {sink: all}, billing: {sink: all}, technical: {sink: all}, general: {sink: all}}
  sinks:
    - id: all
      type: file
      inputs: [route.urgent, route.billing, route.technical, route.general, route.default]
      config: {path: out.jsonl}
)";

constexpr char kEvents[] =
    R"({"id":1,"message":"I was charged twice, please refund the duplicate payment. This is terrible!"}
{"id":2,"message":"The app crashes with an error every time I log in"}
{"id":3,"message":"URGENT: production is down!! Nothing works"}
{"id":4,"message":"lovely weather today"}
)";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class ExplainEvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteFile(dir_.File("p.yaml"), kPipeline);
    testing::WriteFile(dir_.File("in.jsonl"), kEvents);
    auto r = testing::RunCommand("cd " + dir_.path() + " && " + testing::Flowctl() +
                                 " apply p.yaml --state-dir st -q");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    for (const auto& l : testing::ReadLines(dir_.File("out.jsonl"))) {
      json e = json::parse(l);
      events_[e["id"].get<int>()] = e;
    }
    ASSERT_EQ(events_.size(), 4u);
  }

  json Explain(const std::string& id) {
    auto r = testing::RunCommand(
        testing::Flowctl() + " explain " + id + " --state-dir " + dir_.File("st") + " -o json",
        false);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return json::parse(r.out);
  }

  testing::TempDir dir_;
  std::map<int, json> events_;
};

TEST_F(ExplainEvidenceTest, EveryAiNodeListsItsDecisionOnTheEvent) {
  for (const auto& [n, e] : events_) {
    const json& ids = e["_ai"]["decisions"];
    ASSERT_EQ(ids.size(), 3u) << e.dump();
    std::set<std::string> nodes;
    for (const auto& id : ids) {
      json rec = Explain(id.get<std::string>());
      EXPECT_EQ(rec["id"], id);
      nodes.insert(rec["node"].get<std::string>());
    }
    EXPECT_EQ(nodes, (std::set<std::string>{"mood", "topic", "route"})) << e.dump();
    // The per-node ids point into the same list.
    EXPECT_EQ(e["_ai"]["decision"], ids[1]);
    EXPECT_EQ(e["_route"]["decision"], ids[2]);
  }
}

TEST_F(ExplainEvidenceTest, EvidenceFitsTheKindOfDecision) {
  for (const auto& [n, e] : events_) {
    std::string text = Lower(e["message"].get<std::string>());
    const json& ids = e["_ai"]["decisions"];

    // Sentiment and priority: opinion words and urgency signals, no category.
    json mood = Explain(ids[0].get<std::string>());
    const json& ev = mood["evidence"];
    EXPECT_FALSE(ev.contains("category")) << ev.dump();
    EXPECT_EQ(ev["sentiment"]["kind"], "sentiment");
    EXPECT_EQ(ev["sentiment"]["score"], mood["output"]["sentiment"]);
    for (const auto& w : ev["sentiment"]["opinion_words"]) {
      EXPECT_NE(text.find(w["word"].get<std::string>()), std::string::npos) << w;
      // A word's score has the sign it pushed the (un-negated) score to.
      if (ev["sentiment"]["negations"].empty() && ev["sentiment"]["opinion_words"].size() == 1)
        EXPECT_EQ(w["score"].get<double>() < 0, mood["output"]["sentiment"].get<double>() < 0);
    }
    EXPECT_EQ(ev["priority"]["kind"], "priority");
    EXPECT_EQ(ev["urgent"]["signals"].get<double>() >= 3, mood["output"]["urgent"].get<bool>())
        << ev.dump();

    // Classification: the keywords that chose the category, all in the text.
    json topic = Explain(ids[1].get<std::string>());
    const json& cat = topic["evidence"]["category"];
    EXPECT_EQ(cat["kind"], "category");
    EXPECT_EQ(cat["chosen"], topic["output"]["category"]);
    EXPECT_FALSE(topic["evidence"].contains("sentiment"));
    for (const auto& h : cat["matched_words"])
      EXPECT_NE(text.find(h["word"].get<std::string>()), std::string::npos) << h;
    if (!cat["fallback"].get<bool>()) {
      // The chosen category has the highest score of those matched.
      double best = cat["scores"][cat["chosen"].get<std::string>()].get<double>();
      for (const auto& [name, s] : cat["scores"].items()) EXPECT_LE(s.get<double>(), best);
    }

    // Routing: a rule's condition, or the classifier's keywords.
    json route = Explain(ids[2].get<std::string>());
    const json& dest = route["evidence"]["destination"];
    if (e["_route"]["via"] == "rule") {
      EXPECT_EQ(dest["kind"], "rule");
      EXPECT_EQ(dest["rule"], "urgent == true");
      EXPECT_TRUE(e["urgent"].get<bool>());
    } else {
      EXPECT_EQ(dest["kind"], "category");
      EXPECT_EQ(dest["chosen"], e["_route"]["destination"]);
    }
  }
  // The fixtures cover each kind: a rule route, a keyword route and a
  // fallback (no keyword at all).
  EXPECT_EQ(events_[3]["_route"]["via"], "rule");
  EXPECT_EQ(events_[1]["_route"]["destination"], "billing");
  json fallback = Explain(events_[4]["_ai"]["decisions"][2].get<std::string>());
  EXPECT_TRUE(fallback["evidence"]["destination"]["fallback"].get<bool>());
  EXPECT_TRUE(fallback["evidence"]["destination"]["matched_words"].empty());
}

TEST_F(ExplainEvidenceTest, TextOutputWordsEachKind) {
  const json& ids = events_[1]["_ai"]["decisions"];
  auto mood = testing::RunCommand(testing::Flowctl() + " explain " + ids[0].get<std::string>() +
                                  " --state-dir " + dir_.File("st"));
  EXPECT_NE(mood.out.find("opinion words: charged"), std::string::npos) << mood.out;
  EXPECT_EQ(mood.out.find("matched:"), std::string::npos) << mood.out;
  auto topic = testing::RunCommand(testing::Flowctl() + " explain " + ids[1].get<std::string>() +
                                   " --state-dir " + dir_.File("st"));
  EXPECT_NE(topic.out.find("category: billing; matched:"), std::string::npos) << topic.out;
  EXPECT_EQ(topic.out.find("opinion words"), std::string::npos) << topic.out;
}

}  // namespace
}  // namespace flowctl
