#include "storage/log_segment.h"

#include <algorithm>

#include "common/clock.h"
#include "storage/log_files.h"

namespace shoal::storage {

namespace bf = batch_format;

namespace {

// The fields of a batch header needed to walk a segment without reading the records.
struct BatchHeader {
  offset base;
  offset last;
  int64_t size = 0;  // total bytes of the batch
  int64_t max_timestamp = -1;
};

// Reads the header of the batch at `pos`; nullopt if fewer than a header's bytes remain
// before `limit` or the length field is impossible.
result<std::optional<BatchHeader>> read_header(const File& f, int64_t pos, int64_t limit) {
  if (limit - pos < static_cast<int64_t>(bf::header_size)) return std::optional<BatchHeader>();
  uint8_t h[bf::header_size];
  SHOAL_ASSIGN_OR_RETURN(size_t n, f.pread(h, sizeof(h), pos));
  if (n < sizeof(h)) return std::optional<BatchHeader>();
  RecordBatchView v(bytes_view(h, sizeof(h)));
  int64_t total = static_cast<int64_t>(v.batch_length()) + static_cast<int64_t>(bf::log_overhead);
  if (v.batch_length() < static_cast<int32_t>(bf::header_size - bf::log_overhead) ||
      total > limit - pos || v.magic() != bf::magic_v2 || v.last_offset_delta() < 0) {
    return std::optional<BatchHeader>();
  }
  return std::optional<BatchHeader>(
      BatchHeader{v.base_offset(), v.last_offset(), total, v.max_timestamp()});
}

}  // namespace

LogSegment::LogSegment(Env* env, fs::path dir, offset base, SegmentOptions opts,
                       std::unique_ptr<File> log, std::unique_ptr<File> index,
                       std::unique_ptr<File> time_index)
    : env_(env),
      dir_(std::move(dir)),
      base_(base),
      opts_(opts),
      log_(std::move(log)),
      index_file_(std::move(index)),
      time_index_file_(std::move(time_index)),
      offset_index_(base, opts.index_max_bytes),
      time_index_(base, opts.index_max_bytes),
      next_offset_(base()) {}

LogSegment::~LogSegment() = default;

fs::path LogSegment::log_path() const {
  return log_files::segment_file(dir_, base_, log_files::log_suffix, suffix_);
}

result<std::unique_ptr<LogSegment>> LogSegment::create(Env* env, const fs::path& dir, offset base,
                                                       SegmentOptions opts, int64_t now_ms,
                                                       std::string_view extra) {
  open_options o{.create = true, .truncate = true};
  SHOAL_ASSIGN_OR_RETURN(
      auto lf, env->open(log_files::segment_file(dir, base, log_files::log_suffix, extra), o));
  SHOAL_ASSIGN_OR_RETURN(
      auto xf, env->open(log_files::segment_file(dir, base, log_files::index_suffix, extra), o));
  SHOAL_ASSIGN_OR_RETURN(
      auto tf,
      env->open(log_files::segment_file(dir, base, log_files::time_index_suffix, extra), o));
  auto seg = std::unique_ptr<LogSegment>(
      new LogSegment(env, dir, base, opts, std::move(lf), std::move(xf), std::move(tf)));
  seg->created_ms_ = now_ms;
  seg->suffix_ = std::string(extra);
  return seg;
}

result<std::unique_ptr<LogSegment>> LogSegment::open(Env* env, const fs::path& dir, offset base,
                                                     SegmentOptions opts, std::string_view extra) {
  fs::path index_path = log_files::segment_file(dir, base, log_files::index_suffix, extra);
  fs::path time_index_path =
      log_files::segment_file(dir, base, log_files::time_index_suffix, extra);
  bool indexes_present = env->exists(index_path) && env->exists(time_index_path);
  SHOAL_ASSIGN_OR_RETURN(
      auto lf, env->open(log_files::segment_file(dir, base, log_files::log_suffix, extra), {}));
  open_options o{.create = true};
  SHOAL_ASSIGN_OR_RETURN(auto xf, env->open(index_path, o));
  SHOAL_ASSIGN_OR_RETURN(auto tf, env->open(time_index_path, o));
  SHOAL_ASSIGN_OR_RETURN(int64_t size, lf->size());
  auto seg = std::unique_ptr<LogSegment>(
      new LogSegment(env, dir, base, opts, std::move(lf), std::move(xf), std::move(tf)));
  seg->size_.store(size, std::memory_order_release);
  seg->created_ms_ = wall_clock_ms();
  seg->suffix_ = std::string(extra);
  seg->indexes_missing_ = !indexes_present && size > 0;
  return seg;
}

status LogSegment::append(bytes_view data, std::span<const BatchMeta> meta) {
  int64_t pos = size_.load(std::memory_order_relaxed);
  auto st = log_->pwrite(data.data(), data.size(), pos);
  if (!st) {
    // Never leave half a batch behind: cut the file back to what was published.
    (void)log_->truncate(pos);
    return st;
  }
  int64_t max_ts = max_timestamp_.load(std::memory_order_relaxed);
  for (const auto& m : meta) {
    if (rolling_ts_ < 0) rolling_ts_ = m.max_timestamp;
    if (m.max_timestamp > max_ts) {
      max_ts = m.max_timestamp;
      offset_of_max_timestamp_ = m.last;
    }
  }
  size_.store(pos + static_cast<int64_t>(data.size()), std::memory_order_release);
  next_offset_.store(meta.back().last() + 1, std::memory_order_release);
  max_timestamp_.store(max_ts, std::memory_order_release);
  // Index entries are added after publishing. A reader that loaded size() before may still
  // find an entry past it; find_position() bounds positions by the size the reader saw.
  for (const auto& m : meta) {
    index_batch(m.base, pos + static_cast<int64_t>(m.position), static_cast<int64_t>(m.size));
  }
  return {};
}

void LogSegment::index_batch(offset base, int64_t pos, int64_t size) {
  // The time index keeps one slot free for the entry on_become_inactive() adds.
  if (bytes_since_index_entry_ > opts_.index_interval_bytes && !offset_index_.full() &&
      time_index_.entries() + 1 < time_index_.max_entries()) {
    offset_index_.append(base, static_cast<int32_t>(pos));
    time_index_.maybe_append(max_timestamp(), offset_of_max_timestamp_);
    bytes_since_index_entry_ = 0;
  }
  bytes_since_index_entry_ += size;
}

result<std::optional<int64_t>> LogSegment::find_position(offset o, int64_t limit) const {
  OffsetPosition start = offset_index_.lookup(o);
  // An entry added after the caller loaded `limit` may point past it; fall back to an
  // earlier one (positions only grow with offsets).
  int64_t pos = start.position;
  if (pos >= limit) {
    OffsetPosition p = start;
    while (p.position >= limit && p.off > base_) p = offset_index_.lookup(p.off - 1);
    pos = p.position < limit ? p.position : 0;
  }
  while (pos < limit) {
    SHOAL_ASSIGN_OR_RETURN(auto h, read_header(*log_, pos, limit));
    if (!h) return std::optional<int64_t>();
    if (h->last >= o) return std::optional<int64_t>(pos);
    pos += h->size;
  }
  return std::optional<int64_t>();
}

result<size_t> LogSegment::read(offset start, size_t max_bytes, offset upper, bool min_one,
                                bytes& out) const {
  int64_t limit = size();
  SHOAL_ASSIGN_OR_RETURN(auto found, find_position(start, limit));
  if (!found) return size_t{0};
  int64_t pos = *found;
  size_t want =
      static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(max_bytes), limit - pos));
  // Read at least a header so the first batch's size is known.
  want = std::max(want, std::min<size_t>(bf::header_size, static_cast<size_t>(limit - pos)));
  size_t begin = out.size();
  out.resize(begin + want);
  SHOAL_ASSIGN_OR_RETURN(size_t got, log_->pread(out.data() + begin, want, pos));
  out.resize(begin + got);

  size_t off = 0;
  bool first = true;
  while (true) {
    size_t avail = out.size() - begin - off;
    if (avail < bf::log_overhead) break;
    const uint8_t* p = out.data() + begin + off;
    offset base(load_be<int64_t>(p + bf::base_offset_pos));
    int64_t total = static_cast<int64_t>(load_be<int32_t>(p + bf::batch_length_pos)) +
                    static_cast<int64_t>(bf::log_overhead);
    if (base >= upper) break;
    if (total < static_cast<int64_t>(bf::header_size) ||
        total > limit - pos - static_cast<int64_t>(off)) {
      if (first) {
        out.resize(begin);
        return make_error(errc::corrupt_message,
                          "{}: batch at position {} has an impossible length {}",
                          log_path().string(), pos + static_cast<int64_t>(off), total);
      }
      break;
    }
    if (static_cast<size_t>(total) > avail) {
      if (!first || !min_one || off != 0) break;
      // The first batch is larger than max_bytes: return it whole anyway (KIP-74).
      out.resize(begin + static_cast<size_t>(total));
      SHOAL_ASSIGN_OR_RETURN(size_t n,
                             log_->pread(out.data() + begin, static_cast<size_t>(total), pos));
      if (n != static_cast<size_t>(total)) {
        out.resize(begin);
        return make_error(errc::kafka_storage_error, "{}: short read at position {}",
                          log_path().string(), pos);
      }
      p = out.data() + begin;
      avail = static_cast<size_t>(total);
    }
    auto valid = validate_batch(bytes_view(p, static_cast<size_t>(total)));
    if (!valid) {
      if (first) {
        out.resize(begin);
        return make_error(errc::corrupt_message, "{} at position {}: {}", log_path().string(),
                          pos + static_cast<int64_t>(off), valid.err().message);
      }
      break;
    }
    off += static_cast<size_t>(total);
    first = false;
  }
  out.resize(begin + off);
  return off;
}

result<std::optional<TimestampOffset>> LogSegment::find_offset_by_timestamp(int64_t ts,
                                                                            offset start) const {
  int64_t limit = size();
  TimestampOffset from = time_index_.lookup_before(ts);
  offset scan_from = std::max(from.off, start);
  SHOAL_ASSIGN_OR_RETURN(auto found, find_position(scan_from, limit));
  if (!found) return std::optional<TimestampOffset>();
  int64_t pos = *found;
  bytes batch, scratch;
  while (pos < limit) {
    SHOAL_ASSIGN_OR_RETURN(auto h, read_header(*log_, pos, limit));
    if (!h) break;
    if (h->max_timestamp >= ts && h->last >= start) {
      batch.resize(static_cast<size_t>(h->size));
      SHOAL_ASSIGN_OR_RETURN(size_t n, log_->pread(batch.data(), batch.size(), pos));
      if (n != batch.size()) break;
      SHOAL_TRY(validate_batch(batch));
      RecordBatchView v(batch);
      RecordReader reader(v, scratch);
      RecordView r;
      while (reader.next(r)) {
        offset o = v.base_offset() + r.offset_delta;
        int64_t rts = v.ts_type() == timestamp_type::log_append_time
                          ? v.max_timestamp()
                          : v.base_timestamp() + r.timestamp_delta;
        if (o >= start && rts >= ts) return std::optional<TimestampOffset>(TimestampOffset{rts, o});
      }
      SHOAL_TRY(reader.status());
    }
    pos += h->size;
  }
  return std::optional<TimestampOffset>();
}

status LogSegment::for_each_batch(const std::function<status(bytes_view)>& fn) const {
  int64_t limit = size();
  int64_t pos = 0;
  bytes buf;
  int64_t buf_pos = 0;
  constexpr size_t chunk = 1 << 20;
  while (pos < limit) {
    auto ensure = [&](size_t n) -> status {
      if (pos >= buf_pos &&
          pos + static_cast<int64_t>(n) <= buf_pos + static_cast<int64_t>(buf.size())) {
        return {};
      }
      size_t want = static_cast<size_t>(
          std::min<int64_t>(static_cast<int64_t>(std::max(n, chunk)), limit - pos));
      buf.resize(want);
      SHOAL_ASSIGN_OR_RETURN(size_t got, log_->pread(buf.data(), want, pos));
      buf.resize(got);
      buf_pos = pos;
      return {};
    };
    SHOAL_TRY(ensure(bf::header_size));
    size_t at = static_cast<size_t>(pos - buf_pos);
    if (buf.size() - at < bf::header_size) {
      return make_error(errc::corrupt_message, "{}: partial batch header at position {}",
                        log_path().string(), pos);
    }
    int64_t total = static_cast<int64_t>(load_be<int32_t>(buf.data() + at + bf::batch_length_pos)) +
                    static_cast<int64_t>(bf::log_overhead);
    if (total < static_cast<int64_t>(bf::header_size) || total > limit - pos) {
      return make_error(errc::corrupt_message, "{}: batch at position {} has impossible length {}",
                        log_path().string(), pos, total);
    }
    SHOAL_TRY(ensure(static_cast<size_t>(total)));
    at = static_cast<size_t>(pos - buf_pos);
    bytes_view batch(buf.data() + at, static_cast<size_t>(total));
    auto valid = validate_batch(batch);
    if (!valid) {
      return make_error(errc::corrupt_message, "{} at position {}: {}", log_path().string(), pos,
                        valid.err().message);
    }
    SHOAL_TRY(fn(batch));
    pos += total;
  }
  return {};
}

result<int64_t> LogSegment::retention_timestamp() const {
  int64_t ts = max_timestamp();
  if (ts >= 0) return ts;
  return log_->mtime_ms();
}

status LogSegment::load_indexes() {
  int64_t sz = size();
  if (indexes_missing_) {
    return make_error(errc::corrupt_message, "index files of {} are missing", log_path().string());
  }
  auto st = offset_index_.load(*index_file_, sz);
  if (!st) {
    time_index_.clear();
    return st;
  }
  // The time index can only be checked against the offsets the offset index knows about
  // here; load_tail() checks the rest.
  auto st2 = time_index_.load(*time_index_file_, offset(INT64_MAX));
  if (!st2) {
    offset_index_.clear();
    return st2;
  }
  if (auto last = time_index_.last_entry()) {
    max_timestamp_.store(last->timestamp, std::memory_order_release);
    offset_of_max_timestamp_ = last->off;
  }
  return {};
}

result<bool> LogSegment::load_tail() {
  int64_t limit = size();
  int64_t pos = 0;
  offset next = base_;
  if (auto last = offset_index_.last_entry()) {
    pos = last->position;
    // The entry must point at a batch that starts at its offset.
    SHOAL_ASSIGN_OR_RETURN(auto h, read_header(*log_, pos, limit));
    if (!h || h->base != last->off) return false;
  }
  bytes batch;
  int64_t max_ts = max_timestamp();
  bool first_seen = false;
  while (pos < limit) {
    SHOAL_ASSIGN_OR_RETURN(auto h, read_header(*log_, pos, limit));
    if (!h) return false;
    batch.resize(static_cast<size_t>(h->size));
    SHOAL_ASSIGN_OR_RETURN(size_t n, log_->pread(batch.data(), batch.size(), pos));
    if (n != batch.size() || !validate_batch(batch)) return false;
    if (h->base < next && first_seen) return false;
    first_seen = true;
    next = h->last + 1;
    if (h->max_timestamp > max_ts) {
      max_ts = h->max_timestamp;
      offset_of_max_timestamp_ = h->last;
    }
    pos += h->size;
  }
  if (auto t = time_index_.last_entry(); t && t->off >= next) return false;
  next_offset_.store(next(), std::memory_order_release);
  max_timestamp_.store(max_ts, std::memory_order_release);
  // The first batch's timestamp drives segment.ms.
  if (limit > 0) {
    SHOAL_ASSIGN_OR_RETURN(auto h, read_header(*log_, 0, limit));
    if (h) rolling_ts_ = h->max_timestamp;
  }
  return true;
}

result<LogSegment::RecoverResult> LogSegment::recover(offset min_base_offset) {
  offset_index_.clear();
  time_index_.clear();
  bytes_since_index_entry_ = 0;
  max_timestamp_.store(-1, std::memory_order_release);
  offset_of_max_timestamp_ = offset(-1);
  rolling_ts_ = -1;
  SHOAL_ASSIGN_OR_RETURN(int64_t file_size, log_->size());

  RecoverResult res;
  int64_t pos = 0;
  offset next = std::max(base_, min_base_offset);
  int64_t max_ts = -1;
  bytes buf;
  constexpr size_t chunk = 1 << 20;
  int64_t buf_pos = 0;  // file position of buf[0]
  while (pos < file_size) {
    // Make sure the batch at pos is in the buffer (header first, then the whole batch).
    auto ensure = [&](size_t n) -> status {
      if (pos >= buf_pos &&
          pos + static_cast<int64_t>(n) <= buf_pos + static_cast<int64_t>(buf.size())) {
        return {};
      }
      size_t want = std::max(n, chunk);
      want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(want), file_size - pos));
      buf.resize(want);
      SHOAL_ASSIGN_OR_RETURN(size_t got, log_->pread(buf.data(), want, pos));
      buf.resize(got);
      buf_pos = pos;
      return {};
    };
    SHOAL_TRY(ensure(bf::header_size));
    size_t in_buf = static_cast<size_t>(pos - buf_pos);
    if (buf.size() - in_buf < bf::header_size) {
      res.reason =
          fmt::format("a partial batch header of {} bytes at the end", buf.size() - in_buf);
      break;
    }
    RecordBatchView hv(bytes_view(buf.data() + in_buf, bf::header_size));
    int64_t total =
        static_cast<int64_t>(hv.batch_length()) + static_cast<int64_t>(bf::log_overhead);
    if (hv.batch_length() < static_cast<int32_t>(bf::header_size - bf::log_overhead) ||
        total > file_size - pos) {
      res.reason = fmt::format("batch at offset {} claims {} bytes but {} remain", hv.base_offset(),
                               total, file_size - pos);
      break;
    }
    SHOAL_TRY(ensure(static_cast<size_t>(total)));
    in_buf = static_cast<size_t>(pos - buf_pos);
    bytes_view batch(buf.data() + in_buf, static_cast<size_t>(total));
    auto valid = validate_batch(batch);
    if (!valid) {
      res.reason = valid.err().message;
      break;
    }
    RecordBatchView v(batch);
    if (v.base_offset() < next) {
      res.reason =
          fmt::format("batch at offset {} does not follow offset {}", v.base_offset(), next - 1);
      break;
    }
    if (v.last_offset()() - base_() > INT32_MAX) {
      res.reason = fmt::format("batch at offset {} is too far from the segment base {}",
                               v.base_offset(), base_);
      break;
    }
    if (rolling_ts_ < 0) rolling_ts_ = v.max_timestamp();
    if (v.max_timestamp() > max_ts) {
      max_ts = v.max_timestamp();
      offset_of_max_timestamp_ = v.last_offset();
      max_timestamp_.store(max_ts, std::memory_order_release);
    }
    index_batch(v.base_offset(), pos, total);
    next = v.next_offset();
    pos += total;
  }
  if (pos < file_size) {
    res.truncated_bytes = file_size - pos;
    SHOAL_TRY(log_->truncate(pos));
  }
  size_.store(pos, std::memory_order_release);
  next_offset_.store(next(), std::memory_order_release);
  max_timestamp_.store(max_ts, std::memory_order_release);
  // The final entry, so the next clean open knows the largest timestamp without a scan.
  on_become_inactive();
  SHOAL_TRY(write_indexes());
  return res;
}

status LogSegment::recompute_max_timestamp() {
  int64_t limit = size();
  int64_t max_ts = -1;
  offset max_off(-1);
  int64_t pos = 0;
  if (auto last = time_index_.last_entry()) {
    max_ts = last->timestamp;
    max_off = last->off;
    SHOAL_ASSIGN_OR_RETURN(auto p, find_position(last->off, limit));
    pos = p.value_or(limit);
  }
  while (pos < limit) {
    SHOAL_ASSIGN_OR_RETURN(auto h, read_header(*log_, pos, limit));
    if (!h) break;
    if (h->max_timestamp > max_ts) {
      max_ts = h->max_timestamp;
      max_off = h->last;
    }
    pos += h->size;
  }
  max_timestamp_.store(max_ts, std::memory_order_release);
  offset_of_max_timestamp_ = max_off;
  return {};
}

result<int64_t> LogSegment::truncate_to(offset o) {
  int64_t limit = size();
  SHOAL_ASSIGN_OR_RETURN(auto found, find_position(o, limit));
  if (!found) return int64_t{0};
  int64_t pos = *found;
  // The batch at pos is the first holding an offset >= o; everything from it on goes.
  offset new_next = base_;
  if (pos > 0) {
    // Find the batch before pos to learn the new end offset.
    int64_t p = offset_index_.lookup(o - 1).position;
    if (p >= pos) p = 0;
    while (p < pos) {
      SHOAL_ASSIGN_OR_RETURN(auto h, read_header(*log_, p, limit));
      if (!h) break;
      new_next = h->last + 1;
      p += h->size;
    }
  }
  SHOAL_ASSIGN_OR_RETURN(auto first_removed, read_header(*log_, pos, limit));
  offset cut = first_removed ? first_removed->base : o;
  SHOAL_TRY(log_->truncate(pos));
  offset_index_.truncate_to(cut);
  time_index_.truncate_to(cut);
  size_.store(pos, std::memory_order_release);
  next_offset_.store(new_next(), std::memory_order_release);
  bytes_since_index_entry_ = 0;
  if (pos == 0) rolling_ts_ = -1;
  SHOAL_TRY(recompute_max_timestamp());
  return limit - pos;
}

status LogSegment::write_indexes() {
  SHOAL_TRY(offset_index_.write_to(*index_file_));
  return time_index_.write_to(*time_index_file_);
}

status LogSegment::flush() {
  SHOAL_TRY(log_->sync());
  SHOAL_TRY(write_indexes());
  SHOAL_TRY(index_file_->sync());
  return time_index_file_->sync();
}

void LogSegment::on_become_inactive() {
  int64_t ts = max_timestamp();
  if (ts >= 0 && offset_of_max_timestamp_ >= base_ &&
      time_index_.entries() < time_index_.max_entries()) {
    time_index_.maybe_append(ts, offset_of_max_timestamp_);
  }
}

status LogSegment::rename_suffix(std::string_view from, std::string_view to) {
  // The log file goes last: during compaction its rename is the commit point. An index file
  // may be missing after a crash (it is rebuilt), so only the log must exist.
  for (auto suffix :
       {log_files::index_suffix, log_files::time_index_suffix, log_files::log_suffix}) {
    fs::path src = log_files::segment_file(dir_, base_, suffix, from);
    if (suffix != log_files::log_suffix && !env_->exists(src)) continue;
    SHOAL_TRY(env_->rename(src, log_files::segment_file(dir_, base_, suffix, to)));
  }
  suffix_ = std::string(to);
  return {};
}

status LogSegment::remove_files() {
  // The log goes last: a crash in between leaves a segment whose index is rebuilt, or
  // orphan indexes that the next load deletes.
  for (auto suffix :
       {log_files::index_suffix, log_files::time_index_suffix, log_files::log_suffix}) {
    SHOAL_TRY(env_->remove(log_files::segment_file(dir_, base_, suffix, suffix_)));
  }
  return {};
}

}  // namespace shoal::storage
