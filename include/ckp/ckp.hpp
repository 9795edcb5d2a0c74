#pragma once
/// @file
/// Umbrella header: the Cloudflare API model (request builders, response parsers, limits, Result and Error) and the
/// version. Operations (ckp/ops/), the engine (ckp/engine/), transports (ckp/transport/), file I/O (ckp/io/) and the
/// emulator's server model (ckp/emu/) each have their own headers.

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
#include "ckp/version.hpp"
