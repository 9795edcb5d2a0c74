#pragma once
/// @file
/// A Limit that never changes: for users who know their number, and as the baseline in benchmarks.

#include <algorithm>

#include "ckp/engine/limit.hpp"

namespace ckp::engine {

/// Always allows `limit` calls in flight.
class FixedLimit final : public Limit {
 public:
  /// Allows @p limit calls in flight (at least 1).
  explicit FixedLimit(int limit) : limit_(std::max(1, limit)) {}
  int current() const override { return limit_; }
  void on_sample(const Sample&) override {}
  std::string_view name() const override { return "fixed"; }

 private:
  int limit_;
};

}  // namespace ckp::engine
