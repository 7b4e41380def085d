// Idempotent producers: the sequence rules of ProducerStateManager, its snapshots, and how the
// log uses them (duplicate detection on leader appends, follower appends, reopening after a
// clean or an unclean stop, damaged snapshots, truncation and retention).
#include "storage/producer_state.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "storage/log.h"
#include "storage/log_files.h"
#include "test_util.h"

namespace shoal::storage {
namespace {

using testing::as_bytes;
using testing::ManualClock;
using testing::read_all;
using testing::TempDir;

constexpr int64_t pid = 4242;
constexpr int64_t other_pid = 77;

ProducerBatchKey key(int64_t producer_id, int16_t epoch, int32_t first_seq, int32_t records) {
  return ProducerBatchKey{producer_id, epoch, first_seq, records};
}

// Records a batch of `records` at `first` as the log would after appending it.
void record(ProducerStateManager& m, const ProducerBatchKey& k, int64_t first, int64_t ts = 500) {
  m.update(k, offset(first), offset(first + std::max(k.records, 1) - 1), ts);
}

// --- ProducerStateManager: the sequence rules ---

TEST(ProducerStateManager, UnknownProducerAcceptsAnySequence) {
  ProducerStateManager m;
  for (int32_t seq : {0, 1, 17, 1'000'000, INT32_MAX}) {
    auto r = m.check({key(pid, 3, seq, 4)});
    ASSERT_TRUE(r) << "seq " << seq << ": " << r.err().to_string();
    ASSERT_EQ(r->size(), 1u);
    EXPECT_FALSE((*r)[0]) << "a batch of an unknown producer is never a duplicate";
  }
  // check() only looks: the producer is still unknown.
  EXPECT_EQ(m.entry(pid), nullptr);
  EXPECT_EQ(m.size(), 0u);
  // Once it is known, any starting sequence was fine, and the next one must follow it.
  record(m, key(pid, 3, 17, 4), 0);
  ASSERT_NE(m.entry(pid), nullptr);
  EXPECT_EQ(m.entry(pid)->epoch, 3);
  EXPECT_TRUE(m.check({key(pid, 3, 21, 1)}));
  EXPECT_EQ(m.check({key(pid, 3, 0, 1)}).code(), errc::out_of_order_sequence_number);
}

TEST(ProducerStateManager, NextSequenceInTheSameEpochIsAccepted) {
  ProducerStateManager m;
  record(m, key(pid, 0, 0, 3), 10);  // sequences 0..2
  auto r = m.check({key(pid, 0, 3, 5)});
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_FALSE((*r)[0]);
  record(m, key(pid, 0, 3, 5), 13);  // 3..7
  r = m.check({key(pid, 0, 8, 1)});
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_FALSE((*r)[0]);
  const ProducerEntry* e = m.entry(pid);
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->batches.size(), 2u);
  EXPECT_EQ(e->batches.back().first_seq, 3);
  EXPECT_EQ(e->batches.back().last_seq, 7);
  EXPECT_EQ(e->batches.back().first_offset, offset(13));
  EXPECT_EQ(e->batches.back().last_offset, offset(17));
}

TEST(ProducerStateManager, SequenceGapIsOutOfOrder) {
  ProducerStateManager m;
  record(m, key(pid, 0, 0, 3), 0);  // 0..2
  // One past the expected sequence, far past it, behind it, and overlapping the last batch
  // without being equal to it.
  for (auto k : {key(pid, 0, 4, 1), key(pid, 0, 100, 2), key(pid, 0, 2, 1), key(pid, 0, 1, 2),
                 key(pid, 0, 0, 2), key(pid, 0, 0, 4)}) {
    auto r = m.check({k});
    ASSERT_FALSE(r) << "first_seq " << k.first_seq << " records " << k.records;
    EXPECT_EQ(r.code(), errc::out_of_order_sequence_number);
  }
  // The refused checks changed nothing: 3 is still the next sequence.
  EXPECT_TRUE(m.check({key(pid, 0, 3, 1)}));
}

TEST(ProducerStateManager, EachOfTheLastFiveBatchesIsADuplicate) {
  static_assert(ProducerStateManager::retained_batches == 5);
  ProducerStateManager m;
  // Six batches of 2 records: sequences 0-1, 2-3, ..., 10-11 at offsets 100-101, 102-103, ...
  for (int i = 0; i < 6; ++i) record(m, key(pid, 1, 2 * i, 2), 100 + 2 * i, 1000 + i);
  ASSERT_EQ(m.entry(pid)->batches.size(), 5u);
  for (int i = 1; i < 6; ++i) {
    auto r = m.check({key(pid, 1, 2 * i, 2)});
    ASSERT_TRUE(r) << "batch " << i << ": " << r.err().to_string();
    ASSERT_TRUE((*r)[0]) << "batch " << i << " should be recognised as a retry";
    EXPECT_EQ((*r)[0]->first_seq, 2 * i);
    EXPECT_EQ((*r)[0]->last_seq, 2 * i + 1);
    EXPECT_EQ((*r)[0]->first_offset, offset(100 + 2 * i));
    EXPECT_EQ((*r)[0]->last_offset, offset(101 + 2 * i));
    EXPECT_EQ((*r)[0]->max_timestamp, 1000 + i);
  }
  // The sixth-oldest was forgotten: it is neither a duplicate nor the next sequence.
  auto oldest = m.check({key(pid, 1, 0, 2)});
  ASSERT_FALSE(oldest);
  EXPECT_EQ(oldest.code(), errc::out_of_order_sequence_number);
  // A batch with the first sequence of a kept one but another length is not a duplicate.
  auto other_length = m.check({key(pid, 1, 4, 3)});
  ASSERT_FALSE(other_length);
  EXPECT_EQ(other_length.code(), errc::out_of_order_sequence_number);
}

TEST(ProducerStateManager, OlderEpochIsFenced) {
  ProducerStateManager m;
  record(m, key(pid, 5, 0, 3), 0);
  // Whatever the sequence, even one equal to a kept batch or the next one.
  for (auto k : {key(pid, 4, 0, 3), key(pid, 4, 3, 1), key(pid, 0, 0, 1)}) {
    auto r = m.check({k});
    ASSERT_FALSE(r) << "epoch " << k.epoch << " seq " << k.first_seq;
    EXPECT_EQ(r.code(), errc::invalid_producer_epoch);
  }
  EXPECT_EQ(m.entry(pid)->epoch, 5);
}

TEST(ProducerStateManager, NewerEpochMustStartAtSequenceZero) {
  ProducerStateManager m;
  record(m, key(pid, 2, 0, 3), 0);  // 0..2
  record(m, key(pid, 2, 3, 3), 3);  // 3..5
  for (int32_t seq : {1, 3, 6}) {
    auto r = m.check({key(pid, 3, seq, 1)});
    ASSERT_FALSE(r) << "seq " << seq;
    EXPECT_EQ(r.code(), errc::out_of_order_sequence_number);
  }
  // A batch equal to one of the old epoch's is not a duplicate in the new epoch.
  auto r = m.check({key(pid, 3, 0, 3)});
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_FALSE((*r)[0]);
  record(m, key(pid, 3, 0, 3), 6);
  const ProducerEntry* e = m.entry(pid);
  EXPECT_EQ(e->epoch, 3);
  ASSERT_EQ(e->batches.size(), 1u) << "the old epoch's batches are dropped";
  EXPECT_EQ(e->batches.front().first_offset, offset(6));
  // And the old epoch is now fenced.
  EXPECT_EQ(m.check({key(pid, 2, 6, 1)}).code(), errc::invalid_producer_epoch);
}

TEST(ProducerStateManager, SequenceWrapsAroundAtInt32Max) {
  EXPECT_EQ(sequence_add(INT32_MAX, 1), 0);
  EXPECT_EQ(sequence_add(INT32_MAX - 1, 3), 1);
  EXPECT_EQ(sequence_add(5, 0), 5);
  EXPECT_EQ(key(pid, 0, INT32_MAX, 1).last_seq(), INT32_MAX);
  EXPECT_EQ(key(pid, 0, INT32_MAX - 1, 3).last_seq(), 0);

  ProducerStateManager m;
  record(m, key(pid, 0, INT32_MAX - 4, 3), 0);  // INT32_MAX-4 .. INT32_MAX-2
  record(m, key(pid, 0, INT32_MAX - 1, 4), 3);  // INT32_MAX-1, INT32_MAX, 0, 1
  EXPECT_EQ(m.entry(pid)->batches.back().last_seq, 1);
  // The batch that wrapped is recognised when retried.
  auto dup = m.check({key(pid, 0, INT32_MAX - 1, 4)});
  ASSERT_TRUE(dup) << dup.err().to_string();
  ASSERT_TRUE((*dup)[0]);
  EXPECT_EQ((*dup)[0]->first_offset, offset(3));
  // After it comes 2.
  auto next = m.check({key(pid, 0, 2, 1)});
  ASSERT_TRUE(next) << next.err().to_string();
  EXPECT_FALSE((*next)[0]);
  EXPECT_EQ(m.check({key(pid, 0, 0, 1)}).code(), errc::out_of_order_sequence_number);
  // A batch ending exactly at INT32_MAX is followed by 0.
  ProducerStateManager m2;
  record(m2, key(pid, 0, INT32_MAX - 2, 3), 0);
  auto after_max = m2.check({key(pid, 0, 0, 2)});
  ASSERT_TRUE(after_max) << after_max.err().to_string();
  EXPECT_EQ(m2.check({key(pid, 0, 1, 1)}).code(), errc::out_of_order_sequence_number);
}

TEST(ProducerStateManager, BatchesOfOneProducerInOneCheckMustFollowEachOther) {
  ProducerStateManager m;
  // An unknown producer: the first batch may start anywhere, the next must follow it.
  auto ok = m.check({key(pid, 0, 10, 3), key(pid, 0, 13, 2), key(pid, 0, 15, 1)});
  ASSERT_TRUE(ok) << ok.err().to_string();
  EXPECT_EQ(ok->size(), 3u);
  EXPECT_EQ(m.check({key(pid, 0, 10, 3), key(pid, 0, 14, 1)}).code(),
            errc::out_of_order_sequence_number);
  EXPECT_EQ(m.check({key(pid, 0, 10, 3), key(pid, 0, 10, 3)}).code(),
            errc::out_of_order_sequence_number);
  EXPECT_EQ(m.check({key(pid, 0, 10, 3), key(pid, 1, 13, 1)}).code(),
            errc::out_of_order_sequence_number);
  // Other producers in between do not matter; each is checked against its own sequence.
  auto mixed = m.check({key(pid, 0, 10, 3), key(other_pid, 0, 500, 1), key(-1, -1, -1, 4),
                        key(pid, 0, 13, 1), key(other_pid, 0, 501, 1)});
  ASSERT_TRUE(mixed) << mixed.err().to_string();
  EXPECT_EQ(m.check({key(pid, 0, 10, 3), key(other_pid, 0, 500, 1), key(pid, 0, 14, 1)}).code(),
            errc::out_of_order_sequence_number);

  // A known producer: the first must follow the state, the second the first.
  record(m, key(pid, 0, 0, 3), 0);
  auto known = m.check({key(pid, 0, 3, 2), key(pid, 0, 5, 2)});
  ASSERT_TRUE(known) << known.err().to_string();
  EXPECT_FALSE((*known)[0]);
  EXPECT_FALSE((*known)[1]);
  EXPECT_EQ(m.check({key(pid, 0, 3, 2), key(pid, 0, 6, 2)}).code(),
            errc::out_of_order_sequence_number);
  EXPECT_EQ(m.check({key(pid, 0, 3, 2), key(pid, 0, 3, 2)}).code(),
            errc::out_of_order_sequence_number);
  // A new epoch starting at 0, then its next batch.
  auto bumped = m.check({key(pid, 1, 0, 2), key(pid, 1, 2, 1)});
  ASSERT_TRUE(bumped) << bumped.err().to_string();
  // A retry followed by the batch after it: the first is reported as a duplicate.
  auto retry_then_new = m.check({key(pid, 0, 0, 3), key(pid, 0, 3, 1)});
  ASSERT_TRUE(retry_then_new) << retry_then_new.err().to_string();
  EXPECT_TRUE((*retry_then_new)[0]);
  EXPECT_FALSE((*retry_then_new)[1]);
}

TEST(ProducerStateManager, NonIdempotentBatchesAreIgnored) {
  ProducerStateManager m;
  auto r = m.check({key(-1, -1, -1, 3), key(-1, -1, -1, 3), key(-1, 7, 99, 1)});
  ASSERT_TRUE(r) << r.err().to_string();
  ASSERT_EQ(r->size(), 3u);
  for (const auto& o : *r) EXPECT_FALSE(o);
  record(m, key(-1, -1, -1, 3), 0);
  record(m, key(-1, -1, -1, 3), 3);
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.entry(-1), nullptr);
}

// --- ProducerStateManager: snapshots ---

void expect_same_entry(const ProducerEntry& a, const ProducerEntry& b) {
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.last_timestamp, b.last_timestamp);
  ASSERT_EQ(a.batches.size(), b.batches.size());
  for (size_t i = 0; i < a.batches.size(); ++i) {
    EXPECT_EQ(a.batches[i].first_seq, b.batches[i].first_seq) << "batch " << i;
    EXPECT_EQ(a.batches[i].last_seq, b.batches[i].last_seq) << "batch " << i;
    EXPECT_EQ(a.batches[i].first_offset, b.batches[i].first_offset) << "batch " << i;
    EXPECT_EQ(a.batches[i].last_offset, b.batches[i].last_offset) << "batch " << i;
    EXPECT_EQ(a.batches[i].max_timestamp, b.batches[i].max_timestamp) << "batch " << i;
  }
}

fs::path snapshot_path(const fs::path& dir, offset o) {
  return dir / fmt::format("{:020}.snapshot", o());
}

TEST(ProducerStateManager, SnapshotRoundTripKeepsEveryField) {
  TempDir dir;
  const int64_t now = 1'700'000'000'000;
  ProducerStateManager m;
  for (int i = 0; i < 7; ++i) record(m, key(pid, 3, 10 * i, 10), 10 * i, now - 100 + i);
  record(m, key(other_pid, 0, INT32_MAX - 1, 4), 70, now);
  record(m, key(9, 32000, 0, 1), 74, -1);  // no timestamps: never expires
  m.set_map_end(offset(75));
  ASSERT_TRUE(m.take_snapshot(Env::posix(), dir.path(), now));
  EXPECT_TRUE(fs::exists(snapshot_path(dir.path(), offset(75))));
  EXPECT_EQ(ProducerStateManager::list_snapshots(Env::posix(), dir.path()),
            std::vector<offset>{offset(75)});

  ProducerStateManager loaded;
  auto r = loaded.load_snapshot(Env::posix(), dir.path(), offset(75), offset(0));
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_TRUE(*r);
  EXPECT_EQ(loaded.map_end(), offset(75));
  ASSERT_EQ(loaded.size(), 3u);
  for (int64_t id : {pid, other_pid, int64_t{9}}) {
    ASSERT_NE(loaded.entry(id), nullptr) << id;
    expect_same_entry(*loaded.entry(id), *m.entry(id));
  }
  // The loaded state answers checks like the original.
  auto dup = loaded.check({key(pid, 3, 60, 10)});
  ASSERT_TRUE(dup);
  ASSERT_TRUE((*dup)[0]);
  EXPECT_EQ((*dup)[0]->first_offset, offset(60));
}

TEST(ProducerStateManager, SnapshotForgetsExpiredProducers) {
  TempDir dir;
  const int64_t now = 1'700'000'000'000;
  ProducerStateManager m;
  record(m, key(pid, 0, 0, 1), 0, now - ProducerStateManager::expiration_ms - 1);
  record(m, key(other_pid, 0, 0, 1), 1, now - ProducerStateManager::expiration_ms + 1000);
  m.set_map_end(offset(2));
  ASSERT_TRUE(m.take_snapshot(Env::posix(), dir.path(), now));
  EXPECT_EQ(m.entry(pid), nullptr);
  EXPECT_NE(m.entry(other_pid), nullptr);
  ProducerStateManager loaded;
  ASSERT_TRUE(loaded.load_snapshot(Env::posix(), dir.path(), offset(2), offset(0)));
  EXPECT_EQ(loaded.entry(pid), nullptr);
  EXPECT_NE(loaded.entry(other_pid), nullptr);
}

TEST(ProducerStateManager, LoadPicksTheNewestSnapshotAtOrBelowAndDeletesNewerOnes) {
  TempDir dir;
  const int64_t now = 1'700'000'000'000;
  ProducerStateManager m;
  for (int i = 0; i < 4; ++i) {
    record(m, key(pid, 0, i, 1), i * 10, now);
    m.set_map_end(offset(i * 10 + 1));
    ASSERT_TRUE(m.take_snapshot(Env::posix(), dir.path(), now));
  }
  // Snapshots at 1, 11, 21, 31.
  ProducerStateManager loaded;
  auto r = loaded.load_snapshot(Env::posix(), dir.path(), offset(25), offset(0));
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_TRUE(*r);
  EXPECT_EQ(loaded.map_end(), offset(21));
  ASSERT_NE(loaded.entry(pid), nullptr);
  EXPECT_EQ(loaded.entry(pid)->batches.back().last_seq, 2);
  EXPECT_EQ(ProducerStateManager::list_snapshots(Env::posix(), dir.path()),
            (std::vector<offset>{offset(1), offset(11), offset(21)}));
  // At exactly a snapshot's offset, that snapshot.
  ProducerStateManager exact;
  ASSERT_TRUE(exact.load_snapshot(Env::posix(), dir.path(), offset(11), offset(0)));
  EXPECT_EQ(exact.map_end(), offset(11));
  // Below every snapshot: none loaded, the state is empty at the floor.
  ProducerStateManager none;
  record(none, key(other_pid, 0, 0, 1), 0);
  auto n = none.load_snapshot(Env::posix(), dir.path(), offset(0), offset(0));
  ASSERT_TRUE(n) << n.err().to_string();
  EXPECT_FALSE(*n);
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.map_end(), offset(0));
  EXPECT_TRUE(ProducerStateManager::list_snapshots(Env::posix(), dir.path()).empty());
}

TEST(ProducerStateManager, DamagedSnapshotIsSkippedAndDeleted) {
  TempDir dir;
  const int64_t now = 1'700'000'000'000;
  ProducerStateManager m;
  record(m, key(pid, 0, 0, 1), 0, now);
  m.set_map_end(offset(1));
  ASSERT_TRUE(m.take_snapshot(Env::posix(), dir.path(), now));
  record(m, key(pid, 0, 1, 1), 1, now);
  m.set_map_end(offset(2));
  ASSERT_TRUE(m.take_snapshot(Env::posix(), dir.path(), now));
  // Flip one digit of the newest.
  fs::path newest = snapshot_path(dir.path(), offset(2));
  std::string text;
  {
    std::ifstream in(newest, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  size_t at = text.find("batch 1 1");
  ASSERT_NE(at, std::string::npos) << text;
  text[at + 6] = '2';
  {
    std::ofstream out(newest, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ProducerStateManager loaded;
  auto r = loaded.load_snapshot(Env::posix(), dir.path(), offset(2), offset(0));
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_TRUE(*r);
  EXPECT_EQ(loaded.map_end(), offset(1)) << "the older, intact snapshot is used";
  EXPECT_FALSE(fs::exists(newest));
  ASSERT_NE(loaded.entry(pid), nullptr);
  EXPECT_EQ(loaded.entry(pid)->batches.size(), 1u);
}

// --- The log ---

// A batch of producer `producer_id`: `n` records with sequences seq..seq+n-1, keys
// "<tag><sequence>", timestamps ts..ts+n-1. Building it twice gives the same bytes (a retry).
bytes producer_batch(int64_t producer_id, int16_t epoch, int32_t seq, int n, int64_t ts,
                     const std::string& tag = "p") {
  RecordBatchBuilder b;
  b.set_producer(producer_id, epoch, seq);
  for (int i = 0; i < n; ++i) {
    std::string k = tag + std::to_string(sequence_add(seq, i));
    std::string v = "value of " + k;
    b.append(ts + i, as_bytes(k), as_bytes(v));
  }
  auto built = b.build();
  EXPECT_TRUE(built) << built.err().to_string();
  return std::move(built).value();
}

// The same, carrying its offsets and leader epoch (what a follower fetches).
bytes follower_batch(int64_t producer_id, int16_t epoch, int32_t seq, int n, int64_t ts,
                     offset base, int32_t leader) {
  RecordBatchBuilder b;
  b.set_producer(producer_id, epoch, seq);
  b.set_base_offset(base);
  b.set_partition_leader_epoch(leader);
  for (int i = 0; i < n; ++i) {
    std::string k = "f" + std::to_string(sequence_add(seq, i));
    b.append(ts + i, as_bytes(k), as_bytes(k));
  }
  auto built = b.build();
  EXPECT_TRUE(built) << built.err().to_string();
  return std::move(built).value();
}

bytes concat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct LogFixture {
  TempDir dir;
  ManualClock clock;
  LogConfig cfg;
  std::unique_ptr<Log> lg;

  explicit LogFixture(LogConfig c = {}) : cfg(c) { open(); }

  void open() {
    lg.reset();
    auto r = Log::open(dir.path(), cfg, LogOptions{.clock = clock.fn()});
    ASSERT_TRUE(r) << r.err().to_string();
    lg = std::move(r).value();
  }
  void close_and_reopen() {
    ASSERT_TRUE(lg->close());
    open();
  }
  // Destroys the log without close(): no clean-shutdown marker, no snapshot at the log end.
  void crash_and_reopen() {
    lg.reset();
    ASSERT_FALSE(fs::exists(dir.path() / log_files::clean_shutdown_file));
    open();
  }

  result<LogAppendInfo> append(bytes b) {
    return lg->append_as_leader(std::move(b), leader_epoch(0));
  }
  // A batch stamped with the clock (producers idle for a day are forgotten); keys "p<seq>"
  // for pid, "o<seq>" for the others.
  bytes batch(int32_t seq, int n = 5, int16_t epoch = 0, int64_t producer_id = pid) {
    return producer_batch(producer_id, epoch, seq, n, clock.now.load(),
                          producer_id == pid ? "p" : "o");
  }
  std::vector<offset> snapshots() const {
    return ProducerStateManager::list_snapshots(Env::posix(), dir.path());
  }
  // How many records with this key the log holds.
  int count_key(const std::string& k) const {
    int n = 0;
    for (const auto& r : read_all(*lg)) n += r.key == k ? 1 : 0;
    return n;
  }
};

LogConfig small_segments() {
  LogConfig cfg;
  cfg.segment_bytes = 700;  // about three batches of five records
  return cfg;
}

// Appends `count` batches of 5 records of `pid` (sequences 0, 5, 10, ...) with a batch of
// another, non-idempotent producer after every third; returns the infos of pid's batches.
std::vector<LogAppendInfo> append_many(LogFixture& f, int count, int32_t first_seq = 0) {
  std::vector<LogAppendInfo> infos;
  for (int i = 0; i < count; ++i) {
    auto r = f.append(f.batch(first_seq + 5 * i));
    EXPECT_TRUE(r) << "batch " << i << ": " << r.err().to_string();
    if (!r) return infos;
    EXPECT_FALSE(r->duplicate);
    infos.push_back(*r);
    if (i % 3 == 2) {
      EXPECT_TRUE(f.append(testing::make_simple_batch(2, f.clock.now.load())));
    }
  }
  return infos;
}

// Retries each of the last five batches of `infos` and expects the original offsets.
void expect_last_five_are_duplicates(LogFixture& f, const std::vector<LogAppendInfo>& infos,
                                     int32_t first_seq = 0) {
  ASSERT_GE(infos.size(), 6u);
  offset end = f.lg->log_end_offset();
  for (size_t i = infos.size() - 5; i < infos.size(); ++i) {
    auto r = f.append(f.batch(first_seq + 5 * static_cast<int32_t>(i)));
    ASSERT_TRUE(r) << "retry of batch " << i << ": " << r.err().to_string();
    EXPECT_TRUE(r->duplicate) << "retry of batch " << i;
    EXPECT_EQ(r->first_offset, infos[i].first_offset) << "retry of batch " << i;
    EXPECT_EQ(r->last_offset, infos[i].last_offset) << "retry of batch " << i;
  }
  // The sixth-newest is too old to be recognised.
  auto old = f.append(f.batch(first_seq + 5 * static_cast<int32_t>(infos.size() - 6)));
  ASSERT_FALSE(old);
  EXPECT_EQ(old.code(), errc::out_of_order_sequence_number);
  EXPECT_EQ(f.lg->log_end_offset(), end);
}

TEST(ProducerStateLog, RetryIsAnsweredWithTheOriginalOffsets) {
  LogFixture f;
  ASSERT_TRUE(f.append(testing::make_simple_batch(3, f.clock.now.load())));  // offsets 0..2
  auto first = f.append(f.batch(0, 4));                                      // 3..6
  ASSERT_TRUE(first) << first.err().to_string();
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->first_offset, offset(3));
  EXPECT_EQ(first->last_offset, offset(6));
  auto second = f.append(f.batch(4, 2));  // 7..8
  ASSERT_TRUE(second) << second.err().to_string();
  EXPECT_EQ(second->first_offset, offset(7));
  ASSERT_EQ(f.lg->log_end_offset(), offset(9));

  for (int round = 0; round < 2; ++round) {
    auto retry = f.append(f.batch(0, 4));
    ASSERT_TRUE(retry) << retry.err().to_string();
    EXPECT_TRUE(retry->duplicate);
    EXPECT_EQ(retry->first_offset, offset(3));
    EXPECT_EQ(retry->last_offset, offset(6));
    EXPECT_EQ(retry->max_timestamp, first->max_timestamp);
    EXPECT_EQ(retry->log_append_time, -1);
    auto retry2 = f.append(f.batch(4, 2));
    ASSERT_TRUE(retry2) << retry2.err().to_string();
    EXPECT_TRUE(retry2->duplicate);
    EXPECT_EQ(retry2->first_offset, offset(7));
    EXPECT_EQ(retry2->last_offset, offset(8));
    EXPECT_EQ(f.lg->log_end_offset(), offset(9));
  }
  auto recs = read_all(*f.lg);
  ASSERT_EQ(recs.size(), 9u);
  for (int s = 0; s < 6; ++s) EXPECT_EQ(f.count_key("p" + std::to_string(s)), 1) << s;
  EXPECT_EQ(testing::check_batches(*f.lg), 3);
  // The next sequence is still 6.
  auto next = f.append(f.batch(6, 1));
  ASSERT_TRUE(next) << next.err().to_string();
  EXPECT_FALSE(next->duplicate);
  EXPECT_EQ(next->first_offset, offset(9));
}

TEST(ProducerStateLog, RetryOfSeveralBatchesInOneRequest) {
  LogFixture f;
  auto r = f.append(concat(f.batch(0, 2), f.batch(2, 3)));  // 0..1, 2..4
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_EQ(r->last_offset, offset(4));
  auto retry = f.append(concat(f.batch(0, 2), f.batch(2, 3)));
  ASSERT_TRUE(retry) << retry.err().to_string();
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->first_offset, offset(0));
  EXPECT_EQ(retry->last_offset, offset(4));
  EXPECT_EQ(f.lg->log_end_offset(), offset(5));
}

TEST(ProducerStateLog, RequestMixingARetryWithANewBatchIsRefused) {
  LogFixture f;
  ASSERT_TRUE(f.append(f.batch(0, 3)));  // 0..2
  auto mixed = f.append(concat(f.batch(0, 3), f.batch(3, 2)));
  ASSERT_FALSE(mixed);
  EXPECT_EQ(mixed.code(), errc::duplicate_sequence_number);
  // A retry mixed with a batch of another producer, or a non-idempotent one.
  auto mixed_other = f.append(concat(f.batch(0, 3), f.batch(0, 1, 0, other_pid)));
  ASSERT_FALSE(mixed_other);
  EXPECT_EQ(mixed_other.code(), errc::duplicate_sequence_number);
  auto mixed_plain =
      f.append(concat(testing::make_simple_batch(2, f.clock.now.load()), f.batch(0, 3)));
  ASSERT_FALSE(mixed_plain);
  EXPECT_EQ(mixed_plain.code(), errc::duplicate_sequence_number);
  // Nothing was appended and the state did not move: 3 is still next, other_pid unknown.
  EXPECT_EQ(f.lg->log_end_offset(), offset(3));
  EXPECT_EQ(read_all(*f.lg).size(), 3u);
  EXPECT_FALSE(f.lg->producer_state(other_pid));
  ASSERT_TRUE(f.lg->producer_state(pid));
  EXPECT_EQ(f.lg->producer_state(pid)->batches.size(), 1u);
  auto next = f.append(f.batch(3, 2));
  ASSERT_TRUE(next) << next.err().to_string();
  EXPECT_FALSE(next->duplicate);
  EXPECT_EQ(next->first_offset, offset(3));
}

TEST(ProducerStateLog, SequenceAndEpochErrorsAppendNothing) {
  LogFixture f;
  ASSERT_TRUE(f.append(f.batch(0, 3, /*epoch=*/2)));
  auto gap = f.append(f.batch(4, 1, 2));
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.code(), errc::out_of_order_sequence_number);
  auto fenced = f.append(f.batch(3, 1, 1));
  ASSERT_FALSE(fenced);
  EXPECT_EQ(fenced.code(), errc::invalid_producer_epoch);
  auto bad_new_epoch = f.append(f.batch(3, 1, 3));
  ASSERT_FALSE(bad_new_epoch);
  EXPECT_EQ(bad_new_epoch.code(), errc::out_of_order_sequence_number);
  // A request whose second batch does not follow its first is refused whole.
  auto split = f.append(concat(f.batch(3, 1, 2), f.batch(5, 1, 2)));
  ASSERT_FALSE(split);
  EXPECT_EQ(split.code(), errc::out_of_order_sequence_number);
  EXPECT_EQ(f.lg->log_end_offset(), offset(3));
  EXPECT_EQ(read_all(*f.lg).size(), 3u);
  // A new epoch starting at 0 is fine and fences the old one.
  ASSERT_TRUE(f.append(f.batch(0, 1, 3)));
  auto old = f.append(f.batch(3, 1, 2));
  ASSERT_FALSE(old);
  EXPECT_EQ(old.code(), errc::invalid_producer_epoch);
  EXPECT_EQ(f.lg->producer_state(pid)->epoch, 3);
}

TEST(ProducerStateLog, NonIdempotentBatchesAreNeverDuplicates) {
  LogFixture f;
  bytes plain = testing::make_simple_batch(3, f.clock.now.load());
  ASSERT_TRUE(f.append(plain));
  auto again = f.append(plain);
  ASSERT_TRUE(again) << again.err().to_string();
  EXPECT_FALSE(again->duplicate);
  EXPECT_EQ(again->first_offset, offset(3));
  EXPECT_EQ(f.lg->log_end_offset(), offset(6));
  EXPECT_FALSE(f.lg->producer_state(-1));
}

TEST(ProducerStateLog, DuplicateReportsTheOriginalLogAppendTime) {
  LogConfig cfg;
  cfg.message_timestamp_type = timestamp_type::log_append_time;
  LogFixture f(cfg);
  const int64_t t1 = f.clock.now.load();
  auto first = f.append(producer_batch(pid, 0, 0, 3, 5));  // create times 5..7, ignored
  ASSERT_TRUE(first) << first.err().to_string();
  EXPECT_EQ(first->log_append_time, t1);
  f.clock.now += 60'000;
  auto retry = f.append(producer_batch(pid, 0, 0, 3, 5));
  ASSERT_TRUE(retry) << retry.err().to_string();
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->log_append_time, t1) << "the time the batch was first appended";
  EXPECT_EQ(retry->max_timestamp, t1);
  EXPECT_EQ(retry->first_offset, offset(0));
  EXPECT_EQ(retry->last_offset, offset(2));
  // The same after a restart (the time comes from the snapshot or the batch itself).
  f.close_and_reopen();
  auto after_reopen = f.append(producer_batch(pid, 0, 0, 3, 5));
  ASSERT_TRUE(after_reopen) << after_reopen.err().to_string();
  EXPECT_TRUE(after_reopen->duplicate);
  EXPECT_EQ(after_reopen->log_append_time, t1);
  // And when the state is replayed from the batches: an unclean stop with no snapshot.
  f.lg.reset();
  for (offset s : f.snapshots()) ASSERT_TRUE(fs::remove(snapshot_path(f.dir.path(), s)));
  f.open();
  auto replayed = f.append(producer_batch(pid, 0, 0, 3, 5));
  ASSERT_TRUE(replayed) << replayed.err().to_string();
  EXPECT_TRUE(replayed->duplicate);
  EXPECT_EQ(replayed->log_append_time, t1);
  EXPECT_EQ(read_all(*f.lg).size(), 3u);
}

// --- Durability ---

// The state of pid and other_pid, to compare across restarts.
std::map<int64_t, ProducerEntry> states(const Log& lg) {
  std::map<int64_t, ProducerEntry> out;
  for (int64_t id : {pid, other_pid}) {
    if (auto e = lg.producer_state(id)) out[id] = *e;
  }
  return out;
}

void expect_same_states(const std::map<int64_t, ProducerEntry>& a,
                        const std::map<int64_t, ProducerEntry>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [id, e] : a) {
    ASSERT_TRUE(b.count(id)) << "producer " << id;
    SCOPED_TRACE(fmt::format("producer {}", id));
    expect_same_entry(e, b.at(id));
  }
}

TEST(ProducerStateLog, CleanCloseWritesASnapshotAtTheLogEndThatReopenUses) {
  LogFixture f;
  auto infos = append_many(f, 8);
  ASSERT_TRUE(f.append(f.batch(0, 2, 0, other_pid)));
  offset end = f.lg->log_end_offset();
  auto before = states(*f.lg);
  ASSERT_TRUE(f.lg->close());
  ASSERT_TRUE(fs::exists(snapshot_path(f.dir.path(), end)))
      << "close writes <20-digit log end>.snapshot";

  // Prove the reopened log takes the state from that snapshot rather than from the batches:
  // add a producer to it that no batch mentions.
  {
    ProducerStateManager m;
    ASSERT_TRUE(m.load_snapshot(Env::posix(), f.dir.path(), end, offset(0)));
    ASSERT_EQ(m.map_end(), end);
    m.update(key(31337, 9, 100, 1), end - 1, end - 1, f.clock.now.load());
    ASSERT_TRUE(m.take_snapshot(Env::posix(), f.dir.path(), f.clock.now.load()));
  }
  f.open();
  ASSERT_TRUE(f.lg->producer_state(31337)) << "the snapshot at the log end was not used";
  EXPECT_EQ(f.lg->producer_state(31337)->epoch, 9);
  expect_same_states(before, states(*f.lg));
  expect_last_five_are_duplicates(f, infos);
  auto next = f.append(f.batch(40));
  ASSERT_TRUE(next) << next.err().to_string();
  EXPECT_FALSE(next->duplicate);
  EXPECT_EQ(next->first_offset, end);
  // Every record once.
  for (int s = 0; s < 45; ++s) EXPECT_EQ(f.count_key("p" + std::to_string(s)), 1) << s;
}

TEST(ProducerStateLog, UncleanStopRebuildsFromAnOlderSnapshotPlusTheBatchesAfterIt) {
  LogFixture f(small_segments());
  auto infos = append_many(f, 14);
  ASSERT_TRUE(f.append(f.batch(0, 2, 0, other_pid)));
  ASSERT_TRUE(f.append(f.batch(2, 2, 0, other_pid)));
  ASSERT_GT(f.lg->segment_count(), 3u);
  offset end = f.lg->log_end_offset();
  auto snaps = f.snapshots();
  ASSERT_FALSE(snaps.empty());
  ASSERT_LT(snaps.back(), end) << "no snapshot at the log end before a crash";
  auto before = states(*f.lg);

  f.crash_and_reopen();
  EXPECT_EQ(f.lg->log_end_offset(), end);
  expect_same_states(before, states(*f.lg));
  expect_last_five_are_duplicates(f, infos);
  auto dup_other = f.append(f.batch(2, 2, 0, other_pid));
  ASSERT_TRUE(dup_other) << dup_other.err().to_string();
  EXPECT_TRUE(dup_other->duplicate);
  auto next = f.append(f.batch(70));
  ASSERT_TRUE(next) << next.err().to_string();
  EXPECT_FALSE(next->duplicate);
  infos.push_back(*next);

  // Again, after a clean close, more appends, and a crash: the close's snapshot is older.
  f.close_and_reopen();
  auto more = append_many(f, 3, 75);
  infos.insert(infos.end(), more.begin(), more.end());
  before = states(*f.lg);
  f.crash_and_reopen();
  expect_same_states(before, states(*f.lg));
  expect_last_five_are_duplicates(f, infos);
  for (int s = 0; s < 90; ++s) EXPECT_EQ(f.count_key("p" + std::to_string(s)), 1) << s;
}

TEST(ProducerStateLog, WithoutAnySnapshotTheStateIsRebuiltFromTheLog) {
  LogFixture f(small_segments());
  auto infos = append_many(f, 12);
  ASSERT_TRUE(f.append(f.batch(7, 3, 4, other_pid)));
  auto before = states(*f.lg);
  ASSERT_TRUE(f.lg->close());
  auto snaps = f.snapshots();
  ASSERT_GT(snaps.size(), 1u);
  for (offset s : snaps) ASSERT_TRUE(fs::remove(snapshot_path(f.dir.path(), s)));
  f.open();
  expect_same_states(before, states(*f.lg));
  expect_last_five_are_duplicates(f, infos);
  auto other_dup = f.append(f.batch(7, 3, 4, other_pid));
  ASSERT_TRUE(other_dup) << other_dup.err().to_string();
  EXPECT_TRUE(other_dup->duplicate);
  EXPECT_EQ(f.append(f.batch(10, 1, 3, other_pid)).code(), errc::invalid_producer_epoch);

  // The same after an unclean stop with no snapshot.
  before = states(*f.lg);
  f.lg.reset();
  for (offset s : f.snapshots()) ASSERT_TRUE(fs::remove(snapshot_path(f.dir.path(), s)));
  f.open();
  expect_same_states(before, states(*f.lg));
  expect_last_five_are_duplicates(f, infos);
}

// A batch torn by a crash is cut by recovery; a snapshot taken after it describes a state the
// recovered log does not have and must not be used.
TEST(ProducerStateLog, SnapshotPastTheRecoveredLogEndIsDiscarded) {
  for (bool clean : {false, true}) {
    SCOPED_TRACE(clean ? "after close()" : "after a crash");
    LogFixture f;
    auto a = f.append(f.batch(0, 3));  // 0..2
    ASSERT_TRUE(a) << a.err().to_string();
    auto b = f.append(f.batch(3, 3));  // 3..5, torn below
    ASSERT_TRUE(b) << b.err().to_string();
    ASSERT_TRUE(f.lg->take_producer_snapshot());
    ASSERT_TRUE(fs::exists(snapshot_path(f.dir.path(), offset(6))));
    if (clean) {
      ASSERT_TRUE(f.lg->close());
    }
    f.lg.reset();
    fs::path seg = log_files::segment_file(f.dir.path(), offset(0), log_files::log_suffix);
    fs::resize_file(seg, fs::file_size(seg) - 5);
    f.open();
    ASSERT_EQ(f.lg->log_end_offset(), offset(3));
    for (offset s : f.snapshots()) EXPECT_LE(s, offset(3)) << "stale snapshot " << s;
    auto e = f.lg->producer_state(pid);
    ASSERT_TRUE(e);
    ASSERT_EQ(e->batches.size(), 1u);
    EXPECT_EQ(e->batches.back().last_seq, 2);
    // The lost batch's retry is appended anew, not answered with offsets the log lost.
    auto retry = f.append(f.batch(3, 3));
    ASSERT_TRUE(retry) << retry.err().to_string();
    EXPECT_FALSE(retry->duplicate);
    EXPECT_EQ(retry->first_offset, offset(3));
    EXPECT_EQ(f.count_key("p3"), 1);
  }
}

// Damages the snapshot at the log end after a clean close, reopens, and checks the state.
void check_damaged_snapshot_is_ignored(const std::function<void(const fs::path&)>& damage) {
  LogFixture f(small_segments());
  auto infos = append_many(f, 10);
  auto before = states(*f.lg);
  offset end = f.lg->log_end_offset();
  ASSERT_TRUE(f.lg->close());
  fs::path p = snapshot_path(f.dir.path(), end);
  ASSERT_TRUE(fs::exists(p));
  size_t older = f.snapshots().size() - 1;
  ASSERT_GT(older, 0u);
  damage(p);
  f.open();
  EXPECT_FALSE(fs::exists(p)) << "a damaged snapshot is deleted";
  EXPECT_EQ(f.snapshots().size(), older) << "the older snapshots are kept";
  expect_same_states(before, states(*f.lg));
  expect_last_five_are_duplicates(f, infos);

  // Every snapshot damaged: all deleted, the state comes from the log alone.
  before = states(*f.lg);
  ASSERT_TRUE(f.lg->close());
  for (offset s : f.snapshots()) damage(snapshot_path(f.dir.path(), s));
  f.open();
  EXPECT_TRUE(f.snapshots().empty());
  expect_same_states(before, states(*f.lg));
  expect_last_five_are_duplicates(f, infos);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void overwrite(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

TEST(ProducerStateLog, TruncatedSnapshotIsIgnoredAndDeleted) {
  check_damaged_snapshot_is_ignored([](const fs::path& p) {
    std::string text = slurp(p);
    ASSERT_GT(text.size(), 20u);
    // Cut at the last line break before the end: a snapshot missing its trailer.
    overwrite(p, text.substr(0, text.rfind('\n', text.size() - 2) + 1));
  });
}

TEST(ProducerStateLog, SnapshotWithAFlippedByteIsIgnoredAndDeleted) {
  check_damaged_snapshot_is_ignored([](const fs::path& p) {
    std::string text = slurp(p);
    // A digit in the body: a plausible snapshot that only the checksum can catch.
    size_t at = text.find_last_of("0123456789", text.rfind("end "));
    ASSERT_NE(at, std::string::npos);
    text[at] = text[at] == '9' ? '8' : static_cast<char>(text[at] + 1);
    overwrite(p, text);
  });
}

TEST(ProducerStateLog, EmptySnapshotIsIgnoredAndDeleted) {
  check_damaged_snapshot_is_ignored([](const fs::path& p) { overwrite(p, ""); });
}

TEST(ProducerStateLog, EachRollWritesASnapshotNamedAfterTheNewSegment) {
  LogFixture f(small_segments());
  auto infos = append_many(f, 16);
  auto bases = f.lg->segment_base_offsets();
  ASSERT_GT(bases.size(), 3u);
  // One snapshot per roll, at the base of the segment it started.
  std::vector<offset> expected(bases.begin() + 1, bases.end());
  EXPECT_EQ(f.snapshots(), expected);
  for (offset b : expected) {
    SCOPED_TRACE(fmt::format("snapshot {}", b));
    fs::path p = snapshot_path(f.dir.path(), b);
    ASSERT_TRUE(fs::exists(p)) << p;
    EXPECT_EQ(p.filename().string().size(), 20 + std::string(".snapshot").size());
    // Its content: the state after every batch below b and none at or after it.
    TempDir copy;
    fs::copy_file(p, copy.path() / p.filename());
    ProducerStateManager m;
    ASSERT_TRUE(m.load_snapshot(Env::posix(), copy.path(), b, offset(0)));
    EXPECT_EQ(m.map_end(), b);
    const LogAppendInfo* last_below = nullptr;
    for (const auto& i : infos) {
      if (i.last_offset < b) last_below = &i;
    }
    ASSERT_NE(last_below, nullptr);
    ASSERT_NE(m.entry(pid), nullptr);
    EXPECT_EQ(m.entry(pid)->batches.back().first_offset, last_below->first_offset);
    EXPECT_EQ(m.entry(pid)->batches.back().last_offset, last_below->last_offset);
  }
}

// --- Followers ---

TEST(ProducerStateLog, FollowerAppendsUpdateTheState) {
  LogFixture f;
  const int64_t ts = f.clock.now.load();
  auto a = f.lg->append_as_follower(follower_batch(pid, 2, 0, 3, ts, offset(0), 1));
  ASSERT_TRUE(a) << a.err().to_string();
  auto e = f.lg->producer_state(pid);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->epoch, 2);
  ASSERT_EQ(e->batches.size(), 1u);
  EXPECT_EQ(e->batches[0].first_seq, 0);
  EXPECT_EQ(e->batches[0].last_seq, 2);
  EXPECT_EQ(e->batches[0].first_offset, offset(0));
  EXPECT_EQ(e->batches[0].last_offset, offset(2));
  EXPECT_EQ(e->batches[0].max_timestamp, ts + 2);

  // Several batches in one fetch, of two producers; the follower does not check sequences
  // (the leader did), so a gap is taken as it comes.
  bytes fetched = concat(follower_batch(pid, 2, 3, 2, ts, offset(3), 1),
                         follower_batch(other_pid, 0, 50, 1, ts, offset(5), 1));
  fetched = concat(std::move(fetched), follower_batch(pid, 2, 9, 1, ts, offset(6), 1));
  auto b = f.lg->append_as_follower(fetched);
  ASSERT_TRUE(b) << b.err().to_string();
  e = f.lg->producer_state(pid);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->batches.size(), 3u);
  EXPECT_EQ(e->batches[1].first_offset, offset(3));
  EXPECT_EQ(e->batches[1].last_offset, offset(4));
  EXPECT_EQ(e->batches[2].first_seq, 9);
  EXPECT_EQ(e->batches[2].first_offset, offset(6));
  auto o = f.lg->producer_state(other_pid);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->batches.back().first_seq, 50);
  EXPECT_EQ(o->batches.back().first_offset, offset(5));

  // Once this replica leads, the state it copied answers the producer's retries.
  auto retry = f.append(producer_batch(pid, 2, 3, 2, ts, "f"));
  ASSERT_TRUE(retry) << retry.err().to_string();
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->first_offset, offset(3));
  EXPECT_EQ(retry->last_offset, offset(4));
  EXPECT_EQ(f.append(producer_batch(pid, 1, 10, 1, ts)).code(), errc::invalid_producer_epoch);
  EXPECT_EQ(f.append(producer_batch(pid, 2, 11, 1, ts)).code(), errc::out_of_order_sequence_number);
  auto next = f.append(producer_batch(pid, 2, 10, 1, ts));
  ASSERT_TRUE(next) << next.err().to_string();
  EXPECT_EQ(next->first_offset, offset(7));

  // And it survives a restart.
  auto before = states(*f.lg);
  f.crash_and_reopen();
  expect_same_states(before, states(*f.lg));
}

// DeleteRecords may move the log start into the middle of a batch; consumers still get that
// batch (reads return whole batches), so a retry of it must still be a duplicate after a
// restart that rebuilds the state from the log.
TEST(ProducerStateLog, BatchHoldingTheLogStartStaysInTheStateAfterARebuild) {
  LogFixture f;
  auto a = f.append(f.batch(0, 5));  // offsets 0..4
  ASSERT_TRUE(a) << a.err().to_string();
  ASSERT_TRUE(f.lg->advance_log_start_offset(offset(2)));
  f.lg.reset();  // unclean: no snapshot was ever written
  ASSERT_TRUE(f.snapshots().empty());
  f.open();
  ASSERT_EQ(f.lg->log_start_offset(), offset(2));
  ASSERT_EQ(f.lg->log_end_offset(), offset(5));
  auto e = f.lg->producer_state(pid);
  ASSERT_TRUE(e) << "the batch at offsets 0..4 is still in the log";
  EXPECT_EQ(e->batches.back().first_offset, offset(0));
  auto retry = f.append(f.batch(0, 5));
  ASSERT_TRUE(retry) << retry.err().to_string();
  EXPECT_TRUE(retry->duplicate) << "the retry was appended a second time at offset "
                                << retry->first_offset;
  EXPECT_EQ(f.lg->log_end_offset(), offset(5));
}

// --- Truncation ---

TEST(ProducerStateLog, TruncationRollsTheStateBack) {
  LogFixture f(small_segments());
  auto infos = append_many(f, 12);
  ASSERT_GT(f.lg->segment_count(), 2u);
  // Cut inside batch 9 (sequences 45..49): the log ends where it began.
  offset cut = infos[9].first_offset + 2;
  ASSERT_TRUE(f.lg->truncate_to(cut));
  ASSERT_EQ(f.lg->log_end_offset(), infos[9].first_offset);
  for (offset s : f.snapshots()) EXPECT_LE(s, f.lg->log_end_offset()) << "stale snapshot " << s;
  auto e = f.lg->producer_state(pid);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->batches.size(), 5u);
  EXPECT_EQ(e->batches.back().last_seq, 44);
  EXPECT_EQ(e->batches.back().first_offset, infos[8].first_offset);
  EXPECT_EQ(e->batches.front().first_seq, 20);
  // Batch 8 is still there: its retry is a duplicate. Batch 10 no longer follows anything.
  auto dup = f.append(f.batch(40));
  ASSERT_TRUE(dup) << dup.err().to_string();
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->first_offset, infos[8].first_offset);
  EXPECT_EQ(f.append(f.batch(50)).code(), errc::out_of_order_sequence_number);
  // The truncated batch's retry is not a duplicate: it is the next sequence, appended anew.
  auto again = f.append(f.batch(45));
  ASSERT_TRUE(again) << again.err().to_string();
  EXPECT_FALSE(again->duplicate);
  EXPECT_EQ(again->first_offset, infos[9].first_offset);
  EXPECT_EQ(f.count_key("p45"), 1);

  // After the truncation the log grows past the offsets of the old, removed snapshots with
  // different batch boundaries; a restart must not take the state from one of those.
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(f.append(f.batch(50 + 2 * i, 2)));
  auto before = states(*f.lg);
  f.crash_and_reopen();
  expect_same_states(before, states(*f.lg));
  auto next = f.append(f.batch(74, 1));
  ASSERT_TRUE(next) << next.err().to_string();
  EXPECT_FALSE(next->duplicate);
}

TEST(ProducerStateLog, TruncationBelowAProducersFirstBatchForgetsIt) {
  LogFixture f;
  ASSERT_TRUE(f.append(f.batch(0, 3)));                  // pid: 0..2
  ASSERT_TRUE(f.append(f.batch(100, 2, 1, other_pid)));  // other: 3..4
  ASSERT_TRUE(f.lg->take_producer_snapshot());           // a snapshot at 5
  ASSERT_TRUE(f.append(f.batch(102, 2, 1, other_pid)));  // other: 5..6
  ASSERT_TRUE(f.lg->truncate_to(offset(3)));
  EXPECT_EQ(f.lg->log_end_offset(), offset(3));
  EXPECT_TRUE(f.snapshots().empty() || f.snapshots().back() <= offset(3));
  EXPECT_FALSE(f.lg->producer_state(other_pid)) << "other_pid has no batch left";
  ASSERT_TRUE(f.lg->producer_state(pid));
  // other_pid is unknown again: any sequence.
  auto r = f.append(f.batch(7, 1, 1, other_pid));
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_FALSE(r->duplicate);
  EXPECT_EQ(r->first_offset, offset(3));
}

TEST(ProducerStateLog, TruncateFullyClearsTheStateAndItsSnapshots) {
  LogFixture f(small_segments());
  auto infos = append_many(f, 10);
  ASSERT_FALSE(f.snapshots().empty());
  ASSERT_TRUE(f.lg->truncate_fully_and_start_at(offset(1000)));
  EXPECT_TRUE(f.snapshots().empty());
  EXPECT_FALSE(f.lg->producer_state(pid));
  EXPECT_EQ(f.lg->log_end_offset(), offset(1000));
  // The producer is unknown: a retry of its last batch is appended as a new batch.
  auto r = f.append(f.batch(45));
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_FALSE(r->duplicate);
  EXPECT_EQ(r->first_offset, offset(1000));
  auto e = f.lg->producer_state(pid);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->batches.size(), 1u);
  // Nothing of the old state comes back after either kind of restart.
  f.close_and_reopen();
  e = f.lg->producer_state(pid);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->batches.size(), 1u);
  EXPECT_EQ(e->batches[0].first_offset, offset(1000));
  f.crash_and_reopen();
  e = f.lg->producer_state(pid);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->batches.size(), 1u);
  EXPECT_EQ(f.append(f.batch(40)).code(), errc::out_of_order_sequence_number);
}

// --- Retention ---

// Snapshots expected after the log start moved to `start`: all at or above it, and the newest
// below it.
std::vector<offset> expected_after_retention(const std::vector<offset>& before, offset start) {
  std::vector<offset> out;
  std::optional<offset> newest_below;
  for (offset s : before) {
    if (s < start) newest_below = s;
  }
  if (newest_below) out.push_back(*newest_below);
  for (offset s : before) {
    if (s >= start) out.push_back(s);
  }
  return out;
}

TEST(ProducerStateLog, AdvancingTheLogStartDeletesOldSnapshotsButTheNewestBelowIt) {
  LogFixture f(small_segments());
  auto infos = append_many(f, 24);
  auto bases = f.lg->segment_base_offsets();
  ASSERT_GT(bases.size(), 5u);
  auto before = f.snapshots();
  ASSERT_GT(before.size(), 4u);
  // Into the middle of the fourth segment.
  offset start = bases[3] + 1;
  ASSERT_TRUE(f.lg->advance_log_start_offset(start));
  auto after = f.snapshots();
  EXPECT_EQ(after, expected_after_retention(before, start));
  EXPECT_EQ(after.front(), bases[3]);
  EXPECT_LT(after.size(), before.size());

  // Then delete_old_segments removes the segments below the start; the snapshots follow.
  auto n = f.lg->delete_old_segments();
  ASSERT_TRUE(n) << n.err().to_string();
  EXPECT_EQ(f.snapshots(), expected_after_retention(after, f.lg->segment_base_offsets().front()));
  auto states_before = states(*f.lg);
  expect_last_five_are_duplicates(f, infos);
  f.crash_and_reopen();
  expect_same_states(states_before, states(*f.lg));
}

TEST(ProducerStateLog, RetentionDeletesOldSnapshotsButTheNewestBelowTheLogStart) {
  LogConfig cfg = small_segments();
  cfg.retention_bytes = 3000;
  cfg.retention_ms = -1;
  LogFixture f(cfg);
  auto infos = append_many(f, 30);
  auto before = f.snapshots();
  ASSERT_GT(before.size(), 5u);
  auto n = f.lg->delete_old_segments();
  ASSERT_TRUE(n) << n.err().to_string();
  ASSERT_GT(*n, 1);
  offset start = f.lg->log_start_offset();
  ASSERT_EQ(start, f.lg->segment_base_offsets().front());
  auto after = f.snapshots();
  EXPECT_EQ(after, expected_after_retention(before, start));
  ASSERT_FALSE(after.empty());
  EXPECT_LT(after.front(), start) << "the newest snapshot below the log start is kept";
  EXPECT_EQ(std::count_if(after.begin(), after.end(), [&](offset s) { return s < start; }), 1);

  // The kept snapshot still seeds the state: drop the others, crash, and reopen.
  auto states_before = states(*f.lg);
  f.lg.reset();
  for (offset s : f.snapshots()) {
    if (s >= start) {
      ASSERT_TRUE(fs::remove(snapshot_path(f.dir.path(), s)));
    }
  }
  f.open();
  expect_same_states(states_before, states(*f.lg));
  expect_last_five_are_duplicates(f, infos);
}

}  // namespace
}  // namespace shoal::storage
