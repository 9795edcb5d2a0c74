#pragma once
/// @file
/// The concurrency-tuning model, shared by the sweep benchmark (benchmarks/sim/concurrency_sweep.cpp) and its test
/// (tests/engine/sim/test_sim_tuning.cpp). Everything is deterministic: the same cell gives the same numbers, event
/// for event. One header per job:
///
/// - workloads.hpp: what the user asks for (delete by prefix, delete from a keys file, export, purge URLs, purge
///   tags) and the calls each makes;
/// - profiles.hpp: what the API does — an emu::Config (latency and capacity, the global limit, the plan, faults)
///   plus changes part-way through a run — and how big each workload is under each profile;
/// - bounds.hpp: the ideal client each cell is compared with, and which limit binds it;
/// - settings.hpp: the client settings compared (fixed 1…64, each adaptive algorithm, the default);
/// - cell_runner.hpp: runs one (workload, profile, setting) cell against emu::Server with keyed draws;
/// - verdict.hpp: the ≥ 95 % rule over one (workload, profile).
///
/// The server side is the emulator's own model, configured, not re-implemented: latency, capacity, faults and their
/// keyed draws are emu::Config's (see emu::LatencyModel::capacity and emu::DrawMode::keyed).

#include "bounds.hpp"
#include "cell_runner.hpp"
#include "profiles.hpp"
#include "settings.hpp"
#include "verdict.hpp"
#include "workloads.hpp"
