// One partition's replication state (docs/cluster.md §4) over a real log: the leader's high
// watermark (the smallest log end over the ISR, counting the maximal ISR while a change is
// pending, never moving back), the ISR changes it proposes and how a committed one is taken,
// acks=all against min.insync.replicas, leadership checks on append, KIP-101 divergence
// answers for followers, the follower's high watermark, and reads bounded by it.
#include "broker/partition.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "storage/test_util.h"

namespace shoal::broker {
namespace {

using cluster::PartitionState;
using cluster::TopicConfig;
using storage::testing::decode_batches;
using storage::testing::make_simple_batch;
using storage::testing::TempDir;

constexpr int32_t self = 1;
constexpr int64_t lag_max = 30'000;
// A monotonic clock reading far from zero, as the broker passes (ipc::monotonic_ms()).
constexpr int64_t t0 = 5'000'000;

PartitionState state(std::vector<int32_t> replicas, std::vector<int32_t> isr, int32_t leader,
                     int32_t leader_epoch = 0, int32_t partition_epoch = 0) {
  PartitionState p;
  p.replicas = std::move(replicas);
  p.isr = std::move(isr);
  p.leader = leader;
  p.leader_epoch = leader_epoch;
  p.partition_epoch = partition_epoch;
  return p;
}

class PartitionTest : public ::testing::Test {
 protected:
  // A partition of "orders" held by broker `id`, with its own log directory.
  std::unique_ptr<Partition> make(int32_t id = self, TopicConfig config = {}) {
    auto dir = dir_ / ("broker-" + std::to_string(id) + "-" + std::to_string(n_++));
    storage::LogOptions opts;
    opts.name = "[orders/0]";
    auto lg = storage::Log::open(dir, config.log, opts);
    EXPECT_TRUE(lg) << lg.err().to_string();
    if (!lg) return nullptr;
    return std::make_unique<Partition>("orders", 0, 11, id, std::move(lg).value(), config);
  }

  // A leader of replicas {1, 2, 3} with the given ISR.
  std::unique_ptr<Partition> leader(std::vector<int32_t> isr, int32_t leader_epoch = 0,
                                    TopicConfig config = {}) {
    auto p = make(self, config);
    EXPECT_EQ(p->update(state({1, 2, 3}, std::move(isr), self, leader_epoch), t0),
              replica_role::leader);
    return p;
  }

  // Appends `batches` batches of `n` records each as leader with `acks`.
  static void append(Partition& p, int n, int batches = 1, int16_t acks = 1) {
    for (int i = 0; i < batches; ++i) {
      auto b = make_simple_batch(n);
      auto info = p.append_as_leader(b, acks);
      ASSERT_TRUE(info) << info.err().to_string();
    }
  }

  // Every record a consumer can read from `start`.
  static std::vector<storage::testing::TestRecord> consume(const Partition& p, int64_t start = 0) {
    auto r = p.read(offset(start), 1 << 20);
    EXPECT_TRUE(r) << r.err().to_string();
    if (!r) return {};
    return decode_batches(r->records);
  }

  // Commits `isr` as the controller would answer an ISR change: the leader's current state
  // with the new ISR and the next partition epoch.
  static PartitionState committed(const Partition& p, std::vector<int32_t> isr) {
    PartitionState s = p.state();
    s.isr = std::move(isr);
    s.partition_epoch += 1;
    return s;
  }

  TempDir dir_;
  int n_ = 0;
};

// --- high watermark ---

TEST_F(PartitionTest, HighWatermarkIsTheSmallestLogEndOverTheIsr) {
  auto p = leader({1, 2, 3});
  append(*p, 10);
  EXPECT_EQ(p->high_watermark(), offset(0));
  EXPECT_FALSE(p->record_follower_fetch(2, offset(10), t0));
  EXPECT_EQ(p->high_watermark(), offset(0)) << "broker 3 has not fetched yet";
  EXPECT_TRUE(p->record_follower_fetch(3, offset(4), t0));
  EXPECT_EQ(p->high_watermark(), offset(4));
  EXPECT_TRUE(p->committed(offset(4)));
  EXPECT_FALSE(p->committed(offset(5)));
  EXPECT_TRUE(p->record_follower_fetch(3, offset(10), t0));
  EXPECT_EQ(p->high_watermark(), offset(10));

  // The leader's own log end counts: new records wait for the followers...
  append(*p, 5);
  EXPECT_EQ(p->high_watermark(), offset(10));
  p->record_follower_fetch(2, offset(15), t0);
  EXPECT_EQ(p->high_watermark(), offset(10));
  p->record_follower_fetch(3, offset(15), t0);
  EXPECT_EQ(p->high_watermark(), offset(15));
  // ...and the high watermark never passes it, whatever a follower claims.
  p->record_follower_fetch(2, offset(40), t0);
  p->record_follower_fetch(3, offset(40), t0);
  EXPECT_EQ(p->high_watermark(), offset(15));
  EXPECT_EQ(p->log().log_end_offset(), offset(15));

  // A fetch from a broker that is no replica counts for nothing.
  EXPECT_FALSE(p->record_follower_fetch(9, offset(15), t0));
}

TEST_F(PartitionTest, HighWatermarkOfALeaderAloneInTheIsrIsItsLogEnd) {
  auto p = leader({1});
  append(*p, 3);
  EXPECT_EQ(p->high_watermark(), offset(3));
  append(*p, 2, 1, /*acks=*/0);
  EXPECT_EQ(p->high_watermark(), offset(5));
  // Followers outside the ISR do not hold it back.
  p->record_follower_fetch(2, offset(1), t0);
  append(*p, 1);
  EXPECT_EQ(p->high_watermark(), offset(6));
}

TEST_F(PartitionTest, HighWatermarkNeverMovesBackwards) {
  auto p = leader({1, 2, 3});
  append(*p, 10);
  p->record_follower_fetch(2, offset(10), t0);
  p->record_follower_fetch(3, offset(10), t0);
  ASSERT_EQ(p->high_watermark(), offset(10));

  // A follower fetching from lower down (it truncated) does not pull it back.
  EXPECT_FALSE(p->record_follower_fetch(2, offset(6), t0));
  EXPECT_EQ(p->high_watermark(), offset(10));
  append(*p, 2);
  EXPECT_EQ(p->high_watermark(), offset(10));

  // A committed shrink, or a new leadership where no follower has fetched yet, neither.
  p->isr_change_done(committed(*p, {1, 3}));
  EXPECT_EQ(p->high_watermark(), offset(10));
  p->update(state({1, 2, 3}, {1, 2, 3}, self, 1, 2), t0);
  EXPECT_EQ(p->high_watermark(), offset(10));
  p->update(state({1, 2, 3}, {1, 2, 3}, self, 1, 3), t0);
  EXPECT_EQ(p->high_watermark(), offset(10));
}

TEST_F(PartitionTest, CommittedShrinkStopsTheRemovedMemberHoldingTheHighWatermarkBack) {
  auto p = leader({1, 2, 3});
  append(*p, 10);
  p->record_follower_fetch(2, offset(10), t0 + 1);
  p->record_follower_fetch(3, offset(2), t0 + 1);
  ASSERT_EQ(p->high_watermark(), offset(2));

  auto change = p->isr_change(t0 + lag_max + 1, lag_max, {2, 3});
  ASSERT_TRUE(change);
  EXPECT_EQ(*change, (std::vector<int32_t>{1, 2}));
  // Pending: the controller has not said yes, so broker 3 still counts.
  EXPECT_EQ(p->high_watermark(), offset(2));
  append(*p, 5);
  p->record_follower_fetch(2, offset(15), t0 + lag_max + 2);
  EXPECT_EQ(p->high_watermark(), offset(2));
  EXPECT_TRUE(p->record_follower_fetch(3, offset(5), t0 + lag_max + 2));
  EXPECT_EQ(p->high_watermark(), offset(5));
  EXPECT_EQ(p->state().isr, (std::vector<int32_t>{1, 2, 3}));

  p->isr_change_done(committed(*p, {1, 2}));
  EXPECT_EQ(p->state().isr, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(p->state().partition_epoch, 1);
  EXPECT_EQ(p->high_watermark(), offset(15));
}

TEST_F(PartitionTest, PendingExpansionCountsTheJoiningFollower) {
  auto p = leader({1, 2});
  append(*p, 10);
  p->record_follower_fetch(2, offset(10), t0 + 1);
  ASSERT_EQ(p->high_watermark(), offset(10));
  p->record_follower_fetch(3, offset(10), t0 + 2);

  auto change = p->isr_change(t0 + 3, lag_max, {2, 3});
  ASSERT_TRUE(change);
  EXPECT_EQ(*change, (std::vector<int32_t>{1, 2, 3}));
  // Maximal ISR: new records are committed only once broker 3 has them too.
  append(*p, 5);
  p->record_follower_fetch(2, offset(15), t0 + 4);
  EXPECT_EQ(p->high_watermark(), offset(10));
  p->record_follower_fetch(3, offset(12), t0 + 4);
  EXPECT_EQ(p->high_watermark(), offset(12));
  p->record_follower_fetch(3, offset(15), t0 + 4);
  EXPECT_EQ(p->high_watermark(), offset(15));

  p->isr_change_done(committed(*p, {1, 2, 3}));
  EXPECT_EQ(p->state().isr, (std::vector<int32_t>{1, 2, 3}));
  append(*p, 1);
  p->record_follower_fetch(2, offset(16), t0 + 5);
  EXPECT_EQ(p->high_watermark(), offset(15));
  p->record_follower_fetch(3, offset(16), t0 + 5);
  EXPECT_EQ(p->high_watermark(), offset(16));
}

TEST_F(PartitionTest, RefusedExpansionNoLongerCountsTheFollower) {
  auto p = leader({1, 2});
  append(*p, 10);
  p->record_follower_fetch(2, offset(10), t0 + 1);
  p->record_follower_fetch(3, offset(10), t0 + 1);
  ASSERT_TRUE(p->isr_change(t0 + 2, lag_max, {2, 3}));
  append(*p, 5);
  p->record_follower_fetch(2, offset(15), t0 + 3);
  EXPECT_EQ(p->high_watermark(), offset(10));
  p->isr_change_done(std::nullopt);
  EXPECT_EQ(p->state().isr, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(p->high_watermark(), offset(15));
}

// --- ISR changes ---

TEST_F(PartitionTest, FollowerBehindForLongerThanTheLagLimitIsProposedForRemoval) {
  auto p = leader({1, 2, 3});
  append(*p, 10);
  p->record_follower_fetch(2, offset(10), t0);
  p->record_follower_fetch(3, offset(9), t0);  // fetching, but never caught up
  // In-sync followers get a full lag period from the start of the leadership.
  EXPECT_FALSE(p->isr_change(t0 + lag_max, lag_max, {2, 3}));
  p->record_follower_fetch(2, offset(10), t0 + lag_max);
  auto change = p->isr_change(t0 + lag_max + 1, lag_max, {2, 3});
  ASSERT_TRUE(change);
  EXPECT_EQ(*change, (std::vector<int32_t>{1, 2}));
  p->isr_change_done(committed(*p, {1, 2}));

  // A follower that stops fetching altogether goes the same way.
  append(*p, 1);
  p->record_follower_fetch(2, offset(11), t0 + lag_max + 10);
  EXPECT_FALSE(p->isr_change(t0 + 2 * lag_max + 10, lag_max, {2, 3}));
  change = p->isr_change(t0 + 2 * lag_max + 11, lag_max, {2, 3});
  ASSERT_TRUE(change);
  EXPECT_EQ(*change, (std::vector<int32_t>{1}));
}

TEST_F(PartitionTest, FollowerKeepingUpWithContinuousAppendsStaysInSync) {
  // Kafka's rule (Replica.updateFetchState): a follower is caught up when it fetched at least
  // up to the leader's log end as of its previous fetch. Under a steady stream of appends its
  // fetch offset is always a little behind the current log end, yet it is not lagging.
  auto p = leader({1, 2});
  int64_t now = t0;
  p->record_follower_fetch(2, p->log().log_end_offset(), now);
  for (int i = 0; i < 40; ++i) {
    offset had = p->log().log_end_offset();  // what its previous fetch returned
    append(*p, 1);                           // a producer appends in between
    now += 2'000;
    p->record_follower_fetch(2, had, now);
    auto change = p->isr_change(now, lag_max, {2});
    ASSERT_FALSE(change) << "after " << now - t0 << " ms of fetching every record the leader "
                         << "had, the leader proposes an ISR of " << change->size()
                         << " member(s) without broker 2";
  }
}

TEST_F(PartitionTest, LiveFollowerCaughtUpToTheHighWatermarkIsProposedForAddition) {
  auto p = leader({1, 2});
  append(*p, 10);
  p->record_follower_fetch(2, offset(10), t0 + 1);
  ASSERT_EQ(p->high_watermark(), offset(10));
  // Broker 3 fetched everything, but it is not live.
  p->record_follower_fetch(3, offset(10), t0 + 2);
  EXPECT_FALSE(p->isr_change(t0 + 3, lag_max, {2}));
  // Live now: it joins.
  auto change = p->isr_change(t0 + 3, lag_max, {2, 3});
  ASSERT_TRUE(change);
  EXPECT_EQ(*change, (std::vector<int32_t>{1, 2, 3}));
}

TEST_F(PartitionTest, FollowerAtTheHighWatermarkButBehindTheLogEndIsProposedForAddition) {
  // docs/cluster.md §4: "a live replica joins once it has fetched up to the HW within the
  // current leader epoch" (Kafka's isFollowerInSync: follower end >= HW and >= the current
  // epoch's start). Nothing committed is missing from it.
  auto p = leader({1, 2});
  append(*p, 10);
  p->record_follower_fetch(2, offset(8), t0 + 1);
  ASSERT_EQ(p->high_watermark(), offset(8));
  EXPECT_FALSE(p->isr_change(t0 + 2, lag_max, {2, 3})) << "broker 3 has not fetched";
  p->record_follower_fetch(3, offset(5), t0 + 3);
  EXPECT_FALSE(p->isr_change(t0 + 4, lag_max, {2, 3})) << "broker 3 is below the HW";
  p->record_follower_fetch(3, offset(8), t0 + 5);
  auto change = p->isr_change(t0 + 6, lag_max, {2, 3});
  ASSERT_TRUE(change) << "broker 3 has every committed record";
  EXPECT_EQ(*change, (std::vector<int32_t>{1, 2, 3}));
}

TEST_F(PartitionTest, JoiningFollowerMustHaveTheStartOfTheCurrentLeaderEpoch) {
  // Epoch 0 wrote 0..9 with the high watermark left at 4 (broker 3 lagging in the ISR);
  // epoch 1 starts at 10. A follower between the HW and 10 may hold records of epoch 0 that
  // this leader does not agree with: it must not join before it is past 10.
  auto p = make();
  ASSERT_EQ(p->update(state({1, 2, 3}, {1, 3}, self, 0), t0), replica_role::leader);
  append(*p, 10);
  p->record_follower_fetch(3, offset(4), t0 + 1);
  ASSERT_EQ(p->high_watermark(), offset(4));
  ASSERT_EQ(p->update(state({1, 2, 3}, {1, 3}, self, 1, 1), t0 + 2), replica_role::leader);
  auto start = p->log().end_offset_for_epoch(0);
  ASSERT_TRUE(start);
  ASSERT_EQ(start->second, offset(10));
  EXPECT_EQ(p->high_watermark(), offset(4));

  p->record_follower_fetch(2, offset(7), t0 + 3);
  EXPECT_FALSE(p->isr_change(t0 + 4, lag_max, {2, 3}));
  // Caught up once, then back at 7 (it truncated): past the HW, recently caught up, but
  // without the start of epoch 1.
  p->record_follower_fetch(2, offset(10), t0 + 5);
  p->record_follower_fetch(2, offset(7), t0 + 6);
  EXPECT_FALSE(p->isr_change(t0 + 7, lag_max, {2, 3}));
  p->record_follower_fetch(2, offset(10), t0 + 8);
  auto change = p->isr_change(t0 + 9, lag_max, {2, 3});
  ASSERT_TRUE(change);
  EXPECT_EQ(*change, (std::vector<int32_t>{1, 3, 2}));
}

TEST_F(PartitionTest, OnlyOneIsrChangeIsPendingAtATime) {
  auto p = leader({1, 2});
  append(*p, 10);
  p->record_follower_fetch(2, offset(10), t0 + 1);
  p->record_follower_fetch(3, offset(10), t0 + 1);
  auto first = p->isr_change(t0 + 2, lag_max, {2, 3});
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, (std::vector<int32_t>{1, 2, 3}));
  // Broker 2 now lags past the limit, but the first proposal is still out.
  EXPECT_FALSE(p->isr_change(t0 + 2 * lag_max, lag_max, {2, 3}));
  EXPECT_FALSE(p->isr_change(t0 + 2 * lag_max, lag_max, {2, 3}));
  // Answered (refused here): the next proposal may go.
  p->isr_change_done(std::nullopt);
  auto next = p->isr_change(t0 + 2 * lag_max, lag_max, {2, 3});
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, (std::vector<int32_t>{1}));
}

TEST_F(PartitionTest, NewImageClearsThePendingChange) {
  auto p = leader({1, 2});
  append(*p, 10);
  p->record_follower_fetch(2, offset(10), t0 + 1);
  p->record_follower_fetch(3, offset(10), t0 + 1);
  ASSERT_TRUE(p->isr_change(t0 + 2, lag_max, {2, 3}));
  // The controller changed the partition meanwhile (its answer will be stale).
  p->update(state({1, 2, 3}, {1, 2}, self, 0, 5), t0 + 3);
  auto again = p->isr_change(t0 + 4, lag_max, {2, 3});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, (std::vector<int32_t>{1, 2, 3}));
}

TEST_F(PartitionTest, CommittedChangeIsTakenOnlyIfNewerAndOfTheSameLeaderEpoch) {
  auto p = leader({1, 2, 3}, /*leader_epoch=*/2);
  p->update(state({1, 2, 3}, {1, 2, 3}, self, 2, 4), t0);
  auto base = p->state();
  ASSERT_EQ(base.partition_epoch, 4);

  // Not newer than what the leader has: ignored.
  for (int32_t pe : {3, 4}) {
    ASSERT_TRUE(p->isr_change(t0 + lag_max + 1, lag_max, {2, 3}));  // both lag: [1]
    PartitionState s = base;
    s.isr = {1};
    s.partition_epoch = pe;
    p->isr_change_done(s);
    EXPECT_EQ(p->state(), base) << "partition epoch " << pe;
  }
  // Another leader epoch: ignored.
  for (int32_t le : {1, 3}) {
    ASSERT_TRUE(p->isr_change(t0 + lag_max + 1, lag_max, {2, 3}));
    PartitionState s = base;
    s.isr = {1};
    s.partition_epoch = 5;
    s.leader_epoch = le;
    p->isr_change_done(s);
    EXPECT_EQ(p->state(), base) << "leader epoch " << le;
  }
  // Newer, same leader epoch: taken.
  ASSERT_TRUE(p->isr_change(t0 + lag_max + 1, lag_max, {2, 3}));
  PartitionState s = base;
  s.isr = {1};
  s.partition_epoch = 5;
  p->isr_change_done(s);
  EXPECT_EQ(p->state(), s);
  EXPECT_EQ(p->isr_size(), 1u);
}

TEST_F(PartitionTest, FollowersAndNonReplicasProposeNothing) {
  auto f = make();
  ASSERT_EQ(f->update(state({2, 1}, {2, 1}, 2), t0), replica_role::follower);
  EXPECT_FALSE(f->isr_change(t0 + 10 * lag_max, lag_max, {2, 3}));
  EXPECT_FALSE(f->record_follower_fetch(2, offset(0), t0));
  auto n = make();
  ASSERT_EQ(n->update(state({2, 3}, {2, 3}, 2), t0), replica_role::none);
  EXPECT_FALSE(n->isr_change(t0 + 10 * lag_max, lag_max, {2, 3}));
}

// --- appends ---

TEST_F(PartitionTest, AcksAllBelowMinInsyncReplicasIsNotEnoughReplicasAndAppendsNothing) {
  auto cfg = TopicConfig{}.with({{"min.insync.replicas", "2"}});
  ASSERT_TRUE(cfg);
  auto p = leader({1}, 0, *cfg);
  auto b = make_simple_batch(3);
  auto r = p->append_as_leader(b, -1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::not_enough_replicas);
  EXPECT_EQ(p->log().log_end_offset(), offset(0));
  EXPECT_TRUE(consume(*p).empty());
  // acks=1 and acks=0 do not care.
  append(*p, 3, 1, /*acks=*/1);
  append(*p, 3, 1, /*acks=*/0);
  EXPECT_EQ(p->log().log_end_offset(), offset(6));

  // Enough in-sync replicas: accepted.
  p->update(state({1, 2, 3}, {1, 2}, self, 0, 1), t0);
  append(*p, 3, 1, /*acks=*/-1);
  EXPECT_EQ(p->log().log_end_offset(), offset(9));
  // A committed shrink below the minimum refuses again.
  p->isr_change_done(committed(*p, {1}));
  auto again = make_simple_batch(1);
  EXPECT_EQ(p->append_as_leader(again, -1).code(), errc::not_enough_replicas);
  EXPECT_EQ(p->log().log_end_offset(), offset(9));
}

TEST_F(PartitionTest, AppendWhenNotLeaderIsNotLeaderOrFollower) {
  auto f = make();
  ASSERT_EQ(f->update(state({2, 1}, {2, 1}, 2), t0), replica_role::follower);
  for (int16_t acks : {0, 1, -1}) {
    auto b = make_simple_batch(1);
    auto r = f->append_as_leader(b, acks);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::not_leader_or_follower) << "acks=" << acks;
  }
  EXPECT_EQ(f->log().log_end_offset(), offset(0));
  // Neither leader nor replica, or before any image at all.
  auto n = make();
  auto b = make_simple_batch(1);
  EXPECT_EQ(n->append_as_leader(b, 1).code(), errc::not_leader_or_follower);
  ASSERT_EQ(n->update(state({2, 3}, {2, 3}, 2), t0), replica_role::none);
  EXPECT_EQ(n->append_as_leader(b, 1).code(), errc::not_leader_or_follower);
  // A leader that lost its leadership.
  auto p = leader({1, 2});
  append(*p, 1);
  ASSERT_EQ(p->update(state({1, 2, 3}, {2}, 2, 1, 1), t0), replica_role::follower);
  EXPECT_EQ(p->append_as_leader(b, 1).code(), errc::not_leader_or_follower);
  EXPECT_EQ(p->log().log_end_offset(), offset(1));
}

// --- divergence (KIP-101 / KIP-320) ---

TEST_F(PartitionTest, DivergenceAnswersFromTheLeaderEpochCache) {
  // Epoch 0: offsets 0..4, epoch 2: 5..9, epoch 3: 10..11 (log end 12).
  auto p = leader({1}, 0);
  append(*p, 5);
  ASSERT_EQ(p->update(state({1, 2, 3}, {1}, self, 2, 1), t0), replica_role::leader);
  append(*p, 5);
  ASSERT_EQ(p->update(state({1, 2, 3}, {1}, self, 3, 2), t0), replica_role::leader);
  append(*p, 2);
  ASSERT_EQ(p->log().log_end_offset(), offset(12));

  using D = std::optional<std::pair<int32_t, offset>>;
  // The leader's own latest epoch, up to its log end: agrees.
  EXPECT_EQ(p->divergence(3, offset(12)), D());
  EXPECT_EQ(p->divergence(3, offset(11)), D());
  EXPECT_EQ(p->divergence(3, offset(10)), D());
  // An older epoch, fetching from within or at its end: agrees.
  EXPECT_EQ(p->divergence(2, offset(10)), D());
  EXPECT_EQ(p->divergence(2, offset(7)), D());
  EXPECT_EQ(p->divergence(0, offset(5)), D());
  EXPECT_EQ(p->divergence(0, offset(1)), D());
  // An older epoch that ends here before the follower's fetch offset: truncate to its end.
  EXPECT_EQ(p->divergence(2, offset(11)), D({2, offset(10)}));
  EXPECT_EQ(p->divergence(0, offset(6)), D({0, offset(5)}));
  EXPECT_EQ(p->divergence(0, offset(12)), D({0, offset(5)}));
  // An epoch this leader never had (1): the largest before it, and where that one ends.
  EXPECT_EQ(p->divergence(1, offset(7)), D({0, offset(5)}));
  // The follower is past this leader's log end in its latest epoch.
  EXPECT_EQ(p->divergence(3, offset(13)), D({3, offset(12)}));
  // No epoch (an empty follower, or records from before epochs): nothing to check.
  EXPECT_EQ(p->divergence(-1, offset(0)), D());
  EXPECT_EQ(p->divergence(-1, offset(100)), D());
}

TEST_F(PartitionTest, DivergenceFromAnEpochOlderThanAnyTheLeaderKnowsIsTheLogStart) {
  auto p = leader({1}, 4);
  append(*p, 6);
  using D = std::optional<std::pair<int32_t, offset>>;
  auto d = p->divergence(2, offset(3));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->second, p->log().log_start_offset());
  EXPECT_LT(d->first, 0);
  EXPECT_EQ(p->divergence(4, offset(6)), D());

  // The log start moved (DeleteRecords): the answer follows it.
  auto moved = p->log().advance_log_start_offset(offset(3));
  ASSERT_TRUE(moved) << moved.err().to_string();
  d = p->divergence(2, offset(5));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->second, offset(3));
}

// --- follower ---

TEST_F(PartitionTest, FollowerHighWatermarkIsTheLeadersBoundedByItsLogEndAndNeverGoesDown) {
  // What the leader (broker 2) wrote, copied as a follower would fetch it.
  auto l = make(2);
  ASSERT_EQ(l->update(state({2, 1}, {2}, 2), t0), replica_role::leader);
  for (int i = 0; i < 10; ++i) append(*l, 1);
  auto fetched = l->log().read(offset(0), 1 << 20);
  ASSERT_TRUE(fetched) << fetched.err().to_string();

  auto f = make();
  ASSERT_EQ(f->update(state({2, 1}, {2, 1}, 2), t0), replica_role::follower);
  auto appended = f->append_as_follower(fetched->records, 2, 0);
  ASSERT_TRUE(appended) << appended.err().to_string();
  ASSERT_EQ(f->log().log_end_offset(), offset(10));
  EXPECT_EQ(f->high_watermark(), offset(0));

  f->set_follower_high_watermark(offset(7));
  EXPECT_EQ(f->high_watermark(), offset(7));
  // The leader is further along than this log: bounded by the log end.
  f->set_follower_high_watermark(offset(25));
  EXPECT_EQ(f->high_watermark(), offset(10));
  // An older answer (a lower high watermark) does not lower it.
  f->set_follower_high_watermark(offset(3));
  EXPECT_EQ(f->high_watermark(), offset(10));
  // Reads stop at it.
  EXPECT_EQ(consume(*f).size(), 10u);

  // Truncation (divergence in an unclean election) is the only way down.
  ASSERT_TRUE(f->log().truncate_to(offset(6)));
  f->clamp_high_watermark();
  EXPECT_EQ(f->high_watermark(), offset(6));
  f->clamp_high_watermark();
  EXPECT_EQ(f->high_watermark(), offset(6));
  EXPECT_EQ(consume(*f).size(), 6u);
  // Clamping never raises it.
  f->set_follower_high_watermark(offset(2));
  EXPECT_EQ(f->high_watermark(), offset(6));
  auto more = l->log().read(offset(6), 1 << 20);
  ASSERT_TRUE(more);
  ASSERT_TRUE(f->append_as_follower(more->records, 2, 0));
  f->clamp_high_watermark();
  EXPECT_EQ(f->high_watermark(), offset(6));
  f->set_follower_high_watermark(offset(10));
  EXPECT_EQ(f->high_watermark(), offset(10));
}

TEST_F(PartitionTest, FollowerRefusesDataFromALeaderItNoLongerFollows) {
  // A fetcher retired when leadership moved may still hold an answer from the old leader.
  // Appending it after the new leader's fetcher read our log end would hide a divergence.
  auto l = make(2);
  ASSERT_EQ(l->update(state({2, 1, 3}, {2}, 2), t0), replica_role::leader);
  append(*l, 3);
  auto fetched = l->log().read(offset(0), 1 << 20);
  ASSERT_TRUE(fetched);

  auto f = make();
  ASSERT_EQ(f->update(state({2, 1, 3}, {2, 1, 3}, 2, 0, 0), t0), replica_role::follower);
  ASSERT_EQ(f->update(state({2, 1, 3}, {1, 3}, 3, 1, 1), t0), replica_role::follower);
  auto stale = f->append_as_follower(fetched->records, 2, 0);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.code(), errc::fenced_leader_epoch);
  EXPECT_EQ(f->log().log_end_offset(), offset(0));
  EXPECT_EQ(f->truncate_as_follower(offset(0), 2, 0).code(), errc::fenced_leader_epoch);
  // The current leader's data and truncation are taken.
  ASSERT_TRUE(f->append_as_follower(fetched->records, 3, 1));
  EXPECT_EQ(f->log().log_end_offset(), offset(3));
  ASSERT_TRUE(f->truncate_as_follower(offset(0), 3, 1));
  EXPECT_EQ(f->log().log_end_offset(), offset(0));
}

// --- reads ---

TEST_F(PartitionTest, ReadsStopAtTheHighWatermark) {
  auto p = leader({1, 2});
  for (int i = 0; i < 10; ++i) append(*p, 1);
  EXPECT_TRUE(consume(*p).empty());
  p->record_follower_fetch(2, offset(6), t0);
  ASSERT_EQ(p->high_watermark(), offset(6));
  auto recs = consume(*p);
  ASSERT_EQ(recs.size(), 6u);
  EXPECT_EQ(recs.front().offset, 0);
  EXPECT_EQ(recs.back().offset, 5);
  recs = consume(*p, 4);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs.front().offset, 4);
  // At or past the high watermark but within the log: nothing yet, no error.
  for (int64_t o : {6, 8, 10}) {
    auto r = p->read(offset(o), 1 << 20);
    ASSERT_TRUE(r) << o << ": " << r.err().to_string();
    EXPECT_TRUE(r->records.empty()) << o;
  }
  EXPECT_EQ(p->read(offset(11), 1 << 20).code(), errc::offset_out_of_range);
  p->record_follower_fetch(2, offset(10), t0);
  EXPECT_EQ(consume(*p).size(), 10u);
}

}  // namespace
}  // namespace shoal::broker
