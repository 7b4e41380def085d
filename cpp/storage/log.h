// Log: one partition's log, a directory of segments (Kafka's UnifiedLog/LocalLog).
//
// Appends go to the active (last) segment, which rolls on segment.bytes, segment.ms, a full
// index, or relative offsets that would overflow. Reads may run concurrently with appends and
// never see a partially written batch. Retention deletes whole segments from the front,
// compaction (log_cleaner.cc) rewrites inactive segments, and recovery (Log::open) repairs
// what a crash left behind. Layout and crash-safety protocol: docs/log-layout.md.
//
// Thread safety: all methods are safe to call concurrently. Appends are serialized among
// themselves; reads run in parallel with appends; truncation, retention, compaction swaps and
// close briefly exclude readers.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "common/types.h"
#include "storage/file.h"
#include "storage/leader_epoch_cache.h"
#include "storage/log_config.h"
#include "storage/log_segment.h"
#include "storage/producer_state.h"

namespace shoal::storage {

struct LogOptions {
  Env* env = Env::posix();
  clock_fn clock = wall_clock_ms;
  // For log lines: "[orders/3]". Defaults to the directory name.
  std::string name;
};

// What an append did (Kafka's LogAppendInfo).
struct LogAppendInfo {
  offset first_offset{-1};
  offset last_offset{-1};
  int64_t max_timestamp = -1;
  offset offset_of_max_timestamp{-1};
  int64_t log_append_time = -1;  // set when the log stamped LogAppendTime
  offset log_start_offset{0};
  int32_t batches = 0;
  int32_t records = 0;
  int64_t bytes = 0;
  // An idempotent producer's retry of a batch the log already has: nothing was appended and
  // the offsets (and LogAppendTime) are those the batch got the first time.
  bool duplicate = false;
};

// Whole batches read from the log (Kafka's FetchDataInfo).
struct FetchDataInfo {
  bytes records;  // zero or more complete batches
  offset log_start_offset{0};
  offset log_end_offset{0};
};

struct CleanerStats {
  int segments_cleaned = 0;
  int64_t bytes_before = 0;
  int64_t bytes_after = 0;
  int64_t records_removed = 0;
  int64_t tombstones_removed = 0;
};

class Log {
 public:
  // Opens the log in `dir` (created if missing), recovering it if the last run did not close
  // it cleanly. Missing or corrupt indexes are rebuilt.
  static result<std::unique_ptr<Log>> open(const fs::path& dir, LogConfig config,
                                           LogOptions opts = {});
  ~Log();

  // Validates `batches` (one or more RecordBatch v2 back to back, as a producer sends them),
  // assigns offsets from the log end, stamps LogAppendTime if the config says so, recompresses
  // if compression.type asks, and appends them atomically: all or nothing. The bytes are
  // modified in place.
  // Errors: CORRUPT_MESSAGE (bad CRC, magic, lengths, malformed records), MESSAGE_TOO_LARGE
  // (a batch over max.message.bytes), RECORD_LIST_TOO_LARGE (over segment.bytes),
  // INVALID_RECORD (empty batch, keyless record on a compacted log, control batch),
  // KAFKA_STORAGE_ERROR (I/O error; the log then refuses appends until reopened), and for
  // idempotent producers (producer_state.h) INVALID_PRODUCER_EPOCH,
  // OUT_OF_ORDER_SEQUENCE_NUMBER, and DUPLICATE_SEQUENCE_NUMBER when one request mixes a
  // retried batch with new ones. A retried batch alone is answered as `duplicate`.
  // `expected_end` >= 0 makes the append conditional: _CONFLICT unless the log ends exactly
  // there (checked after the duplicate check, so a retried batch still gets its offsets).
  result<LogAppendInfo> append_as_leader(std::span<uint8_t> batches, leader_epoch epoch,
                                         offset expected_end = offset(-1));
  // The same, for batches the caller hands over.
  result<LogAppendInfo> append_as_leader(bytes&& batches, leader_epoch epoch,
                                         offset expected_end = offset(-1)) {
    return append_as_leader(std::span<uint8_t>(batches), epoch, expected_end);
  }
  // Appends batches that already carry offsets (a follower copying its leader). Checks
  // structure and CRCs, and that offsets increase from the log end.
  result<LogAppendInfo> append_as_follower(bytes_view batches);

  // Reads whole batches from the one holding `start`, up to `max_bytes` (at least one batch
  // when `min_one`), stopping before `upper` (exclusive; the high watermark for consumers).
  // Errors: OFFSET_OUT_OF_RANGE when start is below the log start or past the log end;
  // CORRUPT_MESSAGE when the first batch fails its CRC.
  result<FetchDataInfo> read(offset start, size_t max_bytes,
                             std::optional<offset> upper = std::nullopt, bool min_one = true) const;

  // The first record at or after the log start whose timestamp is >= ts; nullopt if none.
  result<std::optional<TimestampOffset>> find_offset_by_timestamp(int64_t ts) const;
  // The first record holding the log's largest timestamp (ListOffsets MAX_TIMESTAMP, KIP-734).
  result<std::optional<TimestampOffset>> find_offset_of_max_timestamp() const;

  // Removes every batch that holds an offset >= o (a follower dropping a divergent tail).
  // The log then ends at a batch boundary <= o.
  status truncate_to(offset o);
  // Drops everything and restarts the log empty at `o` (a follower far behind its leader).
  status truncate_fully_and_start_at(offset o);
  // Moves the log start forward (DeleteRecords); whole segments below it are deleted.
  // REQUIRES: o <= the high watermark (the caller's business); fails past the log end.
  result<offset> advance_log_start_offset(offset o);

  // Deletes segments past retention.ms / retention.bytes, or below the log start; never the
  // active segment. Returns the number of segments deleted.
  result<int> delete_old_segments();
  // Compacts the log if cleanup.policy includes compact and the dirty ratio reaches
  // min.cleanable.dirty.ratio (or always, with `force`).
  result<CleanerStats> compact(bool force = false);

  // fsyncs everything up to the log end and advances the recovery point.
  status flush();
  // Applies flush.messages / flush.ms; call after appends and periodically.
  status maybe_flush();
  // Flushes, then writes the clean-shutdown marker. The log is unusable afterwards.
  status close();

  // The leader epoch of the last batch, and where epoch `epoch` ends in this log (KIP-101):
  // the largest epoch <= `epoch` this log knows and the offset after its last record.
  std::optional<int32_t> latest_epoch() const;
  std::optional<std::pair<int32_t, offset>> end_offset_for_epoch(int32_t epoch) const;
  // Records that `epoch` starts at the log end (a new leader does this before appending).
  status assign_epoch(int32_t epoch);

  offset log_start_offset() const { return offset(log_start_.load(std::memory_order_acquire)); }
  offset log_end_offset() const { return offset(log_end_.load(std::memory_order_acquire)); }
  offset recovery_point() const;
  int64_t size_bytes() const;
  size_t segment_count() const;
  std::vector<offset> segment_base_offsets() const;
  const fs::path& dir() const { return dir_; }
  LogConfig config() const;
  void set_config(LogConfig c);
  // An idempotent producer's state in this partition (nullopt: unknown producer).
  std::optional<ProducerEntry> producer_state(int64_t producer_id) const;
  // Writes the producer-state snapshot for the log end now (the log does it at every roll
  // and at close; tests call it directly).
  status take_producer_snapshot();
  // Set once an I/O error stopped appends.
  bool offline() const { return offline_.load(std::memory_order_acquire); }

 private:
  friend class LogCleaner;
  friend class LogLoader;
  Log(fs::path dir, LogConfig config, LogOptions opts);

  using segment_ptr = std::shared_ptr<LogSegment>;

  result<LogAppendInfo> append_locked(std::span<const uint8_t> data, std::vector<BatchMeta>& meta,
                                      LogAppendInfo info, const LogConfig& cfg);
  result<segment_ptr> maybe_roll(size_t incoming_bytes, offset last_offset,
                                 int64_t first_max_timestamp, const LogConfig& cfg);
  result<segment_ptr> roll(offset new_base);
  status flush_locked(offset upto);
  status write_checkpoint_locked();
  status delete_segments_locked(const std::vector<segment_ptr>& doomed);
  segment_ptr active_segment() const;
  status mark_offline(const error& e);
  // KAFKA_STORAGE_ERROR once closed or offline. REQUIRES: write_mu_ held.
  status check_writable_locked() const;
  SegmentOptions segment_options() const;
  // Reloads the producer state: the newest snapshot at or below the log end, then the
  // batches after it. REQUIRES: write_mu_ held, segments_mu_ not held.
  status rebuild_producer_state_locked();
  void update_producer_state_locked(bytes_view batches, const std::vector<BatchMeta>& meta);

  fs::path dir_;
  LogOptions opts_;
  std::string name_;
  mutable std::mutex config_mu_;
  LogConfig config_;

  // Serializes writers: appends, rolls, truncation, retention, swaps, flush, close.
  mutable std::mutex write_mu_;
  // Guards the segment map: shared for readers, exclusive when segments are removed or
  // replaced or the active one is truncated. Appends to the active segment do not take it.
  mutable std::shared_mutex segments_mu_;
  std::map<int64_t, segment_ptr> segments_;
  // Serializes compaction runs, which do most of their work without write_mu_.
  std::mutex cleaner_mu_;

  std::unique_ptr<LeaderEpochCache> epochs_;
  ProducerStateManager producers_;  // guarded by write_mu_
  std::atomic<int64_t> log_start_{0};
  std::atomic<int64_t> log_end_{0};
  offset recovery_point_{0};
  offset cleaner_checkpoint_{0};
  // The earliest delete horizon of a tombstone the cleaner kept; unknown after a restart (0),
  // so the first compaction run then re-examines the log.
  int64_t next_tombstone_horizon_ms_ = 0;
  int64_t unflushed_records_ = 0;
  int64_t last_flush_ms_ = 0;
  std::atomic<bool> offline_{false};
  bool closed_ = false;
};

}  // namespace shoal::storage
