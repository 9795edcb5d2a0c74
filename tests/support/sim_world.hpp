#pragma once
// A simulated Cloudflare and a client: the emulator's server model behind a SimTransport, and a Scheduler.

#include <memory>
#include <string>

#include "ckp/emu/server.hpp"
#include "ckp/engine/scheduler.hpp"
#include "ckp/transport/sim.hpp"

namespace ckp::test {

inline constexpr const char* sim_token = "sim-token";
inline constexpr const char* sim_account = "0123456789abcdef0123456789abcdef";

/// A server config with one token and account, no faults, and @p latency per call.
inline emu::Config sim_config(Duration latency = std::chrono::milliseconds(100), Duration jitter = Duration{0}) {
  emu::Config c;
  c.tokens = {{sim_token, sim_account}};
  c.latency = {latency, jitter, std::chrono::microseconds(5)};
  return c;
}

struct SimWorld {
  emu::Server server;
  transport::SimTransport sim;
  std::string ns;

  explicit SimWorld(emu::Config config, std::uint64_t seed_keys = 0, std::string prefix = "key/")
      : server(std::move(config)), sim(server, {sim_token}) {
    ns = server.create_namespace(sim_account, "test-ns");
    if (seed_keys) server.seed_keys(ns, prefix, seed_keys);
  }

  std::unique_ptr<engine::Scheduler> scheduler(engine::SchedulerConfig c = {}) {
    return std::make_unique<engine::Scheduler>(sim, std::move(c));
  }
  std::uint64_t keys() { return server.key_count(ns, sim.now()); }
};

}  // namespace ckp::test
