#pragma once
// Colour on a terminal: "error:" in red, "warning:" in yellow, a summary line in green, yellow or red. One decision
// (--color auto|always|never, then CKP_COLOR, then NO_COLOR and the terminal) and one way to paint.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace ckp::cli::colour {

/// The colours the CLI uses.
enum class Colour { red, yellow, green };

namespace detail {
inline std::string& mode() {
  static std::string m;  // "" until --color is seen: then CKP_COLOR, else auto
  return m;
}
inline bool valid(std::string_view m) { return m == "auto" || m == "always" || m == "never"; }
}  // namespace detail

/// Sets the mode from --color: "auto" (colour when the stream is a terminal, TERM is not "dumb" and NO_COLOR is
/// unset or empty), "always" or "never". Any other value is ignored (the option's own check refuses it).
inline void set_mode(std::string_view mode) {
  if (detail::valid(mode)) detail::mode() = std::string(mode);
}

/// Whether text written to @p stream (stdout or stderr) gets colour. --color wins; without it, CKP_COLOR (the same
/// values); without either, auto.
inline bool enabled(std::FILE* stream) {
  std::string mode = detail::mode();
  if (mode.empty()) {
    const char* env = std::getenv("CKP_COLOR");
    mode = env && detail::valid(env) ? env : "auto";
  }
  if (mode != "auto") return mode == "always";
  if (const char* no = std::getenv("NO_COLOR"); no && *no) return false;
  if (const char* term = std::getenv("TERM"); term && std::string_view(term) == "dumb") return false;
  return isatty(fileno(stream)) == 1;
}

/// @p text in @p c when enabled(@p stream), else @p text unchanged. paint(stderr, Colour::red, "error:").
inline std::string paint(std::FILE* stream, Colour c, std::string_view text) {
  if (!enabled(stream)) return std::string(text);
  const char* code = c == Colour::red ? "\033[1;31m" : c == Colour::yellow ? "\033[1;33m" : "\033[32m";
  return code + std::string(text) + "\033[0m";
}

/// "error:" painted red for stderr, the prefix of every error line.
inline std::string error_prefix() { return paint(stderr, Colour::red, "error:"); }
/// "warning:" painted yellow for stderr, the prefix of every warning line.
inline std::string warning_prefix() { return paint(stderr, Colour::yellow, "warning:"); }

}  // namespace ckp::cli::colour
