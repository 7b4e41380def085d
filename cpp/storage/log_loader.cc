// Log::open: loads a partition's log directory and repairs what a crash left behind
// (Kafka's LogLoader). The protocol it completes is described in docs/log-layout.md.
#include <algorithm>
#include <charconv>
#include <set>

#include "common/logger.h"
#include "storage/log.h"
#include "storage/log_files.h"

namespace shoal::storage {

namespace lf = log_files;

namespace {

spdlog::logger& log() {
  return logger("storage");
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct Checkpoint {
  offset recovery_point{0};
  offset log_start{0};
  offset cleaner{0};
  bool found = false;
};

Checkpoint read_checkpoint(Env* env, const fs::path& dir, const std::string& name) {
  Checkpoint c;
  fs::path p = dir / lf::checkpoint_file;
  if (!env->exists(p)) return c;
  auto text = read_small_file(env, p);
  if (!text) {
    log().warn("{} cannot read {}: {}; recovering the whole log", name, p.string(),
               text.err().message);
    return c;
  }
  std::string_view s = *text;
  int seen = 0;
  while (!s.empty()) {
    size_t nl = s.find('\n');
    std::string_view line = s.substr(0, nl);
    s = nl == std::string_view::npos ? std::string_view{} : s.substr(nl + 1);
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    std::string_view key = line.substr(0, sp), val = line.substr(sp + 1);
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(val.data(), val.data() + val.size(), v);
    if (ec != std::errc() || ptr != val.data() + val.size() || v < 0) continue;
    if (key == "recovery-point") {
      c.recovery_point = offset(v);
      ++seen;
    } else if (key == "log-start-offset") {
      c.log_start = offset(v);
      ++seen;
    } else if (key == "cleaner-offset") {
      c.cleaner = offset(v);
      ++seen;
    }
  }
  if (seen != 3) {
    log().warn("{} {} is incomplete or corrupt; recovering the whole log", name, p.string());
    return Checkpoint{};
  }
  c.found = true;
  return c;
}

}  // namespace

class LogLoader {
 public:
  static result<std::unique_ptr<Log>> load(const fs::path& dir, LogConfig config, LogOptions opts);
};

result<std::unique_ptr<Log>> Log::open(const fs::path& dir, LogConfig config, LogOptions opts) {
  return LogLoader::load(dir, config, std::move(opts));
}

result<std::unique_ptr<Log>> LogLoader::load(const fs::path& dir, LogConfig config,
                                             LogOptions opts) {
  Env* env = opts.env;
  SHOAL_TRY(env->create_dirs(dir));
  auto lg = std::unique_ptr<Log>(new Log(dir, config, std::move(opts)));
  const std::string& name = lg->name_;
  SegmentOptions seg_opts = lg->segment_options();

  bool clean = env->exists(dir / lf::clean_shutdown_file);
  bool existed = env->exists(dir / lf::checkpoint_file);
  Checkpoint ckpt = read_checkpoint(env, dir, name);

  // Pass 1: leftovers of interrupted deletions, compactions and atomic writes.
  SHOAL_ASSIGN_OR_RETURN(auto names, env->list_dir(dir));
  std::vector<offset> swaps;
  for (const auto& n : names) {
    if (ends_with(n, lf::deleted_suffix) || ends_with(n, lf::cleaned_suffix) ||
        ends_with(n, lf::tmp_suffix)) {
      SHOAL_TRY(env->remove(dir / n));
    } else if (auto b = lf::parse_segment_file(
                   n, std::string(lf::log_suffix) + std::string(lf::swap_suffix))) {
      swaps.push_back(*b);
    }
  }
  // Pass 2: finish compaction swaps. A <base>.log.swap exists only once the cleaned segment
  // was completely written and synced, so it replaces the segments whose offsets it covers.
  std::sort(swaps.begin(), swaps.end());
  for (offset b : swaps) {
    SHOAL_ASSIGN_OR_RETURN(auto swap, LogSegment::open(env, dir, b, seg_opts, lf::swap_suffix));
    SHOAL_ASSIGN_OR_RETURN(auto rec, swap->recover(b));
    offset end = swap->next_offset();
    SHOAL_ASSIGN_OR_RETURN(auto current, env->list_dir(dir));
    for (const auto& n : current) {
      for (auto suffix : {lf::log_suffix, lf::index_suffix, lf::time_index_suffix}) {
        auto sb = lf::parse_segment_file(n, suffix);
        if (sb && *sb >= b && *sb < end) SHOAL_TRY(env->remove(dir / n));
      }
    }
    SHOAL_TRY(swap->rename_suffix(lf::swap_suffix, ""));
    SHOAL_TRY(env->sync_dir(dir));
    log().warn("{} completed an interrupted compaction: segment {} now covers offsets [{}, {})",
               name, lf::segment_stem(b), b, end);
  }
  // Stray index swaps (their log was never renamed): the compaction did not commit.
  SHOAL_ASSIGN_OR_RETURN(names, env->list_dir(dir));
  std::set<int64_t> bases;
  for (const auto& n : names) {
    if (ends_with(n, lf::swap_suffix)) {
      SHOAL_TRY(env->remove(dir / n));
    } else if (auto b = lf::parse_segment_file(n, lf::log_suffix)) {
      bases.insert((*b)());
    }
  }
  for (const auto& n : names) {
    for (auto suffix : {lf::index_suffix, lf::time_index_suffix}) {
      auto b = lf::parse_segment_file(n, suffix);
      if (b && !bases.count((*b)())) SHOAL_TRY(env->remove(dir / n));
    }
  }

  // The marker only describes the run that wrote it.
  if (clean) {
    SHOAL_TRY(env->remove(dir / lf::clean_shutdown_file));
    SHOAL_TRY(env->sync_dir(dir));
  }
  offset recovery_point = clean ? offset(INT64_MAX) : ckpt.recovery_point;

  // Pass 3: open the segments; recover those past the recovery point, and any whose indexes
  // fail their checks.
  std::vector<std::shared_ptr<LogSegment>> segs;
  std::vector<int64_t> ordered(bases.begin(), bases.end());
  bool recovered_any = false;
  offset prev_next(0);
  for (size_t i = 0; i < ordered.size(); ++i) {
    offset base(ordered[i]);
    bool last = i + 1 == ordered.size();
    SHOAL_ASSIGN_OR_RETURN(auto opened, LogSegment::open(env, dir, base, seg_opts));
    std::shared_ptr<LogSegment> seg(std::move(opened));
    // Segments that start at or after the recovery point, and the one holding it.
    bool past_recovery_point = last || offset(ordered[i + 1]) > recovery_point;
    bool needs_recovery = past_recovery_point && !clean;
    std::string reason = needs_recovery ? "unclean shutdown" : "";
    if (!needs_recovery) {
      auto st = seg->load_indexes();
      if (!st) {
        needs_recovery = true;
        reason = st.err().message;
      } else if (!last && seg->size() > 0 && !seg->has_time_index_entries()) {
        // No final time-index entry: scan to learn the segment's largest timestamp.
        needs_recovery = true;
        reason = "its time index is empty";
      } else {
        SHOAL_ASSIGN_OR_RETURN(bool ok, seg->load_tail());
        if (!ok) {
          needs_recovery = true;
          reason = "the data after its last index entry is invalid";
        }
      }
    }
    if (needs_recovery) {
      recovered_any = true;
      SHOAL_ASSIGN_OR_RETURN(auto rec, seg->recover(prev_next));
      if (rec.truncated_bytes > 0) {
        log().warn("{} recovery of {} ({}): cut {} bytes at offset {} because {}", name,
                   seg->log_path().string(), reason, rec.truncated_bytes, seg->next_offset(),
                   rec.reason);
        if (past_recovery_point) {
          // Past the recovery point nothing was flushed: later segments were written after
          // the invalid data and cannot follow it.
          segs.push_back(seg);
          for (size_t j = i + 1; j < ordered.size(); ++j) {
            SHOAL_ASSIGN_OR_RETURN(auto later,
                                   LogSegment::open(env, dir, offset(ordered[j]), seg_opts));
            log().warn("{} recovery: deleting {} which followed the invalid data", name,
                       later->log_path().string());
            SHOAL_TRY(later->remove_files());
          }
          break;
        }
        // Before the recovery point the data was flushed: damage there (a bad disk) costs
        // only the damaged segment's tail; the later segments are valid on their own.
      }
      log().info("{} recovered {} ({}): {} bytes valid, next offset {}", name,
                 seg->log_path().string(), reason, seg->size(), seg->next_offset());
    }
    prev_next = seg->next_offset();
    segs.push_back(seg);
  }
  int64_t now = lg->opts_.clock();
  if (segs.empty()) {
    SHOAL_ASSIGN_OR_RETURN(auto created,
                           LogSegment::create(env, dir, ckpt.log_start, seg_opts, now));
    segs.emplace_back(std::move(created));
  }
  // Segments wholly below the checkpointed log start (a deletion the crash interrupted).
  while (segs.size() > 1 && segs[1]->base_offset() <= ckpt.log_start) {
    SHOAL_TRY(segs.front()->remove_files());
    segs.erase(segs.begin());
  }
  for (auto& s : segs) lg->segments_[s->base_offset()()] = s;

  offset log_end = segs.back()->next_offset();
  offset log_start = std::max(ckpt.log_start, segs.front()->base_offset());
  lg->log_end_.store(log_end(), std::memory_order_release);
  lg->log_start_.store(std::min(log_start, log_end)(), std::memory_order_release);
  lg->cleaner_checkpoint_ = std::clamp(ckpt.cleaner, lg->log_start_offset(), log_end);
  lg->recovery_point_ = std::min(ckpt.recovery_point, log_end);
  lg->last_flush_ms_ = now;
  {
    std::lock_guard lock(lg->write_mu_);
    if (log_start > log_end) {
      // DeleteRecords moved the start past data a crash then lost: restart empty there.
      log().warn("{} log start offset {} is past the recovered log end {}; restarting empty", name,
                 log_start, log_end);
    }
    if (clean || recovered_any) {
      // Everything now on disk was checked: make it durable and move the recovery point.
      SHOAL_TRY(lg->flush_locked(log_end));
    } else {
      SHOAL_TRY(lg->write_checkpoint_locked());
    }
  }
  // The leader epochs, from their checkpoint, or rebuilt from the batches when it is missing
  // or does not fit the recovered log.
  lg->epochs_ = std::make_unique<LeaderEpochCache>(env, dir / "leader-epoch-checkpoint");
  SHOAL_ASSIGN_OR_RETURN(bool loaded, lg->epochs_->load());
  auto latest = lg->epochs_->latest();
  if (!loaded || (latest && latest->start > log_end)) {
    SHOAL_TRY(lg->epochs_->clear());
    for (const auto& s : segs) {
      SHOAL_TRY(s->for_each_batch([&](bytes_view batch) -> status {
        RecordBatchView v(batch);
        if (v.partition_leader_epoch() >= 0) {
          return lg->epochs_->assign(v.partition_leader_epoch(), v.base_offset());
        }
        return {};
      }));
    }
  }
  SHOAL_TRY(lg->epochs_->truncate_from_end(log_end));
  if (log_start > log_end) {
    SHOAL_TRY(lg->truncate_fully_and_start_at(log_start));
  } else {
    std::lock_guard lock(lg->write_mu_);
    SHOAL_TRY(lg->rebuild_producer_state_locked());
  }
  if (!existed && ordered.empty()) {
    log().info("{} created in {}", name, dir.string());
  } else {
    log().info("{} loaded: {} segment(s), offsets [{}, {}), after {} shutdown", name,
               lg->segments_.size(), lg->log_start_offset(), lg->log_end_offset(),
               clean ? "a clean" : "an unclean");
  }
  return lg;
}

}  // namespace shoal::storage
