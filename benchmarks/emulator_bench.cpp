// Emulator benchmark (prints numbers; not a test): seeding time for 1M keys, resident memory of the emulator
// process with 1M keys stored, and requests per second over loopback against it.
//
//   emulator_bench [--binary PATH] [--keys N] [--seconds S] [--clients C]
//
// Targets: seeding 1M keys well under 5 s; RSS < 400 MB with 1M keys; ≥ 2,000 requests/s on loopback.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/emu/server.hpp"
#include "emulator_process.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::size_t self_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long pages = 0, resident = 0;
  int n = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<std::size_t>(resident) * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary = CKP_EMULATOR_BINARY;
  std::uint64_t keys = 1'000'000;
  double seconds = 5;
  int clients = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--binary") binary = argv[i + 1];
    else if (a == "--keys") keys = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--seconds") seconds = std::strtod(argv[i + 1], nullptr);
    else if (a == "--clients") clients = std::atoi(argv[i + 1]);
  }

  // 1. The model in-process: seeding time and the memory it adds.
  {
    ckp::emu::Config config;
    config.tokens.push_back({"bench", std::string(32, 'a')});
    config.rate_limit.quota = 0;
    ckp::emu::Server model(config);
    std::string ns = model.create_namespace(std::string(32, 'a'), "bench");
    std::size_t before = self_rss_bytes();
    auto t = Clock::now();
    model.seed_keys(ns, "key/", keys);
    double seed = since(t);
    std::size_t after = self_rss_bytes();
    fmt::print("model: seeded {} keys in {:.3f} s ({:.0f} keys/s); store memory {:.1f} MB\n", keys, seed, keys / seed,
               (after - before) / 1e6);

    // In-process request throughput (no HTTP): single-key reads.
    ckp::api::Request r(ckp::api::Method::get,
                        "/accounts/" + std::string(32, 'a') + "/storage/kv/namespaces/" + ns + "/values/key%2F0000042");
    r.headers.set("Authorization", "Bearer bench");
    t = Clock::now();
    int n = 0;
    for (; since(t) < 1.0; ++n) (void)model.handle(r, ckp::from_unix_seconds(1'767'225'600));
    fmt::print("model: {:.0f} requests/s in process (GET value, no HTTP)\n", n / since(t));
  }

  // 2. The real emulator process: seeding, RSS, loopback throughput.
  ckp::testing::EmulatorProcess emu({"--token", "bench", "--seed-namespace", "bench", "--seed-keys",
                                     std::to_string(keys), "--rate-limit", "0/1", "--threads", "64"},
                                    binary, std::chrono::seconds(120));
  std::string ns = emu.info()["namespaces"]["bench"];
  std::string base = "/client/v4/accounts/" + emu.account() + "/storage/kv/namespaces/" + ns;
  double seed_seconds = emu.info()["seed_seconds"].get<double>();
  std::size_t rss_start = emu.rss_bytes();
  fmt::print("emulator: seeded {} keys in {:.3f} s; RSS {:.1f} MB after start\n", keys, seed_seconds, rss_start / 1e6);

  std::atomic<std::uint64_t> ok{0}, failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
  auto start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", emu.port());
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      httplib::Headers auth{{"Authorization", "Bearer bench"}};
      std::mt19937_64 rng(static_cast<std::uint64_t>(c) + 1);
      auto& lat = latencies[static_cast<std::size_t>(c)];
      while (!stop.load(std::memory_order_relaxed)) {
        std::uint64_t k = rng() % keys;
        std::string key = fmt::format("key%2F{:07}", k);
        int kind = static_cast<int>(rng() % 10);  // 70% reads, 20% list pages, 10% writes
        auto t = Clock::now();
        httplib::Result res =
            kind < 7 ? cli.Get((base + "/values/" + key).c_str(), auth)
            : kind < 9
                ? cli.Get(
                      (base + "/keys?limit=100&cursor=" + ckp::emu::encode_cursor(fmt::format("key/{:07}", k))).c_str(),
                      auth)
                : cli.Put((base + "/values/" + key).c_str(), auth, "new value", "text/plain");
        lat.push_back(since(t));
        (res && res->status == 200 ? ok : failed)++;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = since(start);
  std::size_t rss_load = emu.rss_bytes();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * (all.size() - 1))] * 1000; };
  double rps = static_cast<double>(ok.load()) / elapsed;
  fmt::print("emulator: {:.0f} requests/s over loopback ({} clients, {:.1f} s, {} ok, {} failed; "
             "70% GET value, 20% list 100 keys, 10% PUT); latency p50 {:.2f} ms, p99 {:.2f} ms\n",
             rps, clients, elapsed, ok.load(), failed.load(), pct(0.5), pct(0.99));
  fmt::print("emulator: RSS {:.1f} MB with {} keys stored, after the load\n", rss_load / 1e6, keys);
  nlohmann::json summary{{"keys", keys},
                         {"seed_seconds", seed_seconds},
                         {"rss_mb", std::max(rss_start, rss_load) / 1e6},
                         {"requests_per_second", rps},
                         {"p50_ms", pct(0.5)},
                         {"p99_ms", pct(0.99)},
                         {"targets_met", seed_seconds < 5 && std::max(rss_start, rss_load) < 400e6 && rps >= 2000}};
  fmt::print("{}\n", summary.dump());
  return 0;
}
