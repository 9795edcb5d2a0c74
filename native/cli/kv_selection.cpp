#include "cli/kv_selection.hpp"

#include <iostream>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ckp/api/limits.hpp"
#include "cli/output.hpp"
#include "cli/split_list.hpp"

namespace ckp::cli {

void add_selection_flags(CLI::App* c, KeySelectionFlags& f) {
  c->add_option("--key", f.key, "One key");
  c->add_option("--keys", f.keys, "Keys: \"a,b,c\" (trimmed around commas), or @FILE for one key per line");
  c->add_option("--prefix", f.prefix, "Keys starting with this prefix");
  c->add_option("--pattern", f.pattern, "Only key names matching this regular expression (ECMAScript)");
  c->add_option("--search", f.search, "Keys whose metadata contains this text anywhere (case-insensitive)");
  c->add_option("--tag-field", f.tag_field, "Keys whose metadata has this field…");
  c->add_option("--tag-value", f.tag_value, "…with this value (empty: any value)");
}

void add_key_batch_size_flag(CLI::App* c, int& batch_size) {
  c->add_option("--batch-size", batch_size, "Keys per bulk request (1-10000; default 10000)")
      ->check(CLI::Range(1, static_cast<int>(api::kv_limits::max_bulk_items)));
}

bool given(const CLI::App& cmd, const char* flag) { return cmd.count(flag) > 0; }

void refuse_empty_flags(const CLI::App& cmd, std::initializer_list<std::pair<const char*, const std::string*>> flags,
                        bool prefix_hint) {
  for (const auto& [flag, value] : flags)
    if (given(cmd, flag) && value->empty())
      fail_usage(fmt::format("{} was given an empty value (an unset shell variable?); an empty filter selects nothing "
                             "and is refused{}",
                             flag,
                             prefix_hint && std::string_view(flag) == "--prefix" ? ": pass --all-keys to mean every key"
                                                                                 : ""));
}

void refuse_empty_selection_flags(const CLI::App& cmd, const KeySelectionFlags& f) {
  refuse_empty_flags(cmd,
                     {{"--key", &f.key},
                      {"--keys", &f.keys},
                      {"--keys-file", &f.keys_file},
                      {"--prefix", &f.prefix},
                      {"--pattern", &f.pattern},
                      {"--search", &f.search},
                      {"--tag-field", &f.tag_field}},
                     true);
}

std::string key_list_flag(const CLI::App& cmd) {
  std::vector<std::string> named;
  for (const char* flag : {"--key", "--keys", "--keys-file"})
    if (cmd.get_option_no_throw(flag) && given(cmd, flag)) named.emplace_back(flag);
  if (named.size() > 1) fail_usage(fmt::format("{} and {} both name keys; give the keys one way", named[0], named[1]));
  return named.empty() ? "" : named.front();
}

ops::KeySelection selection_of(const KeySelectionFlags& f) {
  ops::KeySelection s;
  s.prefix = f.prefix;
  s.pattern = f.pattern;
  s.search = f.search;
  s.field = f.tag_field;
  s.value = f.tag_value;
  s.all_keys = f.all_keys;
  return s;
}

InputSpec key_list_input(const KeySelectionFlags& f, const std::string& flag) {
  if (flag == "--key") return InputSpec::of_items({f.key});
  if (flag == "--keys-file") return InputSpec::file(f.keys_file);
  if (f.keys.rfind('@', 0) == 0) {
    if (f.keys.size() == 1) fail_usage("--keys @ names no file: write --keys @FILE");
    return InputSpec::file(f.keys.substr(1));
  }
  return InputSpec::of_items(split_list(f.keys));
}

std::string describe(const ops::KvDeleteSpec& spec, const InputSpec& input) {
  const auto& s = spec.select;
  if (s.all_keys) return "EVERY key";
  std::vector<std::string> parts;
  if (!s.prefix.empty()) parts.push_back(fmt::format("starting with '{}'", s.prefix));
  if (!s.pattern.empty()) parts.push_back(fmt::format("matching /{}/", s.pattern));
  if (!s.search.empty()) parts.push_back(fmt::format("whose metadata contains '{}'", s.search));
  if (!s.field.empty())
    parts.push_back(s.value.empty() ? fmt::format("whose metadata has field '{}'", s.field)
                                    : fmt::format("whose metadata {} = '{}'", s.field, s.value));
  const bool listed = spec.source == ops::KvDeleteSpec::Source::keys;
  std::string out = listed ? "the keys listed in " + input.name() : "keys";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? (listed ? " that are " : " ") : ", and ") + parts[i];
  return out;
}

KeyListWriter::KeyListWriter(const std::string& path)
    : path_(path), out_(path == "-" ? std::cout : static_cast<std::ostream&>(file_)) {
  if (path != "-") file_.open(path, std::ios::binary | std::ios::trunc);
  if (!out_) fail(Error::make(ErrorKind::io, "cannot write " + path));
  out_ << "[";
}

void KeyListWriter::add(const std::string& key) { out_ << (count_++ ? ",\n" : "\n") << nlohmann::json(key).dump(); }

void KeyListWriter::finish() {
  out_ << (count_ ? "\n]\n" : "]\n");
  out_.flush();
  if (file_.is_open()) file_.close();
  if (!out_ || (path_ != "-" && !file_)) fail(Error::make(ErrorKind::io, "cannot write " + path_));
}

}  // namespace ckp::cli
