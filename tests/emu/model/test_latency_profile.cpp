// Latency per kind of call (emu/latency_profile.hpp): every endpoint has a kind, and the realistic profile gives
// each kind its base and per-item time, plus jitter.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "ckp/api/kv.hpp"
#include "ckp/emu/latency_profile.hpp"
#include "model/support.hpp"

using namespace ckp;
using namespace ckp::emu_test;
using std::chrono::milliseconds;

TEST_CASE("call_kind: every endpoint has the kind its latency is drawn for") {
  CHECK(emu::call_kind(emu::Endpoint::kv_keys_list) == emu::CallKind::list);
  CHECK(emu::call_kind(emu::Endpoint::zones_list) == emu::CallKind::list);
  CHECK(emu::call_kind(emu::Endpoint::kv_bulk_write) == emu::CallKind::bulk_write);
  CHECK(emu::call_kind(emu::Endpoint::kv_bulk_delete) == emu::CallKind::bulk_delete);
  CHECK(emu::call_kind(emu::Endpoint::kv_bulk_delete_legacy) == emu::CallKind::bulk_delete);
  CHECK(emu::call_kind(emu::Endpoint::kv_bulk_get) == emu::CallKind::bulk_get);
  CHECK(emu::call_kind(emu::Endpoint::kv_value_get) == emu::CallKind::value);
  CHECK(emu::call_kind(emu::Endpoint::kv_metadata_get) == emu::CallKind::value);
  CHECK(emu::call_kind(emu::Endpoint::purge) == emu::CallKind::purge);
  CHECK(emu::call_kind(emu::Endpoint::kv_namespace_create) == emu::CallKind::other);
  CHECK(emu::call_kind(emu::Endpoint::none) == emu::CallKind::other);
}

TEST_CASE("realistic profile: each kind of call takes its own base, per-item time and jitter") {
  emu::Config c = config();
  c.latency = emu::realistic_latency();
  Harness h(c);
  auto within = [](Duration got, Duration low, Duration jitter) {
    CAPTURE(got.count());
    CHECK(got >= low);
    CHECK(got < low + jitter);
  };
  const Duration jitter = milliseconds(40);

  within(h.send(api::kv::list_keys(account, h.ns, {"", "", 1000})).delay, milliseconds(150), jitter);
  within(h.send(api::kv::read_value(account, h.ns, "missing")).delay, milliseconds(80), jitter);

  std::vector<std::string> keys;
  for (int i = 0; i < 10'000; ++i) keys.push_back("k/" + std::to_string(i));
  // 10,000 keys deleted: 200 ms + 0.1 ms each.
  within(h.send(api::kv::bulk_delete(account, h.ns, keys)).delay, milliseconds(1200), jitter);

  // A flat model still applies to every kind alike.
  h.server.set_latency({milliseconds(30), {}, {}, 0});
  CHECK(h.send(api::kv::list_keys(account, h.ns, {"", "", 1000})).delay == milliseconds(30));
  CHECK(h.send(api::kv::read_value(account, h.ns, "missing")).delay == milliseconds(30));
}
