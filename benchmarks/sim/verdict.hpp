#pragma once
/// @file
/// The ≥ 95 % rule (issue 7) over one (workload, profile) of the tuning model: the default adaptive setting reaches
/// at least 95 % of the best fixed setting's throughput, with no lockout.

#include <cstdint>
#include <vector>

#include "cell_runner.hpp"

namespace ckp::bench {

/// The rule's inputs and outcome for one (workload, profile): the default adaptive setting against the best fixed one.
struct Verdict {
  double best_fixed = 0;  ///< the best fixed setting's throughput, items per virtual second
  int best_fixed_n = 0;   ///< its concurrency (ties: the smallest)
  double default_throughput = 0;
  std::uint64_t default_lockouts = 0;
  double share() const { return best_fixed > 0 ? default_throughput / best_fixed : 0; }
  bool holds() const { return default_lockouts == 0 && share() >= 0.95; }
};

/// The verdict over @p cells, the cells of one (workload, profile), in sweep order.
inline Verdict verdict(const std::vector<CellResult>& cells) {
  Verdict v;
  for (const auto& c : cells) {
    if (!c.adaptive && c.throughput > v.best_fixed) {
      v.best_fixed = c.throughput;
      v.best_fixed_n = c.fixed;
    }
    if (c.is_default) {
      v.default_throughput = c.throughput;
      v.default_lockouts = c.lockouts;
    }
  }
  return v;
}

}  // namespace ckp::bench
