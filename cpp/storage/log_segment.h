// LogSegment: one set of files of a partition's log: <base>.log holding record batches back
// to back, and its sparse <base>.index and <base>.timeindex.
//
// Thread safety: one writer at a time (append, truncate_to, recover, flush, rename, remove),
// serialized by the Log; readers (read, find_*) may run concurrently with append and only see
// batches whose bytes are completely written (size() and next_offset() are published after the
// write). Truncation and removal require that no reader is active (the Log's exclusive lock).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "common/result.h"
#include "common/types.h"
#include "storage/file.h"
#include "storage/index.h"
#include "storage/record_batch.h"

namespace shoal::storage {

// What the log knows about each batch it hands to LogSegment::append.
struct BatchMeta {
  offset base;
  offset last;
  int64_t max_timestamp = -1;
  size_t position = 0;  // within the appended bytes
  size_t size = 0;
};

struct SegmentOptions {
  size_t index_max_bytes = 10 << 20;    // segment.index.bytes
  int32_t index_interval_bytes = 4096;  // index.interval.bytes
};

class LogSegment {
 public:
  // Creates empty files <base>.log, .index, .timeindex (plus `extra_suffix`, e.g. ".cleaned").
  static result<std::unique_ptr<LogSegment>> create(Env* env, const fs::path& dir, offset base,
                                                    SegmentOptions opts, int64_t now_ms,
                                                    std::string_view extra_suffix = {});
  // Opens existing files (creating missing index files). Nothing is loaded: call
  // load_indexes() and load_tail(), or recover().
  static result<std::unique_ptr<LogSegment>> open(Env* env, const fs::path& dir, offset base,
                                                  SegmentOptions opts,
                                                  std::string_view extra_suffix = {});
  ~LogSegment();

  offset base_offset() const { return base_; }
  int64_t size() const { return size_.load(std::memory_order_acquire); }
  // One past the last offset in this segment; base_offset() when empty.
  offset next_offset() const { return offset(next_offset_.load(std::memory_order_acquire)); }
  // Largest timestamp of any batch, -1 when empty (Kafka's largestTimestamp).
  int64_t max_timestamp() const { return max_timestamp_.load(std::memory_order_acquire); }
  // The time segment.ms counts from: the first batch's max timestamp, else creation time.
  int64_t rolling_timestamp() const { return rolling_ts_ >= 0 ? rolling_ts_ : created_ms_; }
  fs::path log_path() const;
  bool has_time_index_entries() const { return time_index_.entries() > 0; }
  // Whether the next append would overflow an index or relative offsets.
  bool indexes_full() const {
    return offset_index_.full() || time_index_.entries() + 1 >= time_index_.max_entries();
  }

  // Appends validated batches lying back to back in `data`, described by `meta`. On an I/O
  // error nothing is published, the file is cut back, and the error is returned.
  status append(bytes_view data, std::span<const BatchMeta> meta);

  // Reads whole batches starting with the one that contains `start` (or the first after it),
  // stopping before `upper` (exclusive), within `max_bytes` unless the first batch alone is
  // larger and `min_one` is set. Appends them to `out`. Every batch's CRC is checked; a corrupt
  // first batch is an error, a later one ends the read before it. Returns the number of bytes
  // appended; 0 means nothing at or after `start` below `upper` in this segment.
  result<size_t> read(offset start, size_t max_bytes, offset upper, bool min_one, bytes& out) const;

  // Calls fn with every batch, in order, each checked with validate_batch(). Stops at the
  // first error (from fn, I/O, or a corrupt batch).
  status for_each_batch(const std::function<status(bytes_view)>& fn) const;
  // The timestamp retention compares: max_timestamp(), or the file's mtime when no batch has
  // a timestamp (as Kafka does).
  result<int64_t> retention_timestamp() const;

  // The first record at or after `start` whose timestamp is >= `ts`.
  result<std::optional<TimestampOffset>> find_offset_by_timestamp(int64_t ts, offset start) const;

  // Loads the index files; fails on any inconsistency (the caller then recovers).
  status load_indexes();
  // After load_indexes(): finds the end of the log by scanning from the last index entry,
  // checking each batch. Returns false if it met anything invalid (the caller then recovers).
  result<bool> load_tail();

  struct RecoverResult {
    int64_t truncated_bytes = 0;
    std::string reason;  // why the scan stopped early; empty when the whole file was valid
  };
  // Rescans the whole file: validates every batch (CRC, structure, increasing offsets),
  // rebuilds both indexes, and cuts the file at the first invalid byte.
  result<RecoverResult> recover(offset min_base_offset);

  // Drops every batch that holds an offset >= o; the segment then ends at a batch boundary.
  // Returns the number of bytes removed.
  result<int64_t> truncate_to(offset o);

  // Writes the indexes and fsyncs all three files.
  status flush();
  // Writes the indexes to the files (no fsync).
  status write_indexes();
  // Adds the final time-index entry, as Kafka does when a segment stops being active.
  void on_become_inactive();

  // Renames the three files from <name><from> to <name><to> (suffixes like ".cleaned").
  status rename_suffix(std::string_view from, std::string_view to);
  status remove_files();

 private:
  LogSegment(Env* env, fs::path dir, offset base, SegmentOptions opts, std::unique_ptr<File> log,
             std::unique_ptr<File> index, std::unique_ptr<File> time_index);

  // Position of the batch holding `o` or the first after it, scanning headers from the
  // index; nullopt if there is none below `limit`.
  result<std::optional<int64_t>> find_position(offset o, int64_t limit) const;
  // Adds index entries for the batch at `pos` once index.interval.bytes have passed since the
  // last ones (Kafka's rule); the time entry holds the largest timestamp so far.
  void index_batch(offset base, int64_t pos, int64_t size);
  // Recomputes max_timestamp_ after a truncation.
  status recompute_max_timestamp();

  Env* env_;
  fs::path dir_;
  offset base_;
  SegmentOptions opts_;
  std::unique_ptr<File> log_;
  std::unique_ptr<File> index_file_;
  std::unique_ptr<File> time_index_file_;
  OffsetIndex offset_index_;
  TimeIndex time_index_;
  std::atomic<int64_t> size_{0};
  std::atomic<int64_t> next_offset_;
  std::atomic<int64_t> max_timestamp_{-1};
  offset offset_of_max_timestamp_{-1};
  int64_t bytes_since_index_entry_ = 0;
  int64_t rolling_ts_ = -1;
  int64_t created_ms_ = 0;
  bool indexes_missing_ = false;  // opened with index files absent: load_indexes() fails
  std::string suffix_;            // extra suffix the files carry now (".cleaned", ".swap", or none)
};

}  // namespace shoal::storage
