#include "storage/index.h"

#include <vector>

#include "common/endian.h"

namespace shoal::storage {

namespace {

error corrupt_index(const File& f, std::string why) {
  return make_error(errc::corrupt_message, "corrupt index {}: {}", f.path().string(), why);
}

template <typename Entries, typename Count>
size_t upper_bound_by(const Entries& e, Count n, auto&& less_than_key) {
  // First index i in [0, n) with !(e[i] <= key), i.e. the usual upper bound.
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (less_than_key(e[mid])) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace

// --- OffsetIndex ---

OffsetIndex::OffsetIndex(offset base, size_t max_bytes)
    : base_(base), entries_(std::max<size_t>(max_bytes / entry_size, 1)) {}

void OffsetIndex::append(offset o, int32_t position) {
  size_t n = count_.load(std::memory_order_relaxed);
  SHOAL_ASSERT(n < entries_.capacity(), "offset index full");
  SHOAL_ASSERT(n == 0 || (o() - base_() > entries_[n - 1].relative_offset &&
                          position > entries_[n - 1].position),
               "offset index entries must increase");
  entries_[n] = entry{static_cast<int32_t>(o() - base_()), position};
  count_.store(n + 1, std::memory_order_release);
}

OffsetPosition OffsetIndex::lookup(offset target) const {
  size_t n = entries();
  int64_t rel = target() - base_();
  size_t i =
      upper_bound_by(entries_, n, [rel](const entry& e) { return e.relative_offset <= rel; });
  if (i == 0) return {base_, 0};
  return {base_ + entries_[i - 1].relative_offset, entries_[i - 1].position};
}

std::optional<OffsetPosition> OffsetIndex::last_entry() const {
  size_t n = entries();
  if (n == 0) return std::nullopt;
  return OffsetPosition{base_ + entries_[n - 1].relative_offset, entries_[n - 1].position};
}

void OffsetIndex::truncate_to(offset o) {
  size_t n = entries();
  int64_t rel = o() - base_();
  size_t keep =
      upper_bound_by(entries_, n, [rel](const entry& e) { return e.relative_offset < rel; });
  count_.store(keep, std::memory_order_release);
  if (written_ > keep) {
    written_ = keep;
    file_too_long_ = true;
  }
}

void OffsetIndex::clear() {
  count_.store(0, std::memory_order_release);
  if (written_ > 0) file_too_long_ = true;
  written_ = 0;
}

status OffsetIndex::load(const File& f, int64_t log_size) {
  count_.store(0, std::memory_order_release);
  written_ = 0;
  file_too_long_ = true;  // until the file is known good, rewrite it from scratch
  SHOAL_ASSIGN_OR_RETURN(int64_t size, f.size());
  if (size % static_cast<int64_t>(entry_size) != 0) {
    return corrupt_index(f, fmt::format("size {} is not a multiple of {}", size, entry_size));
  }
  size_t n = static_cast<size_t>(size) / entry_size;
  if (n > entries_.capacity()) {
    return corrupt_index(f,
                         fmt::format("{} entries exceed the capacity {}", n, entries_.capacity()));
  }
  std::vector<uint8_t> buf(static_cast<size_t>(size));
  SHOAL_ASSIGN_OR_RETURN(size_t got, f.pread(buf.data(), buf.size(), 0));
  if (got != buf.size()) return corrupt_index(f, "short read");
  int32_t prev_rel = -1, prev_pos = -1;
  for (size_t i = 0; i < n; ++i) {
    int32_t rel = load_be<int32_t>(buf.data() + i * entry_size);
    int32_t pos = load_be<int32_t>(buf.data() + i * entry_size + 4);
    if (rel <= prev_rel || pos <= prev_pos || pos < 0 || pos >= log_size) {
      return corrupt_index(f, fmt::format("entry {} (offset {}, position {}) is out of order or "
                                          "past the log's {} bytes",
                                          i, base_() + rel, pos, log_size));
    }
    entries_[i] = entry{rel, pos};
    prev_rel = rel;
    prev_pos = pos;
  }
  count_.store(n, std::memory_order_release);
  written_ = n;
  file_too_long_ = false;
  return {};
}

status OffsetIndex::write_to(File& f) {
  size_t n = entries();
  if (file_too_long_) {
    SHOAL_TRY(f.truncate(static_cast<int64_t>(written_ * entry_size)));
    file_too_long_ = false;
  }
  if (written_ == n) return {};
  std::vector<uint8_t> buf((n - written_) * entry_size);
  for (size_t i = written_; i < n; ++i) {
    uint8_t* p = buf.data() + (i - written_) * entry_size;
    store_be<int32_t>(p, entries_[i].relative_offset);
    store_be<int32_t>(p + 4, entries_[i].position);
  }
  SHOAL_TRY(f.pwrite(buf.data(), buf.size(), static_cast<int64_t>(written_ * entry_size)));
  written_ = n;
  return {};
}

// --- TimeIndex ---

TimeIndex::TimeIndex(offset base, size_t max_bytes)
    : base_(base), entries_(std::max<size_t>(max_bytes / entry_size, 1)) {}

void TimeIndex::maybe_append(int64_t ts, offset o) {
  if (ts < 0) return;  // batches without timestamps are not indexed by time (as in Kafka)
  size_t n = count_.load(std::memory_order_relaxed);
  if (n > 0 && ts <= entries_[n - 1].timestamp) return;
  SHOAL_ASSERT(n < entries_.capacity(), "time index full");
  SHOAL_ASSERT(n == 0 || o() - base_() >= entries_[n - 1].relative_offset,
               "time index offsets must not decrease");
  entries_[n] = entry{ts, static_cast<int32_t>(o() - base_())};
  count_.store(n + 1, std::memory_order_release);
}

TimestampOffset TimeIndex::lookup_before(int64_t target) const {
  size_t n = entries();
  size_t i = upper_bound_by(entries_, n, [target](const entry& e) { return e.timestamp < target; });
  if (i == 0) return {-1, base_};
  return {entries_[i - 1].timestamp, base_ + entries_[i - 1].relative_offset};
}

std::optional<TimestampOffset> TimeIndex::last_entry() const {
  size_t n = entries();
  if (n == 0) return std::nullopt;
  return TimestampOffset{entries_[n - 1].timestamp, base_ + entries_[n - 1].relative_offset};
}

void TimeIndex::truncate_to(offset o) {
  size_t n = entries();
  int64_t rel = o() - base_();
  size_t keep =
      upper_bound_by(entries_, n, [rel](const entry& e) { return e.relative_offset < rel; });
  count_.store(keep, std::memory_order_release);
  if (written_ > keep) {
    written_ = keep;
    file_too_long_ = true;
  }
}

void TimeIndex::clear() {
  count_.store(0, std::memory_order_release);
  if (written_ > 0) file_too_long_ = true;
  written_ = 0;
}

status TimeIndex::load(const File& f, offset log_next_offset) {
  count_.store(0, std::memory_order_release);
  written_ = 0;
  file_too_long_ = true;  // until the file is known good, rewrite it from scratch
  SHOAL_ASSIGN_OR_RETURN(int64_t size, f.size());
  if (size % static_cast<int64_t>(entry_size) != 0) {
    return corrupt_index(f, fmt::format("size {} is not a multiple of {}", size, entry_size));
  }
  size_t n = static_cast<size_t>(size) / entry_size;
  if (n > entries_.capacity()) {
    return corrupt_index(f,
                         fmt::format("{} entries exceed the capacity {}", n, entries_.capacity()));
  }
  std::vector<uint8_t> buf(static_cast<size_t>(size));
  SHOAL_ASSIGN_OR_RETURN(size_t got, f.pread(buf.data(), buf.size(), 0));
  if (got != buf.size()) return corrupt_index(f, "short read");
  int64_t prev_ts = INT64_MIN;
  int32_t prev_rel = -1;
  for (size_t i = 0; i < n; ++i) {
    int64_t ts = load_be<int64_t>(buf.data() + i * entry_size);
    int32_t rel = load_be<int32_t>(buf.data() + i * entry_size + 8);
    if (ts <= prev_ts || rel < prev_rel || rel < 0 || base_() + rel >= log_next_offset()) {
      return corrupt_index(f, fmt::format("entry {} (timestamp {}, offset {}) is out of order or "
                                          "past the log's end {}",
                                          i, ts, base_() + rel, log_next_offset));
    }
    entries_[i] = entry{ts, rel};
    prev_ts = ts;
    prev_rel = rel;
  }
  count_.store(n, std::memory_order_release);
  written_ = n;
  file_too_long_ = false;
  return {};
}

status TimeIndex::write_to(File& f) {
  size_t n = entries();
  if (file_too_long_) {
    SHOAL_TRY(f.truncate(static_cast<int64_t>(written_ * entry_size)));
    file_too_long_ = false;
  }
  if (written_ == n) return {};
  std::vector<uint8_t> buf((n - written_) * entry_size);
  for (size_t i = written_; i < n; ++i) {
    uint8_t* p = buf.data() + (i - written_) * entry_size;
    store_be<int64_t>(p, entries_[i].timestamp);
    store_be<int32_t>(p + 8, entries_[i].relative_offset);
  }
  SHOAL_TRY(f.pwrite(buf.data(), buf.size(), static_cast<int64_t>(written_ * entry_size)));
  written_ = n;
  return {};
}

}  // namespace shoal::storage
