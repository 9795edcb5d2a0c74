#pragma once
// Helpers shared by the CLI's unit tests: a scratch directory, a controlled environment, files, and a parsed command.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/output.hpp"

namespace ckp::cli::test {

/// A fresh directory under the system's temp dir, removed with everything in it at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ckp-cli-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  /// @p name inside the directory.
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// The environment variables the settings read.
inline const std::vector<const char*>& settings_env_vars() {
  static const std::vector<const char*> vars = {"CLOUDFLARE_API_TOKEN",
                                                "CLOUDFLARE_API_KEY",
                                                "CLOUDFLARE_EMAIL",
                                                "CLOUDFLARE_ACCOUNT_ID",
                                                "CLOUDFLARE_ZONE_ID",
                                                "CLOUDFLARE_API_BASE_URL",
                                                "CF_API_BASE_URL",
                                                "CLOUDFLARE_PLAN",
                                                "CLOUDFLARE_MAX_CONCURRENCY",
                                                "CLOUDFLARE_CACHE_CONCURRENCY",
                                                "CLOUDFLARE_MULTI_ZONE_CONCURRENCY",
                                                "CLOUDFLARE_BATCH_SIZE",
                                                "CLOUDFLARE_API_TIMEOUT",
                                                "CKP_JOBS_KEEP_DAYS",
                                                "CKP_PROFILE"};
  return vars;
}

/// Sets (or, with nullopt, unsets) environment variables for the test's duration, and restores them after.
class EnvGuard {
 public:
  EnvGuard() = default;
  EnvGuard(std::initializer_list<std::pair<const char*, std::optional<std::string>>> vars) {
    for (const auto& [name, value] : vars) set(name, value);
  }
  /// Unsets every variable the settings read (the caller's shell must not leak into a test).
  void clear_settings() {
    for (const char* name : settings_env_vars()) set(name, std::nullopt);
  }
  /// Sets @p name (remembering its value before, the first time).
  void set(const char* name, const std::optional<std::string>& value) {
    if (!saved_.count(name)) {
      const char* old = std::getenv(name);
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value) ::setenv(name, value->c_str(), 1);
    else ::unsetenv(name);
  }
  ~EnvGuard() {
    for (const auto& [name, value] : saved_) {
      if (value) ::setenv(name.c_str(), value->c_str(), 1);
      else ::unsetenv(name.c_str());
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

/// Writes @p text to @p path.
inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

/// The whole of @p path.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// Parses @p args (without the program name) with @p app.
inline void parse(CLI::App& app, std::vector<std::string> args) {
  std::vector<const char*> argv{"cache-kv-purger"};
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

/// The message of the CliError @p f throws, with its exit code; {-1, ""} if it throws none.
template <class F>
std::pair<int, std::string> cli_error_of(F&& f) {
  try {
    f();
  } catch (const CliError& e) {
    return {e.code, e.message};
  }
  return {-1, ""};
}

}  // namespace ckp::cli::test
