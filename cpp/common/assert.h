// Invariant checks that log through spdlog and abort. For states the code must never reach,
// not for bad input (bad input gets a result<T> error, see result.h).
#pragma once

#include <fmt/format.h>

namespace shoal::detail {
[[noreturn]] void assert_failed(const char* cond, const char* file, int line,
                                const std::string& msg);
}  // namespace shoal::detail

#define SHOAL_ASSERT(cond, ...)                                                               \
  do {                                                                                        \
    if (!(cond)) [[unlikely]] {                                                               \
      ::shoal::detail::assert_failed(#cond, __FILE__, __LINE__, fmt::format("" __VA_ARGS__)); \
    }                                                                                         \
  } while (0)
