// The group coordinator without a broker: membership and rebalances of Kafka's classic
// protocol, offset commits and their validation, stores that fail, loading a partition's
// records after a coordinator move, static membership, and the partition a group maps to.
#include "group/coordinator.h"

#include <gtest/gtest.h>

#include <deque>

namespace shoal::group {
namespace {

// Keeps every appended record; answers at once with `fail` (NONE: success), or holds the
// answers back while `hold` is set.
class FakeStore : public GroupStore {
 public:
  void append(int32_t partition, std::vector<record> records,
              std::function<void(errc)> done) override {
    for (auto& r : records) log.push_back({partition, r});
    if (hold) {
      held.push_back(std::move(done));
      return;
    }
    done(fail);
  }
  void release(errc e = errc::none) {
    auto h = std::move(held);
    held.clear();
    for (auto& d : h) d(e);
  }
  // The decoded records of one partition, oldest first.
  std::vector<CoordinatorRecord> records(int32_t partition) const {
    std::vector<CoordinatorRecord> out;
    for (const auto& [p, r] : log) {
      if (p != partition) continue;
      std::optional<bytes_view> v;
      if (r.second) v = bytes_view(*r.second);
      auto d = decode_record(r.first, v);
      EXPECT_TRUE(d) << d.err().to_string();
      if (d) out.push_back(*d);
    }
    return out;
  }
  errc fail = errc::none;
  bool hold = false;
  std::vector<std::function<void(errc)>> held;
  std::vector<std::pair<int32_t, record>> log;
};

constexpr int32_t kPartitions = 10;

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CoordinatorOptions o;
    o.offsets_partitions = kPartitions;
    o.timeouts.min_session_timeout_ms = 100;
    coord_ = std::make_unique<GroupCoordinator>(o, &store_);
    for (int32_t p = 0; p < kPartitions; ++p) {
      coord_->begin_loading(p);
      coord_->finish_loading(p, {}, now_);
    }
  }

  JoinRequest join_req(const std::string& member_id, std::string protocol = "range",
                       std::optional<std::string> instance = std::nullopt) {
    JoinRequest r;
    r.member_id = member_id;
    r.group_instance_id = std::move(instance);
    r.client_id = "client";
    r.session_timeout_ms = 1000;
    r.rebalance_timeout_ms = 5000;
    r.protocol_type = "consumer";
    r.protocols = {{protocol, bytes{1, 2, 3}}};
    return r;
  }

  // Sends a JoinGroup; the answer lands in the returned slot when it comes.
  std::shared_ptr<std::optional<JoinResult>> join(const std::string& member_id,
                                                  std::optional<std::string> instance = {}) {
    auto slot = std::make_shared<std::optional<JoinResult>>();
    coord_->join(group_, join_req(member_id, "range", std::move(instance)), now_,
                 [slot](JoinResult r) { *slot = std::move(r); });
    return slot;
  }

  // A new dynamic member: MEMBER_ID_REQUIRED, then the join with the id it was given.
  std::pair<std::string, std::shared_ptr<std::optional<JoinResult>>> new_member() {
    auto first = join("");
    EXPECT_TRUE(first->has_value());
    EXPECT_EQ((*first)->error, errc::member_id_required);
    std::string id = (*first)->member_id;
    EXPECT_FALSE(id.empty());
    return {id, join(id)};
  }

  std::shared_ptr<std::optional<SyncResult>> sync(
      const std::string& member_id, int32_t generation,
      std::vector<std::pair<std::string, bytes>> assignments = {},
      std::optional<std::string> instance = {}) {
    auto slot = std::make_shared<std::optional<SyncResult>>();
    coord_->sync(group_, member_id, generation, instance, std::string("consumer"),
                 std::string("range"), std::move(assignments), now_,
                 [slot](SyncResult r) { *slot = std::move(r); });
    return slot;
  }

  std::vector<errc> commit(const std::string& member_id, int32_t generation, int64_t offset,
                           const std::string& group = {}) {
    std::vector<errc> got;
    coord_->commit(group.empty() ? group_ : group, member_id, generation, std::nullopt,
                   {{"orders", 0, offset, 3, std::string("meta")}}, now_,
                   [&got](std::vector<errc> r) { got = std::move(r); });
    return got;
  }

  int64_t committed(const std::string& group, const std::string& topic = "orders", int32_t p = 0) {
    auto r = coord_->fetch_offsets(
        group, std::vector<std::pair<std::string, std::vector<int32_t>>>{{topic, {p}}});
    EXPECT_TRUE(r) << r.err().to_string();
    return r && !r->empty() ? r->front().offset : -2;
  }

  // One member through a whole rebalance to Stable; returns its id and generation.
  std::pair<std::string, int32_t> stable_single_member() {
    auto [id, joined] = new_member();
    EXPECT_TRUE(joined->has_value());
    EXPECT_EQ((*joined)->error, errc::none);
    auto s = sync(id, (*joined)->generation, {{id, bytes{9}}});
    EXPECT_TRUE(s->has_value());
    EXPECT_EQ((*s)->error, errc::none);
    return {id, (*joined)->generation};
  }

  FakeStore store_;
  std::unique_ptr<GroupCoordinator> coord_;
  std::string group_ = "payments";
  int64_t now_ = 1'000'000;
};

TEST(PartitionForGroup, IsJavasStringHashCodeModuloPartitions) {
  // Java: "test".hashCode() == 3556498, "Hello World".hashCode() == -862545276,
  // "abc".hashCode() == 96354; the empty string hashes to 0.
  EXPECT_EQ(partition_for_group("test", 50), 3556498 % 50);
  EXPECT_EQ(partition_for_group("Hello World", 50), 862545276 % 50);
  EXPECT_EQ(partition_for_group("abc", 7), 96354 % 7);
  EXPECT_EQ(partition_for_group("", 10), 0);
  // Non-ASCII: Java hashes UTF-16 units. "é" is U+00E9 (233); "😀" is the surrogate pair
  // D83D DE00: 55357 * 31 + 56832 = 1772899.
  EXPECT_EQ(partition_for_group("\xc3\xa9", 1000), 233);
  EXPECT_EQ(partition_for_group("\xf0\x9f\x98\x80", 10'000'000), 1772899);
}

TEST(CoordinatorRecords, RoundTripAndRefuseGarbage) {
  OffsetCommitValue v{42, 7, "m", 1234};
  auto d = decode_record(encode_key(OffsetCommitKey{"g", "t", 3}), bytes_view(encode_value(v)));
  ASSERT_TRUE(d);
  auto& o = std::get<OffsetRecord>(*d);
  EXPECT_EQ(o.key, (OffsetCommitKey{"g", "t", 3}));
  EXPECT_EQ(*o.value, v);
  auto tomb = decode_record(encode_key(GroupMetadataKey{"g"}), std::nullopt);
  ASSERT_TRUE(tomb);
  EXPECT_FALSE(std::get<GroupRecord>(*tomb).value.has_value());
  EXPECT_FALSE(decode_record(bytes{0, 9, 1}, std::nullopt));
  EXPECT_FALSE(decode_record(bytes{0}, std::nullopt));
  bytes key = encode_key(OffsetCommitKey{"g", "t", 3});
  key.pop_back();
  EXPECT_FALSE(decode_record(key, std::nullopt));
}

TEST_F(CoordinatorTest, ASingleMemberJoinsSyncsAndIsStable) {
  auto [id, joined] = new_member();
  ASSERT_TRUE(joined->has_value());
  EXPECT_EQ((*joined)->error, errc::none);
  EXPECT_EQ((*joined)->generation, 1);
  EXPECT_EQ((*joined)->leader, id);
  EXPECT_EQ((*joined)->protocol_name, "range");
  ASSERT_EQ((*joined)->members.size(), 1u);
  EXPECT_EQ((*joined)->members[0].metadata, (bytes{1, 2, 3}));
  auto s = sync(id, 1, {{id, bytes{7, 7}}});
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->assignment, (bytes{7, 7}));
  EXPECT_EQ(coord_->describe(group_).state, "Stable");
  EXPECT_EQ(coord_->heartbeat(group_, id, 1, std::nullopt, now_), errc::none);
  // The generation went to the group's partition before anyone was told.
  auto recs = store_.records(coord_->partition_for(group_));
  ASSERT_EQ(recs.size(), 1u);
  const auto& g = std::get<GroupRecord>(recs[0]);
  EXPECT_EQ(g.value->generation, 1);
  EXPECT_EQ(g.value->members.at(0).assignment, (bytes{7, 7}));
}

TEST_F(CoordinatorTest, FollowersSyncWaitsForTheLeadersAssignment) {
  auto [a, ja] = new_member();
  sync(a, (*ja)->generation, {{a, bytes{1}}});
  auto [b, jb] = new_member();
  EXPECT_FALSE(jb->has_value());  // waits for the current member to rejoin
  EXPECT_EQ(coord_->heartbeat(group_, a, 1, std::nullopt, now_), errc::rebalance_in_progress);
  auto ja2 = join(a);
  ASSERT_TRUE(ja2->has_value() && jb->has_value());
  EXPECT_EQ((*ja2)->generation, 2);
  EXPECT_EQ((*jb)->generation, 2);
  const std::string leader = (*ja2)->leader;
  EXPECT_EQ(leader, a);  // the leader stays while it is a member
  EXPECT_EQ((*ja2)->members.size(), 2u);
  EXPECT_TRUE((*jb)->members.empty());
  auto sb = sync(b, 2);
  EXPECT_FALSE(sb->has_value());
  auto sa = sync(a, 2, {{a, bytes{1}}, {b, bytes{2}}});
  ASSERT_TRUE(sa->has_value() && sb->has_value());
  EXPECT_EQ((*sb)->assignment, (bytes{2}));
  EXPECT_EQ((*sa)->assignment, (bytes{1}));
}

TEST_F(CoordinatorTest, AMemberThatStopsHeartbeatingIsRemovedAndTheRestRebalance) {
  auto [a, ja] = new_member();
  sync(a, 1, {{a, bytes{1}}});
  auto [b, jb] = new_member();
  join(a);
  sync(a, 2, {{a, bytes{1}}, {b, bytes{2}}});
  sync(b, 2);
  // b goes silent; a keeps heartbeating.
  for (int i = 0; i < 12; ++i) {
    now_ += 100;
    coord_->heartbeat(group_, a, 2, std::nullopt, now_);
    coord_->tick(now_);
  }
  EXPECT_EQ(coord_->heartbeat(group_, a, 2, std::nullopt, now_), errc::rebalance_in_progress);
  auto ja3 = join(a);
  ASSERT_TRUE(ja3->has_value());
  EXPECT_EQ((*ja3)->generation, 3);
  EXPECT_EQ((*ja3)->members.size(), 1u);
  // The expired member's late requests are refused.
  EXPECT_EQ(coord_->heartbeat(group_, b, 2, std::nullopt, now_), errc::unknown_member_id);
  EXPECT_EQ(commit(b, 2, 10)[0], errc::unknown_member_id);
}

TEST_F(CoordinatorTest, MembersThatDoNotRejoinInTimeAreDropped) {
  auto [a, ja] = new_member();
  sync(a, 1, {{a, bytes{1}}});
  auto [b, jb] = new_member();  // a does not rejoin
  EXPECT_FALSE(jb->has_value());
  now_ += 5001;  // the rebalance timeout
  coord_->heartbeat(group_, a, 1, std::nullopt, now_);
  coord_->tick(now_);
  ASSERT_TRUE(jb->has_value());
  EXPECT_EQ((*jb)->generation, 2);
  EXPECT_EQ((*jb)->leader, b);
}

TEST_F(CoordinatorTest, LeavingStartsARebalance) {
  auto [a, ja] = new_member();
  sync(a, 1, {{a, bytes{1}}});
  auto [b, jb] = new_member();
  join(a);
  sync(a, 2, {{a, bytes{1}}, {b, bytes{2}}});
  auto left = coord_->leave(group_, {{b, std::nullopt}, {"nobody", std::nullopt}}, now_);
  ASSERT_TRUE(left);
  EXPECT_EQ((*left)[0], errc::none);
  EXPECT_EQ((*left)[1], errc::unknown_member_id);
  EXPECT_EQ(coord_->describe(group_).state, "PreparingRebalance");
  auto again = join(a);
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->generation, 3);
  // The last member leaving empties the group.
  ASSERT_TRUE(coord_->leave(group_, {{a, std::nullopt}}, now_));
  EXPECT_EQ(coord_->describe(group_).state, "Empty");
}

TEST_F(CoordinatorTest, CommitsAreCheckedAgainstMemberAndGeneration) {
  auto [id, gen] = stable_single_member();
  EXPECT_EQ(commit(id, gen, 100), std::vector<errc>{errc::none});
  EXPECT_EQ(committed(group_), 100);
  EXPECT_EQ(commit(id, gen - 1, 200)[0], errc::illegal_generation);
  EXPECT_EQ(commit("stranger", gen, 200)[0], errc::unknown_member_id);
  // A consumer without a group membership may not commit into a group that has members...
  EXPECT_EQ(commit("", -1, 200)[0], errc::unknown_member_id);
  EXPECT_EQ(committed(group_), 100);
  // ...but may into a group nobody is a member of.
  EXPECT_EQ(commit("", -1, 5, "standalone")[0], errc::none);
  EXPECT_EQ(committed("standalone"), 5);
  EXPECT_EQ(committed("never-committed"), -1);
}

TEST_F(CoordinatorTest, AFailedStoreIsNotACommit) {
  auto [id, gen] = stable_single_member();
  store_.fail = errc::not_enough_replicas;
  EXPECT_EQ(commit(id, gen, 100)[0], errc::coordinator_not_available);
  EXPECT_EQ(committed(group_), -1);
  store_.fail = errc::not_leader_or_follower;
  EXPECT_EQ(commit(id, gen, 100)[0], errc::not_coordinator);
  store_.fail = errc::none;
  EXPECT_EQ(commit(id, gen, 100)[0], errc::none);
  EXPECT_EQ(committed(group_), 100);
}

TEST_F(CoordinatorTest, SyncAnswersOnlyOnceTheGenerationIsStored) {
  auto [id, joined] = new_member();
  store_.hold = true;
  auto s = sync(id, 1, {{id, bytes{4}}});
  EXPECT_FALSE(s->has_value());
  EXPECT_EQ(coord_->describe(group_).state, "CompletingRebalance");
  // Commits during CompletingRebalance wait for the next generation.
  store_.hold = false;
  EXPECT_EQ(commit(id, 1, 1)[0], errc::rebalance_in_progress);
  store_.hold = true;
  store_.release(errc::none);
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->error, errc::none);
  EXPECT_EQ((*s)->assignment, (bytes{4}));
}

TEST_F(CoordinatorTest, AFailedGenerationStoreFailsTheSyncAndRebalances) {
  auto [id, joined] = new_member();
  store_.fail = errc::not_enough_replicas;
  auto s = sync(id, 1, {{id, bytes{4}}});
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->error, errc::coordinator_not_available);
  EXPECT_EQ(coord_->describe(group_).state, "PreparingRebalance");
}

TEST_F(CoordinatorTest, ANewCoordinatorLoadsGroupsAndOffsetsFromTheLog) {
  auto [id, gen] = stable_single_member();
  commit(id, gen, 100);
  commit(id, gen, 150);
  commit("", -1, 7, "other-group");
  int32_t p = coord_->partition_for(group_);
  int32_t q = coord_->partition_for("other-group");

  CoordinatorOptions o;
  o.offsets_partitions = kPartitions;
  o.timeouts.min_session_timeout_ms = 100;
  GroupCoordinator next(o, &store_);
  EXPECT_EQ(next.serves(group_), errc::not_coordinator);
  next.begin_loading(p);
  EXPECT_EQ(next.serves(group_), errc::coordinator_load_in_progress);
  next.finish_loading(p, store_.records(p), now_);
  next.begin_loading(q);
  next.finish_loading(q, store_.records(q), now_);
  EXPECT_EQ(next.serves(group_), errc::none);
  auto d = next.describe(group_);
  EXPECT_EQ(d.state, "Stable");
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_id, id);
  EXPECT_EQ(d.members[0].assignment, (bytes{9}));
  // The member carries on with its generation: heartbeats and commits work.
  EXPECT_EQ(next.heartbeat(group_, id, gen, std::nullopt, now_), errc::none);
  auto r = next.fetch_offsets(group_, std::nullopt);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().offset, 150);
  EXPECT_EQ(r->front().metadata, "meta");
  auto other = next.fetch_offsets("other-group", std::nullopt);
  ASSERT_TRUE(other);
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ(other->front().offset, 7);
  // The old coordinator lost the partition: its waiting requests get NOT_COORDINATOR.
  coord_->unload(p);
  EXPECT_EQ(coord_->serves(group_), errc::not_coordinator);
  EXPECT_EQ(coord_->heartbeat(group_, id, gen, std::nullopt, now_), errc::not_coordinator);
}

// Kafka stores the empty generation when the last member goes: a coordinator that loads the
// group later must not bring back members that left (a newcomer would wait out their sessions).
TEST_F(CoordinatorTest, AGroupThatEmptiedIsLoadedEmpty) {
  CoordinatorOptions o;
  o.offsets_partitions = kPartitions;
  o.timeouts.min_session_timeout_ms = 100;
  int32_t p = coord_->partition_for(group_);
  auto load_next = [&] {
    auto next = std::make_unique<GroupCoordinator>(o, &store_);
    next->begin_loading(p);
    next->finish_loading(p, store_.records(p), now_);
    return next;
  };
  auto newcomer_joins_at_once = [&](GroupCoordinator& c, int32_t want_generation) {
    std::optional<JoinResult> first, second;
    c.join(group_, join_req(""), now_, [&](JoinResult r) { first = std::move(r); });
    ASSERT_TRUE(first.has_value());
    c.join(group_, join_req(first->member_id), now_, [&](JoinResult r) { second = r; });
    c.tick(now_);
    ASSERT_TRUE(second.has_value()) << "the newcomer waits for members that had left";
    EXPECT_EQ(second->error, errc::none);
    EXPECT_EQ(second->generation, want_generation);
    EXPECT_EQ(second->members.size(), 1u);
  };

  // The last member leaves: generation 2 is empty and stored.
  auto [a, gen] = stable_single_member();
  commit(a, gen, 42);
  ASSERT_TRUE(coord_->leave(group_, {{a, std::nullopt}}, now_));
  ASSERT_EQ(coord_->describe(group_).state, "Empty");
  auto next = load_next();
  auto d = next->describe(group_);
  EXPECT_EQ(d.state, "Empty");
  EXPECT_TRUE(d.members.empty());
  EXPECT_EQ(d.protocol_type, "consumer");
  EXPECT_EQ(committed(group_), 42);
  newcomer_joins_at_once(*next, 3);

  // The last member's session expires: the same.
  coord_ = load_next();
  auto [b, gen_b] = stable_single_member();
  (void)b;
  now_ += 2000;  // past the 1 s session
  coord_->tick(now_);
  ASSERT_EQ(coord_->describe(group_).state, "Empty");
  newcomer_joins_at_once(*load_next(), gen_b + 2);
}

TEST_F(CoordinatorTest, AStaticMemberComesBackWithoutARebalance) {
  auto first = join("", std::string("instance-1"));
  ASSERT_TRUE(first->has_value());
  ASSERT_EQ((*first)->error, errc::none);  // static members skip MEMBER_ID_REQUIRED
  std::string old = (*first)->member_id;
  sync(old, 1, {{old, bytes{5}}}, std::string("instance-1"));
  ASSERT_EQ(coord_->describe(group_).state, "Stable");
  // The process restarts and joins again without its member id.
  auto back = join("", std::string("instance-1"));
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->error, errc::none);
  EXPECT_EQ((*back)->generation, 1);
  std::string now_id = (*back)->member_id;
  EXPECT_NE(now_id, old);
  EXPECT_EQ(coord_->describe(group_).state, "Stable");
  auto s = sync(now_id, 1, {}, std::string("instance-1"));
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->assignment, (bytes{5}));
  // The old incarnation is fenced.
  EXPECT_EQ(coord_->heartbeat(group_, old, 1, std::string("instance-1"), now_),
            errc::unknown_member_id);
  EXPECT_EQ(coord_->heartbeat(group_, now_id, 1, std::string("other"), now_),
            errc::fenced_instance_id);
}

TEST_F(CoordinatorTest, OnlyEmptyGroupsAreDeletedWithTheirOffsets) {
  auto [id, gen] = stable_single_member();
  commit(id, gen, 100);
  errc got = errc::unknown_server_error;
  coord_->delete_group(group_, [&](errc e) { got = e; });
  EXPECT_EQ(got, errc::non_empty_group);
  ASSERT_TRUE(coord_->leave(group_, {{id, std::nullopt}}, now_));
  coord_->delete_group(group_, [&](errc e) { got = e; });
  EXPECT_EQ(got, errc::none);
  EXPECT_EQ(committed(group_), -1);
  coord_->delete_group(group_, [&](errc e) { got = e; });
  EXPECT_EQ(got, errc::group_id_not_found);
  // The tombstones are in the log: a new coordinator does not bring the group back.
  CoordinatorOptions o;
  o.offsets_partitions = kPartitions;
  GroupCoordinator next(o, &store_);
  int32_t p = coord_->partition_for(group_);
  next.begin_loading(p);
  next.finish_loading(p, store_.records(p), now_);
  auto r = next.fetch_offsets(group_, std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
}

TEST_F(CoordinatorTest, BadSessionTimeoutsAndProtocolsAreRefused) {
  auto r = join_req("");
  r.session_timeout_ms = 10;
  std::optional<JoinResult> got;
  coord_->join(group_, r, now_, [&](JoinResult j) { got = j; });
  EXPECT_EQ(got->error, errc::invalid_session_timeout);
  stable_single_member();
  auto other = join_req("", "roundrobin");
  coord_->join(group_, other, now_, [&](JoinResult j) { got = j; });
  EXPECT_EQ(got->error, errc::inconsistent_group_protocol);
  coord_->join("", join_req(""), now_, [&](JoinResult j) { got = j; });
  EXPECT_EQ(got->error, errc::invalid_group_id);
}

}  // namespace
}  // namespace shoal::group
