#include "cli/suggest.hpp"

#include <algorithm>
#include <limits>

namespace ckp::cli {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic-programming table: the one before last (for swaps), the last, and the current one.
  std::vector<std::size_t> before(b.size() + 1), last(b.size() + 1), row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) last[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({last[j] + 1, row[j - 1] + 1, last[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) row[j] = std::min(row[j], before[j - 2] + 1);
    }
    std::swap(before, last);
    std::swap(last, row);
  }
  return last[b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  // Dashes are not what makes two flags alike: "--zone" and "--zones" differ by one letter, not by one of six.
  const std::size_t letters = word.size() - std::min(word.find_first_not_of('-'), word.size());
  const std::size_t allowed = letters <= 4 ? 1 : letters <= 8 ? 2 : 3;
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto& c : candidates) {
    if (c == word) return c;
    std::size_t d = edit_distance(word, c);
    const bool prefix = letters >= 2 && c.size() > word.size() && std::string_view(c).substr(0, word.size()) == word;
    if (d > allowed && !prefix) continue;
    if (prefix) d = std::min(d, allowed);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace ckp::cli

namespace ckp::cli {

namespace {

constexpr const char* program = "cache-kv-purger";

bool visible(const CLI::App* c) { return !c->get_group().empty(); }

std::vector<std::string> command_names(const CLI::App& parent) {
  std::vector<std::string> names;
  for (const auto* c : parent.get_subcommands([](const CLI::App* c) { return visible(c); }))
    names.push_back(c->get_name());
  return names;
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

std::string for_path(const std::string& path) { return path.empty() ? "" : " for '" + path + "'"; }

std::string help_hint(const std::string& path) {
  return "Run '" + std::string(program) + (path.empty() ? "" : " " + path) + " --help' for its flags.";
}

/// Every flag name ("--namespace", "-z") the commands of @p chain take (a flag of a parent may follow a command).
std::vector<std::string> flag_names(const std::vector<const CLI::App*>& chain) {
  std::vector<std::string> names;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    for (const auto* o : (*it)->get_options([](const CLI::Option* o) { return !o->get_group().empty(); })) {
      for (const auto& l : o->get_lnames()) names.push_back("--" + l);
      for (const auto& s : o->get_snames()) names.push_back("-" + s);
    }
  return names;
}

}  // namespace

std::string unknown_command_message(const CLI::App& parent, const std::string& path, const std::string& word) {
  const auto names = command_names(parent);
  std::string m = "unknown command '" + word + "'" + for_path(path) + ".";
  if (const auto best = closest_match(word, names); !best.empty()) m += " Did you mean '" + best + "'?";
  return m + " Commands: " + join(names) + ".";
}

std::string explain_parse_error(const CLI::App& root, const CLI::ParseError& e) {
  // The commands given, root first; what none of them took was left on the root (the app falls through).
  std::vector<const CLI::App*> chain{&root};
  while (!chain.back()->get_subcommands().empty()) chain.push_back(chain.back()->get_subcommands().front());
  std::string path;
  for (std::size_t i = 1; i < chain.size(); ++i) path += (path.empty() ? "" : " ") + chain[i]->get_name();
  const CLI::App& last = *chain.back();

  if (e.get_name() == "ArgumentMismatch") {
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const auto* zone = (*it)->get_option_no_throw("--zone");
      if (!zone || zone->count() < 2) continue;
      bool has_zones = false;
      for (const auto* a : chain) has_zones = has_zones || a->get_option_no_throw("--zones") != nullptr;
      if (has_zones)
        return "--zone was given " + std::to_string(zone->count()) +
               " times; it takes one zone. For several zones use --zones a.com,b.com (or --zones once per zone).";
      return "--zone was given " + std::to_string(zone->count()) + " times; it takes one zone" + for_path(path) +
             ". (Several zones at once: `cache purge ... --zones a.com,b.com`.)";
    }
    return "";
  }

  std::vector<std::string> extras;
  for (const auto* a : chain)
    for (const auto& r : a->remaining()) extras.push_back(r);
  for (const auto& x : extras) {
    if (x.size() < 2 || x[0] != '-') continue;
    const std::string name = x.substr(0, x.find('='));
    std::string m = "unknown flag '" + name + "'" + for_path(path) + ".";
    if (const auto best = closest_match(name, flag_names(chain)); !best.empty()) m += " Did you mean '" + best + "'?";
    return m + " " + help_hint(path);
  }
  const bool has_commands = !command_names(last).empty();
  if (!extras.empty()) {
    if (has_commands) return unknown_command_message(last, path, extras.front());
    return "unexpected argument '" + extras.front() + "'" + for_path(path) + ". " + help_hint(path);
  }
  if (e.get_name() == "RequiredError" && has_commands && last.get_require_subcommand_min() > 0)
    return "'" + (path.empty() ? std::string(program) : path) + "' needs a command: " + join(command_names(last)) +
           ". Run '" + program + (path.empty() ? "" : " " + path) + " --help' for what each does.";
  return "";
}

}  // namespace ckp::cli
