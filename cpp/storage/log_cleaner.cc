// Log compaction (Kafka's LogCleaner): keeps the latest record of every key in the inactive
// segments, keeps offsets (gaps are fine), drops tombstones delete.retention.ms after the
// cleaner first saw them (KIP-534 delete horizons), and swaps the rewritten segments in with
// a crash-safe protocol: write <base>.*.cleaned, fsync, rename to .swap (the log file last:
// that rename is the commit point), delete the old segments, strip .swap. Log::open finishes
// or discards an interrupted swap (log_loader.cc). See docs/log-layout.md.
#include <limits>
#include <unordered_map>

#include "common/logger.h"
#include "storage/log.h"
#include "storage/log_files.h"

namespace shoal::storage {

namespace lf = log_files;

namespace {

spdlog::logger& log() {
  return logger("storage");
}

std::string key_of(const RecordView& r) {
  return std::string(reinterpret_cast<const char*>(r.key.data()), r.key.size());
}

}  // namespace

class LogCleaner {
 public:
  static result<CleanerStats> clean(Log& log, bool force);

 private:
  using segment_ptr = Log::segment_ptr;
  using offset_map = std::unordered_map<std::string, int64_t>;

  // Rewrites one group of adjacent segments into a new segment and swaps it in.
  // Lowers `next_horizon` to the delete horizon of any tombstone it keeps.
  static status clean_group(Log& lg, const std::vector<segment_ptr>& group, const offset_map& map,
                            const LogConfig& cfg, int64_t now, CleanerStats& stats,
                            int64_t& next_horizon);
};

result<CleanerStats> Log::compact(bool force) {
  return LogCleaner::clean(*this, force);
}

result<CleanerStats> LogCleaner::clean(Log& lg, bool force) {
  std::lock_guard clean_lock(lg.cleaner_mu_);
  CleanerStats stats;
  LogConfig cfg = lg.config();
  if (!cfg.cleanup_compact || lg.offline()) return stats;
  int64_t now = lg.opts_.clock();

  // The cleanable part: inactive segments, stopping at the first one holding records younger
  // than min.compaction.lag.ms.
  std::vector<segment_ptr> cleanable;
  offset first_dirty;
  {
    std::lock_guard wl(lg.write_mu_);
    std::shared_lock sl(lg.segments_mu_);
    first_dirty = std::max(lg.cleaner_checkpoint_, lg.log_start_offset());
    for (auto it = lg.segments_.begin(); it != lg.segments_.end(); ++it) {
      if (std::next(it) == lg.segments_.end()) break;
      const auto& s = it->second;
      if (cfg.min_compaction_lag_ms > 0 && s->base_offset() >= first_dirty &&
          s->max_timestamp() > now - cfg.min_compaction_lag_ms) {
        break;
      }
      cleanable.push_back(s);
    }
  }
  if (cleanable.empty()) return stats;
  offset clean_end = cleanable.back()->next_offset();

  int64_t total = 0, dirty = 0;
  for (const auto& s : cleanable) {
    total += s->size();
    if (s->next_offset() > first_dirty) dirty += s->size();
  }
  double ratio = total > 0 ? static_cast<double>(dirty) / static_cast<double>(total) : 0.0;
  // Clean when enough is dirty, or when a tombstone's delete horizon has passed (KIP-534).
  bool horizon_due = now >= lg.next_tombstone_horizon_ms_;
  bool worth_it = dirty > 0 && ratio >= cfg.min_cleanable_dirty_ratio;
  if (!force && !worth_it && !horizon_due) return stats;
  int64_t next_horizon = std::numeric_limits<int64_t>::max();

  // The latest offset of every key in the dirty part.
  offset_map map;
  bytes scratch;
  for (const auto& s : cleanable) {
    if (s->next_offset() <= first_dirty) continue;
    SHOAL_TRY(s->for_each_batch([&](bytes_view data) -> status {
      RecordBatchView v(data);
      if (v.is_control()) return {};
      RecordReader reader(v, scratch);
      RecordView r;
      while (reader.next(r)) {
        offset o = v.base_offset() + r.offset_delta;
        if (o < first_dirty || r.key_null) continue;
        int64_t& slot = map[key_of(r)];
        slot = std::max(slot, o());
      }
      return reader.status();
    }));
  }

  // Groups of adjacent segments that fit in one segment and one index.
  std::vector<std::vector<segment_ptr>> groups;
  {
    int64_t group_bytes = 0;
    for (const auto& s : cleanable) {
      bool fits = !groups.empty() && group_bytes + s->size() <= cfg.segment_bytes &&
                  (group_bytes + s->size()) / std::max(cfg.index_interval_bytes, 1) <
                      cfg.segment_index_bytes / 12 &&
                  s->next_offset()() - groups.back().front()->base_offset()() <= INT32_MAX;
      if (!fits) {
        groups.emplace_back();
        group_bytes = 0;
      }
      groups.back().push_back(s);
      group_bytes += s->size();
    }
  }
  for (const auto& g : groups) SHOAL_TRY(clean_group(lg, g, map, cfg, now, stats, next_horizon));

  {
    std::lock_guard wl(lg.write_mu_);
    lg.next_tombstone_horizon_ms_ = next_horizon;
    lg.cleaner_checkpoint_ = std::max(lg.cleaner_checkpoint_, clean_end);
    SHOAL_TRY(lg.write_checkpoint_locked());
  }
  log().info("{} compacted {} segment(s): {} -> {} bytes, {} records and {} tombstones removed",
             lg.name_, stats.segments_cleaned, stats.bytes_before, stats.bytes_after,
             stats.records_removed, stats.tombstones_removed);
  return stats;
}

status LogCleaner::clean_group(Log& lg, const std::vector<segment_ptr>& group,
                               const offset_map& map, const LogConfig& cfg, int64_t now,
                               CleanerStats& stats, int64_t& next_horizon) {
  Env* env = lg.opts_.env;
  offset base = group.front()->base_offset();
  SHOAL_ASSIGN_OR_RETURN(auto created, LogSegment::create(env, lg.dir_, base, lg.segment_options(),
                                                          now, lf::cleaned_suffix));
  std::shared_ptr<LogSegment> out(std::move(created));
  bytes scratch;
  // A batch whose records were all removed is dropped, except the group's last one, which
  // stays as an empty batch (header only, as Kafka does) so the new segment ends exactly where
  // the old ones did: recovery of an interrupted swap relies on that end offset.
  bytes pending_empty;
  for (const auto& s : group) {
    stats.bytes_before += s->size();
    SHOAL_TRY(s->for_each_batch([&](bytes_view data) -> status {
      RecordBatchView v(data);
      if (v.is_control()) {
        // No transactions yet: a control batch carries nothing to keep per key.
        return {};
      }
      bool has_horizon = v.has_delete_horizon();
      int64_t horizon = has_horizon ? v.base_timestamp() : now + cfg.delete_retention_ms;
      RecordBatchBuilder b(v.codec());
      b.set_base_offset(v.base_offset());
      b.set_partition_leader_epoch(v.partition_leader_epoch());
      b.set_producer(v.producer_id(), v.producer_epoch(), v.base_sequence());
      b.set_transactional(v.is_transactional());
      b.set_timestamp_type(v.ts_type());
      bool removed_any = false, kept_tombstone = false;
      std::vector<RecordView> kept;
      RecordReader reader(v, scratch);
      RecordView r;
      while (reader.next(r)) {
        offset o = v.base_offset() + r.offset_delta;
        bool keep = true;
        if (r.key_null) {
          keep = false;  // a compacted log cannot hold keyless records
        } else if (auto it = map.find(key_of(r)); it != map.end() && o() < it->second) {
          keep = false;  // a later record has the same key
        } else if (r.value_null) {
          // A tombstone stays until its horizon passes, so consumers can see the delete.
          if (has_horizon && now >= horizon) {
            keep = false;
            ++stats.tombstones_removed;
          } else {
            kept_tombstone = true;
          }
        }
        if (keep) {
          kept.push_back(r);
        } else {
          removed_any = true;
          ++stats.records_removed;
        }
      }
      SHOAL_TRY(reader.status());
      bool stamp_horizon = kept_tombstone && !has_horizon;
      if (kept_tombstone) next_horizon = std::min(next_horizon, horizon);
      if (kept.empty()) {
        b.set_last_offset_delta(v.last_offset_delta());
        b.set_max_timestamp(v.max_timestamp());
        SHOAL_ASSIGN_OR_RETURN(pending_empty, b.build());
        return {};
      }
      pending_empty.clear();
      bytes rebuilt;
      bytes_view to_write = data;
      if (removed_any || stamp_horizon) {
        if (stamp_horizon || has_horizon) b.set_delete_horizon(horizon);
        for (const auto& k : kept) b.append_record(k, v.base_timestamp());
        // Keep the batch's offset span so the segment's offsets do not move.
        b.set_last_offset_delta(v.last_offset_delta());
        if (v.ts_type() == timestamp_type::log_append_time) b.set_max_timestamp(v.max_timestamp());
        SHOAL_ASSIGN_OR_RETURN(rebuilt, b.build());
        to_write = rebuilt;
      }
      RecordBatchView w(to_write);
      BatchMeta m{w.base_offset(), w.last_offset(), w.max_timestamp(), 0, to_write.size()};
      return out->append(to_write, std::span<const BatchMeta>(&m, 1));
    }));
  }
  if (!pending_empty.empty()) {
    RecordBatchView w(pending_empty);
    BatchMeta m{w.base_offset(), w.last_offset(), w.max_timestamp(), 0, pending_empty.size()};
    SHOAL_TRY(out->append(pending_empty, std::span<const BatchMeta>(&m, 1)));
  }
  out->on_become_inactive();
  SHOAL_TRY(out->flush());
  stats.bytes_after += out->size();
  stats.segments_cleaned += static_cast<int>(group.size());

  // Commit: once <base>.log.swap exists, a restart finishes this swap. From here on a failure
  // leaves the disk ahead of memory, so the log goes offline until it is reopened.
  auto committed = out->rename_suffix(lf::cleaned_suffix, lf::swap_suffix);
  if (committed) committed = env->sync_dir(lg.dir_);
  if (!committed) {
    std::lock_guard wl(lg.write_mu_);
    return lg.mark_offline(committed.err());
  }
  {
    std::lock_guard wl(lg.write_mu_);
    {
      std::unique_lock sl(lg.segments_mu_);
      for (const auto& s : group) lg.segments_.erase(s->base_offset()());
      lg.segments_[base()] = out;
    }
    for (const auto& s : group) {
      auto st = s->remove_files();
      if (!st) return lg.mark_offline(st.err());
    }
    auto st = out->rename_suffix(lf::swap_suffix, "");
    if (!st) return lg.mark_offline(st.err());
    st = env->sync_dir(lg.dir_);
    if (!st) return lg.mark_offline(st.err());
  }
  return {};
}

}  // namespace shoal::storage
