// The partition log's normal operation: appends as leader and follower, reads, rolls,
// timestamps, truncation, the log start offset, and concurrent readers.
#include "storage/log.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/log_files.h"
#include "test_util.h"

namespace shoal::storage {
namespace {

using testing::make_simple_batch;
using testing::read_all;
using testing::TempDir;

std::unique_ptr<Log> open_log(const fs::path& dir, LogConfig cfg = {}, LogOptions opts = {}) {
  auto r = Log::open(dir, cfg, std::move(opts));
  EXPECT_TRUE(r) << r.err().to_string();
  return std::move(r).value();
}

TEST(Log, AppendAssignsOffsetsAndReadsBack) {
  TempDir dir;
  auto lg = open_log(dir.path());
  for (int i = 0; i < 10; ++i) {
    auto b = make_simple_batch(5, 1000 + i * 10);
    auto info = lg->append_as_leader(b, leader_epoch(3));
    ASSERT_TRUE(info) << info.err().to_string();
    EXPECT_EQ(info->first_offset, offset(i * 5));
    EXPECT_EQ(info->last_offset, offset(i * 5 + 4));
    EXPECT_EQ(info->records, 5);
  }
  EXPECT_EQ(lg->log_end_offset(), offset(50));
  auto recs = read_all(*lg);
  ASSERT_EQ(recs.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(recs[i].offset, i);
    EXPECT_EQ(recs[i].key, "k" + std::to_string(i % 5));
  }
  // Reading from the middle of a batch returns that whole batch.
  auto r = lg->read(offset(12), 1 << 20);
  ASSERT_TRUE(r);
  RecordBatchView v(r->records);
  EXPECT_EQ(v.base_offset(), offset(10));
  EXPECT_EQ(v.partition_leader_epoch(), 3);
}

// The schema registry's writers rely on it: an append conditional on the log end either
// lands exactly there or changes nothing.
TEST(Log, ConditionalAppendLandsOnlyAtTheExpectedEnd) {
  TempDir dir;
  auto lg = open_log(dir.path());
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(2), leader_epoch(0), offset(0)));
  auto stale = lg->append_as_leader(make_simple_batch(3), leader_epoch(0), offset(0));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.code(), errc::conflict);
  EXPECT_NE(stale.err().message.find("ends at offset 2, not at the expected 0"), std::string::npos)
      << stale.err().message;
  auto ahead = lg->append_as_leader(make_simple_batch(3), leader_epoch(0), offset(7));
  ASSERT_FALSE(ahead);
  EXPECT_EQ(ahead.code(), errc::conflict);
  EXPECT_EQ(lg->log_end_offset(), offset(2));  // neither refused append wrote anything
  auto ok = lg->append_as_leader(make_simple_batch(3), leader_epoch(0), offset(2));
  ASSERT_TRUE(ok) << ok.err().to_string();
  EXPECT_EQ(ok->first_offset, offset(2));
  EXPECT_TRUE(lg->append_as_leader(make_simple_batch(1), leader_epoch(0)));  // -1: always
  EXPECT_EQ(lg->log_end_offset(), offset(6));
  EXPECT_EQ(read_all(*lg).size(), 6u);
}

TEST(Log, SeveralBatchesInOneAppendAreAtomic) {
  TempDir dir;
  auto lg = open_log(dir.path());
  bytes req = make_simple_batch(3);
  bytes second = make_simple_batch(4);
  req.insert(req.end(), second.begin(), second.end());
  auto info = lg->append_as_leader(req, leader_epoch(0));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->batches, 2);
  EXPECT_EQ(info->last_offset, offset(6));
  // A bad second batch refuses the whole request.
  bytes bad = make_simple_batch(3);
  bytes corrupt = make_simple_batch(3);
  corrupt.back() ^= 1;
  bad.insert(bad.end(), corrupt.begin(), corrupt.end());
  auto r = lg->append_as_leader(bad, leader_epoch(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::corrupt_message);
  EXPECT_EQ(lg->log_end_offset(), offset(7));
}

TEST(Log, ReadRespectsMaxBytesButReturnsAtLeastOneBatch) {
  TempDir dir;
  auto lg = open_log(dir.path());
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(
        lg->append_as_leader(make_simple_batch(10, 0, compression::none, 100), leader_epoch(0)));
  auto one = lg->read(offset(0), 10);  // smaller than a batch
  ASSERT_TRUE(one);
  EXPECT_EQ(testing::decode_batches(one->records).size(), 10u);
  auto none = lg->read(offset(0), 10, std::nullopt, /*min_one=*/false);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->records.empty());
  size_t batch_size = one->records.size();
  auto three = lg->read(offset(0), batch_size * 3 + batch_size / 2);
  ASSERT_TRUE(three);
  EXPECT_EQ(three->records.size(), batch_size * 3);  // whole batches only
}

TEST(Log, ReadStopsAtUpperBound) {
  TempDir dir;
  auto lg = open_log(dir.path());
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(lg->append_as_leader(make_simple_batch(2), leader_epoch(0)));
  auto r = lg->read(offset(0), 1 << 20, offset(6));
  ASSERT_TRUE(r);
  auto recs = testing::decode_batches(r->records);
  ASSERT_EQ(recs.size(), 6u);
  auto at = lg->read(offset(6), 1 << 20, offset(6));
  ASSERT_TRUE(at);
  EXPECT_TRUE(at->records.empty());
}

TEST(Log, OutOfRangeReads) {
  TempDir dir;
  auto lg = open_log(dir.path());
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(5), leader_epoch(0)));
  auto past = lg->read(offset(6), 100);
  ASSERT_FALSE(past);
  EXPECT_EQ(past.code(), errc::offset_out_of_range);
  auto end = lg->read(offset(5), 100);
  ASSERT_TRUE(end);
  EXPECT_TRUE(end->records.empty());
  ASSERT_TRUE(lg->advance_log_start_offset(offset(3)));
  auto before = lg->read(offset(2), 100);
  ASSERT_FALSE(before);
  EXPECT_EQ(before.code(), errc::offset_out_of_range);
}

TEST(Log, RollsOnSegmentBytesAndReadsAcrossSegments) {
  TempDir dir;
  LogConfig cfg;
  cfg.segment_bytes = 4096;
  auto lg = open_log(dir.path(), cfg);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(lg->append_as_leader(make_simple_batch(4, 1000 + i, compression::none, 50),
                                     leader_epoch(0)));
  }
  EXPECT_GT(lg->segment_count(), 5u);
  auto bases = lg->segment_base_offsets();
  for (auto b : bases) {
    EXPECT_TRUE(fs::exists(log_files::segment_file(dir.path(), b, log_files::log_suffix)));
    EXPECT_TRUE(fs::exists(log_files::segment_file(dir.path(), b, log_files::index_suffix)));
  }
  auto recs = read_all(*lg, 1000);
  ASSERT_EQ(recs.size(), 400u);
  for (int i = 0; i < 400; ++i) EXPECT_EQ(recs[i].offset, i);
  // Segment files are named by 20-digit base offsets.
  EXPECT_TRUE(fs::exists(dir / "00000000000000000000.log"));
}

TEST(Log, RollsOnSegmentMs) {
  TempDir dir;
  LogConfig cfg;
  cfg.segment_ms = 1000;
  auto lg = open_log(dir.path(), cfg);
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(1, 10'000), leader_epoch(0)));
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(1, 10'500), leader_epoch(0)));
  EXPECT_EQ(lg->segment_count(), 1u);
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(1, 11'001), leader_epoch(0)));
  EXPECT_EQ(lg->segment_count(), 2u);
}

TEST(Log, RollsWhenIndexIsFull) {
  TempDir dir;
  LogConfig cfg;
  cfg.segment_index_bytes = 8 * 4;  // 4 offset-index entries
  cfg.index_interval_bytes = 1;
  auto lg = open_log(dir.path(), cfg);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(lg->append_as_leader(make_simple_batch(1), leader_epoch(0)));
  EXPECT_GE(lg->segment_count(), 4u);
  EXPECT_EQ(read_all(*lg).size(), 20u);
}

TEST(Log, IndexedReadsFindEveryOffset) {
  TempDir dir;
  LogConfig cfg;
  cfg.index_interval_bytes = 256;
  auto lg = open_log(dir.path(), cfg);
  for (int i = 0; i < 300; ++i)
    ASSERT_TRUE(
        lg->append_as_leader(make_simple_batch(3, 0, compression::none, 20), leader_epoch(0)));
  for (int o = 0; o < 900; o += 7) {
    auto r = lg->read(offset(o), 1);
    ASSERT_TRUE(r);
    RecordBatchView v(r->records);
    EXPECT_LE(v.base_offset(), offset(o));
    EXPECT_GE(v.last_offset(), offset(o));
  }
}

TEST(Log, FindsOffsetByTimestamp) {
  TempDir dir;
  LogConfig cfg;
  cfg.segment_bytes = 2000;
  cfg.index_interval_bytes = 100;
  auto lg = open_log(dir.path(), cfg);
  // Batch i holds timestamps 1000*i + 0..9.
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(lg->append_as_leader(make_simple_batch(10, 1000 * i), leader_epoch(0)));
  auto hit = lg->find_offset_by_timestamp(25'005);
  ASSERT_TRUE(hit);
  ASSERT_TRUE(hit->has_value());
  EXPECT_EQ((*hit)->off, offset(255));
  EXPECT_EQ((*hit)->timestamp, 25'005);
  auto between = lg->find_offset_by_timestamp(25'010);  // first record at or after: batch 26
  ASSERT_TRUE(between && between->has_value());
  EXPECT_EQ((*between)->off, offset(260));
  auto first = lg->find_offset_by_timestamp(-5);
  ASSERT_TRUE(first && first->has_value());
  EXPECT_EQ((*first)->off, offset(0));
  auto none = lg->find_offset_by_timestamp(10'000'000);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST(Log, LogAppendTimeStampsBatches) {
  TempDir dir;
  LogConfig cfg;
  cfg.message_timestamp_type = timestamp_type::log_append_time;
  testing::ManualClock clock;
  auto lg = open_log(dir.path(), cfg, LogOptions{.clock = clock.fn()});
  auto info = lg->append_as_leader(make_simple_batch(3, 5), leader_epoch(0));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->log_append_time, clock.now.load());
  auto recs = read_all(*lg);
  ASSERT_EQ(recs.size(), 3u);
  for (auto& r : recs) EXPECT_EQ(r.timestamp, clock.now.load());
}

TEST(Log, RecompressesForCompressionType) {
  TempDir dir;
  LogConfig cfg;
  cfg.compression_type = compression::zstd;
  auto lg = open_log(dir.path(), cfg);
  ASSERT_TRUE(
      lg->append_as_leader(make_simple_batch(20, 0, compression::gzip, 100), leader_epoch(0)));
  ASSERT_TRUE(
      lg->append_as_leader(make_simple_batch(20, 0, compression::none, 100), leader_epoch(0)));
  auto r = lg->read(offset(0), 1 << 20);
  ASSERT_TRUE(r);
  size_t pos = 0;
  int batches = 0;
  while (pos < r->records.size()) {
    RecordBatchView v(bytes_view(r->records).subspan(pos));
    EXPECT_EQ(v.codec(), compression::zstd);
    pos += static_cast<size_t>(v.batch_length()) + batch_format::log_overhead;
    ++batches;
  }
  EXPECT_EQ(batches, 2);
  auto recs = read_all(*lg);
  ASSERT_EQ(recs.size(), 40u);
  EXPECT_EQ(recs[39].offset, 39);
}

TEST(Log, PartitionMixingCodecsReadsBack) {
  TempDir dir;
  auto lg = open_log(dir.path());
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(lg->append_as_leader(make_simple_batch(7, i, static_cast<compression>(i % 5), 30),
                                     leader_epoch(0)));
  }
  auto recs = read_all(*lg);
  ASSERT_EQ(recs.size(), 105u);
  for (int i = 0; i < 105; ++i) EXPECT_EQ(recs[i].offset, i);
}

TEST(Log, FollowerKeepsOffsetsAndRefusesGoingBack) {
  TempDir leader_dir, follower_dir;
  auto leader = open_log(leader_dir.path());
  auto follower = open_log(follower_dir.path());
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(leader->append_as_leader(make_simple_batch(3), leader_epoch(7)));
  auto data = leader->read(offset(0), 1 << 20);
  ASSERT_TRUE(data);
  auto info = follower->append_as_follower(data->records);
  ASSERT_TRUE(info) << info.err().to_string();
  EXPECT_EQ(follower->log_end_offset(), offset(15));
  EXPECT_EQ(read_all(*follower), read_all(*leader));
  auto again = follower->append_as_follower(data->records);
  ASSERT_FALSE(again);
  EXPECT_EQ(follower->log_end_offset(), offset(15));
}

TEST(Log, TruncateToDropsWholeBatchesAcrossSegments) {
  TempDir dir;
  LogConfig cfg;
  cfg.segment_bytes = 1500;
  auto lg = open_log(dir.path(), cfg);
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(
        lg->append_as_leader(make_simple_batch(5, i, compression::none, 20), leader_epoch(0)));
  size_t before = lg->segment_count();
  ASSERT_TRUE(lg->truncate_to(offset(52)));  // inside batch [50, 54]
  EXPECT_EQ(lg->log_end_offset(), offset(50));
  EXPECT_LT(lg->segment_count(), before);
  EXPECT_EQ(read_all(*lg).size(), 50u);
  // Appends continue from the new end.
  auto info = lg->append_as_leader(make_simple_batch(5), leader_epoch(1));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->first_offset, offset(50));
  ASSERT_TRUE(lg->close());
  auto reopened = open_log(dir.path(), cfg);
  EXPECT_EQ(reopened->log_end_offset(), offset(55));
  EXPECT_EQ(read_all(*reopened).size(), 55u);
}

TEST(Log, TruncateFullyAndStartAt) {
  TempDir dir;
  auto lg = open_log(dir.path());
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(5), leader_epoch(0)));
  ASSERT_TRUE(lg->truncate_fully_and_start_at(offset(1000)));
  EXPECT_EQ(lg->log_start_offset(), offset(1000));
  EXPECT_EQ(lg->log_end_offset(), offset(1000));
  auto info = lg->append_as_leader(make_simple_batch(2), leader_epoch(0));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->first_offset, offset(1000));
  ASSERT_TRUE(lg->close());
  auto reopened = open_log(dir.path());
  EXPECT_EQ(reopened->log_start_offset(), offset(1000));
  EXPECT_EQ(reopened->log_end_offset(), offset(1002));
}

TEST(Log, AdvanceLogStartOffsetDeletesWholeSegmentsAndPersists) {
  TempDir dir;
  LogConfig cfg;
  cfg.segment_bytes = 1000;
  auto lg = open_log(dir.path(), cfg);
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(
        lg->append_as_leader(make_simple_batch(5, i, compression::none, 20), leader_epoch(0)));
  size_t before = lg->segment_count();
  auto r = lg->advance_log_start_offset(offset(77));
  ASSERT_TRUE(r);
  EXPECT_EQ(lg->log_start_offset(), offset(77));
  EXPECT_LT(lg->segment_count(), before);
  auto recs = read_all(*lg);
  ASSERT_FALSE(recs.empty());
  EXPECT_EQ(recs.front().offset, 77);
  auto past = lg->advance_log_start_offset(offset(1000));
  ASSERT_FALSE(past);
  EXPECT_EQ(past.code(), errc::offset_out_of_range);
  // Survives an unclean restart too (no close).
  lg.reset();
  auto reopened = open_log(dir.path(), cfg);
  EXPECT_EQ(reopened->log_start_offset(), offset(77));
}

TEST(Log, ConcurrentReadersNeverSeePartialBatches) {
  TempDir dir;
  LogConfig cfg;
  cfg.segment_bytes = 64 * 1024;  // plenty of rolls while readers run
  auto lg = open_log(dir.path(), cfg);
  std::atomic<bool> done{false};
  std::atomic<int64_t> checked{0};
  auto reader = [&] {
    while (!done.load()) {
      offset pos = lg->log_start_offset();
      offset end = lg->log_end_offset();
      while (pos < end) {
        auto r = lg->read(pos, 8192);
        ASSERT_TRUE(r) << r.err().to_string();
        if (r->records.empty()) break;
        size_t p = 0;
        while (p < r->records.size()) {
          auto total = validate_batch(bytes_view(r->records).subspan(p));
          ASSERT_TRUE(total) << total.err().to_string();
          RecordBatchView v(bytes_view(r->records).subspan(p, *total));
          ASSERT_GE(v.next_offset(), pos);
          pos = v.next_offset();
          p += *total;
          checked.fetch_add(1);
        }
      }
    }
  };
  std::thread r1(reader), r2(reader);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(lg->append_as_leader(
        make_simple_batch(1 + i % 7, i, static_cast<compression>(i % 5), 40), leader_epoch(0)));
  }
  done.store(true);
  r1.join();
  r2.join();
  EXPECT_GT(checked.load(), 0);
  EXPECT_EQ(testing::check_batches(*lg), 3000);
}

TEST(Log, BadInputIsRefusedAndNothingIsAppended) {
  TempDir dir;
  LogConfig cfg;
  cfg.max_message_bytes = 2000;
  auto lg = open_log(dir.path(), cfg);
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(2), leader_epoch(0)));
  auto size_before = lg->size_bytes();

  bytes big = make_simple_batch(10, 0, compression::none, 500);
  auto r = lg->append_as_leader(big, leader_epoch(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::message_too_large);
  EXPECT_NE(r.err().message.find("max.message.bytes=2000"), std::string::npos);

  bytes bad_crc = make_simple_batch(2);
  bad_crc[batch_format::records_pos + 3] ^= 0x40;
  r = lg->append_as_leader(bad_crc, leader_epoch(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::corrupt_message);

  bytes bad_magic = make_simple_batch(2);
  bad_magic[batch_format::magic_pos] = 0;
  r = lg->append_as_leader(bad_magic, leader_epoch(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::corrupt_message);

  bytes long_len = make_simple_batch(2);
  store_be<int32_t>(long_len.data() + batch_format::batch_length_pos, 1 << 20);
  r = lg->append_as_leader(long_len, leader_epoch(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::corrupt_message);

  bytes garbage(100, 0xAB);
  r = lg->append_as_leader(garbage, leader_epoch(0));
  ASSERT_FALSE(r);

  bytes empty_batch = RecordBatchBuilder().build().value();
  r = lg->append_as_leader(empty_batch, leader_epoch(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::invalid_record);

  // Offset deltas must be 0..n-1 in a producer's batch.
  RecordBatchBuilder gaps;
  gaps.append(0, std::nullopt, testing::as_bytes("a"), {}, 0);
  gaps.append(0, std::nullopt, testing::as_bytes("b"), {}, 5);
  bytes gapped = gaps.build().value();
  r = lg->append_as_leader(gapped, leader_epoch(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::invalid_record);

  std::vector<uint8_t> nothing;
  r = lg->append_as_leader(nothing, leader_epoch(0));
  ASSERT_FALSE(r);

  EXPECT_EQ(lg->size_bytes(), size_before);
  EXPECT_EQ(lg->log_end_offset(), offset(2));
  EXPECT_FALSE(lg->offline());
}

TEST(Log, CompactedLogRefusesKeylessRecords) {
  TempDir dir;
  LogConfig cfg;
  cfg.cleanup_compact = true;
  auto lg = open_log(dir.path(), cfg);
  RecordBatchBuilder b;
  b.append(0, std::nullopt, testing::as_bytes("no key"));
  bytes batch = b.build().value();
  auto r = lg->append_as_leader(batch, leader_epoch(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::invalid_record);
  EXPECT_NE(r.err().message.find("without a key"), std::string::npos);
}

TEST(Log, FlushPolicyAdvancesRecoveryPoint) {
  TempDir dir;
  LogConfig cfg;
  cfg.flush_messages = 10;
  auto lg = open_log(dir.path(), cfg);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(lg->append_as_leader(make_simple_batch(3), leader_epoch(0)));
  EXPECT_EQ(lg->recovery_point(), offset(0));
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(3), leader_epoch(0)));
  EXPECT_EQ(lg->recovery_point(), offset(12));
}

TEST(Log, FlushMsPolicy) {
  TempDir dir;
  LogConfig cfg;
  cfg.flush_ms = 1000;
  testing::ManualClock clock;
  auto lg = open_log(dir.path(), cfg, LogOptions{.clock = clock.fn()});
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(3), leader_epoch(0)));
  ASSERT_TRUE(lg->maybe_flush());
  EXPECT_EQ(lg->recovery_point(), offset(0));
  clock.now += 1000;
  ASSERT_TRUE(lg->maybe_flush());
  EXPECT_EQ(lg->recovery_point(), offset(3));
}

TEST(Log, ReopensAfterCleanClose) {
  TempDir dir;
  LogConfig cfg;
  cfg.segment_bytes = 3000;
  {
    auto lg = open_log(dir.path(), cfg);
    for (int i = 0; i < 50; ++i)
      ASSERT_TRUE(lg->append_as_leader(make_simple_batch(3, i * 10, compression::none, 30),
                                       leader_epoch(0)));
    ASSERT_TRUE(lg->close());
    EXPECT_TRUE(fs::exists(dir / "clean-shutdown"));
  }
  auto lg = open_log(dir.path(), cfg);
  EXPECT_FALSE(fs::exists(dir / "clean-shutdown"));
  EXPECT_EQ(lg->log_end_offset(), offset(150));
  EXPECT_EQ(lg->recovery_point(), offset(150));
  EXPECT_EQ(read_all(*lg).size(), 150u);
  auto ts = lg->find_offset_by_timestamp(250);
  ASSERT_TRUE(ts && ts->has_value());
  EXPECT_EQ((*ts)->off, offset(75));
  auto info = lg->append_as_leader(make_simple_batch(1), leader_epoch(0));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->first_offset, offset(150));
}

}  // namespace
}  // namespace shoal::storage
