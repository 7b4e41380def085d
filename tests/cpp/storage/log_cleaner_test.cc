// Compaction: latest record per key, offsets kept, tombstones removed after
// delete.retention.ms, the active segment untouched, and crash safety: a crash at any step
// (every file operation in turn) or a SIGKILL at a random moment leaves either the old or the
// new segments, never a mix and never a loss.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "storage/log.h"
#include "storage/log_files.h"
#include "test_util.h"

namespace shoal::storage {
namespace {

using testing::as_bytes;
using testing::FaultInjectionEnv;
using testing::ManualClock;
using testing::read_all;
using testing::TempDir;
using testing::TestRecord;

LogConfig compact_config() {
  LogConfig cfg;
  cfg.cleanup_compact = true;
  cfg.cleanup_delete = false;
  cfg.segment_bytes = 3000;
  cfg.index_interval_bytes = 200;
  return cfg;
}

// Writes `batches` batches of 5 records with keys drawn from `keys` distinct values; some
// values are tombstones when `tombstones`. Returns every record by offset.
std::map<int64_t, TestRecord> populate(Log& lg, int batches, int keys, int seed, bool tombstones,
                                       int64_t ts) {
  std::mt19937 rng(seed);
  std::map<int64_t, TestRecord> all;
  for (int b = 0; b < batches; ++b) {
    std::vector<TestRecord> recs;
    for (int i = 0; i < 5; ++i) {
      TestRecord r;
      r.offset = i;
      r.timestamp = ts;
      r.key = "key-" + std::to_string(rng() % keys);
      if (!tombstones || rng() % 6 != 0) r.value = "value-" + std::to_string(b * 5 + i);
      recs.push_back(r);
    }
    auto codec = static_cast<compression>(b % 5);
    bytes batch = testing::make_batch(recs, codec);
    auto info = lg.append_as_leader(batch, leader_epoch(0));
    EXPECT_TRUE(info);
    for (int i = 0; i < 5; ++i) {
      recs[i].offset = info->first_offset() + i;
      all[recs[i].offset] = recs[i];
    }
  }
  return all;
}

// The latest offset of every key among records below `end`.
std::map<std::string, int64_t> latest_by_key(const std::map<int64_t, TestRecord>& all,
                                             int64_t end) {
  std::map<std::string, int64_t> latest;
  for (const auto& [o, r] : all) {
    if (o < end) latest[*r.key] = o;
  }
  return latest;
}

// Checks a log after compaction (complete or interrupted): every record is one of the
// originals at its own offset, offsets increase, nothing at or past `active_base` is lost,
// and the latest record of every key is present.
void verify_no_loss_no_mix(const Log& lg, const std::map<int64_t, TestRecord>& all,
                           int64_t active_base) {
  auto recs = read_all(lg);
  int64_t prev = -1;
  std::set<int64_t> present;
  for (const auto& r : recs) {
    ASSERT_GT(r.offset, prev);
    prev = r.offset;
    auto it = all.find(r.offset);
    ASSERT_NE(it, all.end()) << "unknown offset " << r.offset;
    ASSERT_EQ(r.key, it->second.key) << "offset " << r.offset;
    ASSERT_EQ(r.value, it->second.value) << "offset " << r.offset;
    present.insert(r.offset);
  }
  for (const auto& [key, o] : latest_by_key(all, INT64_MAX)) {
    ASSERT_TRUE(present.count(o)) << "lost the latest record of " << key << " at " << o;
  }
  for (const auto& [o, r] : all) {
    if (o >= active_base) {
      ASSERT_TRUE(present.count(o)) << "lost active-segment offset " << o;
    }
  }
  testing::check_batches(lg);
}

TEST(LogCleaner, KeepsLatestPerKeyAndOffsets) {
  TempDir dir;
  auto lg = std::move(Log::open(dir.path(), compact_config())).value();
  auto all = populate(*lg, 200, 20, 1, false, 1000);
  int64_t active_base = lg->segment_base_offsets().back()();
  int64_t before = lg->size_bytes();
  auto stats = lg->compact(true);
  ASSERT_TRUE(stats) << stats.err().to_string();
  EXPECT_GT(stats->records_removed, 0);
  EXPECT_LT(lg->size_bytes(), before);
  verify_no_loss_no_mix(*lg, all, active_base);
  // Below the active segment exactly the latest record of each key remains.
  auto latest = latest_by_key(all, active_base);
  auto recs = read_all(*lg);
  std::map<std::string, int> seen;
  for (const auto& r : recs) {
    if (r.offset < active_base) {
      EXPECT_EQ(latest[*r.key], r.offset) << *r.key;
      ++seen[*r.key];
    }
  }
  for (const auto& [k, n] : seen) EXPECT_EQ(n, 1) << k;
  // Offsets did not move: the log end is unchanged and appends continue from it.
  EXPECT_EQ(lg->log_end_offset(), offset(1000));
  ASSERT_TRUE(lg->close());
  auto reopened = std::move(Log::open(dir.path(), compact_config())).value();
  EXPECT_EQ(read_all(*reopened), recs);
}

TEST(LogCleaner, NeverTouchesTheActiveSegment) {
  TempDir dir;
  LogConfig cfg = compact_config();
  cfg.segment_bytes = 1 << 20;
  auto lg = std::move(Log::open(dir.path(), cfg)).value();
  auto all = populate(*lg, 50, 3, 2, false, 1000);
  ASSERT_EQ(lg->segment_count(), 1u);
  auto stats = lg->compact(true);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->records_removed, 0);
  EXPECT_EQ(read_all(*lg).size(), 250u);
}

TEST(LogCleaner, RespectsDirtyRatio) {
  TempDir dir;
  LogConfig cfg = compact_config();
  cfg.min_cleanable_dirty_ratio = 0.99;
  auto lg = std::move(Log::open(dir.path(), cfg)).value();
  populate(*lg, 100, 10, 3, false, 1000);
  ASSERT_TRUE(lg->compact(true));  // cleans everything: the dirty part is now new data only
  populate(*lg, 10, 10, 4, false, 1000);
  auto stats = lg->compact(false);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->segments_cleaned, 0);
}

TEST(LogCleaner, TombstonesLeaveAfterDeleteRetention) {
  TempDir dir;
  ManualClock clock;
  LogConfig cfg = compact_config();
  cfg.delete_retention_ms = 10'000;
  auto lg = std::move(Log::open(dir.path(), cfg, LogOptions{.clock = clock.fn()})).value();
  // key-a set, then deleted; then enough other data to make those segments inactive.
  std::vector<TestRecord> set = {{0, 1, "key-a", "x", {}}};
  std::vector<TestRecord> del = {{0, 2, "key-a", std::nullopt, {}}};
  ASSERT_TRUE(lg->append_as_leader(testing::make_batch(set), leader_epoch(0)));
  ASSERT_TRUE(lg->append_as_leader(testing::make_batch(del), leader_epoch(0)));
  populate(*lg, 100, 10, 5, false, 3);
  auto first = lg->compact(true);
  ASSERT_TRUE(first);
  auto has_key_a = [&] {
    int n = 0;
    for (auto& r : read_all(*lg)) n += r.key == "key-a";
    return n;
  };
  EXPECT_EQ(has_key_a(), 1);  // the tombstone stays for now (consumers must see it)
  clock.now += 5'000;
  ASSERT_TRUE(lg->compact(true));
  EXPECT_EQ(has_key_a(), 1);
  clock.now += 5'001;
  auto last = lg->compact(true);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->tombstones_removed, 1);
  EXPECT_EQ(has_key_a(), 0);
}

TEST(LogCleaner, MinCompactionLagProtectsRecentSegments) {
  TempDir dir;
  ManualClock clock;
  LogConfig cfg = compact_config();
  cfg.min_compaction_lag_ms = 60'000;
  auto lg = std::move(Log::open(dir.path(), cfg, LogOptions{.clock = clock.fn()})).value();
  populate(*lg, 100, 5, 6, false, clock.now - 1000);
  auto stats = lg->compact(true);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->records_removed, 0);
  clock.now += 120'000;
  stats = lg->compact(true);
  ASSERT_TRUE(stats);
  EXPECT_GT(stats->records_removed, 0);
}

// Builds a log worth compacting and closes it; returns the records and the active base.
struct Pristine {
  TempDir dir;
  std::map<int64_t, TestRecord> all;
  int64_t active_base = 0;
  Pristine() {
    auto lg = std::move(Log::open(dir.path(), compact_config())).value();
    all = populate(*lg, 300, 25, 7, true, 1000);
    active_base = lg->segment_base_offsets().back()();
    EXPECT_TRUE(lg->close());
  }
};

void copy_dir(const fs::path& from, const fs::path& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

TEST(LogCleaner, CrashAtEveryStepLeavesOldOrNewSegments) {
  Pristine p;
  TempDir work;
  fs::path dir = work / "log";
  // Count the file operations of a full open + compaction.
  int64_t total_ops = 0;
  {
    copy_dir(p.dir.path(), dir);
    FaultInjectionEnv env;
    auto lg = std::move(Log::open(dir, compact_config(), LogOptions{.env = &env})).value();
    ASSERT_TRUE(lg->compact(true));
    total_ops = env.mutating_ops();
  }
  ASSERT_GT(total_ops, 20);
  for (int64_t k = 1; k <= total_ops; ++k) {
    copy_dir(p.dir.path(), dir);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      FaultInjectionEnv env;
      env.crash_at_op(k);
      auto lg = Log::open(dir, compact_config(), LogOptions{.env = &env});
      if (lg) (void)(*lg)->compact(true);
      ::_exit(3);  // got through without reaching op k
    }
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFEXITED(wstatus));
    auto lg = Log::open(dir, compact_config());
    ASSERT_TRUE(lg) << "crash at op " << k << ": " << lg.err().to_string();
    SCOPED_TRACE("crash at op " + std::to_string(k));
    verify_no_loss_no_mix(**lg, p.all, p.active_base);
    if (::testing::Test::HasFatalFailure()) return;
    // And compaction completes from whatever state the crash left.
    ASSERT_TRUE((*lg)->compact(true));
    verify_no_loss_no_mix(**lg, p.all, p.active_base);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(LogCleaner, SigkillAtRandomMomentsDuringCompaction) {
  Pristine p;
  TempDir work;
  fs::path dir = work / "log";
  auto run_child = [&]() -> pid_t {
    pid_t pid = ::fork();
    if (pid == 0) {
      auto lg = Log::open(dir, compact_config());
      if (lg) (void)(*lg)->compact(true);
      ::_exit(0);
    }
    return pid;
  };
  // How long an uninterrupted run takes, to spread the kills over it.
  copy_dir(p.dir.path(), dir);
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = run_child();
  ASSERT_GT(pid, 0);
  ::waitpid(pid, nullptr, 0);
  auto full_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::mt19937 rng(99);
  for (int round = 0; round < 25; ++round) {
    copy_dir(p.dir.path(), dir);
    pid = run_child();
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(
        std::chrono::microseconds(rng() % static_cast<uint64_t>(full_us + 1)));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    auto lg = Log::open(dir, compact_config());
    ASSERT_TRUE(lg) << lg.err().to_string();
    SCOPED_TRACE("round " + std::to_string(round));
    verify_no_loss_no_mix(**lg, p.all, p.active_base);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace shoal::storage
