// Leader epochs (KIP-101): the cache's rules, its checkpoint file, and the Log keeping it in
// step with appends, truncation, a moving log start and recovery.
#include <gtest/gtest.h>

#include <fstream>

#include "storage/leader_epoch_cache.h"
#include "storage/log.h"
#include "test_util.h"

namespace shoal::storage {
namespace {

using testing::make_simple_batch;
using testing::TempDir;

std::vector<EpochEntry> E(std::initializer_list<std::pair<int32_t, int64_t>> l) {
  std::vector<EpochEntry> out;
  for (auto [e, s] : l) out.push_back({e, offset(s)});
  return out;
}

void write_text(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << s;
}

TEST(LeaderEpochCache, AssignKeepsEpochsAndStartsIncreasing) {
  TempDir dir;
  LeaderEpochCache c(Env::posix(), dir / "cp");
  ASSERT_TRUE(c.assign(1, offset(0)));
  ASSERT_TRUE(c.assign(3, offset(10)));
  ASSERT_TRUE(c.assign(2, offset(20)));  // older epoch: ignored
  ASSERT_TRUE(c.assign(3, offset(30)));  // same epoch: ignored
  ASSERT_TRUE(c.assign(4, offset(5)));   // start before the latest: ignored
  EXPECT_EQ(c.entries(), E({{1, 0}, {3, 10}}));
  // An epoch that wrote nothing is replaced by the next one starting at the same offset.
  ASSERT_TRUE(c.assign(5, offset(25)));
  ASSERT_TRUE(c.assign(6, offset(25)));
  EXPECT_EQ(c.entries(), E({{1, 0}, {3, 10}, {6, 25}}));
  EXPECT_EQ(c.latest()->epoch, 6);
}

TEST(LeaderEpochCache, EndOffsetForFindsTheLargestEpochAtOrBelow) {
  TempDir dir;
  LeaderEpochCache c(Env::posix(), dir / "cp");
  EXPECT_FALSE(c.end_offset_for(3, offset(0)));
  ASSERT_TRUE(c.assign(2, offset(0)));
  ASSERT_TRUE(c.assign(4, offset(10)));
  ASSERT_TRUE(c.assign(7, offset(25)));
  using P = std::pair<int32_t, offset>;
  EXPECT_EQ(c.end_offset_for(2, offset(40)), P(2, offset(10)));
  EXPECT_EQ(c.end_offset_for(3, offset(40)), P(2, offset(10)));  // unknown epoch: the one below
  EXPECT_EQ(c.end_offset_for(4, offset(40)), P(4, offset(25)));
  EXPECT_EQ(c.end_offset_for(7, offset(40)), P(7, offset(40)));  // the latest ends at log end
  EXPECT_EQ(c.end_offset_for(99, offset(40)), P(7, offset(40)));
  EXPECT_FALSE(c.end_offset_for(1, offset(40)));  // every known epoch is newer
}

TEST(LeaderEpochCache, TruncationFromBothEnds) {
  TempDir dir;
  LeaderEpochCache c(Env::posix(), dir / "cp");
  for (auto [e, s] : {std::pair{1, 0}, {2, 10}, {3, 20}, {4, 30}}) {
    ASSERT_TRUE(c.assign(e, offset(s)));
  }
  ASSERT_TRUE(c.truncate_from_end(offset(20)));  // drops entries starting at or after 20
  EXPECT_EQ(c.entries(), E({{1, 0}, {2, 10}}));
  ASSERT_TRUE(c.truncate_from_start(offset(12)));  // epoch 1 ended before 12
  EXPECT_EQ(c.entries(), E({{2, 12}}));
  ASSERT_TRUE(c.truncate_from_start(offset(5)));  // behind the start: nothing changes
  EXPECT_EQ(c.entries(), E({{2, 12}}));
}

TEST(LeaderEpochCache, CheckpointSurvivesReload) {
  TempDir dir;
  {
    LeaderEpochCache c(Env::posix(), dir / "cp");
    ASSERT_TRUE(c.assign(1, offset(0)));
    ASSERT_TRUE(c.assign(5, offset(42)));
  }
  LeaderEpochCache c(Env::posix(), dir / "cp");
  auto loaded = c.load();
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(*loaded);
  EXPECT_EQ(c.entries(), E({{1, 0}, {5, 42}}));
}

TEST(LeaderEpochCache, MissingOrMalformedCheckpointIsNotLoaded) {
  TempDir dir;
  for (const std::string& text :
       {std::string("1 0\n2\n"), std::string("1 0\nx 5\n"), std::string("3 0\n2 5\n"),
        std::string("1 10\n2 5\n"), std::string("1 0 7\n")}) {
    write_text(dir / "cp", text);
    LeaderEpochCache c(Env::posix(), dir / "cp");
    auto loaded = c.load();
    ASSERT_TRUE(loaded);
    EXPECT_FALSE(*loaded) << text;
    EXPECT_TRUE(c.entries().empty()) << text;
  }
  LeaderEpochCache none(Env::posix(), dir / "absent");
  EXPECT_FALSE(*none.load());
}

std::unique_ptr<Log> open_log(const fs::path& dir) {
  auto r = Log::open(dir, LogConfig{}, LogOptions{});
  EXPECT_TRUE(r) << r.err().to_string();
  return std::move(r).value();
}

TEST(LogLeaderEpochs, LeaderAndFollowerAppendsRecordEpochs) {
  TempDir dir;
  auto leader = open_log(dir / "leader");
  ASSERT_TRUE(leader->append_as_leader(make_simple_batch(5), leader_epoch(1)));
  ASSERT_TRUE(leader->append_as_leader(make_simple_batch(5), leader_epoch(1)));
  ASSERT_TRUE(leader->append_as_leader(make_simple_batch(3), leader_epoch(4)));
  EXPECT_EQ(leader->latest_epoch(), 4);
  using P = std::pair<int32_t, offset>;
  EXPECT_EQ(leader->end_offset_for_epoch(1), P(1, offset(10)));
  EXPECT_EQ(leader->end_offset_for_epoch(3), P(1, offset(10)));
  EXPECT_EQ(leader->end_offset_for_epoch(4), P(4, offset(13)));

  // A follower copying the leader's batches learns the same epochs from them.
  auto follower = open_log(dir / "follower");
  auto data = leader->read(offset(0), 1 << 20);
  ASSERT_TRUE(data);
  ASSERT_TRUE(follower->append_as_follower(data->records));
  EXPECT_EQ(follower->latest_epoch(), 4);
  EXPECT_EQ(follower->end_offset_for_epoch(1), P(1, offset(10)));
  EXPECT_EQ(follower->end_offset_for_epoch(4), P(4, offset(13)));
}

TEST(LogLeaderEpochs, AssignEpochMarksANewLeadershipBeforeItWrites) {
  TempDir dir;
  auto lg = open_log(dir.path());
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(4), leader_epoch(2)));
  ASSERT_TRUE(lg->assign_epoch(5));
  using P = std::pair<int32_t, offset>;
  // Epoch 2 ends where epoch 5 begins, even before epoch 5 has written anything.
  EXPECT_EQ(lg->end_offset_for_epoch(2), P(2, offset(4)));
  EXPECT_EQ(lg->end_offset_for_epoch(5), P(5, offset(4)));
}

TEST(LogLeaderEpochs, TruncationDropsEpochsOfTheCutRecords) {
  TempDir dir;
  auto lg = open_log(dir.path());
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(5), leader_epoch(1)));
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(5), leader_epoch(2)));
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(5), leader_epoch(3)));
  ASSERT_TRUE(lg->truncate_to(offset(10)));
  EXPECT_EQ(lg->latest_epoch(), 2);
  using P = std::pair<int32_t, offset>;
  EXPECT_EQ(lg->end_offset_for_epoch(3), P(2, offset(10)));
  // Cutting inside a batch removes the whole batch, and its epoch with it.
  ASSERT_TRUE(lg->truncate_to(offset(7)));
  EXPECT_EQ(lg->log_end_offset(), offset(5));
  EXPECT_EQ(lg->latest_epoch(), 1);
  ASSERT_TRUE(lg->truncate_fully_and_start_at(offset(100)));
  EXPECT_FALSE(lg->latest_epoch());
}

TEST(LogLeaderEpochs, TruncatingAtTheLogEndDropsAnEpochThatWroteNothing) {
  TempDir dir;
  auto lg = open_log(dir.path());
  ASSERT_TRUE(lg->assign_epoch(0));  // led, wrote nothing, was deposed
  EXPECT_EQ(lg->latest_epoch(), 0);
  ASSERT_TRUE(lg->truncate_to(offset(0)));
  EXPECT_FALSE(lg->latest_epoch());
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(3), leader_epoch(2)));
  ASSERT_TRUE(lg->assign_epoch(4));
  ASSERT_TRUE(lg->truncate_to(offset(3)));
  EXPECT_EQ(lg->latest_epoch(), 2);
}

TEST(LogLeaderEpochs, LogStartMovesTheFirstEpoch) {
  TempDir dir;
  auto lg = open_log(dir.path());
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(5), leader_epoch(1)));
  ASSERT_TRUE(lg->append_as_leader(make_simple_batch(5), leader_epoch(2)));
  ASSERT_TRUE(lg->advance_log_start_offset(offset(7)));
  using P = std::pair<int32_t, offset>;
  EXPECT_FALSE(lg->end_offset_for_epoch(1));
  EXPECT_EQ(lg->end_offset_for_epoch(2), P(2, offset(10)));
}

TEST(LogLeaderEpochs, RebuiltFromBatchesWhenTheCheckpointIsLostOrWrong) {
  TempDir dir;
  {
    auto lg = open_log(dir.path());
    ASSERT_TRUE(lg->append_as_leader(make_simple_batch(5), leader_epoch(1)));
    ASSERT_TRUE(lg->append_as_leader(make_simple_batch(5), leader_epoch(3)));
  }
  using P = std::pair<int32_t, offset>;
  for (const std::string& bad :
       {std::string(""), std::string("garbage\n"), std::string("1 0\n3 5\n9 500\n")}) {
    if (bad.empty()) {
      fs::remove(dir / "leader-epoch-checkpoint");
    } else {
      write_text(dir / "leader-epoch-checkpoint", bad);
    }
    auto lg = open_log(dir.path());
    EXPECT_EQ(lg->latest_epoch(), 3) << bad;
    EXPECT_EQ(lg->end_offset_for_epoch(1), P(1, offset(5))) << bad;
    EXPECT_EQ(lg->end_offset_for_epoch(3), P(3, offset(10))) << bad;
  }
}

}  // namespace
}  // namespace shoal::storage
