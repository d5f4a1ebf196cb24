#include "subcommands.h"

#include <vector>

#include "flowctl/base/strings.h"

namespace flowctl::cli {
namespace {

std::string Path(CLI::App* app) {
  std::string p;
  for (CLI::App* a = app; a != nullptr; a = a->get_parent())
    p = a->get_name() + (p.empty() ? "" : " " + p);
  return p;
}

std::vector<std::string> Names(CLI::App* app) {
  std::vector<std::string> out;
  for (CLI::App* s : app->get_subcommands([](CLI::App*) { return true; }))
    if (!s->get_name().empty()) out.push_back(s->get_name());
  return out;
}

// The option named by an argv word ("--log-level", "-o", "--x=v"), or null.
const CLI::Option* OptionOf(CLI::App* app, const std::string& word, bool* inline_value) {
  std::string name = word;
  size_t eq = name.find('=');
  *inline_value = eq != std::string::npos;
  if (*inline_value) name = name.substr(0, eq);
  for (CLI::App* a = app; a != nullptr; a = a->get_parent()) {
    if (const CLI::Option* o = a->get_option_no_throw(name)) return o;
    // Options of the app itself are inherited by none; but a fallthrough
    // parent option may come after a subcommand.
  }
  return nullptr;
}

}  // namespace

std::string UnknownSubcommand(CLI::App& app, int argc, const char* const* argv) {
  CLI::App* cur = &app;
  for (int i = 1; i < argc; ++i) {
    std::string w = argv[i];
    if (w == "--") return "";
    if (w.size() > 1 && w[0] == '-') {
      bool inline_value = false;
      const CLI::Option* o = OptionOf(cur, w, &inline_value);
      // A short flag group (-q) or an option taking a value (-o json).
      if (o != nullptr && !inline_value && o->get_type_size() != 0) ++i;
      continue;
    }
    std::vector<std::string> names = Names(cur);
    if (names.empty()) return "";  // positional arguments from here on
    CLI::App* next = nullptr;
    for (CLI::App* sub : cur->get_subcommands([](CLI::App*) { return true; }))
      if (sub->check_name(w)) next = sub;
    if (next != nullptr) {
      cur = next;
      continue;
    }
    // A word for a positional of this level (none of ours mixes both).
    if (!cur->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty())
      return "";
    std::string dym = DidYouMean(w, names);
    return "unknown command '" + w + "' for '" + Path(cur) + "'" +
           (dym.empty() ? "" : " (did you mean '" + dym + "'?)") + "; known: " + Join(names, ", ") +
           " (see " + Path(cur) + " --help)";
  }
  if (cur->get_require_subcommand_min() > 0 && !Names(cur).empty())
    return "'" + Path(cur) + "' needs a command: " + Join(Names(cur), ", ") + " (see " + Path(cur) +
           " --help)";
  return "";
}

}  // namespace flowctl::cli
