#pragma once
// How the CLI speaks: data on stdout (tables, or one JSON document with --json), messages and progress on stderr,
// errors as one line with a non-zero exit code.

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"

namespace ckp::cli {

/// Exit codes: 0 ok, 1 failure, 2 usage, 3 partial failure, 130 interrupted.
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int failure = 1;
inline constexpr int usage = 2;
inline constexpr int partial = 3;
inline constexpr int interrupted = 130;
}  // namespace exit_code

/// Thrown by a command to stop with a message and an exit code; main() prints "error: <message>".
struct CliError {
  int code;
  std::string message;
  std::string kind = "invalid_input";  ///< the ErrorKind's name, for --json's error document
};

/// Stops the command: usage errors (bad flags or input) exit 2, everything else 1.
[[noreturn]] inline void fail(const Error& e) {
  throw CliError{e.kind == ErrorKind::invalid_input ? exit_code::usage : exit_code::failure, e.message,
                 to_string(e.kind)};
}
[[noreturn]] inline void fail_usage(std::string message) { throw CliError{exit_code::usage, std::move(message)}; }

/// A plain text table with aligned columns.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : rows_{std::move(headers)} {}
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  std::size_t size() const { return rows_.size() - 1; }
  /// Prints to stdout: headers, a rule, then rows.
  void print() const {
    std::vector<std::size_t> width;
    for (const auto& r : rows_)
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (width.size() <= i) width.push_back(0);
        width[i] = std::max(width[i], display_width(r[i]));
      }
    for (std::size_t n = 0; n < rows_.size(); ++n) {
      std::string line;
      for (std::size_t i = 0; i < rows_[n].size(); ++i) {
        line += rows_[n][i];
        if (i + 1 < rows_[n].size()) line += std::string(width[i] - display_width(rows_[n][i]) + 2, ' ');
      }
      fmt::print("{}\n", line);
      if (n == 0) {
        std::size_t total = 0;
        for (auto w : width) total += w + 2;
        fmt::print("{}\n", std::string(total > 2 ? total - 2 : total, '-'));
      }
    }
  }

 private:
  static std::size_t display_width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count UTF-8 code points, not bytes
    return n;
  }
  std::vector<std::vector<std::string>> rows_;
};

/// Prints @p j as the command's JSON output (pretty, one document).
inline void print_json(const nlohmann::json& j) { fmt::print("{}\n", j.dump(2)); }

/// The JSON document of an error that stopped a command before (or instead of) an operation's report:
/// {"status": "failed", "error": {"kind": @p kind, "message": @p message}} — the report's shape for a failed run.
inline void print_json_error(const std::string& kind, const std::string& message) {
  print_json({{"status", "failed"}, {"error", {{"kind", kind}, {"message", message}}}});
}

/// 1234567 → "1,234,567".
inline std::string grouped(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

/// Seconds as "1:02:03" / "2:03" / "4.2 s".
inline std::string clock_time(double seconds) {
  if (seconds < 10) return fmt::format("{:.1f} s", seconds);
  auto s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace ckp::cli
