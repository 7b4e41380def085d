// Futex waits and wakes on 32-bit words in shared memory: how a sleeping process is woken
// without anyone spinning. Every wait is bounded.
#pragma once

#include <atomic>
#include <climits>
#include <cstdint>

namespace shoal::ipc {

// Sleeps while *word == expected, at most timeout_ms (0: just check). Returns false on
// timeout; true when woken or when the word no longer holds `expected` (spurious wake-ups
// are possible: callers re-check their condition).
bool futex_wait(const std::atomic<uint32_t>* word, uint32_t expected, int64_t timeout_ms);
void futex_wake(const std::atomic<uint32_t>* word, int count = INT_MAX);

}  // namespace shoal::ipc
