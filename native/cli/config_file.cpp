#include "cli/config_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

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

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool known_key(const std::string& key) {
  for (const auto& k : config_keys())
    if (key == k.name) return true;
  return false;
}

/// Parses a value: a quoted string, or a bare word/number up to a comment.
std::optional<std::string> parse_value(const std::string& raw, std::string& error) {
  if (raw.empty()) {
    error = "missing value";
    return std::nullopt;
  }
  if (raw.front() == '"') {
    std::string out;
    for (std::size_t i = 1; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '\\' && i + 1 < raw.size()) {
        char n = raw[++i];
        out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
      } else if (c == '"') {
        std::string rest = trim(raw.substr(i + 1));
        if (!rest.empty() && rest.front() != '#') {
          error = "unexpected text after the closing quote";
          return std::nullopt;
        }
        return out;
      } else {
        out += c;
      }
    }
    error = "unterminated string";
    return std::nullopt;
  }
  std::string word = trim(raw.substr(0, raw.find('#')));
  if (word.empty() || word.find_first_of(" \t\"") != std::string::npos) {
    error = "expected a \"quoted string\", a number, true or false";
    return std::nullopt;
  }
  return word;
}

}  // namespace

Result<ConfigFile> read_config(const std::string& path) {
  ConfigFile cfg;
  cfg.path = path;
  std::ifstream in(path);
  if (!in) return cfg;
  std::string section = "default";
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    auto fail = [&](const std::string& what) {
      return Error::make(ErrorKind::invalid_input, fmt::format("{}:{}: {}", path, n, what));
    };
    if (t.front() == '[') {
      auto close = t.find(']');
      if (close == std::string::npos) return fail("a section header needs a closing ']'");
      section = trim(t.substr(1, close - 1));
      if (section.rfind("profile.", 0) == 0) section = section.substr(8);
      if (section.empty()) return fail("empty section name");
      cfg.profiles[section];
      continue;
    }
    auto eq = t.find('=');
    if (eq == std::string::npos) return fail("expected key = value");
    std::string key = trim(t.substr(0, eq));
    if (!known_key(key)) return fail(fmt::format("unknown setting '{}' (see `cache-kv-purger config show`)", key));
    std::string error;
    auto value = parse_value(trim(t.substr(eq + 1)), error);
    if (!value) return fail(error);
    cfg.profiles[section][key] = *value;
    cfg.lines[section][key] = n;
  }
  return cfg;
}

std::string sample_config() {
  std::string s =
      "# cache-kv-purger configuration.\n"
      "#\n"
      "# Precedence: a command-line flag beats an environment variable, which beats this file, which beats the\n"
      "# built-in default. Each [section] is a profile; pick one with --profile NAME (default: [default]).\n"
      "# Credentials are best kept in the environment (CLOUDFLARE_API_TOKEN); this file is created mode 0600.\n"
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

bool ensure_sample_config(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return false;
  auto slash = path.rfind('/');
  if (slash != std::string::npos && !make_dirs(path.substr(0, slash))) return false;
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) return false;
    out << sample_config();
  }
  ::chmod(tmp.c_str(), 0600);
  return ::rename(tmp.c_str(), path.c_str()) == 0;
}

Status set_config_value(const std::string& path, const std::string& profile, const std::string& key,
                        const std::string& value) {
  if (!known_key(key)) return Error::make(ErrorKind::invalid_input, "unknown setting '" + key + "'");
  ensure_sample_config(path);
  std::vector<std::string> lines;
  {
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  std::string escaped;
  for (char c : value) escaped += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  const std::string new_line = key + " = \"" + escaped + "\"";

  // The profile's lines are [start, end): from its header (or the file's top, for [default] without one) to the
  // next header.
  auto section_of = [](const std::string& t) {
    auto close = t.find(']');
    std::string name = trim(t.substr(1, close == std::string::npos ? std::string::npos : close - 1));
    return name.rfind("profile.", 0) == 0 ? name.substr(8) : name;
  };
  std::optional<std::size_t> start = profile == "default" ? std::optional<std::size_t>(0) : std::nullopt;
  std::size_t end = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string t = trim(lines[i]);
    if (t.empty() || t.front() != '[') continue;
    if (start && i > *start && (section_of(t) != profile)) {
      end = i;
      break;
    }
    if (section_of(t) == profile) start = i + 1;
  }
  if (!start) {
    lines.push_back("");
    lines.push_back("[" + profile + "]");
    lines.push_back(new_line);
  } else {
    std::optional<std::size_t> existing;
    for (std::size_t i = *start; i < end; ++i) {
      std::string t = trim(lines[i]);
      auto eq = t.find('=');
      if (!t.empty() && t.front() != '#' && eq != std::string::npos && trim(t.substr(0, eq)) == key) existing = i;
    }
    if (existing) {
      lines[*existing] = new_line;
    } else {
      std::size_t at = end;
      while (at > *start && trim(lines[at - 1]).empty()) --at;
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), new_line);
    }
  }
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) return Error::make(ErrorKind::io, "cannot write " + tmp);
    for (const auto& l : lines) out << l << '\n';
  }
  ::chmod(tmp.c_str(), 0600);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Error::make(ErrorKind::io, "cannot replace " + path);
  return Unit{};
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

}  // namespace ckp::cli
