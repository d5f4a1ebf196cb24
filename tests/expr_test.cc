#include "flowctl/expr/expr.h"

#include <gtest/gtest.h>

#include <atomic>
#include <iterator>
#include <cstdlib>
#include <new>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "flowctl/data/json.h"

// Counts heap allocations made by the current thread while enabled, to hold
// the hot paths to their no-allocation promise. Per thread, because every
// test file shares this binary and other tests may leave threads running.
namespace {
thread_local bool g_count_allocs = false;
thread_local long g_allocs = 0;

// noinline: once inlined, g++ pairs free() with the caller's new-expression
// and warns about a mismatch that is not there.
__attribute__((noinline)) void* CountedAlloc(size_t size) noexcept {
  if (g_count_allocs) ++g_allocs;
  return std::malloc(size == 0 ? 1 : size);
}
__attribute__((noinline)) void CountedFree(void* p) noexcept { std::free(p); }
}  // namespace

// Every replaceable form is defined so that no allocation made by one
// allocator is ever released by another (libraries use the nothrow forms).

void* operator new(size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t size, const std::nothrow_t&) noexcept { return CountedAlloc(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return CountedAlloc(size); }
void operator delete(void* p) noexcept { CountedFree(p); }
void operator delete[](void* p) noexcept { CountedFree(p); }
void operator delete(void* p, size_t) noexcept { CountedFree(p); }
void operator delete[](void* p, size_t) noexcept { CountedFree(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { CountedFree(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { CountedFree(p); }

namespace flowctl {
// Readable gtest output for Values.
void PrintTo(const Value& v, std::ostream* os) { *os << v.ToJson() << " (" << v.TypeName() << ")"; }
}  // namespace flowctl

namespace flowctl::expr {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

const Value& Sample() {
  static const Value* event = [] {
    auto* v = new Value();
    Status st = ParseJson(R"({
      "priority": "high", "level": 3, "score": 2.5, "ok": true, "nothing": null,
      "message": "Disk FULL on host-1", "name": "Alice", "city_name": "Héllo",
      "ts": "2024-06-01T00:00:00.000Z",
      "tags": ["a", "b", "prod"],
      "geo": {"city": "Berlin", "country": "DE", "coords": [52.5, 13.4]},
      "items": [{"id": 1, "name": "x"}, {"id": 2, "name": "y"}],
      "user-agent": "curl", "big": 9223372036854775807, "small": -9223372036854775808,
      "pattern": "^Dis", "bad_pattern": "(", "idx": 1, "key": "city",
      "event": {"inner": 7}
    })", v);
    if (!st.ok()) std::abort();
    return v;
  }();
  return *event;
}

Value Json(const char* text) {
  Value v;
  if (!ParseJson(text, &v).ok()) std::abort();
  return v;
}

std::string Describe(const Value& v) { return v.ToJson() + " (" + v.TypeName() + ")"; }

// The expression evaluates on Sample() to want, with the same type.
AssertionResult Evals(std::string_view src, const Value& want) {
  auto p = Program::Compile(src);
  if (!p.ok()) return AssertionFailure() << src << ": compile error: " << p.status().message();
  auto r = p.value()->Eval(Sample());
  if (!r.ok()) return AssertionFailure() << src << ": eval error: " << r.status().message();
  if (r.value().type() != want.type() || r.value() != want) {
    return AssertionFailure() << src << " => " << Describe(r.value()) << ", want "
                              << Describe(want);
  }
  return AssertionSuccess();
}

// The expression compiles but fails at Eval with a message containing want.
AssertionResult EvalFails(std::string_view src, const std::string& want) {
  auto p = Program::Compile(src);
  if (!p.ok()) return AssertionFailure() << src << ": compile error: " << p.status().message();
  auto r = p.value()->Eval(Sample());
  if (r.ok()) return AssertionFailure() << src << " => " << Describe(r.value()) << ", want error";
  if (r.status().code() != StatusCode::kInvalidArgument) {
    return AssertionFailure() << src << ": wrong code " << r.status().ToString();
  }
  if (r.status().message().find(want) == std::string::npos) {
    return AssertionFailure() << src << ": error '" << r.status().message()
                              << "' lacks '" << want << "'";
  }
  return AssertionSuccess();
}

// Compile fails with a message starting with want.
AssertionResult CompileFails(std::string_view src, const std::string& want) {
  auto p = Program::Compile(src);
  if (p.ok()) return AssertionFailure() << src << ": compiled, want error '" << want << "'";
  if (p.status().code() != StatusCode::kInvalidArgument) {
    return AssertionFailure() << src << ": wrong code " << p.status().ToString();
  }
  if (p.status().message().compare(0, want.size(), want) != 0) {
    return AssertionFailure() << src << ": error '" << p.status().message()
                              << "', want prefix '" << want << "'";
  }
  return AssertionSuccess();
}

Value List(std::vector<Value> items) { return Value(Value::Array(std::move(items))); }

TEST(ExprLiterals, Scalars) {
  EXPECT_TRUE(Evals("null", Value()));
  EXPECT_TRUE(Evals("true", Value(true)));
  EXPECT_TRUE(Evals("false", Value(false)));
  EXPECT_TRUE(Evals("42", Value(42)));
  EXPECT_TRUE(Evals("0x1F", Value(31)));
  EXPECT_TRUE(Evals("1.5", Value(1.5)));
  EXPECT_TRUE(Evals("1e3", Value(1000.0)));
  EXPECT_TRUE(Evals("2.5E-1", Value(0.25)));
  EXPECT_TRUE(Evals("-9223372036854775808", Value(INT64_MIN)));
  EXPECT_TRUE(Evals("9223372036854775807", Value(INT64_MAX)));
  EXPECT_TRUE(Evals("-1.5", Value(-1.5)));
}

TEST(ExprLiterals, Strings) {
  EXPECT_TRUE(Evals("'single'", Value("single")));
  EXPECT_TRUE(Evals("\"double\"", Value("double")));
  EXPECT_TRUE(Evals(R"('it\'s')", Value("it's")));
  EXPECT_TRUE(Evals(R"("say \"hi\"")", Value("say \"hi\"")));
  EXPECT_TRUE(Evals(R"('a\\b')", Value("a\\b")));
  EXPECT_TRUE(Evals(R"('t\tn\nr\r')", Value("t\tn\nr\r")));
  EXPECT_TRUE(Evals(R"('\x41\u00e9\U0001F600')", Value("A\xC3\xA9\xF0\x9F\x98\x80")));
  EXPECT_TRUE(Evals("\"it's\"", Value("it's")));
  EXPECT_TRUE(Evals("''", Value("")));
}

TEST(ExprLiterals, ListsAndMaps) {
  EXPECT_TRUE(Evals("[]", List({})));
  EXPECT_TRUE(Evals("[1, 'a', null, [true]]", List({1, "a", Value(), List({true})})));
  EXPECT_TRUE(Evals("[1, 2,]", List({1, 2})));
  EXPECT_TRUE(Evals("[level, priority]", List({3, "high"})));
  EXPECT_TRUE(Evals("{}", Value::MakeObject()));
  EXPECT_TRUE(Evals("{'k': 1, \"j\": [2]}", Json(R"({"k": 1, "j": [2]})")));
  EXPECT_TRUE(Evals("{'p': priority, key: level}", Json(R"({"p": "high", "city": 3})")));
  EXPECT_TRUE(Evals("{'a': {'b': 2}}.a.b", Value(2)));
  EXPECT_TRUE(Evals("{'a': 1}['a']", Value(1)));
  EXPECT_TRUE(Evals("[10, 20, 30][1]", Value(20)));
  EXPECT_TRUE(Evals("[10, 20][5]", Value()));
}

TEST(ExprFields, Paths) {
  EXPECT_TRUE(Evals("priority", Value("high")));
  EXPECT_TRUE(Evals("geo.city", Value("Berlin")));
  EXPECT_TRUE(Evals("tags[0]", Value("a")));
  EXPECT_TRUE(Evals("tags[2]", Value("prod")));
  EXPECT_TRUE(Evals("geo.coords[1]", Value(13.4)));
  EXPECT_TRUE(Evals("items[1].name", Value("y")));
  EXPECT_TRUE(Evals("items[0]['id']", Value(1)));
  EXPECT_TRUE(Evals("event.priority", Value("high")));
  EXPECT_TRUE(Evals("event.geo.city", Value("Berlin")));
  EXPECT_TRUE(Evals("event['user-agent']", Value("curl")));
  EXPECT_TRUE(Evals("geo['city']", Value("Berlin")));
  EXPECT_TRUE(Evals("event.event.inner", Value(7)));
  EXPECT_TRUE(Evals("event", Sample()));
  EXPECT_TRUE(Evals("nothing", Value()));
  // Computed indexes and keys.
  EXPECT_TRUE(Evals("tags[idx]", Value("b")));
  EXPECT_TRUE(Evals("tags[idx + 1]", Value("prod")));
  EXPECT_TRUE(Evals("geo[key]", Value("Berlin")));
  EXPECT_TRUE(Evals("items[idx].name", Value("y")));
  EXPECT_TRUE(Evals("(geo).city", Value("Berlin")));
  EXPECT_TRUE(Evals("tags[-1]", Value()));
  EXPECT_TRUE(EvalFails("tags[1.5]", "index must be an int or a string, got double"));
}

TEST(ExprFields, MissingIsNull) {
  EXPECT_TRUE(Evals("missing", Value()));
  EXPECT_TRUE(Evals("geo.zip", Value()));
  EXPECT_TRUE(Evals("geo.city.deeper", Value()));
  EXPECT_TRUE(Evals("tags[10]", Value()));
  EXPECT_TRUE(Evals("missing.a[3].b", Value()));
  EXPECT_TRUE(Evals("missing == null", Value(true)));
  EXPECT_TRUE(Evals("missing != null", Value(false)));
  EXPECT_TRUE(Evals("nothing == null", Value(true)));
  EXPECT_TRUE(Evals("priority != null", Value(true)));
  EXPECT_TRUE(EvalFails("missing > 3", "'>' needs numbers or strings, got null (missing field?) and int"));
  EXPECT_TRUE(EvalFails("null > 3", "'>' needs numbers or strings, got null"));
}

TEST(ExprOperators, Equality) {
  EXPECT_TRUE(Evals("priority == 'high'", Value(true)));
  EXPECT_TRUE(Evals("priority == 'low'", Value(false)));
  EXPECT_TRUE(Evals("priority != 'low'", Value(true)));
  EXPECT_TRUE(Evals("level == 3", Value(true)));
  EXPECT_TRUE(Evals("level == 3.0", Value(true)));
  EXPECT_TRUE(Evals("score == 2.5", Value(true)));
  // Different types are unequal, not an error.
  EXPECT_TRUE(Evals("level == '3'", Value(false)));
  EXPECT_TRUE(Evals("level != '3'", Value(true)));
  EXPECT_TRUE(Evals("null == false", Value(false)));
  EXPECT_TRUE(Evals("tags == ['a', 'b', 'prod']", Value(true)));
  EXPECT_TRUE(Evals("geo.coords == [52.5, 13.4]", Value(true)));
  EXPECT_TRUE(Evals("{'a': 1, 'b': 2} == {'b': 2, 'a': 1}", Value(true)));
  EXPECT_TRUE(Evals("ok == true", Value(true)));
}

TEST(ExprOperators, Ordering) {
  EXPECT_TRUE(Evals("level > 2", Value(true)));
  EXPECT_TRUE(Evals("level > 3", Value(false)));
  EXPECT_TRUE(Evals("level >= 3", Value(true)));
  EXPECT_TRUE(Evals("level < 3", Value(false)));
  EXPECT_TRUE(Evals("level <= 3", Value(true)));
  EXPECT_TRUE(Evals("level < 3.5", Value(true)));
  EXPECT_TRUE(Evals("score > 2", Value(true)));
  EXPECT_TRUE(Evals("score <= 2", Value(false)));
  EXPECT_TRUE(Evals("big > 9223372036854775806", Value(true)));
  EXPECT_TRUE(Evals("'abc' < 'abd'", Value(true)));
  EXPECT_TRUE(Evals("'b' >= 'abc'", Value(true)));
  EXPECT_TRUE(Evals("ts >= '2024-06-01T00:00:00.000Z'", Value(true)));
  EXPECT_TRUE(Evals("ts < '2024-05-31'", Value(false)));
  EXPECT_TRUE(EvalFails("priority > 3",
                        "column 10: '>' needs numbers or strings, got string and int"));
  EXPECT_TRUE(EvalFails("ok < true", "'<' needs numbers or strings, got bool and bool"));
  EXPECT_TRUE(EvalFails("tags <= [1]", "'<=' needs numbers or strings, got list and list"));
  EXPECT_TRUE(EvalFails("level >= 'a'", "'>=' needs numbers or strings, got int and string"));
}

TEST(ExprOperators, In) {
  EXPECT_TRUE(Evals("priority in ['high', 'critical']", Value(true)));
  EXPECT_TRUE(Evals("priority in ['low', 'critical']", Value(false)));
  EXPECT_TRUE(Evals("'prod' in tags", Value(true)));
  EXPECT_TRUE(Evals("'dev' in tags", Value(false)));
  EXPECT_TRUE(Evals("3 in [1.0, 3.0]", Value(true)));
  EXPECT_TRUE(Evals("'3' in [3]", Value(false)));
  EXPECT_TRUE(Evals("'city' in geo", Value(true)));
  EXPECT_TRUE(Evals("'zip' in geo", Value(false)));
  EXPECT_TRUE(Evals("1 in geo", Value(false)));
  EXPECT_TRUE(Evals("'FULL' in message", Value(true)));
  EXPECT_TRUE(Evals("'full' in message", Value(false)));
  EXPECT_TRUE(Evals("missing in ['a']", Value(false)));
  EXPECT_TRUE(Evals("null in [1, null]", Value(true)));
  EXPECT_TRUE(EvalFails("'a' in level", "'in' needs a list, map or string on the right"));
  EXPECT_TRUE(EvalFails("1 in 'abc'", "got int in string"));
  EXPECT_TRUE(EvalFails("'a' in missing", "got string in null (missing field?)"));
}

TEST(ExprOperators, Arithmetic) {
  EXPECT_TRUE(Evals("level + 2", Value(5)));
  EXPECT_TRUE(Evals("level - 5", Value(-2)));
  EXPECT_TRUE(Evals("level * 4", Value(12)));
  EXPECT_TRUE(Evals("7 / 2", Value(3)));
  EXPECT_TRUE(Evals("-7 / 2", Value(-3)));
  EXPECT_TRUE(Evals("7 % 3", Value(1)));
  EXPECT_TRUE(Evals("-7 % 3", Value(-1)));
  EXPECT_TRUE(Evals("small % -1", Value(0)));
  EXPECT_TRUE(Evals("level + 0.5", Value(3.5)));
  EXPECT_TRUE(Evals("score * 2", Value(5.0)));
  EXPECT_TRUE(Evals("score - 0.5", Value(2.0)));
  EXPECT_TRUE(Evals("7.0 / 2", Value(3.5)));
  EXPECT_TRUE(Evals("'ab' + 'cd'", Value("abcd")));
  EXPECT_TRUE(Evals("priority + '!'", Value("high!")));
  EXPECT_TRUE(Evals("tags + ['x']", List({"a", "b", "prod", "x"})));
  EXPECT_TRUE(Evals("[] + []", List({})));
  EXPECT_TRUE(Evals("-level", Value(-3)));
  EXPECT_TRUE(Evals("-score", Value(-2.5)));
  EXPECT_TRUE(Evals("- -level", Value(3)));
  EXPECT_TRUE(Evals("!ok", Value(false)));
  EXPECT_TRUE(Evals("!!ok", Value(true)));
}

TEST(ExprOperators, ArithmeticErrors) {
  EXPECT_TRUE(EvalFails("big + 1", "column 5: integer overflow in '+'"));
  EXPECT_TRUE(EvalFails("small - 1", "integer overflow in '-'"));
  EXPECT_TRUE(EvalFails("big * 2", "integer overflow in '*'"));
  EXPECT_TRUE(EvalFails("small / -1", "integer overflow in '/'"));
  EXPECT_TRUE(EvalFails("-small", "integer overflow in '-'"));
  EXPECT_TRUE(EvalFails("level / 0", "column 7: division by zero"));
  EXPECT_TRUE(EvalFails("score / 0", "division by zero"));
  EXPECT_TRUE(EvalFails("level % 0", "modulo by zero"));
  EXPECT_TRUE(EvalFails("score % 2", "'%' needs two ints, got double and int"));
  EXPECT_TRUE(EvalFails("priority - 1", "'-' needs numbers, got string and int"));
  EXPECT_TRUE(EvalFails("priority + 1",
                        "'+' needs two numbers, two strings or two lists, got string and int"));
  EXPECT_TRUE(EvalFails("tags + 'x'", "got list and string"));
  EXPECT_TRUE(EvalFails("-priority", "'-' needs a number, got string"));
  EXPECT_TRUE(EvalFails("!level", "'!' needs a bool, got int"));
  EXPECT_TRUE(EvalFails("missing * 2", "got null (missing field?) and int"));
}

TEST(ExprOperators, Ternary) {
  EXPECT_TRUE(Evals("level > 2 ? 'big' : 'small'", Value("big")));
  EXPECT_TRUE(Evals("level > 5 ? 'big' : 'small'", Value("small")));
  EXPECT_TRUE(Evals("false ? 1 : true ? 2 : 3", Value(2)));
  EXPECT_TRUE(Evals("ok ? geo.city : 1 / 0", Value("Berlin")));
  EXPECT_TRUE(Evals("(ok ? geo : items[0]).city", Value("Berlin")));
  EXPECT_TRUE(EvalFails("level ? 1 : 2", "'?:' needs a bool condition, got int"));
}

TEST(ExprOperators, Precedence) {
  EXPECT_TRUE(Evals("1 + 2 * 3", Value(7)));
  EXPECT_TRUE(Evals("(1 + 2) * 3", Value(9)));
  EXPECT_TRUE(Evals("10 - 4 - 3", Value(3)));
  EXPECT_TRUE(Evals("100 / 10 / 5", Value(2)));
  EXPECT_TRUE(Evals("2 * 3 % 4", Value(2)));
  EXPECT_TRUE(Evals("-2 * 3", Value(-6)));
  EXPECT_TRUE(Evals("-level * 2", Value(-6)));
  EXPECT_TRUE(Evals("1 + 2 == 3", Value(true)));
  EXPECT_TRUE(Evals("1 + 2 in [3]", Value(true)));
  EXPECT_TRUE(Evals("1 < 2 == true", Value(true)));
  EXPECT_TRUE(Evals("true || false && false", Value(true)));
  EXPECT_TRUE(Evals("(true || false) && false", Value(false)));
  EXPECT_TRUE(Evals("false && true || true", Value(true)));
  EXPECT_TRUE(Evals("!false && false", Value(false)));
  EXPECT_TRUE(Evals("!(false && false)", Value(true)));
  EXPECT_TRUE(Evals("level > 1 && level < 5 ? 'mid' : 'edge'", Value("mid")));
  EXPECT_TRUE(Evals("false || true ? 1 : 2", Value(1)));
  EXPECT_TRUE(Evals("-'ab'.size()", Value(-2)));
  EXPECT_TRUE(Evals("'a' + 'b' == 'ab' && 2 * 2 >= 4", Value(true)));
}

TEST(ExprOperators, LogicalShortCircuit) {
  EXPECT_TRUE(Evals("false && level / 0 == 1", Value(false)));
  EXPECT_TRUE(Evals("true || level / 0 == 1", Value(true)));
  // An error on the left is absorbed when the right side decides.
  EXPECT_TRUE(Evals("level / 0 == 1 || true", Value(true)));
  EXPECT_TRUE(Evals("level / 0 == 1 && false", Value(false)));
  EXPECT_TRUE(Evals("missing > 1 && false", Value(false)));
  EXPECT_TRUE(Evals("has(geo.zip) && geo.zip > 3", Value(false)));
  EXPECT_TRUE(Evals("true && true", Value(true)));
  EXPECT_TRUE(Evals("false || false", Value(false)));
  EXPECT_TRUE(EvalFails("true && level / 0 == 1", "division by zero"));
  EXPECT_TRUE(EvalFails("level / 0 == 1 || false", "division by zero"));
  EXPECT_TRUE(EvalFails("false || 'x'", "'||' needs bool operands, got string"));
  EXPECT_TRUE(EvalFails("missing && true", "'&&' needs bool operands, got null (missing field?)"));
  EXPECT_TRUE(EvalFails("level && true", "column 7: '&&' needs bool operands, got int"));
}

TEST(ExprFunctions, Has) {
  EXPECT_TRUE(Evals("has(geo.city)", Value(true)));
  EXPECT_TRUE(Evals("has(geo.zip)", Value(false)));
  EXPECT_TRUE(Evals("has(priority)", Value(true)));
  EXPECT_TRUE(Evals("has(event.priority)", Value(true)));
  EXPECT_TRUE(Evals("has(nothing)", Value(true)));
  EXPECT_TRUE(Evals("has(tags[2])", Value(true)));
  EXPECT_TRUE(Evals("has(tags[3])", Value(false)));
  EXPECT_TRUE(Evals("has(missing.x.y)", Value(false)));
  EXPECT_TRUE(Evals("!has(missing)", Value(true)));
}

TEST(ExprFunctions, Size) {
  EXPECT_TRUE(Evals("size(priority)", Value(4)));
  EXPECT_TRUE(Evals("size(city_name)", Value(5)));  // code points, not bytes
  EXPECT_TRUE(Evals("size(tags)", Value(3)));
  EXPECT_TRUE(Evals("size(geo)", Value(3)));
  EXPECT_TRUE(Evals("size('')", Value(0)));
  EXPECT_TRUE(Evals("size([])", Value(0)));
  EXPECT_TRUE(EvalFails("size(level)", "column 1: size() needs a string, list or map, got int"));
  EXPECT_TRUE(EvalFails("size(missing)", "got null (missing field?)"));
}

TEST(ExprFunctions, Now) {
  auto p = Program::Compile("now()");
  ASSERT_TRUE(p.ok()) << p.status().message();
  auto r = p.value()->Eval(Sample());
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.value().is_string());
  // Shape 2024-06-01T00:00:00.123Z: 'd' marks a digit, others are literal.
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  const std::string& now = r.value().as_string();
  ASSERT_EQ(now.size(), shape.size()) << now;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 'd') {
      EXPECT_TRUE(now[i] >= '0' && now[i] <= '9') << now;
    } else {
      EXPECT_EQ(now[i], shape[i]) << now;
    }
  }
  EXPECT_TRUE(Evals("now() > ts", Value(true)));
  EXPECT_TRUE(Evals("now() < '9999'", Value(true)));
  EXPECT_TRUE(Evals("size(now())", Value(24)));
}

TEST(ExprFunctions, Conversions) {
  EXPECT_TRUE(Evals("int('42')", Value(42)));
  EXPECT_TRUE(Evals("int('-7')", Value(-7)));
  EXPECT_TRUE(Evals("int(2.9)", Value(2)));
  EXPECT_TRUE(Evals("int(-2.9)", Value(-2)));
  EXPECT_TRUE(Evals("int(level)", Value(3)));
  EXPECT_TRUE(Evals("int(true)", Value(1)));
  EXPECT_TRUE(EvalFails("int('4x')", "int() cannot convert '4x' to an int"));
  EXPECT_TRUE(EvalFails("int('')", "int() cannot convert"));
  EXPECT_TRUE(EvalFails("int(1e30)", "int() out of range"));
  EXPECT_TRUE(EvalFails("int(tags)", "int() needs a number, bool or string, got list"));
  EXPECT_TRUE(Evals("double('2.5')", Value(2.5)));
  EXPECT_TRUE(Evals("double(level)", Value(3.0)));
  EXPECT_TRUE(Evals("double(score)", Value(2.5)));
  EXPECT_TRUE(EvalFails("double('x')", "double() cannot convert 'x'"));
  EXPECT_TRUE(EvalFails("double(null)", "double() needs a number or string, got null"));
  EXPECT_TRUE(Evals("string(42)", Value("42")));
  EXPECT_TRUE(Evals("string(-2.5)", Value("-2.5")));
  EXPECT_TRUE(Evals("string(ok)", Value("true")));
  EXPECT_TRUE(Evals("string(nothing)", Value("null")));
  EXPECT_TRUE(Evals("string('s')", Value("s")));
  EXPECT_TRUE(Evals("string([1, 'a'])", Value("[1,\"a\"]")));
  EXPECT_TRUE(Evals("string(level) + '!'", Value("3!")));
}

TEST(ExprFunctions, Strings) {
  EXPECT_TRUE(Evals("lower(message)", Value("disk full on host-1")));
  EXPECT_TRUE(Evals("upper(name)", Value("ALICE")));
  EXPECT_TRUE(Evals("upper(city_name)", Value("HéLLO")));  // ASCII only
  EXPECT_TRUE(Evals("contains(message, 'FULL')", Value(true)));
  EXPECT_TRUE(Evals("contains(message, 'full')", Value(false)));
  EXPECT_TRUE(Evals("contains(tags, 'prod')", Value(true)));
  EXPECT_TRUE(Evals("startsWith(priority, 'hi')", Value(true)));
  EXPECT_TRUE(Evals("startsWith(priority, 'high!')", Value(false)));
  EXPECT_TRUE(Evals("endsWith(ts, 'Z')", Value(true)));
  EXPECT_TRUE(Evals("endsWith('a', 'ba')", Value(false)));
  EXPECT_TRUE(Evals("matches(message, '^Disk\\\\s+FULL')", Value(true)));
  EXPECT_TRUE(Evals("matches(message, 'host-[0-9]$')", Value(true)));
  EXPECT_TRUE(Evals("matches(message, '^FULL')", Value(false)));
  EXPECT_TRUE(Evals("matches(message, pattern)", Value(true)));  // computed pattern
  EXPECT_TRUE(EvalFails("matches(message, bad_pattern)", "invalid regex '('"));
  EXPECT_TRUE(EvalFails("lower(level)", "lower() needs a string, got int"));
  EXPECT_TRUE(EvalFails("contains(level, 'a')", "contains() needs two strings, got int and string"));
  EXPECT_TRUE(EvalFails("startsWith(name, 1)", "startsWith() needs two strings, got string and int"));
  EXPECT_TRUE(EvalFails("matches(missing, 'a')", "got null (missing field?) and string"));
}

TEST(ExprFunctions, Methods) {
  EXPECT_TRUE(Evals("message.contains('FULL')", Value(true)));
  EXPECT_TRUE(Evals("name.lower()", Value("alice")));
  EXPECT_TRUE(Evals("name.upper()", Value("ALICE")));
  EXPECT_TRUE(Evals("priority.startsWith('hi')", Value(true)));
  EXPECT_TRUE(Evals("ts.endsWith('.000Z')", Value(true)));
  EXPECT_TRUE(Evals("message.matches('^Disk')", Value(true)));
  EXPECT_TRUE(Evals("tags.size()", Value(3)));
  EXPECT_TRUE(Evals("geo.city.size()", Value(6)));
  EXPECT_TRUE(Evals("items[1].name.upper()", Value("Y")));
  EXPECT_TRUE(Evals("'abc'.size()", Value(3)));
  EXPECT_TRUE(Evals("level.string()", Value("3")));
  EXPECT_TRUE(Evals("'7'.int() + 1", Value(8)));
  EXPECT_TRUE(Evals("level.double()", Value(3.0)));
  EXPECT_TRUE(Evals("tags.contains('b')", Value(true)));
  EXPECT_TRUE(Evals("(1 + 2).string()", Value("3")));
  EXPECT_TRUE(Evals("name.lower().upper().size()", Value(5)));
  EXPECT_TRUE(Evals("event.message.lower().contains('full')", Value(true)));
  EXPECT_TRUE(EvalFails("level.lower()", "column 7: lower() needs a string, got int"));
}

TEST(ExprConstantFolding, LiteralsAreFoldedAndEvaluateTheSame) {
  EXPECT_TRUE(Evals("1 + 2 * 3 == 7 && 'a' in ['a']", Value(true)));
  EXPECT_TRUE(Evals("'Ab'.lower() + 'c'", Value("abc")));
  EXPECT_TRUE(Evals("[1 + 1, {'k': 'v'}.k]", List({2, "v"})));
  EXPECT_TRUE(Evals("'abc'.matches('b')", Value(true)));
  // A constant error is kept for run time, where a short-circuit can skip it.
  EXPECT_TRUE(Evals("false && 1 / 0 == 1", Value(false)));
  EXPECT_TRUE(EvalFails("1 / 0", "column 3: division by zero"));
}

TEST(ExprCompileErrors, ColumnsAndHints) {
  EXPECT_TRUE(CompileFails("a &&", "column 5: unexpected end of expression (expected an operand)"));
  EXPECT_TRUE(CompileFails("", "column 1: unexpected end of expression (expected an operand)"));
  EXPECT_TRUE(CompileFails("size(x) + lenght(tags)",
                           "column 11: unknown function 'lenght' (did you mean 'size'?)"));
  EXPECT_TRUE(CompileFails("containz(a, 'b')",
                           "column 1: unknown function 'containz' (did you mean 'contains'?)"));
  EXPECT_TRUE(CompileFails("a.tolower()",
                           "column 3: unknown method 'tolower' (did you mean 'lower'?)"));
  EXPECT_TRUE(CompileFails("frobnicate(1)", "column 1: unknown function 'frobnicate' (known: has, size"));
  EXPECT_TRUE(CompileFails("priority == 'high",
                           "column 13: unterminated string (close it with ')"));
  EXPECT_TRUE(CompileFails("\"abc", "column 1: unterminated string (close it with \")"));
  EXPECT_TRUE(CompileFails("'abc\\", "column 1: unterminated string"));
  EXPECT_TRUE(CompileFails("priority # 1", "column 10: unexpected character '#'"));
  EXPECT_TRUE(CompileFails("a \x01", "column 3: unexpected character byte 0x01"));
  EXPECT_TRUE(CompileFails("a = 1", "column 3: unexpected '=' (did you mean '=='?)"));
  EXPECT_TRUE(CompileFails("a & b", "column 3: unexpected '&' (did you mean '&&'?)"));
  EXPECT_TRUE(CompileFails("a | b", "column 3: unexpected '|' (did you mean '||'?)"));
  EXPECT_TRUE(CompileFails("size(a, b)",
                           "column 1: size() takes 1 argument, got 2 (usage: size(x) or x.size())"));
  EXPECT_TRUE(CompileFails("x > 1 && contains('a')", "column 10: contains() takes 2 arguments, got 1"));
  EXPECT_TRUE(CompileFails("now(1)", "column 1: now() takes 0 arguments, got 1"));
  EXPECT_TRUE(CompileFails("name.contains()", "column 6: method contains() takes 1 argument, got 0"));
  EXPECT_TRUE(CompileFails("name.has()", "column 6: has() is not a method (call it as has(field.path))"));
  EXPECT_TRUE(CompileFails("has(1)", "column 5: has() needs a field path"));
  EXPECT_TRUE(CompileFails("has(event)", "column 5: has() needs a field path"));
  EXPECT_TRUE(CompileFails("has(tags[idx])", "column 9: has() needs a field path"));
  EXPECT_TRUE(CompileFails("matches(a, '(')", "column 12: invalid regex: missing )"));
  EXPECT_TRUE(CompileFails("(a", "column 3: unexpected end of expression (expected ')' to close the '(' at column 1)"));
  EXPECT_TRUE(CompileFails("a b", "column 3: unexpected identifier 'b' (expected an operator or end of expression)"));
  EXPECT_TRUE(CompileFails("a )", "column 3: unexpected ')' (expected an operator"));
  EXPECT_TRUE(CompileFails("a.", "column 3: unexpected end of expression (expected a field or method name after '.')"));
  EXPECT_TRUE(CompileFails("a.1", "column 3: unexpected number 1"));
  EXPECT_TRUE(CompileFails("[1, 2", "column 6: unexpected end of expression (expected ',' or ']'"));
  EXPECT_TRUE(CompileFails("tags[0", "column 7: unexpected end of expression (expected ']' to close the '[' at column 5)"));
  EXPECT_TRUE(CompileFails("{'a' 1}", "column 6: unexpected number 1 (expected ':' after a map key)"));
  EXPECT_TRUE(CompileFails("{1: 2}", "column 2: map key is a int (map keys must be strings"));
  EXPECT_TRUE(CompileFails("ok ? 1", "column 7: unexpected end of expression (expected ':' for the '?' at column 4)"));
  EXPECT_TRUE(CompileFails("f(1,)", "column 1: unknown function 'f'"));
  EXPECT_TRUE(CompileFails("size(1,)", "column 8: unexpected ')' (expected an operand)"));
  EXPECT_TRUE(CompileFails("9223372036854775808", "column 1: integer literal out of range"));
  EXPECT_TRUE(CompileFails("-9223372036854775809", "column 2: integer literal out of range"));
  EXPECT_TRUE(CompileFails("99999999999999999999999", "column 1: integer literal out of range"));
  EXPECT_TRUE(CompileFails("1e", "column 1: malformed number"));
  EXPECT_TRUE(CompileFails("0x", "column 1: malformed hex number"));
  EXPECT_TRUE(CompileFails("'\\q'", "column 2: unknown escape \\q"));
  EXPECT_TRUE(CompileFails("'\\u12'", "column 2: bad escape \\u (expected 4 hex digits)"));
  EXPECT_TRUE(CompileFails("'\\ud800'", "column 2: invalid unicode escape"));
  EXPECT_TRUE(CompileFails("a in", "column 5: unexpected end of expression (expected an operand)"));
  EXPECT_TRUE(CompileFails("* 2", "column 1: unexpected '*' (expected an operand)"));
}

TEST(ExprCompileErrors, NestingLimits) {
  std::string deep = std::string(1000, '(') + "1" + std::string(1000, ')');
  EXPECT_TRUE(CompileFails(deep, "column "));
  EXPECT_NE(Program::Compile(deep).status().message().find("nested too deeply"), std::string::npos);
  std::string long_chain = "level";
  for (int i = 0; i < 2000; ++i) long_chain += " + level";
  auto r = Program::Compile(long_chain);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("expression too large"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(CompileFails(std::string(5000, '!') + "ok", "column "));
  // Reasonable nesting still works.
  std::string ok_depth = std::string(30, '(') + "level" + std::string(30, ')');
  EXPECT_TRUE(Evals(ok_depth, Value(3)));
  std::string ok_chain = "level";
  for (int i = 0; i < 100; ++i) ok_chain += " + 1";
  EXPECT_TRUE(Evals(ok_chain, Value(103)));
}

TEST(ExprProgram, FieldsAndSource) {
  auto p = Program::Compile(
      "priority in ['high'] && geo.city == 'Berlin' || event.priority == 'x' || "
      "has(tags[0]) || size(items) > tags[level] || event['user-agent'] == 'x' || "
      "event == null");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p.value()->fields(),
            (std::vector<std::string>{"priority", "geo.city", "tags[0]", "items", "tags",
                                      "level", "user-agent"}));
  EXPECT_EQ(p.value()->source().substr(0, 8), "priority");
  auto q = Program::Compile("1 + 2");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q.value()->fields().empty());
}

TEST(ExprProgram, EvalBool) {
  auto p = Program::Compile("priority in ['high', 'critical']");
  ASSERT_TRUE(p.ok());
  auto r = p.value()->EvalBool(Sample());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value());
  auto low = p.value()->EvalBool(Json(R"({"priority": "low"})"));
  ASSERT_TRUE(low.ok());
  EXPECT_FALSE(low.value());
  auto empty = p.value()->EvalBool(Value::MakeObject());
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty.value());

  auto s = Program::Compile("priority");
  ASSERT_TRUE(s.ok());
  auto bad = s.value()->EvalBool(Sample());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "expression must produce a bool, got string");
  auto missing = Program::Compile("nope").value()->EvalBool(Sample());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "expression must produce a bool, got null (missing field?)");
}

TEST(ExprProgram, NonObjectEvent) {
  auto p = Program::Compile("has(a) || a == null");
  ASSERT_TRUE(p.ok());
  auto r = p.value()->EvalBool(Value(5));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value());
  EXPECT_TRUE(Program::Compile("event").value()->Eval(Value("x")).value() == Value("x"));
}

TEST(ExprPerformance, HotPathsDoNotAllocate) {
  const char* exprs[] = {
      "priority in ['high', 'critical']",
      "geo.city == 'Berlin' && level >= 3",
      "tags[0] == 'a' || score > 1.5",
      "has(geo.city) && !has(geo.zip)",
      "'prod' in tags && 'city' in geo",
      "priority.startsWith('hi') && message.contains('FULL')",
      "size(tags) == 3 && level + 1 == 4",
      "ok ? level > 1 : false",
  };
  for (const char* src : exprs) {
    auto p = Program::Compile(src);
    ASSERT_TRUE(p.ok()) << src << ": " << p.status().message();
    const Program& prog = *p.value();
    ASSERT_TRUE(prog.EvalBool(Sample()).ok()) << src;
    g_allocs = 0;
    g_count_allocs = true;
    bool all_true = true;
    for (int i = 0; i < 100; ++i) {
      Result<bool> r = prog.EvalBool(Sample());
      all_true = all_true && r.ok() && r.value();
    }
    g_count_allocs = false;
    EXPECT_TRUE(all_true) << src;
    EXPECT_EQ(g_allocs, 0) << src;
  }
}

TEST(ExprConcurrency, SharedProgramAcrossThreads) {
  auto p = Program::Compile(
      "priority in ['high', 'critical'] && message.matches('FULL') && "
      "lower(geo.city) + '!' == 'berlin!'");
  ASSERT_TRUE(p.ok()) << p.status().message();
  std::shared_ptr<const Program> prog = p.value();
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto r = prog->EvalBool(Sample());
        if (r.ok() && r.value()) good.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 8000);
}

// Errors always name a column inside (or just past) the source.
AssertionResult WellFormedError(const Status& st, size_t source_size) {
  if (st.code() != StatusCode::kInvalidArgument) {
    return AssertionFailure() << "code " << st.ToString();
  }
  const std::string& m = st.message();
  if (m.compare(0, 7, "column ") != 0) return AssertionFailure() << "no column: " << m;
  size_t column = std::strtoul(m.c_str() + 7, nullptr, 10);
  if (column < 1 || column > source_size + 1) {
    return AssertionFailure() << "column out of range: " << m;
  }
  return AssertionSuccess();
}

// A random, mostly well-formed expression, so that generated inputs get past
// the parser and exercise the evaluator.
std::string RandomExpr(std::mt19937& rng, int depth) {
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  static const char* const kAtoms[] = {
      "priority", "level", "score", "ok", "nothing", "missing", "geo.city", "geo",
      "tags", "tags[1]", "items[0].name", "event.level", "big", "small", "message",
      "0", "1", "-1", "2.5", "0.0", "'high'", "''", "'a'", "null", "true", "false",
      "[1, 'a']", "['high', 'critical']", "{'k': level}", "9223372036854775807", "now()",
  };
  static const char* const kBinary[] = {"==", "!=", "<", "<=", ">", ">=", "in", "&&",
                                        "||", "+", "-", "*", "/", "%"};
  static const char* const kUnaryFns[] = {"size", "int", "double", "string", "lower", "upper"};
  static const char* const kBinaryFns[] = {"contains", "startsWith", "endsWith", "matches"};
  if (depth <= 0 || pick(4) == 0) return kAtoms[pick(std::size(kAtoms))];
  switch (pick(9)) {
    case 0:
    case 1:
    case 2:
      return RandomExpr(rng, depth - 1) + " " + kBinary[pick(std::size(kBinary))] + " " +
             RandomExpr(rng, depth - 1);
    case 3: return std::string(pick(2) ? "!" : "-") + RandomExpr(rng, depth - 1);
    case 4:
      return RandomExpr(rng, depth - 1) + " ? " + RandomExpr(rng, depth - 1) + " : " +
             RandomExpr(rng, depth - 1);
    case 5: return "(" + RandomExpr(rng, depth - 1) + ")";
    case 6: {
      const char* fn = kUnaryFns[pick(std::size(kUnaryFns))];
      if (pick(2)) return "(" + RandomExpr(rng, depth - 1) + ")." + fn + "()";
      return std::string(fn) + "(" + RandomExpr(rng, depth - 1) + ")";
    }
    case 7: {
      const char* fn = kBinaryFns[pick(std::size(kBinaryFns))];
      return std::string(fn) + "(" + RandomExpr(rng, depth - 1) + ", " +
             RandomExpr(rng, depth - 1) + ")";
    }
    default:
      return "[" + RandomExpr(rng, depth - 1) + ", " + RandomExpr(rng, depth - 1) + "][" +
             RandomExpr(rng, depth - 1) + "]";
  }
}

TEST(ExprRobustness, GeneratedInputsNeverCrash) {
  std::mt19937 rng(20240601);
  const std::vector<std::string> tokens = {
      "priority", "level", "score", "geo", "city", "tags", "items", "event", "missing", "ok",
      "nothing", "big", "small", ".", "[", "]", "(", ")", "{", "}", ",", ":", "?", "0", "1",
      "2", "-1", "1.5", "1e3", "0x10", "'high'", "\"x\"", "'a\\n'", "null", "true", "false",
      "in", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "+", "-", "*", "/", "%",
      "has", "size", "now", "int", "double", "string", "lower", "upper", "contains",
      "startsWith", "endsWith", "matches", "'^a'", "'('", "9223372036854775807",
  };
  const std::string printable = "abcxyz019 .,:?!=<>&|+-*/%()[]{}'\"\\_#@$";
  int compiled = 0;
  int evaluated = 0;
  int eval_errors = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string src;
    const int len = std::uniform_int_distribution<int>(0, 24)(rng);
    switch (i % 4) {
      case 0:  // arbitrary bytes
        for (int k = 0; k < len * 2; ++k) {
          src.push_back(static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng)));
        }
        break;
      case 1:  // operator-heavy characters
        for (int k = 0; k < len * 2; ++k) {
          src.push_back(printable[std::uniform_int_distribution<size_t>(
              0, printable.size() - 1)(rng)]);
        }
        break;
      case 2:  // sequences of valid tokens
        for (int k = 0; k < len; ++k) {
          if (k) src.push_back(' ');
          src += tokens[std::uniform_int_distribution<size_t>(0, tokens.size() - 1)(rng)];
        }
        break;
      default:  // grammatical expressions, sometimes with one byte damaged
        src = RandomExpr(rng, 4);
        if (len < 4 && !src.empty()) {
          src[std::uniform_int_distribution<size_t>(0, src.size() - 1)(rng)] =
              printable[std::uniform_int_distribution<size_t>(0, printable.size() - 1)(rng)];
        }
        break;
    }
    auto p = Program::Compile(src);
    if (!p.ok()) {
      ASSERT_TRUE(WellFormedError(p.status(), src.size())) << "source: " << src;
      continue;
    }
    ++compiled;
    const Program& prog = *p.value();
    EXPECT_EQ(prog.source(), src);
    auto r = prog.Eval(Sample());
    if (r.ok()) {
      ++evaluated;
      // Eval and EvalBool must agree.
      auto b = prog.EvalBool(Sample());
      if (r.value().is_bool() && src.find("now") == std::string::npos) {
        ASSERT_TRUE(b.ok()) << src;
        EXPECT_EQ(b.value(), r.value().as_bool()) << src;
      }
    } else {
      ++eval_errors;
      ASSERT_TRUE(WellFormedError(r.status(), src.size())) << "source: " << src;
    }
    // Other event shapes: not an object, and empty.
    (void)prog.Eval(Value(Value::Array{1, 2}));
    (void)prog.Eval(Value::MakeObject());
  }
  RecordProperty("compiled", compiled);
  RecordProperty("evaluated", evaluated);
  RecordProperty("eval_errors", eval_errors);
  // The generator must reach the evaluator, or the test proves little.
  EXPECT_GT(compiled, 3000);
  EXPECT_GT(evaluated, 1000);
  EXPECT_GT(eval_errors, 1000);
}

}  // namespace
}  // namespace flowctl::expr
