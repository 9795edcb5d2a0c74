// Benchmark: prefix deletes listed in parallel (ops/key_lister.hpp) against the plain cursor chain, in virtual time,
// for each shape of names the emulator seeds. The emulator's server model answers every call after 100 ms (also
// 250 ms for the large rows), with Cloudflare's default limits: 1,200 requests per 5 minutes and 200 per second per
// IP. Each row runs the same delete twice — `list_shards` 1 (the chain) and 16 (the default) — and prints the time,
// the requests and what the listing spent (splits, prefixes found empty, scouts).
//
// Usage: sharded_listing [--quick] [--out FILE.md]   (--quick: 100,000 keys at most, and no 5 M row)

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ckp/emu/key_shapes.hpp"
#include "ckp/emu/server.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/transport/sim.hpp"

namespace {

using namespace ckp;

constexpr const char* token = "bench-token";
constexpr const char* account = "0123456789abcdef0123456789abcdef";

struct Outcome {
  double seconds = 0;
  std::uint64_t requests = 0, refused = 0, lockouts = 0;
  nlohmann::json listing;
  bool exact = false;
};

Outcome run_delete(emu::KeyShape shape, std::uint64_t count, std::size_t shards, Duration latency) {
  emu::Config config;
  config.tokens = {{token, account}};
  config.latency = {latency, Duration{0}, std::chrono::microseconds(5)};
  config.rate_limit.per_ip_per_second = 200;
  emu::Server server(config);
  transport::SimTransport sim(server, {token});
  const std::string ns = server.create_namespace(account, "bench");
  if (shape == emu::KeyShape::sequential) server.seed_keys(ns, "old/", count);
  else
    for (const auto& name : emu::shaped_names("old/", count, shape, 11)) server.put_key(ns, name, "v");
  server.seed_keys(ns, "keep/", 100);

  engine::Scheduler scheduler(sim, {});
  ops::KvDeleteSpec spec;
  spec.account_id = account;
  spec.namespace_id = ns;
  spec.select.prefix = "old/";
  ops::KvDelete op(scheduler, spec, {.progress_interval = std::chrono::seconds(30), .list_shards = shards});
  const Instant start = sim.now();
  const ops::OpReport report = ops::run(sim, op);
  Outcome o;
  o.seconds = to_seconds(sim.now() - start);
  o.requests = report.requests.sent;
  o.refused = server.stats().rate_limited;
  o.lockouts = server.stats().lockouts;
  o.listing = report.extra.value("listing", nlohmann::json());
  o.exact = report.status == ops::OpStatus::completed && report.done == count && server.key_count(ns, sim.now()) == 100;
  return o;
}

const char* shape_name(emu::KeyShape s) {
  switch (s) {
    case emu::KeyShape::sequential: return "sequential";
    case emu::KeyShape::uuid: return "uuid";
    case emu::KeyShape::skewed: return "skewed";
    case emu::KeyShape::random: return "random";
    case emu::KeyShape::near: return "near";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string out;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else {
      std::fprintf(stderr, "usage: sharded_listing [--quick] [--out FILE.md]\n");
      return 2;
    }
  }
  struct Row {
    emu::KeyShape shape;
    std::uint64_t count;
    int latency_ms;
  };
  std::vector<Row> rows;
  const std::vector<std::uint64_t> sizes =
      quick ? std::vector<std::uint64_t>{1000, 100'000} : std::vector<std::uint64_t>{1000, 100'000, 500'000};
  for (auto shape : {emu::KeyShape::uuid, emu::KeyShape::sequential, emu::KeyShape::skewed, emu::KeyShape::random,
                     emu::KeyShape::near})
    for (auto n : sizes)
      if (n > 1000 || shape == emu::KeyShape::sequential) rows.push_back({shape, n, 100});
  if (!quick) {
    rows.push_back({emu::KeyShape::uuid, 500'000, 250});
    rows.push_back({emu::KeyShape::sequential, 5'000'000, 100});
  }

  std::string table =
      "| names | keys | latency | chain s | sharded s | faster | chain requests | sharded requests | requests × | "
      "429s | splits | empty prefixes | scouts dropped | exact "
      "|\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::printf("%s", table.c_str());
  bool all_exact = true;
  for (const Row& r : rows) {
    const Duration latency = std::chrono::milliseconds(r.latency_ms);
    const Outcome chain = run_delete(r.shape, r.count, 1, latency);
    const Outcome sharded = run_delete(r.shape, r.count, 16, latency);
    all_exact = all_exact && chain.exact && sharded.exact;
    const std::string line =
        fmt::format("| {} | {} | {} ms | {:.2f} | {:.2f} | {:.2f}× | {} | {} | {:.2f} | {} | {} | {} | {} | {} |\n",
                    shape_name(r.shape), r.count, r.latency_ms, chain.seconds, sharded.seconds,
                    chain.seconds / sharded.seconds, chain.requests, sharded.requests,
                    double(sharded.requests) / double(chain.requests), chain.refused + sharded.refused,
                    sharded.listing.value("splits", 0), sharded.listing.value("empty", 0),
                    sharded.listing.value("dropped", 0), chain.exact && sharded.exact ? "yes" : "NO");
    std::printf("%s", line.c_str());
    std::fflush(stdout);
    table += line;
  }
  if (!out.empty()) std::ofstream(out) << table;
  return all_exact ? 0 : 1;
}
