#pragma once
// Renders progress events: a one-line bar on a terminal (stderr), NDJSON lines with --progress json, or nothing.

#include <unistd.h>

#include <chrono>
#include <string>

#include <fmt/format.h>

#include "ckp/engine/progress.hpp"
#include "cli/output.hpp"

namespace ckp::cli {

class ProgressView {
 public:
  enum class Mode { none, bar, json };

  /// auto → a bar when stderr is a terminal, else nothing.
  static Mode mode_for(const std::string& progress, bool quiet) {
    if (progress == "json") return Mode::json;
    if (quiet || progress == "none") return Mode::none;
    if (progress == "bar") return Mode::bar;
    return isatty(STDERR_FILENO) ? Mode::bar : Mode::none;
  }

  ProgressView(Mode mode, std::string noun) : mode_(mode), noun_(std::move(noun)) {}

  void update(const engine::Progress& p) {
    if (mode_ == Mode::json) {
      fmt::print(stderr, "{}\n", p.to_json().dump());
      std::fflush(stderr);
      return;
    }
    if (mode_ != Mode::bar) return;
    auto now = std::chrono::steady_clock::now();
    if (!p.finished && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    std::string line;
    if (p.total && *p.total > 0) {
      const double fraction = std::min(1.0, static_cast<double>(p.done + p.failed) / static_cast<double>(*p.total));
      const int width = 24, filled = static_cast<int>(fraction * width);
      line = fmt::format("{} [{}{}] {:3.0f}% {}/{} {}", p.phase, std::string(static_cast<std::size_t>(filled), '#'),
                         std::string(static_cast<std::size_t>(width - filled), '.'), fraction * 100, grouped(p.done),
                         grouped(*p.total), noun_);
    } else {
      line = fmt::format("{}: {} {}", p.phase, grouped(p.done), noun_);
      if (p.scanned > p.done) line += fmt::format(" ({} scanned)", grouped(p.scanned));
    }
    line += fmt::format("  {:.0f}/s", p.rate);
    if (p.eta) line += "  ETA " + clock_time(to_seconds(*p.eta));
    line += fmt::format("  conc {}  req {}", p.concurrency, grouped(p.requests));
    if (p.rate_limited) line += fmt::format("  429s {}", p.rate_limited);
    if (p.failed) line += fmt::format("  failed {}", grouped(p.failed));
    fmt::print(stderr, "\r\033[K{}", line);
    if (p.finished) fmt::print(stderr, "\n");
    std::fflush(stderr);
    drawn_ = !p.finished;
  }

  /// Ends the bar's line so that following messages start clean.
  void close() {
    if (mode_ == Mode::bar && drawn_) fmt::print(stderr, "\n");
    drawn_ = false;
  }

 private:
  Mode mode_;
  std::string noun_;
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace ckp::cli
