#pragma once
/// @file
/// The client settings the tuning model compares: fixed concurrency 1, 2, 4 … 64, each adaptive algorithm with
/// LimitConfig's defaults, and LimitConfig{} itself — the default the ≥ 95 % rule judges (see verdict.hpp).

#include <string>
#include <vector>

#include <fmt/format.h>

#include "ckp/engine/limits/make_limit.hpp"

namespace ckp::bench {

/// One limit setting of the sweep.
struct Setting {
  std::string label;  ///< "fixed 8", "gradient2", "default (gradient2)"
  engine::LimitConfig limit;
  bool adaptive = false;
  bool is_default = false;
};

/// fixed 1, 2, 4 … 64, then aimd, gradient2, vegas with LimitConfig's defaults, then LimitConfig{} itself.
inline std::vector<Setting> sweep_settings() {
  std::vector<Setting> out;
  for (int n : {1, 2, 4, 8, 16, 32, 64})
    out.push_back({fmt::format("fixed {}", n), engine::LimitConfig::fixed(n), false, false});
  for (const char* a : {"aimd", "gradient2", "vegas"}) {
    engine::LimitConfig c;
    c.algorithm = a;
    out.push_back({a, c, true, false});
  }
  const engine::LimitConfig d{};
  out.push_back({fmt::format("default ({})", d.algorithm), d, true, true});
  return out;
}

}  // namespace ckp::bench
