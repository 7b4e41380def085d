// Recovery on open: a crash (no clean-shutdown marker), flipped bytes, truncated segments,
// missing and garbage indexes. After every reopen the log holds only valid batches with
// increasing offsets, and a read never returns a corrupt record.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "storage/log.h"
#include "storage/log_files.h"
#include "test_util.h"

namespace shoal::storage {
namespace {

using testing::check_batches;
using testing::make_simple_batch;
using testing::read_all;
using testing::TempDir;

std::unique_ptr<Log> open_log(const fs::path& dir, LogConfig cfg = {}) {
  auto r = Log::open(dir, cfg);
  EXPECT_TRUE(r) << r.err().to_string();
  return std::move(r).value();
}

LogConfig small_segments() {
  LogConfig cfg;
  cfg.segment_bytes = 4000;
  cfg.index_interval_bytes = 300;
  return cfg;
}

// Appends n batches of 4 records (~250 bytes each); returns the file position of every batch
// in its segment keyed by base offset.
void fill(Log& lg, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(lg.append_as_leader(make_simple_batch(4, 1000 + i, compression::none, 40),
                                    leader_epoch(0)));
  }
}

fs::path last_segment(const Log& lg) {
  return log_files::segment_file(lg.dir(), lg.segment_base_offsets().back(), log_files::log_suffix);
}

void flip_byte(const fs::path& p, int64_t pos) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(pos);
  char c;
  f.read(&c, 1);
  c ^= 0x10;
  f.seekp(pos);
  f.write(&c, 1);
}

void truncate_file(const fs::path& p, int64_t size) {
  fs::resize_file(p, static_cast<uintmax_t>(size));
}

TEST(LogRecovery, UncleanShutdownKeepsEverythingWritten) {
  TempDir dir;
  {
    auto lg = open_log(dir.path(), small_segments());
    fill(*lg, 100);
    // Destroyed without close(): no marker, like a SIGKILL.
  }
  EXPECT_FALSE(fs::exists(dir / "clean-shutdown"));
  auto lg = open_log(dir.path(), small_segments());
  EXPECT_EQ(lg->log_end_offset(), offset(400));
  EXPECT_EQ(check_batches(*lg), 100);
  EXPECT_EQ(lg->recovery_point(), offset(400));
}

TEST(LogRecovery, FlippedByteInLastSegmentCutsThere) {
  TempDir dir;
  fs::path seg;
  int64_t size = 0;
  {
    auto lg = open_log(dir.path(), small_segments());
    fill(*lg, 100);
    seg = last_segment(*lg);
    size = static_cast<int64_t>(fs::file_size(seg));
  }
  // A byte near the end of the last segment: inside one of its last batches.
  flip_byte(seg, size - 100);
  auto lg = open_log(dir.path(), small_segments());
  EXPECT_LT(lg->log_end_offset(), offset(400));
  EXPECT_GT(lg->log_end_offset(), offset(380));
  EXPECT_EQ(static_cast<int>(lg->log_end_offset()() / 4), check_batches(*lg));
  auto recs = read_all(*lg);
  for (size_t i = 0; i < recs.size(); ++i) EXPECT_EQ(recs[i].offset, static_cast<int64_t>(i));
  // The log goes on from the cut.
  auto info = lg->append_as_leader(make_simple_batch(4), leader_epoch(0));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->first_offset, offset(static_cast<int64_t>(recs.size())));
}

TEST(LogRecovery, FlippedByteAfterCleanShutdownIsCaughtAtTheTail) {
  TempDir dir;
  fs::path seg;
  int64_t size = 0;
  {
    auto lg = open_log(dir.path(), small_segments());
    fill(*lg, 100);
    seg = last_segment(*lg);
    size = static_cast<int64_t>(fs::file_size(seg));
    ASSERT_TRUE(lg->close());
  }
  flip_byte(seg, size - 20);
  auto lg = open_log(dir.path(), small_segments());
  EXPECT_EQ(lg->log_end_offset(), offset(396));
  EXPECT_EQ(check_batches(*lg), 99);
}

TEST(LogRecovery, ReadRefusesACorruptBatchItDidNotRescan) {
  TempDir dir;
  fs::path first_seg;
  {
    auto lg = open_log(dir.path(), small_segments());
    fill(*lg, 100);
    first_seg = log_files::segment_file(dir.path(), offset(0), log_files::log_suffix);
    ASSERT_TRUE(lg->close());
  }
  // Corrupt the second batch of the first segment: a clean start does not rescan it.
  auto probe = open_log(dir.path(), small_segments());
  auto one = probe->read(offset(0), 1);
  ASSERT_TRUE(one);
  int64_t first_size = static_cast<int64_t>(one->records.size());
  ASSERT_TRUE(probe->close());
  probe.reset();
  flip_byte(first_seg, first_size + 70);

  auto lg = open_log(dir.path(), small_segments());
  auto ok = lg->read(offset(0), 1);
  ASSERT_TRUE(ok);
  EXPECT_EQ(testing::decode_batches(ok->records).size(), 4u);
  auto bad = lg->read(offset(4), 1 << 20);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.code(), errc::corrupt_message);
  EXPECT_NE(bad.err().message.find(".log"), std::string::npos);  // names the file
  // A read spanning good and bad batches stops before the bad one.
  auto partial = lg->read(offset(0), 1 << 20);
  ASSERT_TRUE(partial);
  EXPECT_EQ(testing::decode_batches(partial->records).size(), 4u);
  // Later batches remain readable.
  auto later = lg->read(offset(8), 1 << 20);
  ASSERT_TRUE(later);
}

TEST(LogRecovery, SegmentTruncatedMidBatch) {
  for (bool clean : {false, true}) {
    TempDir dir;
    fs::path seg;
    int64_t size = 0;
    {
      auto lg = open_log(dir.path(), small_segments());
      fill(*lg, 100);
      seg = last_segment(*lg);
      size = static_cast<int64_t>(fs::file_size(seg));
      if (clean) {
        ASSERT_TRUE(lg->close());
      }
    }
    truncate_file(seg, size - 7);
    auto lg = open_log(dir.path(), small_segments());
    EXPECT_EQ(lg->log_end_offset(), offset(396)) << "clean=" << clean;
    EXPECT_EQ(check_batches(*lg), 99);
    // The partial batch's bytes are cut from the file.
    EXPECT_LT(static_cast<int64_t>(fs::file_size(seg)), size - 7);
  }
}

TEST(LogRecovery, CorruptMiddleSegmentAfterCrashDropsEverythingAfterIt) {
  TempDir dir;
  LogConfig cfg = small_segments();
  std::vector<offset> bases;
  {
    auto lg = open_log(dir.path(), cfg);
    fill(*lg, 100);
    bases = lg->segment_base_offsets();
    ASSERT_GE(bases.size(), 4u);
  }
  // Remove the checkpoint: recovery must start from the beginning.
  fs::remove(dir / "log-checkpoints");
  fs::path mid = log_files::segment_file(dir.path(), bases[2], log_files::log_suffix);
  flip_byte(mid, 100);
  auto lg = open_log(dir.path(), cfg);
  EXPECT_LT(lg->log_end_offset(), bases[3]);
  EXPECT_GE(lg->log_end_offset(), bases[2]);
  EXPECT_EQ(lg->segment_count(), 3u);
  EXPECT_FALSE(fs::exists(log_files::segment_file(dir.path(), bases[3], log_files::log_suffix)));
  check_batches(*lg);
}

TEST(LogRecovery, DamageInAFlushedSegmentKeepsTheSegmentsAfterIt) {
  TempDir dir;
  LogConfig cfg = small_segments();
  std::vector<offset> bases;
  {
    auto lg = open_log(dir.path(), cfg);
    fill(*lg, 100);
    bases = lg->segment_base_offsets();
    ASSERT_TRUE(lg->close());
  }
  // A damaged index makes the loader rescan segment 1, which finds the damaged batch.
  fs::remove(log_files::segment_file(dir.path(), bases[1], log_files::index_suffix));
  flip_byte(log_files::segment_file(dir.path(), bases[1], log_files::log_suffix), 300);
  auto lg = open_log(dir.path(), cfg);
  EXPECT_EQ(lg->log_end_offset(), offset(400));
  EXPECT_EQ(lg->segment_count(), bases.size());
  auto recs = read_all(*lg);
  EXPECT_LT(recs.size(), 400u);
  EXPECT_EQ(recs.back().offset, 399);
  check_batches(*lg);
}

TEST(LogRecovery, SmallIndexesNeverOverflowOnRecovery) {
  TempDir leader_dir, dir;
  LogConfig cfg;
  cfg.segment_index_bytes = 120;  // 15 offset entries, 10 time entries
  cfg.index_interval_bytes = 1;
  auto leader = open_log(leader_dir.path());
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(leader->append_as_leader(make_simple_batch(2, i), leader_epoch(0)));
  auto data = leader->read(offset(0), 1 << 20);
  ASSERT_TRUE(data);
  {
    auto follower = open_log(dir.path(), cfg);
    // One follower append carrying 40 batches: more than either index holds.
    ASSERT_TRUE(follower->append_as_follower(data->records));
  }
  auto follower = open_log(dir.path(), cfg);
  EXPECT_EQ(follower->log_end_offset(), offset(80));
  EXPECT_EQ(read_all(*follower).size(), 80u);
}

TEST(LogRecovery, BatchesWithoutTimestampsAreNotTimeIndexed) {
  TempDir dir;
  LogConfig cfg = small_segments();
  {
    auto lg = open_log(dir.path(), cfg);
    for (int i = 0; i < 40; ++i) {
      std::vector<testing::TestRecord> recs(
          4, testing::TestRecord{-1, -1, "k", std::string(40, 'v'), {}});
      ASSERT_TRUE(lg->append_as_leader(testing::make_batch(recs), leader_epoch(0)));
    }
    ASSERT_TRUE(lg->close());
  }
  for (const auto& e : fs::directory_iterator(dir.path())) {
    if (e.path().extension() == ".timeindex") {
      EXPECT_EQ(fs::file_size(e.path()), 0u) << e.path();
    }
  }
  auto lg = open_log(dir.path(), cfg);
  EXPECT_EQ(read_all(*lg).size(), 160u);
}

TEST(LogRecovery, DeletedIndexIsRebuilt) {
  TempDir dir;
  LogConfig cfg = small_segments();
  std::vector<offset> bases;
  {
    auto lg = open_log(dir.path(), cfg);
    fill(*lg, 100);
    bases = lg->segment_base_offsets();
    ASSERT_TRUE(lg->close());
  }
  fs::path idx = log_files::segment_file(dir.path(), bases[1], log_files::index_suffix);
  fs::path tidx = log_files::segment_file(dir.path(), bases[1], log_files::time_index_suffix);
  auto old_size = fs::file_size(idx);
  ASSERT_GT(old_size, 0u);
  fs::remove(idx);
  fs::remove(tidx);
  auto lg = open_log(dir.path(), cfg);
  EXPECT_EQ(fs::file_size(idx), old_size);
  EXPECT_GT(fs::file_size(tidx), 0u);
  EXPECT_EQ(lg->log_end_offset(), offset(400));
  EXPECT_EQ(read_all(*lg).size(), 400u);
  auto ts = lg->find_offset_by_timestamp(1000 + 30);
  ASSERT_TRUE(ts && ts->has_value());
  EXPECT_EQ((*ts)->off, offset(111));  // batch 27 holds 1027..1030
}

TEST(LogRecovery, GarbageIndexIsRebuilt) {
  TempDir dir;
  LogConfig cfg = small_segments();
  std::vector<offset> bases;
  {
    auto lg = open_log(dir.path(), cfg);
    fill(*lg, 100);
    bases = lg->segment_base_offsets();
    ASSERT_TRUE(lg->close());
  }
  std::mt19937 rng(3);
  for (auto suffix : {log_files::index_suffix, log_files::time_index_suffix}) {
    fs::path p = log_files::segment_file(dir.path(), bases[1], suffix);
    auto n = fs::file_size(p);
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    for (uintmax_t i = 0; i < n; ++i) f.put(static_cast<char>(rng()));
  }
  auto lg = open_log(dir.path(), cfg);
  EXPECT_EQ(read_all(*lg).size(), 400u);
  for (int o = 0; o < 400; o += 9) {
    auto r = lg->read(offset(o), 1);
    ASSERT_TRUE(r);
    RecordBatchView v(r->records);
    EXPECT_LE(v.base_offset(), offset(o));
    EXPECT_GE(v.last_offset(), offset(o));
  }
}

TEST(LogRecovery, LeftoversOfInterruptedOperationsAreRemoved) {
  TempDir dir;
  {
    auto lg = open_log(dir.path(), small_segments());
    fill(*lg, 30);
    ASSERT_TRUE(lg->close());
  }
  for (auto name :
       {"00000000000000000004.log.cleaned", "00000000000000000004.index.cleaned",
        "00000000000000000008.log.deleted", "log-checkpoints.tmp", "00000000000000099999.index"}) {
    std::ofstream(dir / name) << "junk";
  }
  auto lg = open_log(dir.path(), small_segments());
  for (auto name :
       {"00000000000000000004.log.cleaned", "00000000000000000004.index.cleaned",
        "00000000000000000008.log.deleted", "log-checkpoints.tmp", "00000000000000099999.index"}) {
    EXPECT_FALSE(fs::exists(dir / name)) << name;
  }
  EXPECT_EQ(read_all(*lg).size(), 120u);
}

TEST(LogRecovery, GarbageCheckpointMeansFullRecovery) {
  TempDir dir;
  {
    auto lg = open_log(dir.path(), small_segments());
    fill(*lg, 50);
  }
  std::ofstream(dir / "log-checkpoints") << "recovery-point banana\n";
  auto lg = open_log(dir.path(), small_segments());
  EXPECT_EQ(lg->log_end_offset(), offset(200));
  EXPECT_EQ(check_batches(*lg), 50);
}

}  // namespace
}  // namespace shoal::storage
