#pragma once
// Renders progress events: a one-line bar on a terminal (stderr), NDJSON lines with --progress json, or nothing.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
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
    fmt::print(stderr, "\r\033[K{}", bar_line(p, noun_));
    if (p.finished) fmt::print(stderr, "\n");
    std::fflush(stderr);
    drawn_ = !p.finished;
  }

  /// The bar's text for @p p: a bar when a total (or the listing's estimate, marked "~") is known, else "counting";
  /// the run's average rate (the summary's), an ETA, and "waiting for the rate-limit window (N s)" while the rate
  /// limits hold every call back.
  static std::string bar_line(const engine::Progress& p, const std::string& noun) {
    std::string line;
    const auto bar = [](double fraction) {
      const int width = 24, filled = static_cast<int>(std::min(1.0, fraction) * width);
      return fmt::format("[{}{}] {:3.0f}%", std::string(static_cast<std::size_t>(filled), '#'),
                         std::string(static_cast<std::size_t>(width - filled), '.'), std::min(1.0, fraction) * 100);
    };
    if (p.total && *p.total > 0) {
      const double fraction = static_cast<double>(p.done + p.failed) / static_cast<double>(*p.total);
      line = fmt::format("{} {} {}/{} {}", p.phase, bar(fraction), grouped(p.done), grouped(*p.total), noun);
    } else if (p.estimated_scan && *p.estimated_scan > 0) {
      const double fraction = static_cast<double>(p.scanned) / static_cast<double>(*p.estimated_scan);
      line = fmt::format("{} {} {} {}, {} of ~{} examined", p.phase, bar(fraction), grouped(p.done), noun,
                         grouped(p.scanned), grouped(*p.estimated_scan));
    } else {
      line = fmt::format("{}: {} {}", p.phase, grouped(p.done), noun);
      if (p.scanned > p.done) line += fmt::format(" ({} examined)", grouped(p.scanned));
      if (!p.finished) line += ", counting";
    }
    line += fmt::format("  {:.0f}/s", p.average_rate);
    if (p.rate_wait && *p.rate_wait >= std::chrono::milliseconds(500))
      line += fmt::format("  waiting for the rate-limit window ({:.0f} s)", std::ceil(to_seconds(*p.rate_wait)));
    else if (p.eta) line += "  ETA " + clock_time(to_seconds(*p.eta));
    line += fmt::format("  conc {}  req {}", p.concurrency, grouped(p.requests));
    if (p.rate_limited) line += fmt::format("  429s {}", p.rate_limited);
    if (p.failed) line += fmt::format("  failed {}", grouped(p.failed));
    return line;
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
