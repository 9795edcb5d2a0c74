#pragma once
/// @file
/// Latency per kind of call: which kind each endpoint is, and the `realistic` profile that the e2e benchmarks and
/// `cache-kv-purger emulator --latency-profile realistic` use next to a flat latency.
///
/// The realistic figures are ASSUMPTIONS, not measurements: this project has no account to measure Cloudflare
/// from, and Cloudflare publishes no per-endpoint latencies. They are round numbers of the order users report for
/// the client API from a well-connected machine (a list page "around 100 ms or more"; bulk calls that grow with
/// the keys they carry), chosen so that what binds in a benchmark is what would bind against Cloudflare: the list
/// chain for listings, round trips for bulk calls, the buckets for purges. docs/emulator.md lists them with this
/// caveat; change them here when better figures exist.
///
/// Example:
/// ```
/// ckp::emu::Config config;
/// config.latency = ckp::emu::realistic_latency();   // lists 150 ms, bulk deletes 200 ms + 0.1 ms per key, …
/// ```

#include <chrono>
#include <cstddef>

#include "ckp/emu/config.hpp"
#include "ckp/emu/routes.hpp"

namespace ckp::emu {

/// The kind of call @p e is, for a per-kind latency profile.
constexpr CallKind call_kind(Endpoint e) noexcept {
  switch (e) {
    case Endpoint::kv_namespaces_list:
    case Endpoint::kv_keys_list:
    case Endpoint::zones_list: return CallKind::list;
    case Endpoint::kv_bulk_write: return CallKind::bulk_write;
    case Endpoint::kv_bulk_delete:
    case Endpoint::kv_bulk_delete_legacy: return CallKind::bulk_delete;
    case Endpoint::kv_bulk_get: return CallKind::bulk_get;
    case Endpoint::kv_value_get:
    case Endpoint::kv_value_put:
    case Endpoint::kv_value_delete:
    case Endpoint::kv_metadata_get: return CallKind::value;
    case Endpoint::purge: return CallKind::purge;
    default: return CallKind::other;
  }
}

/// The `realistic` profile (assumed figures; see the file's comment), with 40 ms of jitter on every call:
///
/// | kind | base | per item |
/// |---|---:|---:|
/// | list (1,000 keys, 50 zones) | 150 ms | — |
/// | bulk write | 250 ms | 0.25 ms per pair (10,000 pairs: 2.75 s) |
/// | bulk delete | 200 ms | 0.1 ms per key (10,000 keys: 1.2 s) |
/// | bulk get | 120 ms | 1 ms per key (100 keys: 220 ms) |
/// | one value | 80 ms | — |
/// | purge | 150 ms | — |
/// | other | 100 ms | — |
inline LatencyModel realistic_latency() {
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  LatencyModel m;
  m.jitter = milliseconds(40);
  m.by_kind.resize(call_kinds);
  auto set = [&m](CallKind kind, Duration base, Duration per_item) {
    m.by_kind[static_cast<std::size_t>(kind)] = {base, per_item};
  };
  set(CallKind::list, milliseconds(150), Duration{0});
  set(CallKind::bulk_write, milliseconds(250), microseconds(250));
  set(CallKind::bulk_delete, milliseconds(200), microseconds(100));
  set(CallKind::bulk_get, milliseconds(120), milliseconds(1));
  set(CallKind::value, milliseconds(80), Duration{0});
  set(CallKind::purge, milliseconds(150), Duration{0});
  set(CallKind::other, milliseconds(100), Duration{0});
  return m;
}

}  // namespace ckp::emu
