// Fuzz target: the expression language (src/expr/). The input is an
// expression, then optionally a newline and a JSON event to evaluate it on
// (a fixed event when that is not a JSON object). Compile and Eval must
// answer with a value or an error, on a decoded and on a lazy event.
#include <cstddef>
#include <cstdint>
#include <string>

#include "flowctl/data/event.h"
#include "flowctl/data/json.h"
#include "flowctl/expr/expr.h"

namespace {

const char kDefaultEvent[] =
    R"({"id":7,"priority":"high","score":0.5,"tags":["a","b"],"geo":{"city":"Oslo"},)"
    R"("n":null,"ok":true,"big":9223372036854775807})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string source = input.substr(0, nl);
  std::string json = nl == std::string::npos ? kDefaultEvent : input.substr(nl + 1);
  auto program = flowctl::expr::Program::Compile(source);
  if (!program.ok()) return 0;
  const flowctl::expr::Program& p = *program.value();
  flowctl::Value body;
  if (!flowctl::ParseJson(json, &body).ok() || !body.is_object()) {
    json = kDefaultEvent;
    (void)flowctl::ParseJson(json, &body);
  }
  (void)p.Eval(body);
  (void)p.EvalBool(body);
  flowctl::Event lazy = flowctl::Event::FromRaw(json);
  lazy.SetLazyJson();
  (void)p.Eval(lazy);
  (void)p.EvalBool(lazy);
  return 0;
}
