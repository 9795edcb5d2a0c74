// Benchmark: how fast each concurrency setting gets through each workload under each API profile, in virtual time,
// against the theoretical bound — and whether the default adaptive setting keeps up with the best fixed one.
//
// Sweeps fixed concurrency 1, 2, 4 … 64 and every adaptive Limit (aimd, gradient2, vegas, and LimitConfig{} — the
// default) over the profiles of profiles.hpp, for five workloads. Prints a table per workload and the ≥ 95 %
// rule's verdicts; writes <workload>.csv, <workload>.svg and summary.csv to the output directory.
//
// Usage: concurrency_sweep [--out DIR] [--workload NAME]... [--profile NAME]... [--scale F] [--jobs N]
//   --out DIR       where to write CSV and SVG (default: benchmarks/results/sim-<today>/ in the source tree)
//   --workload NAME delete-prefix | delete-keys | export | purge-urls | purge-tags (default: all)
//   --profile NAME  only this profile (default: all)
//   --scale F       multiply every workload's size by F (default 1)
//   --jobs N        cells run on N threads (default: 2, or 1 on a 1-core machine; results do not depend on it)
// Exit status: 0 when the rule holds everywhere, 1 when it does not, 2 on a usage error.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "tuning_model.hpp"

using namespace ckp;
using namespace ckp::bench;

namespace {

struct Options {
  std::string out;
  std::vector<Workload> workloads;
  std::vector<std::string> profiles;
  double scale = 1;
  int jobs = 0;  // 0: min(2, hardware threads)
};

std::string today() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--out") {
      o.out = value();
      if (o.out.empty()) return false;
    } else if (a == "--workload") {
      const std::string v = value();
      const auto* w = std::find_if(std::begin(all_workloads), std::end(all_workloads),
                                   [&](Workload x) { return v == to_string(x); });
      if (w == std::end(all_workloads)) return false;
      o.workloads.push_back(*w);
    } else if (a == "--profile") {
      o.profiles.push_back(value());
    } else if (a == "--scale") {
      o.scale = std::atof(value().c_str());
      if (!(o.scale > 0)) return false;
    } else if (a == "--jobs") {
      o.jobs = std::atoi(value().c_str());
      if (o.jobs < 1) return false;
    } else {
      return false;
    }
  }
  if (o.jobs == 0) o.jobs = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 2u));
  if (o.workloads.empty()) o.workloads.assign(std::begin(all_workloads), std::end(all_workloads));
  if (o.out.empty()) o.out = std::string(CKP_BENCH_RESULTS_DIR) + "/sim-" + today();
  return true;
}

std::string describe(Workload w, std::uint64_t n, const Profile& p) {
  const CallPlan c = call_plan(w, n, p.server.plan);
  switch (w) {
    case Workload::delete_prefix: return fmt::format("{} keys: {} lists + {} bulk deletes", n, c.lists, c.calls);
    case Workload::delete_keys: return fmt::format("{} keys from a file: {} bulk deletes", n, c.total());
    case Workload::export_kv: return fmt::format("{} keys: {} lists + {} bulk gets", n, c.lists, c.calls);
    case Workload::purge_urls: return fmt::format("{} URLs: {} purges of <= {}", n, c.total(), c.items_per_call);
    case Workload::purge_tags: return fmt::format("{} tags: {} purges", n, c.total());
  }
  return "";
}

double percent(double part, double whole) { return whole > 0 ? 100 * part / whole : 0; }

// ---- SVG: one panel per profile, throughput against concurrency (log2), adaptive settings as markers -------------

struct Style {
  const char* color;
  const char* shape;  // circle, square, diamond, triangle, ring
};

Style style_of(const CellResult& c) {
  if (c.is_default) return {"#000000", "ring"};
  if (c.setting == "aimd") return {"#d62728", "triangle"};
  if (c.setting == "gradient2") return {"#2ca02c", "diamond"};
  if (c.setting == "vegas") return {"#9467bd", "square"};
  return {"#1f77b4", "circle"};
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

/// `<text>` at (@p x, @p y) with extra attributes @p attrs.
std::string text(double x, double y, const std::string& content, const std::string& attrs = "") {
  return fmt::format(R"(<text x="{:.1f}" y="{:.1f}" {}>{}</text>)", x, y, attrs, escape(content));
}

/// `<line>` from (@p x1, @p y1) to (@p x2, @p y2) with extra attributes @p attrs.
std::string line(double x1, double y1, double x2, double y2, const std::string& attrs) {
  return fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" {}/>)", x1, y1, x2, y2, attrs);
}

std::string marker(double x, double y, Style s) {
  const std::string shape = s.shape;
  const std::string fill = fmt::format(R"(fill="{}" fill-opacity="0.85")", s.color);
  if (shape == "circle") return fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" {}/>)", x, y, fill);
  if (shape == "ring")
    return fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="7" fill="none" stroke="{}" stroke-width="1.5"/>)", x, y,
                       s.color);
  if (shape == "square")
    return fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="8" height="8" {}/>)", x - 4, y - 4, fill);
  if (shape == "diamond")
    return fmt::format(R"(<polygon points="{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" {}/>)", x, y - 5,
                       x + 5, y, x, y + 5, x - 5, y, fill);
  return fmt::format(R"(<polygon points="{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" {}/>)", x, y - 5, x + 5, y + 4,
                     x - 5, y + 4, fill);
}

std::string short_number(double v) {
  if (v >= 1e6) return fmt::format("{:.1f}M", v / 1e6);
  if (v >= 1e4) return fmt::format("{:.0f}k", v / 1e3);
  if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  if (v >= 10) return fmt::format("{:.0f}", v);
  return fmt::format("{:.2g}", v);
}

/// A "nice" tick step (1, 2, 2.5 or 5 × 10^k) for an axis from 0 to @p max with about 4 ticks.
double nice_step(double max) {
  const double raw = max / 4, mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

/// One panel: the fixed settings as a polyline, the adaptive ones as markers at their time-averaged limit, 95% of
/// the best fixed dashed, and the ideal client dotted (or named, when far above the rest).
std::string panel(const std::string& name, const std::string& size, const std::vector<CellResult>& cells, int ox,
                  int oy, int pw, int ph) {
  const int left = 52, right = 14, top = 46, bottom = 34;
  const double x0 = ox + left, x1 = ox + pw - right, y0 = oy + ph - bottom, y1 = oy + top;
  const Bound& b = cells.front().bound;
  const Verdict v = verdict(cells);
  double highest = 0;
  for (const auto& c : cells) highest = std::max(highest, c.throughput);
  const double ideal = b.seconds() > 0 ? static_cast<double>(cells.front().items) / b.seconds() : 0;
  const bool ideal_on_scale = ideal > 0 && ideal <= 1.6 * highest;
  if (ideal_on_scale) highest = std::max(highest, ideal);
  const double step = nice_step(highest > 0 ? highest : 1);
  const double ymax = std::max(step * 4, std::ceil(highest * 1.05 / step) * step);
  auto px = [&](double concurrency) {
    return x0 + (x1 - x0) * std::clamp(std::log2(std::max(1.0, concurrency)), 0.0, 6.0) / 6.0;
  };
  auto py = [&](double value) { return y0 - (y0 - y1) * value / ymax; };

  std::string s = text(ox + 8, oy + 14, name, R"(font-weight="bold")");
  s += text(ox + 16 + 8 * static_cast<double>(name.size()), oy + 14, size, R"(fill="#555" font-size="10")");
  s += text(ox + 8, oy + 28,
            fmt::format("{}-bound · default {:.0f}% of best{} · ideal {}/s{}", b.binding(), 100 * v.share(),
                        v.holds() ? "" : " FAILS", short_number(ideal), ideal_on_scale ? "" : " (above)"),
            R"(fill="#555" font-size="10")");
  s += "\n" + line(x0, y0, x1, y0, R"(stroke="#333")") + line(x0, y0, x0, y1, R"(stroke="#333")");
  for (int k = 0; k <= 6; ++k) {
    const double x = px(std::pow(2.0, k));
    s += line(x, y0, x, y0 + 4, R"(stroke="#333")");
    s += text(x, y0 + 15, std::to_string(1 << k), R"(text-anchor="middle")");
  }
  s += text((x0 + x1) / 2, y0 + 28, "concurrency", R"(text-anchor="middle" fill="#555")");
  for (double value = 0; value <= ymax + step / 2; value += step)
    s += line(x0, py(value), x1, py(value), R"(stroke="#eee")") +
         text(x0 - 4, py(value) + 4, short_number(value), R"(text-anchor="end")");
  s += "\n";
  if (ideal_on_scale)
    s += line(x0, py(ideal), x1, py(ideal), R"(stroke="#2ca02c" stroke-dasharray="1,3" stroke-width="2")") + "\n";
  if (v.best_fixed > 0)
    s += line(x0, py(0.95 * v.best_fixed), x1, py(0.95 * v.best_fixed), R"(stroke="#999" stroke-dasharray="4,3")");
  std::string points;
  for (const auto& c : cells)
    if (!c.adaptive) points += fmt::format("{:.1f},{:.1f} ", px(c.fixed), py(c.throughput));
  s += fmt::format(R"(<polyline points="{}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>)", points) + "\n";
  for (const auto& c : cells) {
    const double x = px(c.adaptive ? c.mean_limit : c.fixed), y = py(c.throughput);
    s += marker(x, y, style_of(c));
    if (c.lockouts > 0) s += text(x + 6, y - 4, "lockout", R"(fill="#d62728" font-size="9")");
  }
  return s + "\n";
}

std::string chart(Workload w, const std::vector<std::string>& names,
                  const std::map<std::string, std::vector<CellResult>>& by_profile,
                  const std::map<std::string, std::string>& sizes) {
  const int cols = 3, pw = 350, ph = 230, header = 62;
  const int rows = static_cast<int>((names.size() + cols - 1) / cols);
  const int width = cols * pw, height = header + rows * ph;
  std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" )"
                              R"(viewBox="0 0 {0} {1}" font-family="sans-serif" font-size="11">)"
                              "\n"
                              R"(<rect width="100%" height="100%" fill="white"/>)"
                              "\n",
                              width, height);
  s += text(10, 20, fmt::format("{}: throughput (items per virtual second) vs concurrency", to_string(w)),
            R"(font-size="15" font-weight="bold")");
  double lx = 10;
  const std::pair<const char*, Style> legend[] = {{"fixed N", {"#1f77b4", "circle"}},
                                                  {"aimd", {"#d62728", "triangle"}},
                                                  {"gradient2", {"#2ca02c", "diamond"}},
                                                  {"vegas", {"#9467bd", "square"}},
                                                  {"default (LimitConfig{})", {"#000000", "ring"}}};
  for (const auto& [label, style] : legend) {
    s += marker(lx + 6, 40, style) + text(lx + 16, 44, label);
    lx += 30 + 7 * static_cast<double>(std::string(label).size());
  }
  s += text(10, 58,
            "adaptive markers sit at their time-averaged limit; grey dashes: 95% of the best fixed; green dots: the "
            "ideal client (unlimited concurrency, exact limits)",
            R"(fill="#666")") +
       "\n";
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto it = by_profile.find(names[i]);
    if (it == by_profile.end()) continue;
    s += panel(names[i], sizes.at(names[i]), it->second, static_cast<int>(i % cols) * pw,
               header + static_cast<int>(i / cols) * ph, pw, ph);
  }
  return s + "</svg>\n";
}

// ---- tables and CSV ---------------------------------------------------------------------------------------------

void print_table(Workload w, const std::vector<std::string>& names,
                 const std::map<std::string, std::vector<CellResult>>& by_profile,
                 const std::map<std::string, std::string>& sizes, const std::map<std::string, std::string>& abouts) {
  fmt::print("\n== {} ==\n", to_string(w));
  for (const auto& name : names) {
    const auto& cells = by_profile.at(name);
    const Bound& b = cells.front().bound;
    fmt::print("-- {} ({}) | {}\n   bound {:.1f} s, {}-bound (ideal client: latency only {:.1f} s, + window {:.1f} s, "
               "+ buckets {:.1f} s, all {:.1f} s{})\n",
               name, abouts.at(name), sizes.at(name), b.seconds(), b.binding(), b.chain, b.window, b.bucket, b.ideal,
               b.capacity > 0 ? fmt::format("; capacity {:.1f} s", b.capacity) : "");
    fmt::print("   {:<20} {:>10} {:>7} {:>8} {:>6} {:>5} {:>5} {:>7} {:>10} {:>8} {:>8}\n", "setting", "items/s",
               "vs best", "requests", "429", "lock", "5xx", "retries", "duration s", "x bound", "limit");
    const Verdict v = verdict(cells);
    for (const auto& c : cells)
      fmt::print("   {:<20} {:>10.1f} {:>6.1f}% {:>8} {:>6} {:>5} {:>5} {:>7} {:>10.1f} {:>8.3f} {:>8.1f}{}\n",
                 c.setting, c.throughput, percent(c.throughput, v.best_fixed), c.requests, c.rate_limited, c.lockouts,
                 c.server_errors, c.retries, c.seconds, c.ratio(), c.adaptive ? c.mean_limit : c.fixed,
                 c.completed ? "" : "  (NOT COMPLETED)");
  }
}

void write_csv(const std::filesystem::path& file, const std::vector<CellResult>& cells) {
  std::ofstream out(file);
  out << "workload,profile,setting,adaptive,default,fixed,items,done,failed,completed,duration_s,items_per_s,"
         "requests,retries,http_429,lockouts,server_errors,mean_limit,peak_inflight,bound_s,bound_binding,"
         "bound_latency_s,bound_window_s,bound_bucket_s,bound_ideal_s,bound_capacity_s,x_bound\n";
  for (const auto& c : cells)
    out << fmt::format("{},{},{},{},{},{},{},{},{},{},", to_string(c.workload), c.profile, c.setting, c.adaptive,
                       c.is_default, c.fixed, c.items, c.done, c.failed, c.completed)
        << fmt::format("{:.3f},{:.3f},{},{},{},{},{},{:.2f},{},", c.seconds, c.throughput, c.requests, c.retries,
                       c.rate_limited, c.lockouts, c.server_errors, c.mean_limit, c.peak_inflight)
        << fmt::format("{:.3f},{},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.4f}\n", c.bound.seconds(), c.bound.binding(),
                       c.bound.chain, c.bound.window, c.bound.bucket, c.bound.ideal, c.bound.capacity, c.ratio());
}

bool same_limit(const engine::LimitConfig& a, const engine::LimitConfig& b) {
  return a.algorithm == b.algorithm && a.initial == b.initial && a.min_limit == b.min_limit &&
         a.max_limit == b.max_limit && a.seed == b.seed;
}

/// Runs every cell of @p w on @p jobs threads. A setting identical to an earlier one of the same profile (the
/// default is one of the adaptive rows) is not run twice: runs are deterministic, so its result is that row's.
std::vector<CellResult> run_workload(Workload w, const std::vector<std::pair<Profile, std::uint64_t>>& profiles,
                                     const std::vector<Setting>& settings, int jobs) {
  struct Job {
    const Profile* profile;
    std::uint64_t items;
    std::size_t setting;
    std::size_t twin;  // an earlier job with the same limit, or SIZE_MAX
  };
  std::vector<Job> all;
  for (const auto& [profile, items] : profiles) {
    const std::size_t first = all.size();
    for (std::size_t s = 0; s < settings.size(); ++s) {
      std::size_t twin = SIZE_MAX;
      for (std::size_t j = first; j < all.size() && twin == SIZE_MAX; ++j)
        if (same_limit(settings[all[j].setting].limit, settings[s].limit)) twin = j;
      all.push_back({&profile, items, s, twin});
    }
  }
  std::vector<CellResult> results(all.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < all.size();)
      if (all[i].twin == SIZE_MAX) results[i] = run_cell(w, all[i].items, *all[i].profile, settings[all[i].setting]);
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].twin == SIZE_MAX) continue;
    const Setting& st = settings[all[i].setting];
    results[i] = results[all[i].twin];
    results[i].setting = st.label;
    results[i].adaptive = st.adaptive;
    results[i].is_default = st.is_default;
  }
  return results;
}

void print_preamble(const Options& opt) {
  const engine::LimitConfig d{};
  fmt::print(
      "Concurrency sweep, in virtual time (deterministic). Settings: fixed 1..64; aimd, gradient2, vegas with "
      "LimitConfig's bounds;\nthe default is LimitConfig{{}}: {} from {} within [{}, {}]. Sizes are chosen so the "
      "sweep stays short while every phase\nthat matters happens; the `window` profiles are sized past 1,188 calls "
      "(1200/5 min less the governor's 1% headroom) so the\nglobal window binds. Latency and 5xx are drawn per call "
      "(common random numbers across settings); the bound is an ideal\nclient with unlimited concurrency and exact "
      "limits at expected latency (see bounds.hpp). scale {}, {} thread(s).\n",
      d.algorithm, d.initial, d.min_limit, d.max_limit, opt.scale, opt.jobs);
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_args(argc, argv, opt)) {
    std::fprintf(stderr, "usage: concurrency_sweep [--out DIR] [--workload NAME]... [--profile NAME]... [--scale F] "
                         "[--jobs N]\nworkloads: delete-prefix delete-keys export purge-urls purge-tags\n");
    return 2;
  }
  std::filesystem::create_directories(opt.out);
  print_preamble(opt);
  const auto wall_start = std::chrono::steady_clock::now();
  const std::vector<Setting> settings = sweep_settings();
  bool all_hold = true;
  std::vector<std::string> summary{
      "workload,profile,items,bound_s,bound_binding,best_fixed,best_fixed_items_per_s,default_items_per_s,share,"
      "default_x_bound,default_lockouts,holds"};

  for (Workload w : opt.workloads) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::pair<Profile, std::uint64_t>> profiles;
    std::vector<std::string> names;
    std::map<std::string, std::string> sizes, abouts;
    for (const Profile& p : profiles_for(w)) {
      if (!opt.profiles.empty() && std::find(opt.profiles.begin(), opt.profiles.end(), p.name) == opt.profiles.end())
        continue;
      const std::uint64_t n = workload_items(w, p, opt.scale);
      if (n == 0) {
        fmt::print("({}: profile `{}` not run: this workload makes too few calls per item for the 1200/5-min window "
                   "to bind at a size this sweep can afford; `export` and the purges show it)\n",
                   to_string(w), p.name);
        continue;
      }
      profiles.emplace_back(p, n);
      names.push_back(p.name);
      sizes[p.name] = describe(w, n, p);
      abouts[p.name] = p.about;
    }
    const std::vector<CellResult> results = run_workload(w, profiles, settings, opt.jobs);
    std::map<std::string, std::vector<CellResult>> by_profile;
    for (const auto& r : results) by_profile[r.profile].push_back(r);
    print_table(w, names, by_profile, sizes, abouts);
    const std::filesystem::path out(opt.out);
    write_csv(out / fmt::format("{}.csv", to_string(w)), results);
    std::ofstream(out / fmt::format("{}.svg", to_string(w))) << chart(w, names, by_profile, sizes);

    fmt::print("\n   rule: the default ({}) reaches >= 95% of the best fixed concurrency, with no lockout\n",
               engine::LimitConfig{}.algorithm);
    for (const auto& name : names) {
      const auto& cells = by_profile[name];
      const Verdict v = verdict(cells);
      const auto& d = *std::find_if(cells.begin(), cells.end(), [](const CellResult& c) { return c.is_default; });
      all_hold = all_hold && v.holds();
      fmt::print("   {:<12} best fixed {:>2} {:>10.1f}/s  default {:>10.1f}/s  {:>6.1f}%  x bound {:.2f}  "
                 "lockouts {}  {}\n",
                 name, v.best_fixed_n, v.best_fixed, v.default_throughput, 100 * v.share(), d.ratio(),
                 v.default_lockouts, v.holds() ? "ok" : "FAILS");
      summary.push_back(fmt::format("{},{},{},{:.3f},{},{},{:.3f},{:.3f},{:.4f},{:.4f},{},{}", to_string(w), name,
                                    d.items, d.bound.seconds(), d.bound.binding(), v.best_fixed_n, v.best_fixed,
                                    v.default_throughput, v.share(), d.ratio(), v.default_lockouts, v.holds()));
    }
    fmt::print("   ({} cells in {:.1f} s wall)\n", results.size(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::ofstream sum(std::filesystem::path(opt.out) / "summary.csv");
  for (const auto& l : summary) sum << l << "\n";
  fmt::print("\nrule holds everywhere: {}\nresults: {}\nwall time: {:.1f} s\n", all_hold ? "yes" : "NO", opt.out,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count());
  return all_hold ? 0 : 1;
}
