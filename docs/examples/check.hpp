#pragma once
// The examples' assertions: each check prints "ok" or "FAIL" with what it checks; an example exits non-zero when
// any check failed (`return examples::failures == 0 ? 0 : 1;`).
#include <cstdio>

namespace examples {

inline int failures = 0;

inline void check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

}  // namespace examples
