// Idempotent producers' state in one partition (Kafka's ProducerStateManager): for every
// producer id, its epoch and the metadata of its last few batches. The leader checks each
// batch of an idempotent producer against it before appending, so that a retried batch is
// recognised (and answered with the offsets it got the first time) and a batch that skips a
// sequence number is refused; followers and log recovery replay batches into it without
// checks.
//
// Rules (ProducerStateManager.checkProducerEpoch / checkSequence in Kafka):
//   - producer id -1: not idempotent, nothing is checked or kept;
//   - an epoch older than the producer's: INVALID_PRODUCER_EPOCH;
//   - a newer epoch: the batch must start at sequence 0 (the producer reset its sequences);
//   - the same epoch: a batch equal (first and last sequence) to one of the last
//     `retained_batches` is a duplicate; otherwise it must start right after the last one,
//     or OUT_OF_ORDER_SEQUENCE_NUMBER;
//   - an unknown producer (never seen, or forgotten) may start at any sequence (KIP-360).
// Sequences wrap from INT32_MAX to 0.
//
// The state is saved in snapshots, `<20-digit offset>.snapshot` in the partition directory:
// the state after every batch below that offset (written at segment rolls and clean close).
// Opening a log loads the newest snapshot at or below its end and replays the batches after
// it. The format is in docs/log-layout.md.
//
// Thread safety: none; the log calls it under its write lock.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "common/types.h"
#include "storage/file.h"

namespace shoal::storage {

struct ProducerBatch {
  int32_t first_seq = 0;
  int32_t last_seq = 0;
  offset first_offset{0};
  offset last_offset{0};
  int64_t max_timestamp = -1;
};

struct ProducerEntry {
  int16_t epoch = -1;
  std::deque<ProducerBatch> batches;  // oldest first, at most retained_batches
  int64_t last_timestamp = -1;        // of the last batch, for expiry
};

// The identity of a batch as the checks need it.
struct ProducerBatchKey {
  int64_t producer_id = -1;
  int16_t epoch = -1;
  int32_t first_seq = -1;
  int32_t records = 0;
  int32_t last_seq() const;
};

// The sequence `n` steps after `seq`, wrapping past INT32_MAX to 0.
int32_t sequence_add(int32_t seq, int32_t n);

class ProducerStateManager {
 public:
  static constexpr size_t retained_batches = 5;
  // Kafka's producer.id.expiration.ms default: producers idle this long are forgotten when
  // the next snapshot is taken.
  static constexpr int64_t expiration_ms = 86'400'000;

  // Checks the batches of one leader append, in order (several batches of one producer in
  // one append must follow each other). Returns, per batch, the original of a duplicate
  // (nullopt: new). Errors: INVALID_PRODUCER_EPOCH, OUT_OF_ORDER_SEQUENCE_NUMBER.
  result<std::vector<std::optional<ProducerBatch>>> check(
      const std::vector<ProducerBatchKey>& batches) const;

  // Records an appended batch (leader, follower, and replay alike). Ignores producer id -1.
  void update(const ProducerBatchKey& key, offset first, offset last, int64_t max_timestamp);

  // The state after every batch below `end` (what was appended so far, at the log end).
  offset map_end() const { return map_end_; }
  void set_map_end(offset o) { map_end_ = o; }
  void clear(offset end);
  const ProducerEntry* entry(int64_t producer_id) const;
  size_t size() const { return producers_.size(); }

  // Writes the snapshot for map_end() (forgetting producers idle past expiration_ms first).
  status take_snapshot(Env* env, const fs::path& dir, int64_t now_ms);
  // Loads the newest valid snapshot at or below `upto`, deleting newer and unreadable ones.
  // Returns whether one was loaded (the state is empty at `floor` otherwise).
  result<bool> load_snapshot(Env* env, const fs::path& dir, offset upto, offset floor);
  // Deletes snapshots above `o` (after a truncation), or below `o` except the newest of those
  // (after retention moved the log start).
  static status delete_snapshots_after(Env* env, const fs::path& dir, offset o);
  static status delete_snapshots_before(Env* env, const fs::path& dir, offset o);
  static std::vector<offset> list_snapshots(Env* env, const fs::path& dir);

 private:
  std::unordered_map<int64_t, ProducerEntry> producers_;
  offset map_end_{0};
};

}  // namespace shoal::storage
