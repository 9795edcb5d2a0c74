#include "cli/config_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
// Header-only (Debian's pkg-config file asks for its shared library instead; one translation unit includes it).
#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>

#include "ckp/api/validate.hpp"

namespace ckp::cli {

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      {"account_id", "Cloudflare account id (32 hex characters)", "\"023e105f4ecef8ad9ca31a8372d0c353\""},
      {"zone", "default zone: a name or an id", "\"example.com\""},
      {"api_token", "API token (prefer api_token_env or CLOUDFLARE_API_TOKEN; this file is mode 0600)", "\"...\""},
      {"api_token_env", "read the API token from this environment variable", "\"STAGING_CF_TOKEN\""},
      {"api_key", "legacy global API key (with email)", "\"...\""},
      {"email", "e-mail of the legacy global API key", "\"you@example.com\""},
      {"api_base_url", "API base URL (e.g. an emulator)", "\"https://api.cloudflare.com/client/v4\""},
      {"plan", "purge limits to pace for: auto (each zone's own plan), free, pro, business, enterprise", "\"auto\""},
      {"concurrency", "requests in flight: \"auto\" (adaptive) or 1-256", "\"auto\""},
      {"limit_algorithm", "adaptive algorithm: gradient2, vegas, aimd", "\"gradient2\""},
      {"zone_concurrency", "zones purged at once (1-100)", "3"},
      {"list_shards", "listing calls at once for one prefix (1-64; 1 = one cursor chain)", "16"},
      {"batch_size", "KV bulk batch size (1-10000)", "10000"},
      {"timeout", "seconds a request may take in all (0.001-3600)", "90"},
      {"journal_dir", "where job journals are kept", "\"~/.local/state/cache-kv-purger/jobs\""},
      {"jobs_keep_days", "days a completed job is kept before a new job removes it (0 = keep every job)", "30"},
  };
  return keys;
}

std::optional<std::string> ConfigFile::get(const std::string& profile, const std::string& key) const {
  auto p = profiles.find(profile);
  if (p == profiles.end()) return std::nullopt;
  auto k = p->second.find(key);
  if (k == p->second.end()) return std::nullopt;
  return k->second;
}

int ConfigFile::line_of(const std::string& profile, const std::string& key) const {
  auto p = lines.find(profile);
  if (p == lines.end()) return 0;
  auto k = p->second.find(key);
  return k == p->second.end() ? 0 : k->second;
}

namespace {

bool known_key(const std::string& key) {
  for (const auto& k : config_keys())
    if (key == k.name) return true;
  return false;
}

Error invalid(const std::string& what) { return Error::make(ErrorKind::invalid_input, what); }

/// Parses @p text as TOML; a syntax error names `path:line:column`.
Result<toml::table> parse_toml(const std::string& text, const std::string& path) {
  try {
    return toml::parse(std::string_view(text), std::string_view(path));
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    return invalid(fmt::format("{}:{}:{}: {}", path, at.line, at.column, e.description()));
  }
}

/// A scalar as text: strings as they are, numbers and booleans as written plainly; nullopt for anything else.
std::optional<std::string> scalar_text(const toml::node& n) {
  if (auto s = n.as_string()) return s->get();
  if (auto i = n.as_integer()) return std::to_string(i->get());
  if (auto f = n.as_floating_point()) return fmt::format("{}", f->get());
  if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
  return std::nullopt;
}

/// The tables that hold @p profile's keys, in the order edits prefer them: [name], then [profile.name]; for
/// "default" the top of the file (its plain values only) comes last.
std::vector<const toml::table*> tables_of(const toml::table& root, const std::string& profile) {
  std::vector<const toml::table*> out;
  if (auto t = root.get_as<toml::table>(profile)) out.push_back(t);
  if (auto ns = root.get_as<toml::table>("profile"))
    if (auto t = ns->get_as<toml::table>(profile)) out.push_back(t);
  if (profile == "default") out.push_back(&root);
  return out;
}

}  // namespace

Result<ConfigFile> parse_config(const std::string& text, const std::string& path) {
  auto root = parse_toml(text, path);
  if (!root) return std::move(root).error();
  ConfigFile cfg;
  cfg.path = path;
  // Every problem is collected, and the one on the earliest line is reported (a table iterates by key, not line).
  std::vector<std::pair<int, std::string>> problems;
  auto add = [&](const std::string& profile, const toml::table& table, bool root_level) {
    if (!root_level) cfg.profiles[profile];
    for (const auto& [key, node] : table) {
      if (root_level && node.is_table()) continue;  // another profile
      const int line = static_cast<int>(key.source().begin.line);
      const std::string name(key.str());
      if (!known_key(name)) {
        problems.emplace_back(line, fmt::format("unknown setting '{}' (see `cache-kv-purger config show`)", name));
        continue;
      }
      auto value = scalar_text(node);
      if (!value) {
        problems.emplace_back(line, fmt::format("{} must be a \"string\", a number, true or false", name));
        continue;
      }
      if (int before = cfg.line_of(profile, name)) {
        problems.emplace_back(std::max(line, before),
                              fmt::format("{} is set twice for profile [{}] (lines {} and {})", name, profile,
                                          std::min(line, before), std::max(line, before)));
        continue;
      }
      cfg.profiles[profile][name] = *value;
      cfg.lines[profile][name] = line;
    }
  };
  for (const auto& [key, node] : *root) {
    const auto* table = node.as_table();
    if (!table) continue;  // a top-level value: [default], below
    const std::string name(key.str());
    if (name == "profile") {
      // [profile.NAME] is the profile NAME; a plain value directly in [profile] belongs to a profile "profile".
      for (const auto& [sub, subnode] : *table)
        if (const auto* t = subnode.as_table()) add(std::string(sub.str()), *t, false);
      bool plain = false;
      for (const auto& [sub, subnode] : *table) plain = plain || !subnode.is_table();
      if (plain) add("profile", *table, true);
      continue;
    }
    add(name, *table, false);
  }
  add("default", *root, true);
  if (!problems.empty()) {
    auto first = std::min_element(problems.begin(), problems.end(),
                                  [](const auto& a, const auto& b) { return a.first < b.first; });
    return invalid(fmt::format("{}:{}: {}", path, first->first, first->second));
  }
  return cfg;
}

Result<ConfigFile> read_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigFile cfg;
    cfg.path = path;
    return cfg;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

std::string sample_config() {
  std::string s =
      "# cache-kv-purger configuration (TOML).\n"
      "#\n"
      "# Precedence: a command-line flag beats an environment variable, which beats this file, which beats the\n"
      "# built-in default. Each [section] is a profile; pick one with --profile NAME or CKP_PROFILE (default:\n"
      "# [default]). The values of a profile picked that way beat the environment too. A profile does not inherit\n"
      "# from [default]. Credentials are best kept in the environment (CLOUDFLARE_API_TOKEN, or a variable named by\n"
      "# api_token_env); this file is created mode 0600.\n"
      "\n[default]\n";
  for (const auto& k : config_keys()) s += fmt::format("# {} = {:<40} # {}\n", k.name, k.example, k.help);
  s += "\n# A second account, its token read from another environment variable:\n"
       "# [staging]\n"
       "# account_id = \"0123456789abcdef0123456789abcdef\"\n"
       "# api_token_env = \"STAGING_CF_TOKEN\"\n";
  return s;
}

Status make_dirs(const std::string& dir) {
  std::string partial;
  for (std::size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      partial = dir.substr(0, i);
      if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
        return Error::make(ErrorKind::io, "cannot create " + partial + ": " + std::strerror(errno));
    }
  }
  return Unit{};
}

namespace {

/// Replaces the file at @p path (a symbolic link is followed) with @p text: a temporary file beside it, then
/// rename(2). The file is mode 0600 (it may hold credentials), whatever it was.
Status write_atomically(const std::string& path, const std::string& text) {
  std::string target = path;
  if (char resolved[PATH_MAX]; ::realpath(path.c_str(), resolved)) target = resolved;
  std::string tmp = target + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return Error::make(ErrorKind::io, fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  bool ok = ::fchmod(fd, 0600) == 0;
  for (std::size_t done = 0; ok && done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), target.c_str()) != 0) {
    const int why = ok ? errno : saved;
    ::unlink(tmp.c_str());
    return Error::make(ErrorKind::io, fmt::format("cannot replace {}: {}", target, std::strerror(why)));
  }
  return Unit{};
}

/// @p value as a TOML basic string, quotes included.
std::string toml_string(const std::string& value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) out += fmt::format("\\u{:04X}", c);
        else out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

/// A profile name as a table header's key: bare when it can be, else quoted.
std::string toml_key(const std::string& name) {
  const bool bare = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  return bare ? name : toml_string(name);
}

/// Byte offsets of the text's lines and of positions in them (toml++ counts lines and, within a line, code points,
/// both from 1).
class Positions {
 public:
  explicit Positions(const std::string& text) : text_(text) {
    std::size_t start = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;  // toml++ skips a byte order mark
    starts_.push_back(start);
    for (std::size_t i = start; i < text.size(); ++i)
      if (text[i] == '\n') starts_.push_back(i + 1);
  }
  /// The offset of @p line (from 1) and @p column (code points, from 1), clamped to the text.
  std::size_t offset(std::size_t line, std::size_t column) const {
    if (line == 0 || line > starts_.size()) return text_.size();
    std::size_t at = starts_[line - 1];
    for (std::size_t col = 1; col < column && at < text_.size() && text_[at] != '\n'; ++col) {
      ++at;
      while (at < text_.size() && (static_cast<unsigned char>(text_[at]) & 0xC0) == 0x80) ++at;
    }
    return at;
  }
  /// The offset just after the end of @p line (its '\n' included), or the text's end.
  std::size_t after_line(std::size_t line) const { return line < starts_.size() ? starts_[line] : text_.size(); }
  /// The text of @p line without its line break.
  std::string line_text(std::size_t line) const {
    if (line == 0 || line > starts_.size()) return {};
    const std::size_t b = starts_[line - 1];
    std::size_t e = text_.find('\n', b);
    if (e == std::string::npos) e = text_.size();
    if (e > b && text_[e - 1] == '\r') --e;
    return text_.substr(b, e - b);
  }

 private:
  const std::string& text_;
  std::vector<std::size_t> starts_;
};

/// The string value of @p key in @p profile of @p root, as the reader would find it (for the check after an edit).
std::optional<std::string> read_back(const toml::table& root, const std::string& profile, const std::string& key) {
  for (const auto* t : tables_of(root, profile))
    if (const auto* n = t->get(key); n && !n->is_table()) return scalar_text(*n);
  return std::nullopt;
}

/// One edit of @p text: sets @p key to @p value in @p profile.
Result<std::string> edit_one(const std::string& text, const std::string& path, const std::string& profile,
                             const std::string& key, const std::string& value) {
  auto parsed = parse_toml(text, path);
  if (!parsed) return std::move(parsed).error();
  const toml::table& root = *parsed;
  const Positions pos(text);
  const auto tables = tables_of(root, profile);
  // An existing value: replace just its text, keeping the key as spelled and whatever follows on the line.
  for (const auto* t : tables) {
    if (const auto* n = t->get(key); n && !n->is_table()) {
      const auto& r = n->source();
      const std::size_t b = pos.offset(r.begin.line, r.begin.column), e = pos.offset(r.end.line, r.end.column);
      return text.substr(0, b) + toml_string(value) + text.substr(e);
    }
  }
  const std::string line = key + " = " + toml_string(value) + "\n";
  // A new key: after the last key of the profile's own table ([name] or [profile.name]), or after its header.
  for (const auto* t : tables) {
    if (t == &root) continue;
    const std::size_t header = t->source().begin.line;
    std::string head = pos.line_text(header);
    head.erase(0, head.find_first_not_of(" \t"));
    if (t->is_inline() || head.empty() || head.front() != '[')
      return invalid(fmt::format("{}:{}: profile [{}] is written as {}; add {} by hand, or write the profile as a "
                                 "[{}] section",
                                 path, header, profile, t->is_inline() ? "an inline table" : "dotted keys", key,
                                 profile));
    std::size_t last = header;
    for (const auto& [k, n] : *t) last = std::max<std::size_t>(last, n.source().end.line);
    const std::size_t at = pos.after_line(last);
    const std::string sep = at == text.size() && !text.empty() && text.back() != '\n' ? "\n" : "";
    return text.substr(0, at) + sep + line + text.substr(at);
  }
  // [default] without a header: after the last key at the top of the file.
  if (profile == "default") {
    std::size_t last = 0;
    for (const auto& [k, n] : root)
      if (!n.is_table()) last = std::max<std::size_t>(last, n.source().end.line);
    if (last) {
      const std::size_t at = pos.after_line(last);
      const std::string sep = at == text.size() && !text.empty() && text.back() != '\n' ? "\n" : "";
      return text.substr(0, at) + sep + line + text.substr(at);
    }
  }
  // A new profile: its own table at the end.
  std::string out = text;
  if (!out.empty() && out.back() != '\n') out += '\n';
  if (!out.empty()) out += '\n';
  return out + "[" + toml_key(profile) + "]\n" + line;
}

}  // namespace

Result<std::string> edit_config_text(const std::string& text, const std::string& path, const std::string& profile,
                                     const std::vector<ConfigValue>& values) {
  for (const auto& [key, value] : values)
    if (!known_key(key)) return invalid("unknown setting '" + key + "'");
  std::string out = text;
  for (const auto& [key, value] : values) {
    auto edited = edit_one(out, path, profile, key, value);
    if (!edited) return std::move(edited).error();
    out = std::move(*edited);
  }
  // The edit must leave valid TOML in which every value reads back where it was meant to go.
  auto check = parse_toml(out, path);
  if (!check) return invalid(fmt::format("cannot edit {} safely ({}); nothing was saved", path, check.error().message));
  for (const auto& [key, value] : values)
    if (read_back(*check, profile, key) != value)
      return invalid(
          fmt::format("cannot edit {} safely: {} would not read back in [{}]; nothing was saved", path, key, profile));
  return out;
}

bool ensure_sample_config(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return false;
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0 && !make_dirs(path.substr(0, slash))) return false;
  if (::lstat(path.c_str(), &st) == 0) return false;  // a dangling symbolic link: not ours to replace
  return static_cast<bool>(write_atomically(path, sample_config()));
}

Status set_config_values(const std::string& path, const std::string& profile, const std::vector<ConfigValue>& values) {
  for (const auto& [key, value] : values)
    if (!known_key(key)) return invalid("unknown setting '" + key + "'");
  ensure_sample_config(path);
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::make(ErrorKind::io, fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    std::ostringstream all;
    all << in.rdbuf();
    text = all.str();
  }
  auto edited = edit_config_text(text, path, profile, values);
  if (!edited) return std::move(edited).error();
  if (*edited == text) return Unit{};
  return write_atomically(path, *edited);
}

Status set_config_value(const std::string& path, const std::string& profile, const std::string& key,
                        const std::string& value) {
  return set_config_values(path, profile, {{key, value}});
}

Result<GoConfigImport> read_go_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::make(ErrorKind::io, fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    return invalid(fmt::format("{} is not valid JSON: {}", path, e.what()));
  }
  if (!j.is_object()) return invalid(path + " is not a JSON object (the Go tool writes one)");
  GoConfigImport out;
  auto text = [](const nlohmann::json& v) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<long long>());
    return v.is_null() ? "" : v.dump();
  };
  for (const auto& [field, v] : j.items()) {
    std::string lower = field;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const std::string value = text(v);
    if (lower == "default_zone") {
      if (!value.empty()) out.values.emplace_back("zone", value);
    } else if (lower == "account_id") {
      if (value.empty()) continue;
      if (api::looks_like_id(value)) out.values.emplace_back("account_id", value);
      else out.notes.push_back("account_id: not imported, it is not 32 hex characters");
    } else if (lower == "api_endpoint") {
      if (!value.empty() && value != "https://api.cloudflare.com/client/v4")
        out.notes.push_back("api_endpoint '" + value +
                            "': not imported, the Go tool stored it but never used it (save it with `config "
                            "set-defaults --api-endpoint` if you mean it)");
    } else if (lower == "cache_concurrency" || lower == "multi_zone_concurrency") {
      const std::string go_default = lower == "cache_concurrency" ? "50" : "10";
      if (!value.empty() && value != go_default && value != "0")
        out.notes.push_back(fmt::format("{} {}: not imported, the Go tool's flags overrode it; set {} with `config "
                                        "set-defaults` if you want it",
                                        field, value,
                                        lower == "cache_concurrency" ? "--concurrency" : "--zone-concurrency"));
    } else if (lower.find("token") != std::string::npos || lower.find("key") != std::string::npos ||
               lower.find("secret") != std::string::npos || lower.find("password") != std::string::npos ||
               lower.find("email") != std::string::npos) {
      // Never imported, never shown: the environment is where credentials belong.
      if (!value.empty()) out.had_credentials = true;
    } else {
      out.notes.push_back("field '" + field + "': not known, not imported");
    }
  }
  if (out.had_credentials)
    out.notes.push_back("credentials in the file were not imported: export CLOUDFLARE_API_TOKEN (or name another "
                        "variable with api_token_env in the profile)");
  return out;
}

namespace {
std::string xdg(const char* var, const char* fallback) {
  if (const char* v = std::getenv(var); v && *v) return v;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/" + fallback;
}
}  // namespace

std::string default_config_path() { return xdg("XDG_CONFIG_HOME", ".config") + "/cache-kv-purger/config.toml"; }
std::string default_jobs_dir() { return xdg("XDG_STATE_HOME", ".local/state") + "/cache-kv-purger/jobs"; }
std::string default_go_config_path() {
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache-kv-purger.json";
}

}  // namespace ckp::cli
