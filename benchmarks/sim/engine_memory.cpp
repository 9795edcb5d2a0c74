// Benchmark: peak memory of the engine during a streaming delete of 100,000 and of 1,000,000 keys, in virtual time.
//
// The simulated server (its key store) lives in the same process, so process RSS would measure the store. Instead,
// every allocation is tagged with who made it — the server model (while it handles a request or is seeded) or the
// engine (everything else) — and the engine's live bytes are tracked to their peak. Memory the server allocates and
// hands to the engine (response bodies) counts as the server's.
//
// Usage: engine_memory [keys...]   (default: 100000 1000000)

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "ckp/ops/kv_delete.hpp"
#include "ckp/transport/sim.hpp"

namespace {

enum Owner : std::uint32_t { engine_owner = 0, server_owner = 1 };
thread_local Owner current_owner = engine_owner;
std::size_t live[2] = {0, 0};
std::size_t peak[2] = {0, 0};

struct alignas(std::max_align_t) Tag {
  std::size_t size;
  Owner owner;
};

void* tagged_alloc(std::size_t n) {
  auto* tag = static_cast<Tag*>(std::malloc(sizeof(Tag) + n));
  if (!tag) throw std::bad_alloc();
  tag->size = n;
  tag->owner = current_owner;
  live[tag->owner] += n;
  if (live[tag->owner] > peak[tag->owner]) peak[tag->owner] = live[tag->owner];
  return tag + 1;
}

void tagged_free(void* p) noexcept {
  if (!p) return;
  Tag* tag = static_cast<Tag*>(p) - 1;
  live[tag->owner] -= tag->size;
  std::free(tag);
}

struct ServerScope {
  Owner saved = current_owner;
  ServerScope() { current_owner = server_owner; }
  ~ServerScope() { current_owner = saved; }
};

}  // namespace

void* operator new(std::size_t n) { return tagged_alloc(n); }
void* operator new[](std::size_t n) { return tagged_alloc(n); }
void operator delete(void* p) noexcept { tagged_free(p); }
void operator delete[](void* p) noexcept { tagged_free(p); }
void operator delete(void* p, std::size_t) noexcept { tagged_free(p); }
void operator delete[](void* p, std::size_t) noexcept { tagged_free(p); }

int main(int argc, char** argv) {
  using namespace ckp;
  std::vector<std::uint64_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::strtoull(argv[i], nullptr, 10));
  if (sizes.empty()) sizes = {100'000, 1'000'000};

  std::printf("%-10s %14s %14s %12s %10s\n", "keys", "engine peak", "server peak", "virtual s", "requests");
  std::vector<std::size_t> peaks;
  for (auto n : sizes) {
    emu::Config config;
    config.tokens = {{"t", "0123456789abcdef0123456789abcdef"}};
    config.latency = {std::chrono::milliseconds(100), std::chrono::milliseconds(20), std::chrono::microseconds(5)};
    std::string ns;
    auto server = [&] {
      ServerScope scope;
      auto s = std::make_unique<emu::Server>(config);
      ns = s->create_namespace("0123456789abcdef0123456789abcdef", "bench");
      s->seed_keys(ns, "old/", n);
      return s;
    }();
    transport::SimTransport sim(
        [&](const api::Request& r, Instant t) {
          ServerScope scope;
          return server->handle(r, t);
        },
        {"t"});
    peak[engine_owner] = live[engine_owner];
    const std::size_t engine_base = live[engine_owner];
    std::uint64_t requests = 0;
    double seconds = 0;
    {
      engine::Scheduler scheduler(sim);
      ops::KvDeleteSpec spec;
      spec.account_id = "0123456789abcdef0123456789abcdef";
      spec.namespace_id = ns;
      spec.select.prefix = "old/";
      ops::KvDelete op(scheduler, spec, {.progress_interval = std::chrono::seconds(10)});
      const Instant start = sim.now();
      auto report = ops::run(sim, op);
      seconds = to_seconds(sim.now() - start);
      requests = report.requests.sent;
      if (report.done != n) {
        std::fprintf(stderr, "delete of %llu keys confirmed only %llu\n", static_cast<unsigned long long>(n),
                     static_cast<unsigned long long>(report.done));
        return 1;
      }
    }
    const std::size_t engine_peak = peak[engine_owner] - engine_base;
    peaks.push_back(engine_peak);
    std::printf("%-10llu %11.2f MB %11.2f MB %12.1f %10llu\n", static_cast<unsigned long long>(n), engine_peak / 1e6,
                peak[server_owner] / 1e6, seconds, static_cast<unsigned long long>(requests));
    {
      ServerScope scope;
      server.reset();
    }
    peak[server_owner] = live[server_owner];
  }
  if (peaks.size() >= 2)
    std::printf("engine peak, largest vs smallest run: %.3fx (target: within 1.10x)\n",
                static_cast<double>(peaks.back()) / static_cast<double>(peaks.front()));
  return 0;
}
