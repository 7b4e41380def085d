// LeaderEpochCache: which leader epoch wrote which offsets of a partition's log (Kafka's
// LeaderEpochFileCache, KIP-101). Each entry (epoch, start offset) says that the leader of
// `epoch` wrote from `start offset` on. A follower whose log diverged from its new leader's
// asks "where did my last epoch end on your side?" and truncates there, instead of trusting
// the high watermark. Stored in the partition directory as leader-epoch-checkpoint, one
// "epoch start_offset" line per entry, replaced atomically.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <mutex>
#include <optional>
#include <vector>

#include "common/result.h"
#include "common/types.h"
#include "storage/file.h"

namespace shoal::storage {

struct EpochEntry {
  int32_t epoch = 0;
  offset start{0};
  bool operator==(const EpochEntry&) const = default;
};

class LeaderEpochCache {
 public:
  LeaderEpochCache(Env* env, fs::path file) : env_(env), file_(std::move(file)) {}

  // Loads the checkpoint; nullopt when it is missing or unreadable (the caller rebuilds).
  result<bool> load();
  // Records that `epoch` starts at `start`. Ignored unless epoch is newer than the latest one;
  // an entry at the same start offset as the latest is replaced.
  status assign(int32_t epoch, offset start);
  // The largest epoch <= `epoch` and the offset where it ends (the next epoch's start, or
  // `log_end` for the latest). nullopt when every known epoch is newer than `epoch`.
  std::optional<std::pair<int32_t, offset>> end_offset_for(int32_t epoch, offset log_end) const;
  // Drops entries that start at or after `o` (the log was truncated to o).
  status truncate_from_end(offset o);
  // Moves the first entry's start up to `o` (the log start advanced), dropping entries that
  // end before it.
  status truncate_from_start(offset o);
  std::optional<EpochEntry> latest() const;
  std::vector<EpochEntry> entries() const;
  status clear();

 private:
  status save_locked();
  Env* env_;
  fs::path file_;
  mutable std::mutex mu_;
  std::vector<EpochEntry> entries_;
};

}  // namespace shoal::storage
