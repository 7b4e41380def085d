// A segment's sparse indexes. OffsetIndex maps an offset to the file position of the batch
// that starts at it; TimeIndex maps a timestamp to the offset from which all later records
// are at least that recent. Entry formats are in docs/log-layout.md.
//
// The entries live in memory while the segment is open (a reserved, never-moving array, so
// readers can search while the one appender adds entries) and are written to the index file
// at flush, roll and close. A crash can leave the file short or garbled: load() checks it and
// the caller rebuilds the index from the log when it fails.
//
// Thread safety: one writer (append, truncate_to, clear, load, write_to) serialized by the
// caller; lookups may run concurrently with append.
#pragma once

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <optional>

#include "common/result.h"
#include "common/types.h"
#include "storage/file.h"

namespace shoal::storage {

struct OffsetPosition {
  offset off;
  int32_t position = 0;
};

struct TimestampOffset {
  int64_t timestamp = -1;
  offset off{-1};
};

namespace detail {

// A fixed-capacity array whose pages are reserved but only backed by memory when touched,
// like Kafka's preallocated, memory-mapped index files.
template <typename T>
class ReservedArray {
 public:
  explicit ReservedArray(size_t capacity) : capacity_(capacity) {
    if (capacity_ == 0) return;
    void* p = ::mmap(nullptr, capacity_ * sizeof(T), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    SHOAL_ASSERT(p != MAP_FAILED, "cannot reserve {} bytes for an index", capacity_ * sizeof(T));
    data_ = static_cast<T*>(p);
  }
  ~ReservedArray() {
    if (data_ != nullptr) ::munmap(data_, capacity_ * sizeof(T));
  }
  ReservedArray(const ReservedArray&) = delete;
  ReservedArray& operator=(const ReservedArray&) = delete;

  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  size_t capacity() const { return capacity_; }

 private:
  T* data_ = nullptr;
  size_t capacity_;
};

}  // namespace detail

class OffsetIndex {
 public:
  static constexpr size_t entry_size = 8;  // int32 relative offset, int32 position

  // `max_bytes` is segment.index.bytes: the index holds max_bytes / 8 entries.
  OffsetIndex(offset base, size_t max_bytes);

  size_t entries() const { return count_.load(std::memory_order_acquire); }
  size_t max_entries() const { return entries_.capacity(); }
  bool full() const { return entries() >= max_entries(); }

  // REQUIRES: !full(), o > last entry's offset, position > last entry's position.
  void append(offset o, int32_t position);
  // The entry with the largest offset <= target, or {base, 0}.
  OffsetPosition lookup(offset target) const;
  std::optional<OffsetPosition> last_entry() const;
  // Drops entries with offset >= o.
  void truncate_to(offset o);
  void clear();

  // Loads entries from `f` and sanity-checks them against the log's size. On error the index
  // is left empty and the caller rebuilds it.
  status load(const File& f, int64_t log_size);
  // Brings the file up to date with the in-memory entries (appends or truncates).
  status write_to(File& f);

 private:
  struct entry {
    int32_t relative_offset;
    int32_t position;
  };
  offset base_;
  detail::ReservedArray<entry> entries_;
  std::atomic<size_t> count_{0};
  size_t written_ = 0;          // leading entries the file holds as they are in memory
  bool file_too_long_ = false;  // the file holds entries past written_ that were dropped
};

class TimeIndex {
 public:
  static constexpr size_t entry_size = 12;  // int64 timestamp, int32 relative offset

  TimeIndex(offset base, size_t max_bytes);

  size_t entries() const { return count_.load(std::memory_order_acquire); }
  size_t max_entries() const { return entries_.capacity(); }
  bool full() const { return entries() >= max_entries(); }

  // Adds (ts, o) if ts is larger than the last entry's timestamp; otherwise does nothing.
  // REQUIRES: !full() when it would add.
  void maybe_append(int64_t ts, offset o);
  // The entry with the largest timestamp < target, or {-1, base}: every record before its
  // offset's batch has a timestamp < target.
  TimestampOffset lookup_before(int64_t target) const;
  std::optional<TimestampOffset> last_entry() const;
  // Drops entries with offset >= o.
  void truncate_to(offset o);
  void clear();

  status load(const File& f, offset log_next_offset);
  status write_to(File& f);

 private:
  struct entry {
    int64_t timestamp;
    int32_t relative_offset;
  };
  offset base_;
  detail::ReservedArray<entry> entries_;
  std::atomic<size_t> count_{0};
  size_t written_ = 0;
  bool file_too_long_ = false;
};

}  // namespace shoal::storage
