// The partitions a broker holds: logs opened for the partitions assigned to it, kept across a
// restart, removed with their topic (and never resurrected for a re-created topic of the same
// name); leadership checks on append, min.insync.replicas for acks=all, and the high
// watermark that bounds reads.
#include "broker/partition_manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "storage/record_batch.h"
#include "storage/test_util.h"

namespace shoal::broker {
namespace {

namespace fs = std::filesystem;
using cluster::MetadataImage;
using cluster::PartitionState;
using cluster::TopicState;
using storage::testing::decode_batches;
using storage::testing::make_simple_batch;
using storage::testing::TempDir;

constexpr int32_t self = 1;

PartitionState partition(std::vector<int32_t> replicas, std::vector<int32_t> isr, int32_t leader,
                         int32_t leader_epoch = 0) {
  PartitionState p;
  p.replicas = std::move(replicas);
  p.isr = std::move(isr);
  p.leader = leader;
  p.leader_epoch = leader_epoch;
  return p;
}

// A partition this broker leads alone.
PartitionState solo() {
  return partition({self}, {self}, self);
}

TopicState topic(const std::string& name, int64_t id, std::vector<PartitionState> partitions,
                 protocol::string_map configs = {}) {
  TopicState t;
  t.name = name;
  t.topic_id = id;
  t.partitions = std::move(partitions);
  t.configs = std::move(configs);
  return t;
}

MetadataImage image(std::vector<TopicState> topics) {
  MetadataImage img;
  for (auto& t : topics) img.topics[t.name] = std::move(t);
  img.version = static_cast<int64_t>(img.topics.size());
  return img;
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class PartitionManagerTest : public ::testing::Test {
 protected:
  PartitionManagerTest() {
    auto c = BrokerConfig::from({}, "test", self, dir_.path());
    EXPECT_TRUE(c) << c.err().to_string();
    config_ = std::move(c).value();
  }

  fs::path log_dir() const { return config_.log_dir; }
  fs::path partition_dir(const std::string& t, int p) const {
    return log_dir() / (t + "-" + std::to_string(p));
  }

  std::unique_ptr<PartitionManager> manager(const MetadataImage& img) {
    auto m = std::make_unique<PartitionManager>(config_);
    auto st = m->apply(img, 0);
    EXPECT_TRUE(st) << st.err().to_string();
    return m;
  }

  // Appends a batch of `n` records with acks=-1, expecting success.
  static void append(Partition& p, int n, int16_t acks = -1) {
    auto b = make_simple_batch(n);
    auto info = p.append_as_leader(b, acks);
    ASSERT_TRUE(info) << info.err().to_string();
  }

  // Every record a consumer can read from offset 0.
  static std::vector<storage::testing::TestRecord> consume(const Partition& p) {
    auto r = p.read(offset(0), 1 << 20);
    EXPECT_TRUE(r) << r.err().to_string();
    if (!r) return {};
    return decode_batches(r->records);
  }

  TempDir dir_;
  BrokerConfig config_;
};

TEST_F(PartitionManagerTest, OpensOnlyPartitionsAssignedToThisBroker) {
  auto img = image({topic("orders", 11,
                          {partition({1}, {1}, 1), partition({2}, {2}, 2),
                           partition({2, 1}, {2, 1}, 2), partition({3, 2}, {3, 2}, 3)})});
  auto m = manager(img);
  EXPECT_NE(m->get("orders", 0), nullptr);
  EXPECT_EQ(m->get("orders", 1), nullptr);
  EXPECT_NE(m->get("orders", 2), nullptr);
  EXPECT_EQ(m->get("orders", 3), nullptr);
  EXPECT_EQ(m->get("orders", 4), nullptr);
  EXPECT_EQ(m->get("payments", 0), nullptr);
  EXPECT_EQ(m->all().size(), 2u);
  EXPECT_TRUE(fs::is_directory(partition_dir("orders", 0)));
  EXPECT_FALSE(fs::exists(partition_dir("orders", 1)));
  EXPECT_TRUE(fs::is_directory(partition_dir("orders", 2)));
  EXPECT_FALSE(fs::exists(partition_dir("orders", 3)));

  auto p2 = m->get("orders", 2);
  EXPECT_EQ(p2->topic(), "orders");
  EXPECT_EQ(p2->index(), 2);
  EXPECT_EQ(p2->topic_id(), 11);
  EXPECT_FALSE(p2->is_leader());
  EXPECT_EQ(p2->leader_id(), 2);
  EXPECT_EQ(p2->name(), "[orders/2]");
}

TEST_F(PartitionManagerTest, WritesPartitionMetadataWithTheTopicId) {
  auto m = manager(image({topic("orders", 1234567890123LL, {solo(), solo()})}));
  for (int p : {0, 1}) {
    std::string text = read_text(partition_dir("orders", p) / "partition.metadata");
    EXPECT_NE(text.find("topic_id: 1234567890123\n"), std::string::npos) << text;
    EXPECT_NE(text.find("version: 0"), std::string::npos) << text;
  }
}

TEST_F(PartitionManagerTest, AppendedDataSurvivesANewManagerOnTheSameDirectory) {
  auto img = image({topic("orders", 11, {solo(), solo()})});
  {
    auto m = manager(img);
    for (int i = 0; i < 3; ++i) append(*m->get("orders", 0), 5);
    append(*m->get("orders", 1), 2);
    ASSERT_TRUE(m->close_all());
  }
  auto m = manager(img);
  auto p0 = m->get("orders", 0);
  ASSERT_NE(p0, nullptr);
  EXPECT_EQ(p0->log().log_end_offset(), offset(15));
  EXPECT_EQ(p0->high_watermark(), offset(15));
  auto recs = consume(*p0);
  ASSERT_EQ(recs.size(), 15u);
  EXPECT_EQ(recs[0].key, "k0");
  EXPECT_EQ(recs[14].offset, 14);
  EXPECT_EQ(m->get("orders", 1)->log().log_end_offset(), offset(2));
  // And appends continue after the recovered data.
  append(*p0, 1);
  EXPECT_EQ(p0->log().log_end_offset(), offset(16));
}

TEST_F(PartitionManagerTest, AppendedDataSurvivesAnUncleanStop) {
  auto img = image({topic("orders", 11, {solo()})});
  {
    auto m = manager(img);
    append(*m->get("orders", 0), 7);
    // No close_all: like a crash after the write reached the page cache.
  }
  auto m = manager(img);
  EXPECT_EQ(m->get("orders", 0)->log().log_end_offset(), offset(7));
  EXPECT_EQ(consume(*m->get("orders", 0)).size(), 7u);
}

TEST_F(PartitionManagerTest, DeletedTopicPartitionsAndDirectoriesAreRemoved) {
  auto m = manager(image({topic("orders", 11, {solo(), solo()}), topic("payments", 12, {solo()})}));
  append(*m->get("orders", 0), 3);
  auto held = m->get("orders", 0);

  ASSERT_TRUE(m->apply(image({topic("payments", 12, {solo()})}), 0));
  EXPECT_EQ(m->get("orders", 0), nullptr);
  EXPECT_EQ(m->get("orders", 1), nullptr);
  EXPECT_FALSE(fs::exists(partition_dir("orders", 0)));
  EXPECT_FALSE(fs::exists(partition_dir("orders", 1)));
  EXPECT_NE(m->get("payments", 0), nullptr);
  EXPECT_TRUE(fs::exists(partition_dir("payments", 0)));
  EXPECT_EQ(m->all().size(), 1u);
  // A request still holding the deleted partition can no longer append to it.
  auto b = make_simple_batch(1);
  EXPECT_FALSE(held->append_as_leader(b, 1));
}

TEST_F(PartitionManagerTest, DirectoriesOfTopicsDeletedWhileTheBrokerWasDownAreRemoved) {
  {
    auto m = manager(image({topic("orders", 11, {solo()}), topic("payments", 12, {solo()})}));
    append(*m->get("orders", 0), 3);
    ASSERT_TRUE(m->close_all());
  }
  auto m = manager(image({topic("payments", 12, {solo()})}));
  EXPECT_FALSE(fs::exists(partition_dir("orders", 0)));
  EXPECT_TRUE(fs::exists(partition_dir("payments", 0)));
  EXPECT_EQ(m->get("orders", 0), nullptr);
}

TEST_F(PartitionManagerTest, RecreatedTopicWithNewIdStartsEmpty) {
  auto m = manager(image({topic("orders", 11, {solo()})}));
  append(*m->get("orders", 0), 5);
  ASSERT_EQ(m->get("orders", 0)->log().log_end_offset(), offset(5));

  // Deleted and re-created under the same name between two images.
  ASSERT_TRUE(m->apply(image({topic("orders", 22, {solo()})}), 0));
  auto p = m->get("orders", 0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->topic_id(), 22);
  EXPECT_EQ(p->log().log_start_offset(), offset(0));
  EXPECT_EQ(p->log().log_end_offset(), offset(0));
  EXPECT_EQ(p->high_watermark(), offset(0));
  EXPECT_TRUE(consume(*p).empty());
  EXPECT_NE(read_text(partition_dir("orders", 0) / "partition.metadata").find("topic_id: 22\n"),
            std::string::npos);
  append(*p, 1);
  EXPECT_EQ(p->log().log_end_offset(), offset(1));
}

TEST_F(PartitionManagerTest, TopicRecreatedWhileTheBrokerWasDownStartsEmpty) {
  {
    auto m = manager(image({topic("orders", 11, {solo(), solo()})}));
    append(*m->get("orders", 0), 5);
    append(*m->get("orders", 1), 5);
    ASSERT_TRUE(m->close_all());
  }
  // The new topic has fewer partitions: orders-1 belongs to nothing now.
  auto m = manager(image({topic("orders", 22, {solo()})}));
  auto p = m->get("orders", 0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->topic_id(), 22);
  EXPECT_EQ(p->log().log_end_offset(), offset(0));
  EXPECT_TRUE(consume(*p).empty());
  EXPECT_FALSE(fs::exists(partition_dir("orders", 1)));
  EXPECT_NE(read_text(partition_dir("orders", 0) / "partition.metadata").find("topic_id: 22\n"),
            std::string::npos);
}

TEST_F(PartitionManagerTest, PartitionReassignedAwayIsRemoved) {
  auto m = manager(image({topic("orders", 11, {solo(), solo()})}));
  append(*m->get("orders", 1), 2);
  ASSERT_TRUE(m->apply(image({topic("orders", 11, {solo(), partition({2}, {2}, 2)})}), 0));
  EXPECT_NE(m->get("orders", 0), nullptr);
  EXPECT_EQ(m->get("orders", 1), nullptr);
  EXPECT_FALSE(fs::exists(partition_dir("orders", 1)));
}

TEST_F(PartitionManagerTest, ReapplyingTheSameImageKeepsPartitionsAndData) {
  auto img = image({topic("orders", 11, {solo()})});
  auto m = manager(img);
  append(*m->get("orders", 0), 4);
  auto before = m->get("orders", 0);
  ASSERT_TRUE(m->apply(img, 0));
  EXPECT_EQ(m->get("orders", 0), before);
  EXPECT_EQ(before->log().log_end_offset(), offset(4));
}

TEST_F(PartitionManagerTest, UnrelatedEntriesInTheLogDirectoryAreLeftAlone) {
  fs::create_directories(log_dir() / "notes");
  fs::create_directories(log_dir() / "lost+found");
  std::ofstream(log_dir() / "meta.properties") << "broker.id=1\n";
  auto m = manager(image({topic("orders", 11, {solo()})}));
  EXPECT_TRUE(fs::exists(log_dir() / "notes"));
  EXPECT_TRUE(fs::exists(log_dir() / "lost+found"));
  EXPECT_TRUE(fs::exists(log_dir() / "meta.properties"));
}

TEST_F(PartitionManagerTest, HighWatermarkIsLogEndWhenTheIsrIsOnlyThisBroker) {
  auto m = manager(image({topic("orders", 11, {solo()})}));
  auto p = m->get("orders", 0);
  EXPECT_TRUE(p->is_leader());
  EXPECT_EQ(p->high_watermark(), offset(0));
  append(*p, 3);
  EXPECT_EQ(p->high_watermark(), offset(3));
  append(*p, 2, /*acks=*/1);
  EXPECT_EQ(p->high_watermark(), offset(5));
  append(*p, 1, /*acks=*/0);
  EXPECT_EQ(p->high_watermark(), offset(6));
  EXPECT_EQ(consume(*p).size(), 6u);
}

TEST_F(PartitionManagerTest, ReadsAreBoundedByTheHighWatermark) {
  auto m = manager(image({topic("orders", 11, {partition({1, 2}, {1}, 1)})}));
  auto p = m->get("orders", 0);
  append(*p, 5);
  ASSERT_EQ(p->high_watermark(), offset(5));

  // A follower joins the ISR: new records wait for it.
  ASSERT_TRUE(m->apply(image({topic("orders", 11, {partition({1, 2}, {1, 2}, 1)})}), 0));
  append(*p, 5, /*acks=*/1);
  EXPECT_EQ(p->log().log_end_offset(), offset(10));
  EXPECT_EQ(p->high_watermark(), offset(5));

  auto recs = consume(*p);
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs.back().offset, 4);
  // At or past the high watermark but within the log: nothing yet, no error.
  for (int64_t o : {5, 7, 10}) {
    auto r = p->read(offset(o), 1 << 20);
    ASSERT_TRUE(r) << o << ": " << r.err().to_string();
    EXPECT_TRUE(r->records.empty()) << o;
  }
  // Past the log end: out of range.
  EXPECT_EQ(p->read(offset(11), 1 << 20).code(), errc::offset_out_of_range);

  // The ISR shrinks back to this broker: everything is committed.
  ASSERT_TRUE(m->apply(image({topic("orders", 11, {partition({1, 2}, {1}, 1)})}), 0));
  EXPECT_EQ(p->high_watermark(), offset(10));
  EXPECT_EQ(consume(*p).size(), 10u);
}

TEST_F(PartitionManagerTest, HighWatermarkWaitsForEveryInSyncFollower) {
  auto m = manager(image({topic("orders", 11, {partition({1, 2, 3}, {1, 2, 3}, 1)})}));
  auto p = m->get("orders", 0);
  for (int i = 0; i < 10; ++i) append(*p, 1, /*acks=*/1);
  EXPECT_EQ(p->high_watermark(), offset(0));
  EXPECT_TRUE(consume(*p).empty());

  p->record_follower_fetch(2, offset(10), 0);
  EXPECT_EQ(p->high_watermark(), offset(0));  // broker 3 has nothing yet
  EXPECT_TRUE(p->record_follower_fetch(3, offset(4), 0));
  EXPECT_EQ(p->high_watermark(), offset(4));
  EXPECT_FALSE(p->committed(offset(5)));
  auto recs = consume(*p);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs.back().offset, 3);
  p->record_follower_fetch(3, offset(10), 0);
  EXPECT_EQ(p->high_watermark(), offset(10));
  EXPECT_TRUE(p->committed(offset(10)));
  // A broker that is not a replica does not count.
  EXPECT_FALSE(p->record_follower_fetch(9, offset(10), 0));
}

TEST_F(PartitionManagerTest, ApplyReportsTheFollowedPartitionsByLeader) {
  auto m = std::make_unique<PartitionManager>(config_);
  auto following =
      m->apply(image({topic("orders", 11,
                            {partition({2, 1}, {2, 1}, 2), solo(), partition({3, 1}, {3, 1}, 3),
                             partition({2, 1}, {1}, 2), partition({2, 3}, {2, 3}, 2)})}),
               0);
  ASSERT_TRUE(following) << following.err().to_string();
  ASSERT_EQ(following->size(), 2u);
  std::vector<int32_t> from2, from3;
  for (const auto& p : following->at(2)) from2.push_back(p->index());
  for (const auto& p : following->at(3)) from3.push_back(p->index());
  std::sort(from2.begin(), from2.end());
  EXPECT_EQ(from2, (std::vector<int32_t>{0, 3}));
  EXPECT_EQ(from3, (std::vector<int32_t>{2}));
  EXPECT_EQ(m->get("orders", 0)->role(), replica_role::follower);
  EXPECT_EQ(m->get("orders", 1)->role(), replica_role::leader);
  EXPECT_EQ(m->get("orders", 4), nullptr);
}

TEST_F(PartitionManagerTest, AppendWhenNotLeaderIsNotLeaderOrFollower) {
  auto m = manager(
      image({topic("orders", 11, {partition({2, 1}, {2, 1}, 2), partition({1, 2}, {2}, -1)})}));
  for (int idx : {0, 1}) {
    auto p = m->get("orders", idx);
    ASSERT_NE(p, nullptr);
    EXPECT_FALSE(p->is_leader());
    for (int16_t acks : {-1, 0, 1}) {
      auto b = make_simple_batch(1);
      auto r = p->append_as_leader(b, acks);
      ASSERT_FALSE(r);
      EXPECT_EQ(r.code(), errc::not_leader_or_follower) << r.err().to_string();
    }
    EXPECT_EQ(p->log().log_end_offset(), offset(0));
  }
  auto msg = [&] {
    auto b = make_simple_batch(1);
    return m->get("orders", 0)->append_as_leader(b, 1).err().message;
  }();
  EXPECT_NE(msg.find("[orders/0]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("leader is 2"), std::string::npos) << msg;
}

TEST_F(PartitionManagerTest, LeadershipFollowsTheImage) {
  auto m = manager(image({topic("orders", 11, {partition({1, 2}, {1}, 1, 3)})}));
  auto p = m->get("orders", 0);
  append(*p, 2);
  EXPECT_EQ(p->leader_epoch(), 3);
  // Another broker takes over.
  ASSERT_TRUE(m->apply(image({topic("orders", 11, {partition({1, 2}, {2}, 2, 4)})}), 0));
  auto b = make_simple_batch(1);
  EXPECT_EQ(p->append_as_leader(b, 1).code(), errc::not_leader_or_follower);
  // And hands it back with a newer epoch, which the appended batch carries.
  ASSERT_TRUE(m->apply(image({topic("orders", 11, {partition({1, 2}, {1}, 1, 5)})}), 0));
  EXPECT_EQ(m->get("orders", 0), p);
  append(*p, 1);
  auto r = p->read(offset(2), 1 << 20);
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->records.empty());
  storage::RecordBatchView v(r->records);
  EXPECT_EQ(v.base_offset(), offset(2));
  EXPECT_EQ(v.partition_leader_epoch(), 5);
}

TEST_F(PartitionManagerTest, AcksAllWithIsrBelowMinInsyncReplicasIsNotEnoughReplicas) {
  auto m = manager(
      image({topic("orders", 11, {partition({1, 2, 3}, {1}, 1)}, {{"min.insync.replicas", "2"}})}));
  auto p = m->get("orders", 0);
  EXPECT_EQ(p->config().min_insync_replicas, 2);
  auto b = make_simple_batch(1);
  auto r = p->append_as_leader(b, -1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::not_enough_replicas) << r.err().to_string();
  EXPECT_NE(r.err().message.find("min.insync.replicas=2"), std::string::npos) << r.err().message;
  EXPECT_EQ(p->log().log_end_offset(), offset(0));  // nothing appended

  // acks=1 and acks=0 do not wait for the ISR.
  append(*p, 1, /*acks=*/1);
  append(*p, 1, /*acks=*/0);
  EXPECT_EQ(p->log().log_end_offset(), offset(2));

  // Enough in-sync replicas: acks=all is accepted.
  ASSERT_TRUE(m->apply(image({topic("orders", 11, {partition({1, 2, 3}, {1, 2}, 1)},
                                    {{"min.insync.replicas", "2"}})}),
                       0));
  append(*p, 1, /*acks=*/-1);
  EXPECT_EQ(p->log().log_end_offset(), offset(3));
}

TEST_F(PartitionManagerTest, BrokerDefaultMinInsyncReplicasApplies) {
  auto c = BrokerConfig::from({{"min.insync.replicas", "3"}}, "test", self, dir_.path());
  ASSERT_TRUE(c);
  config_ = std::move(c).value();
  auto m = manager(image({topic("orders", 11, {partition({1, 2, 3}, {1, 2}, 1)})}));
  auto b = make_simple_batch(1);
  EXPECT_EQ(m->get("orders", 0)->append_as_leader(b, -1).code(), errc::not_enough_replicas);
}

TEST_F(PartitionManagerTest, TopicConfigChangesReachTheOpenPartition) {
  auto m = manager(image({topic("orders", 11, {solo()}, {{"max.message.bytes", "100"}})}));
  auto p = m->get("orders", 0);
  auto big = make_simple_batch(1, 1000, storage::compression::none, 500);
  auto r = p->append_as_leader(big, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::message_too_large);

  ASSERT_TRUE(
      m->apply(image({topic("orders", 11, {solo()}, {{"max.message.bytes", "100000"}})}), 0));
  EXPECT_EQ(m->get("orders", 0), p);
  EXPECT_EQ(p->config().log.max_message_bytes, 100000);
  auto big2 = make_simple_batch(1, 1000, storage::compression::none, 500);
  EXPECT_TRUE(p->append_as_leader(big2, 1));
}

}  // namespace
}  // namespace shoal::broker
