// The loader's limits on nesting depth, alias expansion and size: a hostile
// document fails fast with file:line:col and the limit, and text that only
// looks deep (brackets in quotes, comments, block scalars) is not refused.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "flowctl/config/loader.h"
#include "flowctl/spec/diagnostic.h"

namespace flowctl::config {
namespace {

LoadResult Load(const std::string& text, LoadOptions options = {}) {
  options.use_env = false;
  return LoadString(text, "p.yaml", options);
}

std::string AllDiags(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) out += d.ToString() + "\n";
  return out;
}

const Diagnostic* FindDiag(const LoadResult& r, const std::string& text) {
  for (const Diagnostic& d : r.diagnostics) {
    if (d.message.find(text) != std::string::npos) return &d;
  }
  return nullptr;
}

void ExpectLimit(const LoadResult& r, const std::string& text, int line, int column) {
  const Diagnostic* d = FindDiag(r, text);
  ASSERT_NE(d, nullptr) << "no '" << text << "' in:\n" << AllDiags(r);
  EXPECT_EQ(d->severity, Diagnostic::Severity::kError);
  EXPECT_EQ(d->mark.file, "p.yaml");
  EXPECT_EQ(d->mark.line, line) << d->ToString();
  EXPECT_EQ(d->mark.column, column) << d->ToString();
}

constexpr char kDeep[] = "YAML nested deeper than 256 levels";
constexpr char kAliases[] = "YAML aliases expand to more than 100000 nodes";

std::string Pipeline(const std::string& gen_config_extra) {
  return "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n"
         "  sources:\n    - id: gen\n      type: generator\n      config:\n"
         "        count: 1\n" +
         gen_config_extra + "  sinks:\n    - {id: out, type: null, inputs: [gen]}\n";
}

TEST(ConfigLimitsTest, FlowNestingIsRefusedAtTheBracketPastTheLimit) {
  // 256 brackets are allowed; the 257th (column 257) is one too many.
  ExpectLimit(Load(std::string(300, '[')), kDeep, 1, 257);
  EXPECT_EQ(FindDiag(Load(std::string(256, '[') + std::string(256, ']')), kDeep), nullptr);
  // Inside a map value, over several lines.
  ExpectLimit(Load("a:\n  b: {c: [\n" + std::string(300, '[')), kDeep, 3, 253);
}

TEST(ConfigLimitsTest, BlockNestingIsRefused) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += std::string(i, ' ') + "k:\n";
  ExpectLimit(Load(text), kDeep, 257, 257);
  std::string compact;
  for (int i = 0; i < 300; ++i) compact += "- ";
  compact += "x\n";
  ExpectLimit(Load(compact), kDeep, 1, 513);
}

TEST(ConfigLimitsTest, AHugeFlatFlowFileFailsFast) {
  // 10 MB of "[": the scanner would keep a token per bracket (gigabytes).
  auto start = std::chrono::steady_clock::now();
  LoadResult r = Load(std::string(7 << 20, '['));
  ExpectLimit(r, kDeep, 1, 257);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ConfigLimitsTest, AliasBombIsRefusedBeforeItIsExpanded) {
  // Nine levels of nine aliases: 9^9 nodes when expanded, 700 bytes written.
  std::string extra = "        x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    extra += "        x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 9; ++j) extra += (j ? ", " : "") + prev;
    extra += "]\n";
  }
  auto start = std::chrono::steady_clock::now();
  LoadResult r = Load(Pipeline(extra));
  const Diagnostic* d = FindDiag(r, kAliases);
  ASSERT_NE(d, nullptr) << AllDiags(r);
  EXPECT_EQ(d->mark.file, "p.yaml");
  EXPECT_GT(d->mark.line, 9) << d->ToString();  // at an alias inside the bomb
  EXPECT_TRUE(r.documents.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(ConfigLimitsTest, TooManyAliasUsesAreRefusedInTheText) {
  // Each use is a value written: the entry limit stops them before parsing.
  std::string text = "a: &a x\nb: [";
  for (int i = 0; i < 100001; ++i) text += "*a,";
  text += "]\n";
  LoadResult r = Load(text);
  const Diagnostic* d = FindDiag(r, "YAML has more than 100000 entries");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->mark.line, 2);
}

TEST(ConfigLimitsTest, SelfReferencingAliasIsAnErrorNotACrash) {
  LoadResult r = Load(Pipeline("        x: &a [1, *a]\n"));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(FindDiag(r, kDeep) != nullptr || FindDiag(r, kAliases) != nullptr) << AllDiags(r);
}

TEST(ConfigLimitsTest, ModerateAliasUseIsFine) {
  std::string extra = "        template: &t {a: 1, b: [x, y]}\n";
  LoadResult r = Load(Pipeline(extra) + "---\n" +
                      "apiVersion: flowctl/v1\nkind: Pipeline\nmetadata: {name: q}\nspec:\n"
                      "  sources:\n    - {id: gen, type: generator, config: {count: 1}}\n"
                      "  sinks:\n    - {id: out, type: null, inputs: [gen]}\n"
                      "  extensions: {copies: [*t, *t, *t, *t, *t, *t, *t, *t]}\n");
  EXPECT_EQ(FindDiag(r, kAliases), nullptr) << AllDiags(r);
}

TEST(ConfigLimitsTest, BracketsInTextDoNotCount) {
  std::string b(400, '[');
  std::string text = Pipeline("        template: {q: \"" + b + "\", r: '" + b + "'}\n") + "# " + b +
                     "\n" + "metadata2: |\n  " + b + "\n  " + b + "\n" + "plain: it's a " + b +
                     " plain scalar\n" + "quoted: 'it''s " + b + "'\n";
  LoadResult r = Load(text);
  EXPECT_EQ(FindDiag(r, kDeep), nullptr) << AllDiags(r);
  // The document itself is fine apart from the two unknown top-level keys.
  EXPECT_EQ(FindDiag(r, "YAML"), nullptr) << AllDiags(r);
}

TEST(ConfigLimitsTest, DepthAddedByAVariableIsRefused) {
  LoadOptions o;
  o.vars["DEEP"] = std::string(300, '[');
  LoadResult r = Load("a: ${DEEP}\n", o);
  const Diagnostic* d = FindDiag(r, kDeep);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->mark.line, 1);
}

TEST(ConfigLimitsTest, TooManyEntriesAreRefusedBeforeParsing) {
  // 700 KB: under the size limit, yet half a million nodes (300 MB) to parse.
  std::string flow = "a: [";
  for (int i = 0; i < 350000; ++i) flow += "1,";
  LoadResult r = Load(flow + "]\n");
  const Diagnostic* d = FindDiag(r, "YAML has more than 100000 entries");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->mark.line, 1);
  EXPECT_EQ(d->mark.column, 4 + 2 * 99999);  // the comma after the 100000th value
  std::string block = "a:\n";
  for (int i = 0; i < 120000; ++i) block += "- x\n";
  EXPECT_NE(FindDiag(Load(block), "YAML has more than 100000 entries"), nullptr);
  // A long list well under the limit is fine.
  std::string ok = "a: [";
  for (int i = 0; i < 20000; ++i) ok += "1,";
  EXPECT_EQ(FindDiag(Load(ok + "]\n"), "entries"), nullptr);
}

// Found by fuzz_yaml: yaml-cpp 0.7 returns empty documents forever after a
// top-level scalar with a tag or anchor followed by a "? " line (2 GB in 40 s).
TEST(ConfigLimitsTest, ParserThatStopsAdvancingIsAnErrorNotAHang) {
  for (const char* text :
       {"!a b\n? ", "&x b\n? ", "!!str b\n? c\n: d\n", "apiVersion: v1\n---\n! b\n? "}) {
    auto start = std::chrono::steady_clock::now();
    LoadResult r = Load(text);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)) << text;
    const Diagnostic* d = FindDiag(r, "invalid YAML");
    ASSERT_NE(d, nullptr) << text << AllDiags(r);
    EXPECT_GT(d->mark.line, 0) << d->ToString();
  }
}

TEST(ConfigLimitsTest, OversizedDocumentIsRefused) {
  std::string text = "a: \"" + std::string((1 << 20) + 10, 'x') + "\"\n";
  LoadResult r = Load(text);
  const Diagnostic* d = FindDiag(r, "YAML document is larger than 1 MiB");
  ASSERT_NE(d, nullptr);
}

TEST(ConfigLimitsTest, DeepSetValueIsTakenAsTextWithoutParsing) {
  LoadOptions o;
  // yaml-cpp would scan all 16 MiB (seconds, gigabytes) to find it unclosed.
  o.overrides.push_back({"gen.template", std::string(16 << 20, '[')});
  auto start = std::chrono::steady_clock::now();
  LoadResult r = Load(Pipeline(""), o);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_EQ(r.documents.size(), 1u) << AllDiags(r);
}

}  // namespace
}  // namespace flowctl::config
