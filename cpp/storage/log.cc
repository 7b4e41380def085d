#include "storage/log.h"

#include <algorithm>

#include "common/logger.h"
#include "storage/log_files.h"
#include "storage/log_validator.h"

namespace shoal::storage {

namespace {
spdlog::logger& log() {
  return logger("storage");
}
}  // namespace

Log::Log(fs::path dir, LogConfig config, LogOptions opts)
    : dir_(std::move(dir)), opts_(std::move(opts)), config_(config) {
  name_ = opts_.name.empty() ? "[" + dir_.filename().string() + "]" : opts_.name;
}

Log::~Log() {
  if (!closed_) {
    // Not closed: behave like a crash (no marker), but release the files.
    std::unique_lock lock(segments_mu_);
    segments_.clear();
  }
}

LogConfig Log::config() const {
  std::lock_guard lock(config_mu_);
  return config_;
}

void Log::set_config(LogConfig c) {
  std::lock_guard lock(config_mu_);
  config_ = c;
}

SegmentOptions Log::segment_options() const {
  auto c = config();
  return SegmentOptions{static_cast<size_t>(c.segment_index_bytes), c.index_interval_bytes};
}

Log::segment_ptr Log::active_segment() const {
  std::shared_lock lock(segments_mu_);
  return segments_.empty() ? nullptr : segments_.rbegin()->second;
}

offset Log::recovery_point() const {
  std::lock_guard lock(write_mu_);
  return recovery_point_;
}

int64_t Log::size_bytes() const {
  std::shared_lock lock(segments_mu_);
  int64_t total = 0;
  for (const auto& [_, s] : segments_) total += s->size();
  return total;
}

size_t Log::segment_count() const {
  std::shared_lock lock(segments_mu_);
  return segments_.size();
}

std::vector<offset> Log::segment_base_offsets() const {
  std::shared_lock lock(segments_mu_);
  std::vector<offset> v;
  for (const auto& [b, _] : segments_) v.push_back(offset(b));
  return v;
}

status Log::check_writable_locked() const {
  if (closed_) return make_error(errc::kafka_storage_error, "{} is closed", name_);
  if (offline()) {
    return make_error(errc::kafka_storage_error, "{} is offline after an I/O error", name_);
  }
  return {};
}

status Log::mark_offline(const error& e) {
  if (!offline_.exchange(true)) {
    log().error("{} I/O error, the log refuses appends until it is reopened: {}", name_, e.message);
  }
  return e;
}

// --- append ---

result<LogAppendInfo> Log::append_as_leader(std::span<uint8_t> batches, leader_epoch epoch,
                                            offset expected_end) {
  if (offline()) {
    return make_error(errc::kafka_storage_error, "{} is offline after an I/O error", name_);
  }
  LogConfig cfg = config();
  bytes storage;
  SHOAL_ASSIGN_OR_RETURN(auto v, validate_for_leader(batches, cfg, storage));

  std::lock_guard lock(write_mu_);
  SHOAL_TRY(check_writable_locked());
  // Idempotent producers: a retry of a batch we have is answered with its first offsets.
  // The keys are built only when a batch has a producer id (no allocation otherwise).
  bool idempotent = false;
  for (const auto& m : v.meta) {
    RecordBatchView bv(v.data.subspan(m.position, m.size));
    if (bv.producer_id() >= 0) {
      idempotent = true;
      if (bv.producer_epoch() < 0 || bv.base_sequence() < 0) {
        return make_error(errc::invalid_record,
                          "record batch of producer {} has epoch {} and base sequence {}",
                          bv.producer_id(), bv.producer_epoch(), bv.base_sequence());
      }
    }
  }
  if (idempotent) {
    std::vector<ProducerBatchKey> keys;
    keys.reserve(v.meta.size());
    for (const auto& m : v.meta) {
      RecordBatchView bv(v.data.subspan(m.position, m.size));
      keys.push_back(
          {bv.producer_id(), bv.producer_epoch(), bv.base_sequence(), bv.records_count()});
    }
    SHOAL_ASSIGN_OR_RETURN(auto originals, producers_.check(keys));
    size_t dups = 0;
    for (const auto& o : originals) dups += o ? 1 : 0;
    if (dups > 0) {
      if (dups != originals.size()) {
        return make_error(errc::duplicate_sequence_number,
                          "{}: a request mixes {} retried batch(es) with new ones", name_, dups);
      }
      LogAppendInfo info;
      info.duplicate = true;
      info.first_offset = originals.front()->first_offset;
      info.last_offset = originals.back()->last_offset;
      for (const auto& o : originals) {
        if (o->max_timestamp > info.max_timestamp) {
          info.max_timestamp = o->max_timestamp;
          info.offset_of_max_timestamp = o->last_offset;
        }
      }
      if (cfg.message_timestamp_type == timestamp_type::log_append_time) {
        info.log_append_time = info.max_timestamp;
      }
      info.log_start_offset = log_start_offset();
      return info;
    }
  }
  offset base = log_end_offset();
  if (expected_end() >= 0 && base != expected_end) {
    return make_error(errc::conflict, "{} ends at offset {}, not at the expected {}", name_, base,
                      expected_end);
  }
  int64_t now = opts_.clock();
  LogAppendInfo info;
  info.first_offset = base;
  for (auto& m : v.meta) {
    auto batch = v.data.subspan(m.position, m.size);
    m.base = m.base + base();
    m.last = m.last + base();
    set_base_offset(batch, m.base);
    set_partition_leader_epoch(batch, epoch());
    if (cfg.message_timestamp_type == timestamp_type::log_append_time) {
      set_log_append_time(batch, now);
      m.max_timestamp = now;
      info.log_append_time = now;
    }
    if (m.max_timestamp > info.max_timestamp) {
      info.max_timestamp = m.max_timestamp;
      info.offset_of_max_timestamp = m.last;
    }
  }
  info.records = v.records;
  if (epoch() >= 0) SHOAL_TRY(epochs_->assign(epoch(), base));
  SHOAL_ASSIGN_OR_RETURN(info, append_locked(v.data, v.meta, info, cfg));
  update_producer_state_locked(v.data, v.meta);
  return info;
}

result<LogAppendInfo> Log::append_as_follower(bytes_view batches) {
  if (offline()) {
    return make_error(errc::kafka_storage_error, "{} is offline after an I/O error", name_);
  }
  std::lock_guard lock(write_mu_);
  SHOAL_TRY(check_writable_locked());
  SHOAL_ASSIGN_OR_RETURN(auto v, validate_for_follower(batches, log_end_offset()));
  if (v.meta.empty()) return LogAppendInfo{};
  LogAppendInfo info;
  info.first_offset = v.meta.front().base;
  for (const auto& m : v.meta) {
    if (m.max_timestamp > info.max_timestamp) {
      info.max_timestamp = m.max_timestamp;
      info.offset_of_max_timestamp = m.last;
    }
  }
  info.records = v.records;
  for (const auto& m : v.meta) {
    int32_t e = RecordBatchView(v.data.subspan(m.position, m.size)).partition_leader_epoch();
    if (e >= 0) SHOAL_TRY(epochs_->assign(e, m.base));
  }
  SHOAL_ASSIGN_OR_RETURN(info, append_locked(v.data, v.meta, info, config()));
  update_producer_state_locked(v.data, v.meta);
  return info;
}

void Log::update_producer_state_locked(bytes_view data, const std::vector<BatchMeta>& meta) {
  for (const auto& m : meta) {
    RecordBatchView bv(data.subspan(m.position, m.size));
    if (bv.producer_id() < 0) continue;
    producers_.update(
        {bv.producer_id(), bv.producer_epoch(), bv.base_sequence(), bv.records_count()}, m.base,
        m.last, m.max_timestamp);
  }
  if (!meta.empty()) producers_.set_map_end(meta.back().last + 1);
}

status Log::rebuild_producer_state_locked() {
  offset end = log_end_offset();
  SHOAL_TRY(ProducerStateManager::delete_snapshots_after(opts_.env, dir_, end));
  auto loaded = producers_.load_snapshot(opts_.env, dir_, end, log_start_offset());
  if (!loaded) return loaded.err();
  offset from = producers_.map_end();
  std::vector<segment_ptr> segs;
  {
    std::shared_lock sl(segments_mu_);
    for (auto& [_, s] : segments_) {
      if (s->next_offset() > from) segs.push_back(s);
    }
  }
  int64_t replayed = 0;
  for (const auto& s : segs) {
    SHOAL_TRY(s->for_each_batch([&](bytes_view batch) -> status {
      RecordBatchView v(batch);
      // The batch holding `from` counts: DeleteRecords may start the log inside a batch.
      if (v.last_offset() < from || v.base_offset() >= end) return {};
      ++replayed;
      if (v.producer_id() >= 0) {
        producers_.update(
            {v.producer_id(), v.producer_epoch(), v.base_sequence(), v.records_count()},
            v.base_offset(), v.last_offset(), v.max_timestamp());
      }
      return {};
    }));
  }
  producers_.set_map_end(end);
  if (producers_.size() > 0 || replayed > 0) {
    log().debug("{} producer state: {} producer(s), {} batch(es) replayed from offset {}", name_,
                producers_.size(), replayed, from);
  }
  return {};
}

std::optional<ProducerEntry> Log::producer_state(int64_t producer_id) const {
  std::lock_guard lock(write_mu_);
  const ProducerEntry* e = producers_.entry(producer_id);
  if (e == nullptr) return std::nullopt;
  return *e;
}

status Log::take_producer_snapshot() {
  std::lock_guard lock(write_mu_);
  SHOAL_TRY(check_writable_locked());
  return producers_.take_snapshot(opts_.env, dir_, opts_.clock());
}

result<LogAppendInfo> Log::append_locked(std::span<const uint8_t> data,
                                         std::vector<BatchMeta>& meta, LogAppendInfo info,
                                         const LogConfig& cfg) {
  SHOAL_ASSIGN_OR_RETURN(
      segment_ptr seg, maybe_roll(data.size(), meta.back().last, meta.front().max_timestamp, cfg));
  auto st = seg->append(data, meta);
  if (!st) return mark_offline(st.err()).err();
  log_end_.store(meta.back().last() + 1, std::memory_order_release);
  info.last_offset = meta.back().last;
  info.batches = static_cast<int32_t>(meta.size());
  info.bytes = static_cast<int64_t>(data.size());
  info.log_start_offset = log_start_offset();
  unflushed_records_ += info.records;
  if (cfg.flush_messages != no_limit || cfg.flush_ms != no_limit) {
    bool due = unflushed_records_ >= cfg.flush_messages ||
               (cfg.flush_ms != no_limit && opts_.clock() - last_flush_ms_ >= cfg.flush_ms);
    if (due) SHOAL_TRY(flush_locked(log_end_offset()));
  }
  return info;
}

result<Log::segment_ptr> Log::maybe_roll(size_t incoming, offset last_offset,
                                         int64_t first_max_timestamp, const LogConfig& cfg) {
  segment_ptr seg = active_segment();
  int64_t size = seg->size();
  if (size == 0) {
    // An empty active segment is reused unless the relative offsets would not fit.
    if (last_offset() - seg->base_offset()() <= INT32_MAX) return seg;
    return roll(log_end_offset());
  }
  bool full = size + static_cast<int64_t>(incoming) > cfg.segment_bytes;
  // Kafka measures segment.ms from the first batch's timestamp to the incoming one's.
  int64_t waited = seg->rolling_timestamp() >= 0 && first_max_timestamp >= 0
                       ? first_max_timestamp - seg->rolling_timestamp()
                       : opts_.clock() - seg->rolling_timestamp();
  bool old = waited > cfg.segment_ms;
  bool overflow = last_offset() - seg->base_offset()() > INT32_MAX;
  if (full || old || seg->indexes_full() || overflow) return roll(log_end_offset());
  return seg;
}

result<Log::segment_ptr> Log::roll(offset new_base) {
  segment_ptr old = active_segment();
  if (old) {
    old->on_become_inactive();
    // Kafka flushes a segment once it stops being active: that is what moves the recovery
    // point, bounding how much an unclean restart rescans.
    auto st = old->flush();
    if (!st) return mark_offline(st.err()).err();
  }
  SHOAL_ASSIGN_OR_RETURN(auto created, LogSegment::create(opts_.env, dir_, new_base,
                                                          segment_options(), opts_.clock()));
  segment_ptr seg(std::move(created));
  {
    std::unique_lock lock(segments_mu_);
    segments_[new_base()] = seg;
  }
  if (old) {
    recovery_point_ = std::max(recovery_point_, new_base);
    SHOAL_TRY(write_checkpoint_locked());
    if (producers_.map_end() == new_base) {
      // The state at the segment boundary: a restart replays at most the active segment.
      auto st = producers_.take_snapshot(opts_.env, dir_, opts_.clock());
      if (!st) log().warn("{} cannot write a producer state snapshot: {}", name_, st.err().message);
    }
  }
  log().debug("{} rolled to segment {}", name_, new_base);
  return seg;
}

// --- read ---

result<FetchDataInfo> Log::read(offset start, size_t max_bytes, std::optional<offset> upper,
                                bool min_one) const {
  std::shared_lock lock(segments_mu_);
  FetchDataInfo out;
  out.log_start_offset = log_start_offset();
  out.log_end_offset = log_end_offset();
  if (start < out.log_start_offset || start > out.log_end_offset) {
    return make_error(errc::offset_out_of_range, "{} offset {} is outside the log's range [{}, {}]",
                      name_, start, out.log_start_offset, out.log_end_offset);
  }
  offset bound = std::min(upper.value_or(out.log_end_offset), out.log_end_offset);
  if (start >= bound || segments_.empty()) return out;
  auto it = segments_.upper_bound(start());
  if (it != segments_.begin()) --it;
  offset from = start;
  for (; it != segments_.end(); ++it) {
    if (it->second->base_offset() >= bound) break;
    from = std::max(from, it->second->base_offset());
    SHOAL_ASSIGN_OR_RETURN(size_t n,
                           it->second->read(from, max_bytes, bound, min_one, out.records));
    if (n > 0) break;
  }
  return out;
}

result<std::optional<TimestampOffset>> Log::find_offset_by_timestamp(int64_t ts) const {
  std::shared_lock lock(segments_mu_);
  offset start = log_start_offset();
  for (const auto& [base, seg] : segments_) {
    if (seg->next_offset() <= start || seg->max_timestamp() < ts) continue;
    SHOAL_ASSIGN_OR_RETURN(auto found, seg->find_offset_by_timestamp(ts, start));
    if (found) return found;
  }
  return std::optional<TimestampOffset>();
}

result<std::optional<TimestampOffset>> Log::find_offset_of_max_timestamp() const {
  int64_t max_ts = -1;
  {
    std::shared_lock lock(segments_mu_);
    offset start = log_start_offset();
    for (const auto& [_, seg] : segments_) {
      if (seg->next_offset() > start) max_ts = std::max(max_ts, seg->max_timestamp());
    }
  }
  if (max_ts < 0) return std::optional<TimestampOffset>();
  return find_offset_by_timestamp(max_ts);
}

std::optional<int32_t> Log::latest_epoch() const {
  auto e = epochs_->latest();
  if (!e) return std::nullopt;
  return e->epoch;
}

std::optional<std::pair<int32_t, offset>> Log::end_offset_for_epoch(int32_t epoch) const {
  return epochs_->end_offset_for(epoch, log_end_offset());
}

status Log::assign_epoch(int32_t epoch) {
  std::lock_guard lock(write_mu_);
  return epochs_->assign(epoch, log_end_offset());
}

// --- truncation, log start, retention ---

status Log::delete_segments_locked(const std::vector<segment_ptr>& doomed) {
  {
    std::unique_lock lock(segments_mu_);
    for (const auto& s : doomed) segments_.erase(s->base_offset()());
  }
  for (const auto& s : doomed) {
    auto st = s->remove_files();
    if (!st) return mark_offline(st.err());
  }
  return {};
}

status Log::truncate_to(offset o) {
  std::lock_guard clean_lock(cleaner_mu_);
  std::lock_guard lock(write_mu_);
  SHOAL_TRY(check_writable_locked());
  // No record to cut, but an epoch may start here without having written anything (a leader
  // that wrote nothing before it was deposed): it goes, or a follower would keep reporting
  // it as its last epoch and be told to truncate again, forever.
  if (o >= log_end_offset()) return epochs_->truncate_from_end(o);
  if (o <= log_start_offset()) {
    // Nothing below the cut survives: start over at o.
    std::vector<segment_ptr> all;
    {
      std::shared_lock sl(segments_mu_);
      for (auto& [_, s] : segments_) all.push_back(s);
    }
    SHOAL_TRY(delete_segments_locked(all));
    SHOAL_TRY(roll(o));
    log_start_.store(o(), std::memory_order_release);
    log_end_.store(o(), std::memory_order_release);
  } else {
    std::vector<segment_ptr> later;
    segment_ptr keep;
    {
      std::shared_lock sl(segments_mu_);
      for (auto& [b, s] : segments_) {
        if (b >= o()) {
          later.push_back(s);
        } else {
          keep = s;
        }
      }
    }
    SHOAL_TRY(delete_segments_locked(later));
    std::unique_lock sl(segments_mu_);
    auto st = keep->truncate_to(o);
    if (!st) return mark_offline(st.err());
    log_end_.store(keep->next_offset()(), std::memory_order_release);
  }
  log().info("{} truncated to offset {} (log end now {})", name_, o, log_end_offset());
  SHOAL_TRY(epochs_->truncate_from_end(log_end_offset()));
  recovery_point_ = std::min(recovery_point_, log_end_offset());
  cleaner_checkpoint_ = std::min(cleaner_checkpoint_, log_end_offset());
  SHOAL_TRY(write_checkpoint_locked());
  return rebuild_producer_state_locked();
}

status Log::truncate_fully_and_start_at(offset o) {
  std::lock_guard clean_lock(cleaner_mu_);
  std::lock_guard lock(write_mu_);
  SHOAL_TRY(check_writable_locked());
  std::vector<segment_ptr> all;
  {
    std::shared_lock sl(segments_mu_);
    for (auto& [_, s] : segments_) all.push_back(s);
  }
  SHOAL_TRY(delete_segments_locked(all));
  SHOAL_TRY(roll(o));
  log_start_.store(o(), std::memory_order_release);
  log_end_.store(o(), std::memory_order_release);
  recovery_point_ = o;
  cleaner_checkpoint_ = o;
  SHOAL_TRY(epochs_->clear());
  SHOAL_TRY(ProducerStateManager::delete_snapshots_after(opts_.env, dir_, offset(-1)));
  producers_.clear(o);
  log().info("{} emptied and restarted at offset {}", name_, o);
  return write_checkpoint_locked();
}

result<offset> Log::advance_log_start_offset(offset o) {
  std::lock_guard clean_lock(cleaner_mu_);
  std::lock_guard lock(write_mu_);
  SHOAL_TRY(check_writable_locked());
  if (o > log_end_offset()) {
    return make_error(errc::offset_out_of_range,
                      "{} cannot move the log start to {}: past the log end {}", name_, o,
                      log_end_offset());
  }
  if (o <= log_start_offset()) return log_start_offset();
  log_start_.store(o(), std::memory_order_release);
  SHOAL_TRY(write_checkpoint_locked());
  std::vector<segment_ptr> doomed;
  {
    std::shared_lock sl(segments_mu_);
    for (auto it = segments_.begin(); it != segments_.end(); ++it) {
      auto next = std::next(it);
      if (next == segments_.end() || next->second->base_offset() > o) break;
      doomed.push_back(it->second);
    }
  }
  SHOAL_TRY(delete_segments_locked(doomed));
  SHOAL_TRY(epochs_->truncate_from_start(o));
  SHOAL_TRY(ProducerStateManager::delete_snapshots_before(opts_.env, dir_, o));
  log().info("{} log start offset advanced to {}", name_, o);
  return o;
}

result<int> Log::delete_old_segments() {
  std::lock_guard clean_lock(cleaner_mu_);
  std::lock_guard lock(write_mu_);
  SHOAL_TRY(check_writable_locked());
  auto cfg = config();
  int64_t now = opts_.clock();
  std::vector<segment_ptr> doomed;
  std::string why;
  {
    std::shared_lock sl(segments_mu_);
    int64_t total = 0;
    for (auto& [_, s] : segments_) total += s->size();
    offset lso = log_start_offset();
    for (auto it = segments_.begin(); it != segments_.end(); ++it) {
      auto next = std::next(it);
      if (next == segments_.end()) break;  // never the active segment
      const auto& s = it->second;
      bool below_start = next->second->base_offset() <= lso;
      bool too_old = false, too_big = false;
      if (cfg.cleanup_delete) {
        if (cfg.retention_ms >= 0) {
          SHOAL_ASSIGN_OR_RETURN(int64_t ts, s->retention_timestamp());
          too_old = now - ts > cfg.retention_ms;
        }
        too_big = cfg.retention_bytes >= 0 && total - s->size() >= cfg.retention_bytes;
      }
      if (!below_start && !too_old && !too_big) break;
      if (why.empty()) {
        why = below_start ? "below the log start offset"
              : too_old   ? fmt::format("retention.ms={}", cfg.retention_ms)
                          : fmt::format("retention.bytes={}", cfg.retention_bytes);
      }
      total -= s->size();
      doomed.push_back(s);
    }
  }
  if (doomed.empty()) return 0;
  SHOAL_TRY(delete_segments_locked(doomed));
  offset first = active_segment()->base_offset();
  {
    std::shared_lock sl(segments_mu_);
    first = offset(segments_.begin()->first);
  }
  if (first > log_start_offset()) log_start_.store(first(), std::memory_order_release);
  SHOAL_TRY(epochs_->truncate_from_start(log_start_offset()));
  SHOAL_TRY(ProducerStateManager::delete_snapshots_before(opts_.env, dir_, first));
  cleaner_checkpoint_ = std::max(cleaner_checkpoint_, log_start_offset());
  log().info("{} deleted {} segment(s) ({}); log start offset now {}", name_, doomed.size(), why,
             log_start_offset());
  SHOAL_TRY(write_checkpoint_locked());
  return static_cast<int>(doomed.size());
}

// --- flush and close ---

status Log::write_checkpoint_locked() {
  std::string text = fmt::format("recovery-point {}\nlog-start-offset {}\ncleaner-offset {}\n",
                                 recovery_point_, log_start_offset(), cleaner_checkpoint_);
  auto st = write_file_atomically(opts_.env, dir_ / log_files::checkpoint_file, text);
  if (!st) return mark_offline(st.err());
  return {};
}

status Log::flush_locked(offset upto) {
  std::vector<segment_ptr> dirty;
  {
    std::shared_lock sl(segments_mu_);
    for (auto it = segments_.begin(); it != segments_.end(); ++it) {
      bool last = std::next(it) == segments_.end();
      if (last || it->second->next_offset() > recovery_point_) dirty.push_back(it->second);
    }
  }
  for (auto& s : dirty) {
    auto st = s->flush();
    if (!st) return mark_offline(st.err());
  }
  recovery_point_ = std::max(recovery_point_, upto);
  unflushed_records_ = 0;
  last_flush_ms_ = opts_.clock();
  return write_checkpoint_locked();
}

status Log::flush() {
  std::lock_guard lock(write_mu_);
  if (closed_) return {};
  return flush_locked(log_end_offset());
}

status Log::maybe_flush() {
  std::lock_guard lock(write_mu_);
  if (closed_ || unflushed_records_ == 0) return {};
  auto cfg = config();
  bool due = unflushed_records_ >= cfg.flush_messages ||
             (cfg.flush_ms != no_limit && opts_.clock() - last_flush_ms_ >= cfg.flush_ms);
  if (!due) return {};
  return flush_locked(log_end_offset());
}

status Log::close() {
  std::lock_guard clean_lock(cleaner_mu_);
  std::lock_guard lock(write_mu_);
  if (closed_) return {};
  if (offline()) {
    closed_ = true;
    return make_error(errc::kafka_storage_error,
                      "{} closed without a clean-shutdown marker after an I/O error", name_);
  }
  if (auto seg = active_segment()) seg->on_become_inactive();
  SHOAL_TRY(flush_locked(log_end_offset()));
  if (auto st = producers_.take_snapshot(opts_.env, dir_, opts_.clock()); !st) {
    // Not fatal: the next open replays the log from an older snapshot instead.
    log().warn("{} cannot write a producer state snapshot: {}", name_, st.err().message);
  }
  // The marker is written only after everything above succeeded.
  auto st = write_file_atomically(opts_.env, dir_ / log_files::clean_shutdown_file, "");
  if (!st) return mark_offline(st.err());
  closed_ = true;
  std::unique_lock sl(segments_mu_);
  segments_.clear();
  return {};
}

}  // namespace shoal::storage
