// ParseJsonBounded: the size and depth limits hold before any tree is built,
// brackets inside strings do not count, and errors name the byte offset.
#include "flowctl/data/json_bounded.h"

#include <gtest/gtest.h>

#include <string>

namespace flowctl {
namespace {

std::string Nested(size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

TEST(JsonBoundedTest, ParsesOrdinaryDocuments) {
  auto r = ParseJsonBounded(R"({"a":[1,2,{"b":"x"}],"c":null})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)["a"][2]["b"], "x");
}

TEST(JsonBoundedTest, DepthAtTheLimitIsAccepted) {
  JsonLimits limits;
  limits.max_depth = 8;
  EXPECT_TRUE(ParseJsonBounded(Nested(8), limits).ok());
  auto over = ParseJsonBounded(Nested(9), limits);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(over.status().message(), "JSON nested deeper than 8 levels at byte 8");
}

// The crash of issue 9 B: 100k levels in 200 KB. Building (or copying) the
// tree would overflow the stack; the scan refuses it first.
TEST(JsonBoundedTest, HundredThousandLevelsAreRefusedNotParsed) {
  std::string deep =
      R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":)" + Nested(100000) + "}}";
  auto r = ParseJsonBounded(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("JSON nested deeper than 512 levels at byte"),
            std::string::npos)
      << r.status().message();
  EXPECT_FALSE(ParseJsonBounded(Nested(100000, '{', '}')).ok());
}

TEST(JsonBoundedTest, BracketsInsideStringsDoNotCount) {
  JsonLimits limits;
  limits.max_depth = 2;
  std::string s = "[\"" + std::string(1000, '[') + "\\\"[[[\\\\\"]";
  auto r = ParseJsonBounded(s, limits);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].get<std::string>().size(), 1000u + 4 + 1);
}

TEST(JsonBoundedTest, SizeLimit) {
  JsonLimits limits;
  limits.max_bytes = 10;
  auto r = ParseJsonBounded("[1,2,3,4,5,6]", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "JSON text of 13 bytes is over the limit of 10 bytes");
}

TEST(JsonBoundedTest, SyntaxErrorsAreValuesWithAPosition) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "\"\\", "]]]]", "nul"}) {
    auto r = ParseJsonBounded(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().rfind("not valid JSON: ", 0), 0u) << r.status().message();
  }
  auto r = ParseJsonBounded("[1,]");
  EXPECT_NE(r.status().message().find("column 4"), std::string::npos) << r.status().message();
}

TEST(JsonBoundedTest, CheckAloneAcceptsInvalidTextWithinLimits) {
  EXPECT_TRUE(CheckJsonBounds("not json at all [").ok());
  EXPECT_FALSE(CheckJsonBounds(Nested(600)).ok());
}

// The drop-in for json::parse(text, nullptr, false) at the other entry points.
TEST(JsonBoundedTest, OrDiscardedForOldCallSites) {
  EXPECT_EQ(ParseJsonBoundedOrDiscarded("{\"a\":1}")["a"], 1);
  EXPECT_TRUE(ParseJsonBoundedOrDiscarded("{").is_discarded());
  EXPECT_TRUE(ParseJsonBoundedOrDiscarded(Nested(100000)).is_discarded());
  // Files may be large, never deep.
  std::string big = "[" + std::string(20u << 20, ' ') + "1]";
  EXPECT_TRUE(ParseJsonBoundedOrDiscarded(big).is_discarded());
  EXPECT_FALSE(ParseJsonBoundedOrDiscarded(big, FileJsonLimits()).is_discarded());
  EXPECT_TRUE(ParseJsonBoundedOrDiscarded(Nested(100000), FileJsonLimits()).is_discarded());
}

}  // namespace
}  // namespace flowctl
