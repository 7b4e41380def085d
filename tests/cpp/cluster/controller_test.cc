// The controller: CreateTopics validation (each Kafka error code with its message), what
// validate_only and failed validation leave behind (nothing), persistence through the journal
// across a controller change, topic ids across delete and re-create, the images it publishes,
// fencing of a deposed controller, and Kafka's rack-unaware replica assignment.
//
// Brokers are in-process slots of a cluster region with a name unique to the test.
#include "cluster/controller.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "ipc/shm.h"
#include "storage/test_util.h"

namespace shoal::cluster {
namespace {

namespace fs = std::filesystem;
using storage::testing::TempDir;

NewTopicSpec spec(const std::string& name, int32_t partitions = 1, int16_t rf = 1,
                  string_map configs = {}) {
  NewTopicSpec s;
  s.name = name;
  s.num_partitions = partitions;
  s.replication_factor = rf;
  s.configs = std::move(configs);
  return s;
}

NewTopicSpec assigned(const std::string& name, std::vector<std::vector<int32_t>> assignment) {
  NewTopicSpec s;
  s.name = name;
  s.assignment = std::move(assignment);
  return s;
}

std::string unique_cluster_name() {
  static std::atomic<int> n{0};
  return "ctltest-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int32_t id : {1, 2, 3}) start_broker(id);
    c_ = controller(1);
    c_->tick();
    ASSERT_TRUE(c_->active());
  }

  void TearDown() override {
    c_.reset();
    for (auto& [_, r] : brokers_) r->leave();
    brokers_.clear();
    ipc::SharedRegion::remove(ipc::region_name(cluster_, "cluster"));
  }

  fs::path journal() const { return dir_ / "cluster/metadata.log"; }

  void start_broker(int32_t id) {
    auto r = ipc::ClusterRegion::join(cluster_, dir_.path().string(), id);
    ASSERT_TRUE(r) << r.err().to_string();
    (*r)->publish(ipc::broker_state::running, "inbox-" + std::to_string(id), 1);
    brokers_[id] = std::move(r).value();
  }

  void stop_broker(int32_t id) {
    brokers_.at(id)->leave();
    brokers_.erase(id);
  }

  std::unique_ptr<Controller> controller(int32_t id, int32_t default_partitions = 1,
                                         int16_t default_rf = 1, TopicConfig defaults = {},
                                         int64_t session_timeout_ms = 9'000) {
    ControllerOptions o;
    o.broker_id = id;
    o.journal_path = journal();
    o.topic_defaults = defaults;
    o.default_partitions = default_partitions;
    o.default_replication_factor = default_rf;
    o.broker_session_timeout_ms = session_timeout_ms;
    o.auto_leader_rebalance_enable = false;
    return std::make_unique<Controller>(o, brokers_.at(id).get());
  }

  // Hands the controller role to a new controller on broker `id` (the old one resigns).
  void fail_over_to(int32_t id, int32_t default_partitions = 1, int16_t default_rf = 1,
                    TopicConfig defaults = {}) {
    c_->resign();
    c_ = controller(id, default_partitions, default_rf, defaults);
    c_->tick();
    ASSERT_TRUE(c_->active());
  }

  // The image the active controller last published in shared memory.
  PublishedImage published() {
    auto raw = brokers_.begin()->second->read_image(0);
    EXPECT_TRUE(raw.has_value());
    if (!raw) return {};
    auto img = protocol::decode<PublishedImage>(raw->second, 0);
    EXPECT_TRUE(img) << img.err().to_string();
    if (!img) return {};
    EXPECT_EQ(static_cast<uint64_t>(img->version), raw->first);
    return *img;
  }

  // Expects creation to fail with `code` and a message containing `message`, with and without
  // validate_only, and to leave the image and the journal untouched.
  void expect_create_fails(const NewTopicSpec& s, errc code, const std::string& message) {
    auto before = c_->image();
    auto journal_size = fs::file_size(journal());
    for (bool validate_only : {false, true}) {
      auto r = c_->create_topic(s, validate_only);
      ASSERT_FALSE(r) << "'" << s.name << "' was created";
      EXPECT_EQ(r.code(), code) << r.err().to_string();
      EXPECT_NE(r.err().message.find(message), std::string::npos)
          << "message: " << r.err().message << "\nexpected to contain: " << message;
    }
    EXPECT_EQ(c_->image(), before);
    EXPECT_EQ(c_->image()->version, before->version);
    EXPECT_EQ(fs::file_size(journal()), journal_size);
  }

  TempDir dir_;
  std::string cluster_ = unique_cluster_name();
  std::map<int32_t, std::unique_ptr<ipc::ClusterRegion>> brokers_;
  std::unique_ptr<Controller> c_;
};

TEST_F(ControllerTest, InvalidTopicNamesAreInvalidTopicException) {
  for (const std::string& name :
       {std::string(), std::string("."), std::string(".."), std::string(250, 'a'),
        std::string("has space"), std::string("slash/name"), std::string("star*")}) {
    SCOPED_TRACE(name);
    expect_create_fails(spec(name), errc::invalid_topic_exception, "Topic name");
  }
}

TEST_F(ControllerTest, ExistingTopicIsTopicAlreadyExists) {
  ASSERT_TRUE(c_->create_topic(spec("orders")));
  expect_create_fails(spec("orders"), errc::topic_already_exists, "Topic 'orders' already exists.");
  // Even with a different shape.
  expect_create_fails(spec("orders", 5, 3), errc::topic_already_exists, "already exists");
}

TEST_F(ControllerTest, NamesCollidingOnDotAndUnderscoreAreInvalidTopicException) {
  ASSERT_TRUE(c_->create_topic(spec("metrics.cpu")));
  expect_create_fails(spec("metrics_cpu"), errc::invalid_topic_exception,
                      "Topic 'metrics_cpu' collides with existing topic: metrics.cpu");
  ASSERT_TRUE(c_->create_topic(spec("a_b.c")));
  expect_create_fails(spec("a.b_c"), errc::invalid_topic_exception, "a_b.c");
  // '-' is not a collision character; a different length never collides.
  EXPECT_TRUE(c_->create_topic(spec("metrics-cpu")));
  EXPECT_TRUE(c_->create_topic(spec("metrics_cpu2")));
}

TEST_F(ControllerTest, CollisionIsAllowedOnceTheOtherTopicIsDeleted) {
  ASSERT_TRUE(c_->create_topic(spec("a.b")));
  ASSERT_TRUE(c_->delete_topic("a.b"));
  EXPECT_TRUE(c_->create_topic(spec("a_b")));
}

TEST_F(ControllerTest, PartitionsBelowOneAreInvalidPartitions) {
  for (int32_t p : {0, -2, INT32_MIN}) {
    SCOPED_TRACE(p);
    expect_create_fails(spec("orders", p), errc::invalid_partitions,
                        "Number of partitions must be larger than 0.");
  }
}

TEST_F(ControllerTest, ReplicationFactorBelowOneIsInvalidReplicationFactor) {
  for (int16_t rf : {0, -2}) {
    SCOPED_TRACE(rf);
    expect_create_fails(spec("orders", 1, rf), errc::invalid_replication_factor,
                        "Replication factor must be larger than 0.");
  }
}

TEST_F(ControllerTest, ReplicationFactorAboveLiveBrokersIsInvalidReplicationFactor) {
  expect_create_fails(spec("orders", 1, 4), errc::invalid_replication_factor,
                      "Replication factor: 4 larger than available brokers: 3.");
  // A broker that stopped no longer counts.
  stop_broker(3);
  c_->tick();
  expect_create_fails(spec("orders", 1, 3), errc::invalid_replication_factor,
                      "Replication factor: 3 larger than available brokers: 2.");
  auto t = c_->create_topic(spec("orders", 6, 2));
  ASSERT_TRUE(t) << t.err().to_string();
  for (const auto& p : t->partitions) {
    for (int32_t b : p.replicas) EXPECT_NE(b, 3);
  }
}

TEST_F(ControllerTest, BrokerWithFailedStorageIsNotAvailable) {
  brokers_.at(3)->set_storage_failed(true);
  c_->tick();
  expect_create_fails(spec("orders", 1, 3), errc::invalid_replication_factor,
                      "Replication factor: 3 larger than available brokers: 2.");
  expect_create_fails(assigned("orders", {{3}}), errc::invalid_replica_assignment,
                      "partition 0 names broker 3, which is not a live broker");
}

TEST_F(ControllerTest, AssignmentTogetherWithPartitionsOrReplicationFactorIsInvalidRequest) {
  NewTopicSpec s = assigned("orders", {{1}});
  s.num_partitions = 1;
  expect_create_fails(s, errc::invalid_request, "not both");
  s.num_partitions = -1;
  s.replication_factor = 1;
  expect_create_fails(s, errc::invalid_request, "not both");
}

TEST_F(ControllerTest, BadAssignmentsAreInvalidReplicaAssignment) {
  // Unequal replica counts.
  expect_create_fails(assigned("orders", {{1, 2}, {3}}), errc::invalid_replica_assignment,
                      "partition 1 has replicas [3]");
  // A broker listed twice.
  expect_create_fails(assigned("orders", {{1, 1}}), errc::invalid_replica_assignment,
                      "partition 0 has replicas [1,1]");
  // No replicas at all.
  expect_create_fails(assigned("orders", {{}}), errc::invalid_replica_assignment,
                      "partition 0 has replicas []");
  expect_create_fails(assigned("orders", {{2}, {}}), errc::invalid_replica_assignment,
                      "partition 1");
  // A broker that is not live.
  expect_create_fails(assigned("orders", {{1, 2}, {2, 4}}), errc::invalid_replica_assignment,
                      "partition 1 names broker 4, which is not a live broker");
}

TEST_F(ControllerTest, BadConfigsAreInvalidConfigNamingTheKey) {
  struct Case {
    std::string key, value;
  } cases[] = {{"retention.ms", "forever"},  {"retension.ms", "1000"},
               {"segment.bytes", "10"},      {"cleanup.policy", "erase"},
               {"min.insync.replicas", "0"}, {"unclean.leader.election.enable", "yes"},
               {"max.message.bytes", "-1"},  {"compression.type", "brotli"}};
  for (const auto& k : cases) {
    SCOPED_TRACE(k.key + "=" + k.value);
    expect_create_fails(spec("orders", 1, 1, {{k.key, k.value}}), errc::invalid_config,
                        "'" + k.key + "'");
  }
}

TEST_F(ControllerTest, StandbyControllerIsNotController) {
  auto standby = controller(2);
  standby->tick();  // the controller on broker 1 is alive: no election
  EXPECT_FALSE(standby->active());
  EXPECT_TRUE(standby->image()->topics.empty());
  auto r = standby->create_topic(spec("orders"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::not_controller) << r.err().to_string();
  EXPECT_EQ(standby->delete_topic("orders").code(), errc::not_controller);
  EXPECT_EQ(c_->image()->topic("orders"), nullptr);
}

TEST_F(ControllerTest, ExplicitAssignmentIsKeptWithFirstReplicaAsLeader) {
  auto t = c_->create_topic(assigned("orders", {{3, 1}, {1, 2}, {2, 3}}));
  ASSERT_TRUE(t) << t.err().to_string();
  ASSERT_EQ(t->partitions.size(), 3u);
  EXPECT_EQ(t->partitions[0].replicas, (std::vector<int32_t>{3, 1}));
  EXPECT_EQ(t->partitions[1].replicas, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(t->partitions[2].replicas, (std::vector<int32_t>{2, 3}));
  for (const auto& p : t->partitions) {
    EXPECT_EQ(p.isr, p.replicas);
    EXPECT_EQ(p.leader, p.replicas.front());
    EXPECT_EQ(p.leader_epoch, 0);
  }
  EXPECT_EQ(*c_->image()->topic("orders"), *t);
}

TEST_F(ControllerTest, BrokerDefaultsFillInMissingPartitionsAndReplicationFactor) {
  fail_over_to(2, /*default_partitions=*/4, /*default_rf=*/2);
  auto t = c_->create_topic(spec("orders", -1, -1));
  ASSERT_TRUE(t) << t.err().to_string();
  ASSERT_EQ(t->partitions.size(), 4u);
  for (const auto& p : t->partitions) EXPECT_EQ(p.replicas.size(), 2u);
}

TEST_F(ControllerTest, AutomaticAssignmentSpreadsLeadersOverLiveBrokers) {
  auto t = c_->create_topic(spec("orders", 9, 2));
  ASSERT_TRUE(t) << t.err().to_string();
  std::map<int32_t, int> leaders;
  for (const auto& p : t->partitions) {
    ASSERT_EQ(p.replicas.size(), 2u);
    EXPECT_NE(p.replicas[0], p.replicas[1]);
    for (int32_t b : p.replicas) EXPECT_TRUE(b >= 1 && b <= 3) << b;
    EXPECT_EQ(p.leader, p.replicas.front());
    EXPECT_EQ(p.isr, p.replicas);
    ++leaders[p.leader];
  }
  EXPECT_EQ(leaders, (std::map<int32_t, int>{{1, 3}, {2, 3}, {3, 3}}));
}

TEST_F(ControllerTest, ValidateOnlyReturnsTheTopicButCreatesNothing) {
  auto before = c_->image();
  uint64_t published_before = brokers_.at(1)->image_version();
  auto journal_size = fs::file_size(journal());
  auto t = c_->create_topic(spec("orders", 6, 3, {{"retention.ms", "1000"}}),
                            /*validate_only=*/true);
  ASSERT_TRUE(t) << t.err().to_string();
  EXPECT_EQ(t->name, "orders");
  EXPECT_EQ(t->partitions.size(), 6u);
  EXPECT_EQ(t->configs, (string_map{{"retention.ms", "1000"}}));
  EXPECT_EQ(c_->image(), before);
  EXPECT_EQ(c_->image()->topic("orders"), nullptr);
  EXPECT_EQ(brokers_.at(1)->image_version(), published_before);
  EXPECT_EQ(fs::file_size(journal()), journal_size);

  // Nothing was recorded either.
  fail_over_to(2);
  EXPECT_TRUE(c_->image()->topics.empty());
  // And the real creation still works.
  EXPECT_TRUE(c_->create_topic(spec("orders", 6, 3)));
}

TEST_F(ControllerTest, CreationSurvivesAControllerChangeWithSameIdsAssignmentsAndConfigs) {
  std::map<std::string, TopicState> created;
  for (int i = 0; i < 20; ++i) {
    std::string name = "topic-" + std::to_string(i);
    string_map configs;
    if (i % 2 == 0) configs["retention.ms"] = std::to_string(1000 * (i + 1));
    if (i % 3 == 0) configs["cleanup.policy"] = "compact";
    if (i % 5 == 0) configs["min.insync.replicas"] = "2";
    auto t = c_->create_topic(spec(name, 1 + i % 5, static_cast<int16_t>(1 + i % 3), configs));
    ASSERT_TRUE(t) << t.err().to_string();
    created[name] = *t;
  }
  auto pinned = c_->create_topic(assigned("pinned", {{2, 3}, {3, 1}}));
  ASSERT_TRUE(pinned);
  created["pinned"] = *pinned;
  auto dotted = c_->create_topic(spec("metrics.cpu"));
  ASSERT_TRUE(dotted);
  created["metrics.cpu"] = *dotted;
  ASSERT_TRUE(c_->delete_topic("topic-7"));
  created.erase("topic-7");
  auto before = c_->image();

  // Broker 2 takes over and rebuilds everything from the journal.
  fail_over_to(2);
  auto after = c_->image();
  EXPECT_EQ(after->topics, created);
  EXPECT_EQ(after->topics, before->topics);
  EXPECT_EQ(after->controller_id, 2);
  EXPECT_GT(after->controller_epoch, before->controller_epoch);
  // The same names are still taken, and still collide.
  EXPECT_EQ(c_->create_topic(spec("topic-1")).code(), errc::topic_already_exists);
  EXPECT_EQ(c_->create_topic(spec("metrics_cpu")).code(), errc::invalid_topic_exception);
  EXPECT_TRUE(c_->create_topic(spec("topic-7")));

  // And back to broker 1, a fresh controller object reading the same journal.
  fail_over_to(1);
  EXPECT_EQ(c_->image()->topic("pinned")->topic_id, pinned->topic_id);
  EXPECT_NE(c_->image()->topic("topic-7"), nullptr);
  EXPECT_EQ(c_->image()->topics.size(), created.size() + 1);
}

// --- admin operations: CreatePartitions, IncrementalAlterConfigs, ElectLeaders ---

TEST_F(ControllerTest, CreatePartitionsAppendsPartitionsThatSurviveAControllerChange) {
  ASSERT_TRUE(c_->create_topic(spec("orders", 2, 2)));
  auto before = c_->image();
  auto journal_size = fs::file_size(journal());
  // validate_only changes nothing.
  ASSERT_TRUE(c_->create_partitions("orders", 5, {}, /*validate_only=*/true));
  EXPECT_EQ(c_->image(), before);
  EXPECT_EQ(fs::file_size(journal()), journal_size);

  ASSERT_TRUE(c_->create_partitions("orders", 5, {}));
  const TopicState* t = c_->image()->topic("orders");
  ASSERT_EQ(t->partitions.size(), 5u);
  EXPECT_EQ(t->partitions[0], before->topic("orders")->partitions[0]);
  EXPECT_EQ(t->partitions[1], before->topic("orders")->partitions[1]);
  for (size_t i = 2; i < 5; ++i) {
    const auto& p = t->partitions[i];
    ASSERT_EQ(p.replicas.size(), 2u);
    EXPECT_NE(p.replicas[0], p.replicas[1]);
    EXPECT_EQ(p.isr, p.replicas);
    EXPECT_EQ(p.leader, p.replicas.front());
  }
  EXPECT_EQ(published().topics.size(), 1u);
  EXPECT_EQ(published().topics[0].partitions.size(), 5u);

  ASSERT_TRUE(c_->create_partitions("orders", 6, {{3, 1}}));
  EXPECT_EQ(c_->image()->topic("orders")->partitions[5].replicas, (std::vector<int32_t>{3, 1}));
  auto grown = *c_->image()->topic("orders");
  fail_over_to(2);
  EXPECT_EQ(*c_->image()->topic("orders"), grown);
}

TEST_F(ControllerTest, CreatePartitionsRefusesWhatKafkaRefuses) {
  ASSERT_TRUE(c_->create_topic(spec("orders", 3, 2)));
  auto expect = [&](const std::string& topic, int32_t total,
                    const std::vector<std::vector<int32_t>>& assignment, errc code,
                    const std::string& message) {
    auto before = c_->image();
    auto st = c_->create_partitions(topic, total, assignment);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.code(), code) << st.err().to_string();
    EXPECT_NE(st.err().message.find(message), std::string::npos) << st.err().message;
    EXPECT_EQ(c_->image(), before);
  };
  expect("orders", 3, {}, errc::invalid_partitions, "Topic already has 3 partitions.");
  expect("orders", 2, {}, errc::invalid_partitions,
         "Topic currently has 3 partitions, which is higher than the requested 2.");
  expect("nope", 4, {}, errc::unknown_topic_or_partition, "does not exist");
  expect("orders", 5, {{1, 2}}, errc::invalid_replica_assignment, "by 2 but 1 assignments");
  expect("orders", 4, {{1}}, errc::invalid_replica_assignment, "needs 2 distinct replicas");
  expect("orders", 4, {{1, 1}}, errc::invalid_replica_assignment, "needs 2 distinct replicas");
  expect("orders", 4, {{1, 9}}, errc::invalid_replica_assignment, "broker 9");
  ASSERT_TRUE(c_->create_topic(spec("wide", 1, 3)));
  stop_broker(3);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (c_->create_partitions("wide", 2, {}, true) &&
         std::chrono::steady_clock::now() < deadline) {
    c_->tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  expect("wide", 2, {}, errc::invalid_replication_factor, "larger than available brokers");
}

TEST_F(ControllerTest, IncrementalConfigChangesMergeValidateAndSurviveAControllerChange) {
  ASSERT_TRUE(c_->create_topic(spec("orders", 1, 1, {{"retention.ms", "1000"}})));
  using op = protocol::config_operation;
  ASSERT_TRUE(c_->alter_topic_configs(
      "orders", {{"segment.bytes", op::set, "2048"}, {"cleanup.policy", op::append, "compact"}}));
  string_map want{
      {"retention.ms", "1000"}, {"segment.bytes", "2048"}, {"cleanup.policy", "delete,compact"}};
  EXPECT_EQ(c_->image()->topic("orders")->configs, want);
  ASSERT_TRUE(c_->alter_topic_configs("orders", {{"retention.ms", op::del, std::nullopt},
                                                 {"cleanup.policy", op::subtract, "delete"}}));
  want = {{"segment.bytes", "2048"}, {"cleanup.policy", "compact"}};
  EXPECT_EQ(c_->image()->topic("orders")->configs, want);

  auto before = c_->image();
  auto refused = [&](std::vector<ConfigChange> changes, errc code) {
    auto st = c_->alter_topic_configs("orders", changes);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.code(), code) << st.err().to_string();
    EXPECT_EQ(c_->image(), before);
  };
  refused({{"no.such.key", op::set, "1"}}, errc::invalid_config);
  refused({{"retention.ms", op::set, "soon"}}, errc::invalid_config);
  refused({{"retention.ms", op::append, "1"}}, errc::invalid_config);
  refused({{"retention.ms", op::set, std::nullopt}}, errc::invalid_config);
  refused({{"retention.ms", op::set, "1"}, {"retention.ms", op::del, std::nullopt}},
          errc::invalid_request);
  EXPECT_EQ(c_->alter_topic_configs("nope", {{"retention.ms", op::set, "1"}}).code(),
            errc::unknown_topic_or_partition);
  ASSERT_TRUE(c_->alter_topic_configs("orders", {{"retention.ms", op::set, "5"}}, true));
  EXPECT_EQ(c_->image(), before);

  // Broker configs: validated by the caller's function; journaled per broker or cluster-wide.
  auto ok = [](const string_map&) { return status{}; };
  ASSERT_TRUE(c_->alter_broker_configs(-1, {{"log.retention.ms", op::set, "60000"}}, ok));
  ASSERT_TRUE(c_->alter_broker_configs(2, {{"log.segment.bytes", op::set, "4096"}}, ok));
  auto no = [](const string_map& m) -> status {
    if (m.count("num.partitions")) return make_error(errc::invalid_config, "num.partitions");
    return {};
  };
  EXPECT_EQ(c_->alter_broker_configs(-1, {{"num.partitions", op::set, "3"}}, no).code(),
            errc::invalid_config);
  auto img = c_->image();
  EXPECT_EQ(img->broker_configs.at(-1), (string_map{{"log.retention.ms", "60000"}}));
  EXPECT_EQ(img->broker_configs.at(2), (string_map{{"log.segment.bytes", "4096"}}));
  EXPECT_EQ(published().broker_configs.size(), 2u);

  fail_over_to(3);
  EXPECT_EQ(c_->image()->topic("orders")->configs, want);
  EXPECT_EQ(c_->image()->broker_configs, img->broker_configs);
  // Deleting the last dynamic config drops the broker's entry.
  ASSERT_TRUE(c_->alter_broker_configs(2, {{"log.segment.bytes", op::del, std::nullopt}}, ok));
  EXPECT_EQ(c_->image()->broker_configs.count(2), 0u);
}

TEST_F(ControllerTest, PreferredElectionMovesLeadershipBackOnlyWhenItCan) {
  ASSERT_TRUE(c_->create_topic(assigned("orders", {{1, 2}, {2, 3}})));
  auto r = c_->elect_leaders(true, {{"orders", 0}, {"nope", 0}, {"orders", 7}});
  ASSERT_TRUE(r) << r.err().to_string();
  using row = std::tuple<std::string, int32_t, errc>;
  EXPECT_EQ(*r, (std::vector<row>{{"orders", 0, errc::election_not_needed},
                                  {"nope", 0, errc::unknown_topic_or_partition},
                                  {"orders", 7, errc::unknown_topic_or_partition}}));
  // Broker 1 goes away: broker 2 leads partition 0; broker 1 is out of the ISR.
  fail_over_to(2);
  stop_broker(1);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (c_->image()->topic("orders")->partitions[0].leader != 2 &&
         std::chrono::steady_clock::now() < deadline) {
    c_->tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(c_->image()->topic("orders")->partitions[0].leader, 2);
  r = c_->elect_leaders(true, {{"orders", 0}});
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<2>(r->at(0)), errc::preferred_leader_not_available);
  // Back and in sync (the leader's AlterPartition would do this): the preferred election
  // moves leadership with a new epoch.
  start_broker(1);
  c_->tick();
  auto p0 = c_->image()->topic("orders")->partitions[0];
  protocol::AlterPartitionRequest ap;
  ap.broker_id = node_id(2);
  auto& apt = ap.topics.emplace_back();
  apt.topic_name = "orders";
  auto& app = apt.partitions.emplace_back();
  app.partition_index = partition_id(0);
  app.leader_epoch = shoal::leader_epoch(p0.leader_epoch);
  app.new_isr = {node_id(2), node_id(1)};
  app.partition_epoch = p0.partition_epoch;
  auto altered = c_->alter_partition(ap);
  ASSERT_TRUE(altered) << altered.err().to_string();
  r = c_->elect_leaders(true, {});
  ASSERT_TRUE(r);
  auto after = c_->image()->topic("orders")->partitions[0];
  EXPECT_EQ(after.leader, 1);
  EXPECT_EQ(after.leader_epoch, p0.leader_epoch + 1);
}

TEST_F(ControllerTest, UncleanElectionPicksALiveReplicaOnlyWhenThereIsNoLeader) {
  ASSERT_TRUE(c_->create_topic(assigned("orders", {{3, 2}})));
  auto r = c_->elect_leaders(false, {{"orders", 0}});
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<2>(r->at(0)), errc::election_not_needed);
  // 2 leaves the ISR, then 3 (the leader) dies: no in-sync replica is left, and 2 comes back.
  stop_broker(2);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto settle = [&](auto done) {
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      c_->tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  };
  ASSERT_TRUE(settle(
      [&] { return c_->image()->topic("orders")->partitions[0].isr == std::vector<int32_t>{3}; }));
  stop_broker(3);
  ASSERT_TRUE(settle([&] { return c_->image()->topic("orders")->partitions[0].leader == -1; }));
  r = c_->elect_leaders(false, {{"orders", 0}});
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<2>(r->at(0)), errc::eligible_leaders_not_available);
  start_broker(2);
  c_->tick();
  r = c_->elect_leaders(false, {{"orders", 0}});
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<2>(r->at(0)), errc::none);
  auto p = c_->image()->topic("orders")->partitions[0];
  EXPECT_EQ(p.leader, 2);
  EXPECT_EQ(p.isr, std::vector<int32_t>{2});
}

TEST_F(ControllerTest, ProducerIdsAreNeverHandedOutTwiceAcrossControllers) {
  std::set<int64_t> seen;
  auto take = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto got = c_->init_producer_id(-1, -1);
      ASSERT_TRUE(got) << got.err().to_string();
      EXPECT_EQ(got->second, 0);
      EXPECT_TRUE(seen.insert(got->first).second) << "producer id " << got->first << " twice";
    }
  };
  // More than one block: the second is journaled when the first runs out.
  take(static_cast<int>(Controller::producer_id_block_size) + 5);
  EXPECT_EQ(c_->image()->next_producer_id, 2 * Controller::producer_id_block_size);
  // A new controller (the rest of the old one's block is abandoned) and then a fresh controller
  // object over the same journal, as after a full restart.
  fail_over_to(2);
  take(3);
  fail_over_to(1);
  take(3);
  EXPECT_GE(*seen.begin(), 0);
  EXPECT_EQ(c_->image()->next_producer_id, 4 * Controller::producer_id_block_size);
}

TEST_F(ControllerTest, InitProducerIdWithACurrentIdBumpsItsEpoch) {
  auto first = c_->init_producer_id(-1, -1);
  ASSERT_TRUE(first);
  auto bumped = c_->init_producer_id(first->first, 4);
  ASSERT_TRUE(bumped);
  EXPECT_EQ(bumped->first, first->first);
  EXPECT_EQ(bumped->second, 5);
  // The last epoch is spent: a fresh id instead.
  auto fresh = c_->init_producer_id(first->first, INT16_MAX);
  ASSERT_TRUE(fresh);
  EXPECT_NE(fresh->first, first->first);
  EXPECT_EQ(fresh->second, 0);
  // An id never handed out is not bumped but replaced.
  auto unknown = c_->init_producer_id(1'000'000'000, 3);
  ASSERT_TRUE(unknown);
  EXPECT_NE(unknown->first, 1'000'000'000);
}

TEST_F(ControllerTest, StandbyControllerDoesNotHandOutProducerIds) {
  auto standby = controller(2);
  standby->tick();
  ASSERT_FALSE(standby->active());
  EXPECT_EQ(standby->init_producer_id(-1, -1).code(), errc::not_controller);
}

TEST_F(ControllerTest, DeleteThenRecreateTheSameNameGivesANewTopicId) {
  std::set<int64_t> ids;
  for (int round = 0; round < 5; ++round) {
    auto t = c_->create_topic(spec("orders", 2, 1));
    ASSERT_TRUE(t) << t.err().to_string();
    EXPECT_TRUE(ids.insert(t->topic_id).second) << "topic id " << t->topic_id << " reused";
    EXPECT_NE(t->topic_id, 0);
    ASSERT_TRUE(c_->delete_topic("orders"));
    EXPECT_EQ(c_->image()->topic("orders"), nullptr);
  }
  auto t = c_->create_topic(spec("orders", 2, 1));
  ASSERT_TRUE(t);
  fail_over_to(3);
  ASSERT_NE(c_->image()->topic("orders"), nullptr);
  EXPECT_EQ(c_->image()->topic("orders")->topic_id, t->topic_id);
}

TEST_F(ControllerTest, DeleteOfUnknownTopicIsUnknownTopicOrPartition) {
  auto st = c_->delete_topic("nope");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.code(), errc::unknown_topic_or_partition);
  ASSERT_TRUE(c_->create_topic(spec("orders")));
  ASSERT_TRUE(c_->delete_topic("orders"));
  EXPECT_EQ(c_->delete_topic("orders").code(), errc::unknown_topic_or_partition);
}

TEST_F(ControllerTest, OnlyOverridesAreStoredWithTheTopic) {
  auto defaults = TopicConfig{}.with({{"retention.ms", "5000"}, {"segment.bytes", "1000000"}});
  ASSERT_TRUE(defaults);
  fail_over_to(2, 1, 1, *defaults);
  EXPECT_EQ(c_->topic_defaults().log.retention_ms, 5000);
  ASSERT_TRUE(c_->create_topic(spec("orders", 1, 1, {{"retention.ms", "7000"}})));
  EXPECT_EQ(c_->image()->topic("orders")->configs, (string_map{{"retention.ms", "7000"}}));
  // Overrides are checked against the broker's defaults: this one is only valid as a whole.
  EXPECT_EQ(c_->create_topic(spec("bad", 1, 1, {{"segment.bytes", "1"}})).code(),
            errc::invalid_config);
}

TEST_F(ControllerTest, EveryChangeIsPublishedInOrder) {
  std::vector<PublishedImage> seen;
  seen.push_back(published());
  auto change = [&](auto&& f) {
    ASSERT_TRUE(f());
    seen.push_back(published());
  };
  change([&] { return bool(c_->create_topic(spec("a"))); });
  change([&] { return bool(c_->create_topic(spec("b", 3, 2))); });
  change([&] { return bool(c_->delete_topic("a")); });
  ASSERT_FALSE(c_->create_topic(spec("b")));  // a failure publishes nothing
  ASSERT_TRUE(c_->create_topic(spec("c"), /*validate_only=*/true));
  EXPECT_EQ(published().version, seen.back().version);

  ASSERT_EQ(seen.size(), 4u);
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GT(seen[i].version, seen[i - 1].version);
    EXPECT_EQ(seen[i].metadata_version, seen[i - 1].metadata_version + 1);
    EXPECT_EQ(seen[i].controller_id, 1);
  }
  auto names = [](const PublishedImage& p) {
    std::set<std::string> s;
    for (const auto& t : p.topics) s.insert(t.name);
    return s;
  };
  EXPECT_EQ(names(seen[1]), (std::set<std::string>{"a"}));
  EXPECT_EQ(names(seen[2]), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(names(seen[3]), (std::set<std::string>{"b"}));
  EXPECT_EQ(seen[3].metadata_version, c_->image()->version);
  EXPECT_EQ(std::set<int32_t>(seen[3].live_brokers.begin(), seen[3].live_brokers.end()),
            (std::set<int32_t>{1, 2, 3}));
}

TEST_F(ControllerTest, ConcurrentCreatesAreSerialized) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto r = c_->create_topic(spec("t" + std::to_string(t) + "-" + std::to_string(i)));
        EXPECT_TRUE(r) << r.err().to_string();
      }
    });
  }
  for (auto& th : threads) th.join();
  auto img = c_->image();
  EXPECT_EQ(img->topics.size(), 100u);
  EXPECT_EQ(published().metadata_version, img->version);
  fail_over_to(2);
  EXPECT_EQ(c_->image()->topics, img->topics);
}

TEST_F(ControllerTest, PausedControllerIsFencedAfterATakeover) {
  // Broker 1's controller stops ticking (SIGSTOP) past the session timeout; broker 2 takes
  // over. When broker 1 resumes, nothing it does may change the metadata.
  c_->resign();
  c_.reset();
  const int64_t timeout_ms = 500;
  auto c1 = controller(1, 1, 1, {}, timeout_ms);
  c1->tick();
  ASSERT_TRUE(c1->active());
  ASSERT_TRUE(c1->create_topic(spec("orders")));

  std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms + 300));
  brokers_.at(2)->heartbeat();
  brokers_.at(3)->heartbeat();
  auto c2 = controller(2, 1, 1, {}, timeout_ms);
  c2->tick();
  ASSERT_TRUE(c2->active());
  EXPECT_GT(c2->epoch(), c1->epoch());
  EXPECT_NE(c2->image()->topic("orders"), nullptr);

  // The paused controller resumes and tries to act before noticing.
  auto r = c1->create_topic(spec("stale"));
  EXPECT_EQ(r.code(), errc::not_controller);
  EXPECT_EQ(c1->delete_topic("orders").code(), errc::not_controller);
  c1->tick();
  EXPECT_FALSE(c1->active());

  ASSERT_TRUE(c2->create_topic(spec("fresh")));
  // What a third controller replays from the journal.
  c2->resign();
  c2.reset();
  brokers_.at(3)->heartbeat();
  auto c3 = controller(3, 1, 1, {}, timeout_ms);
  c3->tick();
  ASSERT_TRUE(c3->active());
  EXPECT_NE(c3->image()->topic("orders"), nullptr);
  EXPECT_NE(c3->image()->topic("fresh"), nullptr);
  EXPECT_EQ(c3->image()->topic("stale"), nullptr);
  c3->resign();
}

TEST_F(ControllerTest, EpochKeepsGrowingWhenTheClusterRegionStartsOver) {
  // Every broker stopped, so the shared-memory region (and its epoch word) went away; the
  // journal still holds the old epochs. The next controller must take a larger one, or its
  // own records would be ignored as stale on replay.
  ASSERT_TRUE(c_->create_topic(spec("kept")));
  fail_over_to(2);
  fail_over_to(3);
  int32_t before = c_->epoch();
  ASSERT_GE(before, 3);
  c_->resign();
  c_.reset();
  for (auto& [_, r] : brokers_) r->leave();
  brokers_.clear();
  ipc::SharedRegion::remove(ipc::region_name(cluster_, "cluster"));

  for (int32_t id : {1, 2, 3}) start_broker(id);
  c_ = controller(1);
  c_->tick();
  ASSERT_TRUE(c_->active());
  EXPECT_GT(c_->epoch(), before);
  EXPECT_EQ(brokers_.at(1)->controller().epoch, c_->epoch());
  EXPECT_NE(c_->image()->topic("kept"), nullptr);
  ASSERT_TRUE(c_->create_topic(spec("after")));
  // A later controller replays both topics: the new epoch's records were not ignored.
  fail_over_to(2);
  EXPECT_NE(c_->image()->topic("kept"), nullptr);
  EXPECT_NE(c_->image()->topic("after"), nullptr);
}

// --- assign_replicas ---

TEST(AssignReplicas, MatchesKafkasDocumentedExample) {
  // The table in Kafka's AdminUtils.assignReplicasToBrokers comment: 5 brokers, 10 partitions,
  // replication factor 3, start index 0, first replica shift 0.
  auto a = assign_replicas(10, 3, {0, 1, 2, 3, 4}, 0, 0);
  std::vector<std::vector<int32_t>> expected = {
      {0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 0}, {4, 0, 1},
      {0, 2, 3}, {1, 3, 4}, {2, 4, 0}, {3, 0, 1}, {4, 1, 2},
  };
  EXPECT_EQ(a, expected);
}

TEST(AssignReplicas, StartAndShiftMatchHandComputedExpectation) {
  // brokers {1,2,3}: first replica brokers[(p + start) % 3]; follower at
  // (first + 1 + shift % 2) % 3, shift growing by one every 3 partitions.
  EXPECT_EQ(
      assign_replicas(7, 2, {1, 2, 3}, 1, 2),
      (std::vector<std::vector<int32_t>>{{2, 3}, {3, 1}, {1, 2}, {2, 1}, {3, 2}, {1, 3}, {2, 3}}));
  EXPECT_EQ(assign_replicas(6, 2, {1, 2, 3}, 0, 0),
            (std::vector<std::vector<int32_t>>{{1, 2}, {2, 3}, {3, 1}, {1, 3}, {2, 1}, {3, 2}}));
  EXPECT_EQ(assign_replicas(4, 3, {1, 2, 3}, 2, 1),
            (std::vector<std::vector<int32_t>>{{3, 2, 1}, {1, 3, 2}, {2, 1, 3}, {3, 1, 2}}));
  // Broker ids are positions in the list, not numbers.
  EXPECT_EQ(assign_replicas(3, 2, {10, 20, 30, 40}, 3, 0),
            (std::vector<std::vector<int32_t>>{{40, 10}, {10, 20}, {20, 30}}));
}

TEST(AssignReplicas, SingleBrokerGetsEveryPartition) {
  auto a = assign_replicas(5, 1, {7}, 0, 0);
  EXPECT_EQ(a, (std::vector<std::vector<int32_t>>(5, std::vector<int32_t>{7})));
}

TEST(AssignReplicas, DistinctReplicasAndEvenSpreadForManyShapes) {
  for (int n = 1; n <= 7; ++n) {
    std::vector<int32_t> brokers;
    for (int b = 0; b < n; ++b) brokers.push_back(100 + 3 * b);
    for (int rf = 1; rf <= n; ++rf) {
      for (int partitions : {1, n, 2 * n + 1, 3 * n, 50, 100}) {
        for (int start = 0; start < n; ++start) {
          for (int shift = 0; shift < n; ++shift) {
            SCOPED_TRACE(::testing::Message()
                         << "n=" << n << " rf=" << rf << " partitions=" << partitions
                         << " start=" << start << " shift=" << shift);
            auto a = assign_replicas(partitions, static_cast<int16_t>(rf), brokers, start, shift);
            ASSERT_EQ(a.size(), static_cast<size_t>(partitions));
            std::map<int32_t, int> leaders, followers;
            for (int32_t b : brokers) leaders[b] = followers[b] = 0;
            for (const auto& reps : a) {
              ASSERT_EQ(reps.size(), static_cast<size_t>(rf));
              ASSERT_EQ(std::set<int32_t>(reps.begin(), reps.end()).size(), reps.size());
              for (int32_t b : reps) {
                ASSERT_TRUE(std::count(brokers.begin(), brokers.end(), b)) << b;
              }
              ++leaders[reps.front()];
              for (size_t j = 1; j < reps.size(); ++j) ++followers[reps[j]];
            }
            auto spread = [](const std::map<int32_t, int>& m) {
              auto [lo, hi] = std::minmax_element(
                  m.begin(), m.end(), [](auto& x, auto& y) { return x.second < y.second; });
              return hi->second - lo->second;
            };
            EXPECT_LE(spread(leaders), 1);
            // Each full round of n partitions gives every broker rf-1 follower slots.
            EXPECT_LE(spread(followers), rf - 1);
            if (partitions % n == 0) {
              EXPECT_EQ(spread(followers), 0);
            }
          }
        }
      }
    }
  }
}

TEST(AssignReplicas, SecondReplicaOfEachLeaderCyclesThroughTheOtherBrokers) {
  // The shift grows every n partitions, so over n-1 rounds each broker's partitions have their
  // second replica on every other broker once: losing one broker spreads its load.
  const std::vector<int32_t> brokers = {1, 2, 3, 4, 5};
  const int n = 5;
  auto a = assign_replicas(n * (n - 1), 2, brokers, 2, 3);
  std::map<int32_t, std::multiset<int32_t>> seconds;
  for (const auto& reps : a) seconds[reps[0]].insert(reps[1]);
  for (int32_t leader : brokers) {
    std::multiset<int32_t> others;
    for (int32_t b : brokers) {
      if (b != leader) others.insert(b);
    }
    EXPECT_EQ(seconds[leader], others) << "leader " << leader;
  }
}

}  // namespace
}  // namespace shoal::cluster
