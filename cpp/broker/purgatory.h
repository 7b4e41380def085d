// Requests waiting for something to happen to their partitions (Kafka's purgatory): a fetch
// waiting for fetch.min.bytes to arrive (DelayedFetch), a produce with acks=all waiting for
// the high watermark to pass its records (DelayedProduce). Appends, high-watermark moves and
// leadership changes wake the operations on the partitions involved; a timer answers the
// expired ones.
//
// Thread safety: all methods are safe from any thread; completions run on the calling thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "broker/request_context.h"

namespace shoal::broker {

class Purgatory {
 public:
  // Tries to complete the fetch; `force` means answer with whatever there is. Returns true
  // once it has answered.
  using attempt_fn = std::function<bool(bool force)>;

  // Parks a fetch that reads `partitions` until `deadline_ms` (monotonic).
  void park(std::vector<std::pair<std::string, int32_t>> partitions, int64_t deadline_ms,
            attempt_fn attempt);
  // New data in a partition: retry the fetches reading it.
  void wake(const std::string& topic, int32_t partition);
  // Answers fetches whose deadline passed.
  void expire(int64_t now_ms);
  // Retries every waiting operation (leaderships changed).
  void wake_all();
  // Answers everything (shutdown).
  void flush_all();
  size_t size() const;

 private:
  struct waiting {
    std::set<std::pair<std::string, int32_t>> partitions;
    int64_t deadline_ms;
    attempt_fn attempt;
    std::mutex mu;          // one attempt at a time
    bool answered = false;  // guarded by mu: never answer twice
    bool try_complete(bool force);
  };
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<waiting>> waiting_;
};

}  // namespace shoal::broker
