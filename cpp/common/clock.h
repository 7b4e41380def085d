// Wall-clock time in milliseconds, injectable so tests can move time (retention, segment.ms).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace shoal {

using clock_fn = std::function<int64_t()>;

inline int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace shoal
