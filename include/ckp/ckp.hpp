#pragma once
/// @file
/// Umbrella header: the whole public API — the Cloudflare API model (ckp/api/), the engine (ckp/engine/), whole
/// operations and their registry (ckp/ops/), the Transport concept and the virtual-time SimTransport with the
/// emulator's server model behind it (ckp/transport/, ckp/emu/), file inputs, outputs and journals (ckp/io/), and the
/// version. Two transports need a platform library and are included on their own: ckp/transport/httplib.hpp
/// (cpp-httplib, native) and ckp/transport/fetch.hpp (Emscripten, the browser).

/// @mainpage ckp: the engine of cache-kv-purger
///
/// A header-only C++20 engine for Cloudflare cache purges and Workers KV at scale. It does no I/O of its own: a
/// Transport sends its requests and gives it the time, so the same code runs natively, in the browser and in
/// virtual time.
///
/// Where to start:
/// - whole operations: ckp::ops::KvDelete, ckp::ops::KvExport, ckp::ops::KvImport, ckp::ops::Purge,
///   ckp::ops::SyncPurge, run with ckp::ops::run() and configured by ckp::ops::OpOptions;
/// - the scheduler they run on: ckp::engine::Scheduler (concurrency ckp::engine::Limit, ckp::engine::RateGovernor,
///   ckp::engine::RetryPolicy);
/// - transports: the ckp::transport::Transport concept, ckp::transport::HttplibTransport,
///   ckp::transport::SimTransport, ckp::transport::FetchTransport;
/// - single API calls: the builders and parsers in ckp::api::kv, ckp::api::zones and ckp::api::purge, returning
///   ckp::Result with a ckp::Error;
/// - testing: the emulator's server model ckp::emu::Server behind a SimTransport.
///
/// Guides (in the repository): docs/library.md (using the library, with examples that compile), docs/architecture.md
/// (how a request flows through the parts), docs/performance.md.

#include "ckp/api.hpp"
#include "ckp/api/text.hpp"
#include "ckp/emu/server.hpp"
#include "ckp/engine/batch_runner.hpp"
#include "ckp/engine/cancel.hpp"
#include "ckp/engine/error_policy.hpp"
#include "ckp/engine/journal.hpp"
#include "ckp/engine/limits/make_limit.hpp"
#include "ckp/engine/progress.hpp"
#include "ckp/engine/rate_governor.hpp"
#include "ckp/engine/retry.hpp"
#include "ckp/engine/scheduler.hpp"
#include "ckp/engine/watermark.hpp"
#include "ckp/io/file_journal.hpp"
#include "ckp/io/file_reader.hpp"
#include "ckp/io/file_sink.hpp"
#include "ckp/io/records.hpp"
#include "ckp/io/sink.hpp"
#include "ckp/ops/all_pages.hpp"
#include "ckp/ops/key_selection.hpp"
#include "ckp/ops/registry.hpp"
#include "ckp/ops/value_reader.hpp"
#include "ckp/ops/zone_directory.hpp"
#include "ckp/transport/sim.hpp"
#include "ckp/transport/transport.hpp"
#include "ckp/version.hpp"
