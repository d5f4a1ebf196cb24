// The governance gate (governance/gate.h) and the auth file
// (governance/identity.h): which rule holds an action, who may decide,
// expiry on a fake clock, and what survives a reopen.
#include "flowctl/governance/gate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "flowctl/base/clock.h"
#include "flowctl/engine/engine.h"

namespace flowctl {
namespace {

namespace fs = std::filesystem;

constexpr char kPolicy[] = R"(apiVersion: governance.obsrvr.com/v1
kind: AIGovernancePolicy
metadata: {name: prod}
spec:
  approval-required:
    - action: modify-production-pipeline
      approvers: [senior-engineers]
      ai-confidence-threshold: 0.95
    - action: create-new-pipeline
      approvers: [team-lead]
      expires: 1h
      conditions:
        - estimated-cost: "> $100/hour"
        - data-sensitivity: high
    - action: delete-resources
      approvers: [admin]
      human-confirmation: required
)";

struct GateTest : ::testing::Test {
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("gate_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    Write("alice.token", "alice-token-0123456789");
    Write("bob.token", "bob-token-0123456789ab");
    Write("bot.token", "bot-token-0123456789abc");
    Write("auth.yaml",
          "principals:\n"
          "  - {name: alice, token-file: alice.token, groups: [senior-engineers, admin]}\n"
          "  - {name: bob, token-file: bob.token, groups: [team-lead]}\n"
          "  - {name: bot, kind: agent, token-file: bot.token, groups: [admin]}\n");
    auto ids = governance::Identities::Load((dir / "auth.yaml").string());
    ASSERT_TRUE(ids.ok()) << ids.status().message();
    identities = std::make_shared<const governance::Identities>(ids.value());
    Reopen();
    std::vector<Diagnostic> diags;
    ASSERT_TRUE(gate->ApplyPolicy(kPolicy, "p.yaml", false, &diags).ok());
  }
  void TearDown() override { fs::remove_all(dir); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
  }
  void Reopen() {
    auto g = governance::Gate::Open((dir / "gov").string(), identities, [this] { return now; });
    ASSERT_TRUE(g.ok()) << g.status().message();
    gate = std::move(g).value();
  }
  governance::Action Act(std::vector<std::string> kinds, std::string caller = "bob") {
    governance::Action a;
    a.kinds = std::move(kinds);
    a.pipeline = "orders";
    a.caller = std::move(caller);
    return a;
  }

  fs::path dir;
  int64_t now = 1'700'000'000'000;
  std::shared_ptr<const governance::Identities> identities;
  std::unique_ptr<governance::Gate> gate;
};

TEST_F(GateTest, RulesHoldByActionConditionAndConfidence) {
  // Not named by any rule: allowed.
  EXPECT_FALSE(gate->Evaluate(Act({"stop"})).hold);
  // A change to production, asked by a person: held for senior-engineers.
  auto v = gate->Evaluate(Act({"modify-production-pipeline", "modify-pipeline"}));
  ASSERT_TRUE(v.hold);
  EXPECT_EQ(v.policy, "prod");
  EXPECT_EQ(v.approvers, std::vector<std::string>{"senior-engineers"});
  // An AI proposal at the threshold proceeds; below it is held and says why.
  auto ai = Act({"modify-production-pipeline"});
  ai.ai_confidence = 0.95;
  EXPECT_FALSE(gate->Evaluate(ai).hold);
  ai.ai_confidence = 0.9;
  v = gate->Evaluate(ai);
  ASSERT_TRUE(v.hold);
  EXPECT_NE(v.why.find("AI confidence 0.90 < 0.95"), std::string::npos) << v.why;
  // A new pipeline: held only when one of its conditions holds.
  auto create = Act({"create-new-pipeline"});
  create.estimated_cost_per_h = 99.0;
  EXPECT_FALSE(gate->Evaluate(create).hold);
  create.estimated_cost_per_h = 100.5;
  EXPECT_TRUE(gate->Evaluate(create).hold);
  create.estimated_cost_per_h = 1;
  create.labels["data-sensitivity"] = "high";
  v = gate->Evaluate(create);
  ASSERT_TRUE(v.hold);
  EXPECT_EQ(v.expires_s, 3600);
}

TEST_F(GateTest, WhoMayDecide) {
  auto a = Act({"delete-resources"}, "bob");
  auto held = gate->Hold(a, gate->Evaluate(a));
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->state, "pending");
  auto self = gate->Decide(held->id, "bob", true, "");
  EXPECT_EQ(self.status().code(), StatusCode::kPermissionDenied);
  auto stranger = gate->Decide(held->id, "mallory", true, "");
  EXPECT_EQ(stranger.status().code(), StatusCode::kPermissionDenied);
  auto agent = gate->Decide(held->id, "bot", true, "");  // in admin, but an agent
  EXPECT_EQ(agent.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(agent.status().message().find("human"), std::string::npos);
  auto ok = gate->Decide(held->id, "alice", false, "no");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->state, "denied");
  EXPECT_EQ(ok->decided_by, "alice");
  auto again = gate->Decide(held->id, "alice", true, "");
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(GateTest, AnApprovalExpiresAndEverythingSurvivesAReopen) {
  auto a = Act({"create-new-pipeline"});
  a.labels["data-sensitivity"] = "high";
  a.request = {{"op", "apply"}, {"yaml", "x"}};
  auto held = gate->Hold(a, gate->Evaluate(a));
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->expires_ms, now + 3600 * 1000);
  Reopen();
  EXPECT_TRUE(gate->HasPolicy("prod"));
  auto kept = gate->Get(held->id);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->state, "pending");
  EXPECT_EQ(kept->request["yaml"], "x");
  now += 3600 * 1000;
  EXPECT_EQ(gate->Get(held->id)->state, "expired");
  auto late = gate->Decide(held->id, "bob", true, "");  // a team lead, but too late
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("expired"), std::string::npos);
  // Ids keep counting after a reopen.
  auto next = gate->Hold(a, gate->Evaluate(a));
  ASSERT_TRUE(next.ok());
  EXPECT_NE(next->id, held->id);
}

TEST_F(GateTest, TokensNamePrincipals) {
  auto alice = identities->ForToken("alice-token-0123456789");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->name, "alice");
  EXPECT_TRUE(alice->InGroup("admin"));
  EXPECT_FALSE(identities->ForToken("alice-token-012345678").has_value());
  EXPECT_TRUE(identities->Find("bot")->agent);
  EXPECT_FALSE(identities->local().has_value());  // an auth file without local:
}

TEST_F(GateTest, BadAuthFilesNameTheLine) {
  Write("dup.yaml",
        "principals:\n"
        "  - {name: a, token-file: alice.token}\n"
        "  - {name: b, token-file: alice.token}\n");
  auto dup = governance::Identities::Load((dir / "dup.yaml").string());
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("dup.yaml:3"), std::string::npos) << dup.status().message();
  Write("short.yaml", "principals:\n  - {name: a, token: short}\n");
  EXPECT_FALSE(governance::Identities::Load((dir / "short.yaml").string()).ok());
  Write("key.yaml", "principals:\n  - {name: a, tokenfile: alice.token}\n");
  auto key = governance::Identities::Load((dir / "key.yaml").string());
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("did you mean 'token-file'"), std::string::npos)
      << key.status().message();
  EXPECT_EQ(governance::Identities::Load((dir / "none.yaml").string()).status().code(),
            StatusCode::kNotFound);
}

TEST_F(GateTest, AnInvalidPolicyIsRefusedWithFileLine) {
  std::vector<Diagnostic> diags;
  std::string bad = kPolicy;
  bad.replace(bad.find("estimated-cost: \"> $100/hour\""), 29, "estimated-cost: \"lots\"       ");
  auto r = gate->ApplyPolicy(bad, "bad.yaml", false, &diags);
  ASSERT_FALSE(r.ok());
  ASSERT_FALSE(diags.empty());
  EXPECT_EQ(diags[0].mark.line, 13) << diags[0].ToString();
}

// retention: 90d (the default) prunes what is older, on the engine that
// has the gate; records are dated in the past instead of moving a clock.
TEST_F(GateTest, TheAuditLogIsPrunedPastTheRetention) {
  engine::EngineOptions eo;
  eo.gate = std::shared_ptr<governance::Gate>(std::move(gate));
  auto e = engine::Engine::Open(eo);
  ASSERT_TRUE(e.ok()) << e.status().message();
  const int64_t day = int64_t{86400} * 1000, t = UnixMs();
  for (int64_t age : {91 * day, 89 * day, int64_t{0}}) {
    store::AuditRecord r;
    r.time_ms = t - age;
    r.caller = age ? "old" : "new";
    r.action = "apply";
    ASSERT_TRUE(e.value()->Audit(r).ok());
  }
  auto pruned = e.value()->PruneAudit();
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned.value(), 1);
  store::AuditQuery q;
  q.caller = "old";
  EXPECT_EQ(e.value()->AuditLog(q)->size(), 1u);  // the 89-day-old one
  q.caller = "";
  q.since_ms = t - day;
  auto recent = e.value()->AuditLog(q);
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ(recent->front().caller, "new");
  e.value()->Shutdown();
  // No policy, no pruning.
  engine::EngineOptions none;
  auto e2 = engine::Engine::Open(none);
  ASSERT_TRUE(e2.ok());
  store::AuditRecord old;
  old.time_ms = t - 400 * day;
  ASSERT_TRUE(e2.value()->Audit(old).ok());
  EXPECT_EQ(e2.value()->PruneAudit().value(), 0);
  e2.value()->Shutdown();
}

}  // namespace
}  // namespace flowctl
