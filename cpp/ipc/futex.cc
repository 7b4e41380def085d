#include "ipc/futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace shoal::ipc {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));

bool futex_wait(const std::atomic<uint32_t>* word, uint32_t expected, int64_t timeout_ms) {
  if (word->load(std::memory_order_acquire) != expected) return true;
  if (timeout_ms <= 0) return false;
  struct timespec ts;
  ts.tv_sec = timeout_ms / 1000;
  ts.tv_nsec = (timeout_ms % 1000) * 1000000;
  // Not FUTEX_PRIVATE_FLAG: the word lives in memory shared between processes.
  long rc = ::syscall(SYS_futex, reinterpret_cast<const uint32_t*>(word), FUTEX_WAIT, expected, &ts,
                      nullptr, 0);
  if (rc == 0) return true;
  return errno != ETIMEDOUT;
}

void futex_wake(const std::atomic<uint32_t>* word, int count) {
  ::syscall(SYS_futex, reinterpret_cast<const uint32_t*>(word), FUTEX_WAKE, count, nullptr, nullptr,
            0);
}

}  // namespace shoal::ipc
