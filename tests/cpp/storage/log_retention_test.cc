// Retention by time and size: whole segments from the front, never the active one.
#include <gtest/gtest.h>

#include "storage/log.h"
#include "test_util.h"

namespace shoal::storage {
namespace {

using testing::make_simple_batch;
using testing::ManualClock;
using testing::read_all;
using testing::TempDir;

struct Fixture {
  TempDir dir;
  ManualClock clock;
  std::unique_ptr<Log> lg;
  Fixture(LogConfig cfg) {
    auto r = Log::open(dir.path(), cfg, LogOptions{.clock = clock.fn()});
    EXPECT_TRUE(r);
    lg = std::move(r).value();
  }
  // Appends n batches of 4 records stamped `ts`.
  void append(int n, int64_t ts) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(
          lg->append_as_leader(make_simple_batch(4, ts, compression::none, 40), leader_epoch(0)));
    }
  }
};

LogConfig base_config() {
  LogConfig cfg;
  cfg.segment_bytes = 2000;
  return cfg;
}

TEST(LogRetention, DeletesSegmentsOlderThanRetentionMs) {
  LogConfig cfg = base_config();
  cfg.retention_ms = 60'000;
  Fixture f(cfg);
  int64_t now = f.clock.now;
  f.append(30, now - 120'000);  // old
  f.append(30, now - 1'000);    // recent
  size_t before = f.lg->segment_count();
  auto n = f.lg->delete_old_segments();
  ASSERT_TRUE(n) << n.err().to_string();
  EXPECT_GT(*n, 0);
  EXPECT_EQ(f.lg->segment_count(), before - static_cast<size_t>(*n));
  auto recs = read_all(*f.lg);
  // Every old record is gone only if its whole segment was old; no recent record is gone.
  int recent = 0;
  for (auto& r : recs) recent += r.timestamp >= now - 1'000 ? 1 : 0;
  EXPECT_EQ(recent, 120);
  EXPECT_EQ(f.lg->log_start_offset(), offset(recs.front().offset));
  EXPECT_LE(recs.front().offset, 120);
}

TEST(LogRetention, NeverDeletesTheActiveSegment) {
  LogConfig cfg = base_config();
  cfg.retention_ms = 1;
  Fixture f(cfg);
  f.append(2, 0);  // fits in one segment
  ASSERT_EQ(f.lg->segment_count(), 1u);
  auto n = f.lg->delete_old_segments();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(read_all(*f.lg).size(), 8u);
}

TEST(LogRetention, DeletesByRetentionBytes) {
  LogConfig cfg = base_config();
  cfg.retention_bytes = 5000;
  cfg.retention_ms = -1;
  Fixture f(cfg);
  f.append(100, f.clock.now);
  ASSERT_TRUE(f.lg->delete_old_segments());
  EXPECT_LE(f.lg->size_bytes(), 5000 + cfg.segment_bytes);
  EXPECT_GE(f.lg->size_bytes(), 5000 - cfg.segment_bytes);
  EXPECT_EQ(f.lg->log_end_offset(), offset(400));
}

TEST(LogRetention, RetentionMsMinusOneKeepsForever) {
  LogConfig cfg = base_config();
  cfg.retention_ms = -1;
  Fixture f(cfg);
  f.append(40, 0);
  auto n = f.lg->delete_old_segments();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0);
}

TEST(LogRetention, CompactOnlyPolicyDoesNotDeleteByTime) {
  LogConfig cfg = base_config();
  cfg.retention_ms = 1;
  cfg.cleanup_delete = false;
  cfg.cleanup_compact = true;
  Fixture f(cfg);
  f.append(40, 0);
  auto n = f.lg->delete_old_segments();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0);
}

TEST(LogRetention, LoweringRetentionLiveAppliesAtNextCheck) {
  LogConfig cfg = base_config();
  Fixture f(cfg);
  f.append(40, f.clock.now - 3'600'000);
  ASSERT_EQ(*f.lg->delete_old_segments(), 0);
  cfg.retention_ms = 60'000;
  f.lg->set_config(cfg);
  EXPECT_GT(*f.lg->delete_old_segments(), 0);
}

TEST(LogRetention, LogStartSurvivesRestart) {
  LogConfig cfg = base_config();
  cfg.retention_ms = 60'000;
  TempDir dir;
  ManualClock clock;
  offset start;
  {
    auto lg = std::move(Log::open(dir.path(), cfg, LogOptions{.clock = clock.fn()})).value();
    for (int i = 0; i < 30; ++i)
      ASSERT_TRUE(
          lg->append_as_leader(make_simple_batch(4, 0, compression::none, 40), leader_epoch(0)));
    for (int i = 0; i < 30; ++i)
      ASSERT_TRUE(lg->append_as_leader(make_simple_batch(4, clock.now, compression::none, 40),
                                       leader_epoch(0)));
    ASSERT_GT(*lg->delete_old_segments(), 0);
    start = lg->log_start_offset();
  }
  auto lg = std::move(Log::open(dir.path(), cfg, LogOptions{.clock = clock.fn()})).value();
  EXPECT_EQ(lg->log_start_offset(), start);
}

}  // namespace
}  // namespace shoal::storage
