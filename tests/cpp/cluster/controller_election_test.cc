// The controller's replication duties (docs/cluster.md §4-§5): fencing brokers that left,
// froze past the session timeout, died, restarted or lost their storage out of every ISR;
// electing leaders from the ISR in assignment order with exactly one leader-epoch bump; no
// leader (and the last ISR member kept) when no in-sync replica is live; unclean election;
// AlterPartition's epoch checks and error codes; controlled shutdown; moving leadership back
// to the preferred replica; and the images it publishes after each of these.
//
// Brokers are in-process slots of a cluster region with a name unique to the test, as in
// controller_test.cc. A broker "stops" by leaving its slot, "pauses" by not heartbeating,
// and "restarts" by publishing a new inbox incarnation.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "cluster/controller.h"
#include "ipc/process.h"
#include "ipc/shm.h"
#include "storage/test_util.h"

namespace shoal::cluster {
namespace {

namespace fs = std::filesystem;
using protocol::AlterPartitionRequest;
using protocol::AlterPartitionResponse;
using storage::testing::TempDir;

std::string unique_cluster_name() {
  static std::atomic<int> n{0};
  return "ctlelect-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

NewTopicSpec assigned(const std::string& name, std::vector<std::vector<int32_t>> assignment,
                      string_map configs = {}) {
  NewTopicSpec s;
  s.name = name;
  s.assignment = std::move(assignment);
  s.configs = std::move(configs);
  return s;
}

std::vector<int32_t> ids(const std::vector<node_id>& v) {
  std::vector<int32_t> out;
  for (auto x : v) out.push_back(x());
  return out;
}

class ControllerElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int32_t id : {1, 2, 3}) start_broker(id);
    auto observer = ipc::ClusterRegion::open(cluster_, 1'000);
    ASSERT_TRUE(observer) << observer.err().to_string();
    observer_ = std::move(observer).value();
    start_controller();
  }

  void TearDown() override {
    if (c_) c_->resign();
    c_.reset();
    for (auto& [_, r] : brokers_) r->leave();
    brokers_.clear();
    observer_.reset();
    ipc::SharedRegion::remove(ipc::region_name(cluster_, "cluster"));
  }

  fs::path journal() const { return dir_ / "cluster/metadata.log"; }

  // Joins (or rejoins after leave) broker `id` and marks it running.
  void start_broker(int32_t id, uint64_t incarnation = 1) {
    auto r = ipc::ClusterRegion::join(cluster_, dir_.path().string(), id);
    ASSERT_TRUE(r) << r.err().to_string();
    (*r)->publish(ipc::broker_state::running, "inbox-" + std::to_string(id), incarnation);
    brokers_[id] = std::move(r).value();
    paused_.erase(id);
  }

  // A clean stop: the slot is emptied.
  void stop_broker(int32_t id) {
    brokers_.at(id)->leave();
    brokers_.erase(id);
  }

  // The same broker id comes back as a new process: a new inbox incarnation.
  void restart_broker(int32_t id, uint64_t incarnation) {
    brokers_.at(id)->publish(ipc::broker_state::running, "inbox-" + std::to_string(id),
                             incarnation);
  }

  ControllerOptions options(int32_t id) const {
    ControllerOptions o;
    o.broker_id = id;
    o.journal_path = journal();
    o.broker_session_timeout_ms = session_timeout_ms_;
    o.auto_leader_rebalance_enable = rebalance_;
    o.leader_imbalance_check_interval_ms = rebalance_interval_ms_;
    o.topic_defaults = topic_defaults_;
    return o;
  }

  // (Re)starts the controller on broker `id` with the fixture's current options; the
  // previous controller, if any, resigns first.
  void start_controller(int32_t id = 1) {
    if (c_) c_->resign();
    c_ = std::make_unique<Controller>(options(id), brokers_.at(id).get());
    tick();
    ASSERT_TRUE(c_->active());
  }

  // Every running, unpaused broker heartbeats, then the controller ticks.
  void tick() {
    for (auto& [id, r] : brokers_) {
      if (!paused_.count(id)) r->heartbeat();
    }
    c_->tick();
  }

  // Ticks (heartbeating) until `done` holds or `timeout_ms` passes.
  bool tick_until(const std::function<bool()>& done, int64_t timeout_ms = 5'000) {
    int64_t deadline = ipc::monotonic_ms() + timeout_ms;
    while (true) {
      tick();
      if (done()) return true;
      if (ipc::monotonic_ms() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  TopicState create(const NewTopicSpec& s) {
    auto t = c_->create_topic(s);
    EXPECT_TRUE(t) << t.err().to_string();
    return t ? *t : TopicState{};
  }

  // The partition as the controller has it.
  PartitionState state(const std::string& topic, int32_t p = 0) const {
    const PartitionState* ps = c_->image()->partition(topic, p);
    EXPECT_NE(ps, nullptr) << topic << "/" << p;
    return ps ? *ps : PartitionState{};
  }

  // The image the active controller last published in shared memory, as a broker reads it.
  PublishedImage published() const {
    auto raw = observer_->read_image(0);
    EXPECT_TRUE(raw.has_value());
    if (!raw) return {};
    auto img = protocol::decode<PublishedImage>(raw->second, 0);
    EXPECT_TRUE(img) << img.err().to_string();
    if (!img) return {};
    EXPECT_EQ(static_cast<uint64_t>(img->version), raw->first);
    return *img;
  }

  PartitionState published_state(const std::string& topic, int32_t p = 0) const {
    for (const auto& t : published().topics) {
      if (t.name == topic && p < static_cast<int32_t>(t.partitions.size())) {
        return t.partitions[static_cast<size_t>(p)];
      }
    }
    ADD_FAILURE() << topic << "/" << p << " is not in the published image";
    return {};
  }

  // The published image carries exactly the controller's metadata and the given live brokers.
  void expect_published(const std::set<int32_t>& live) const {
    auto pub = published();
    auto img = c_->image();
    EXPECT_EQ(pub.metadata_version, img->version);
    EXPECT_EQ(pub.controller_id, img->controller_id);
    std::vector<TopicState> topics;
    for (const auto& [_, t] : img->topics) topics.push_back(t);
    EXPECT_EQ(pub.topics, topics);
    EXPECT_EQ(std::set<int32_t>(pub.live_brokers.begin(), pub.live_brokers.end()), live);
  }

  static AlterPartitionRequest alter_request(int32_t broker, const std::string& topic, int32_t p,
                                             int32_t leader_epoch, std::vector<int32_t> isr,
                                             int32_t partition_epoch) {
    AlterPartitionRequest r;
    r.broker_id = node_id(broker);
    auto& t = r.topics.emplace_back();
    t.topic_name = topic;
    auto& part = t.partitions.emplace_back();
    part.partition_index = partition_id(p);
    part.leader_epoch = shoal::leader_epoch(leader_epoch);
    for (int32_t x : isr) part.new_isr.push_back(node_id(x));
    part.partition_epoch = partition_epoch;
    return r;
  }

  // Sends one partition's AlterPartition and returns its answer for that partition.
  AlterPartitionResponse::PartitionData alter(int32_t broker, const std::string& topic, int32_t p,
                                              int32_t leader_epoch, std::vector<int32_t> isr,
                                              int32_t partition_epoch) {
    auto r = c_->alter_partition(
        alter_request(broker, topic, p, leader_epoch, std::move(isr), partition_epoch));
    EXPECT_TRUE(r) << r.err().to_string();
    if (!r || r->topics.size() != 1 || r->topics[0].partitions.size() != 1) {
      ADD_FAILURE() << "no answer for " << topic << "/" << p;
      return {};
    }
    EXPECT_EQ(r->topics[0].topic_name, topic);
    EXPECT_EQ(r->topics[0].partitions[0].partition_index, partition_id(p));
    return r->topics[0].partitions[0];
  }

  // The current leader asks for `isr` with the current epochs.
  AlterPartitionResponse::PartitionData alter_isr(const std::string& topic, int32_t p,
                                                  std::vector<int32_t> isr) {
    auto ps = state(topic, p);
    return alter(ps.leader, topic, p, ps.leader_epoch, std::move(isr), ps.partition_epoch);
  }

  // Expects `resp` to be refused with `code`, carrying the partition's unchanged current state,
  // and the image, the published image and the journal to be untouched.
  void expect_refused(const std::function<AlterPartitionResponse::PartitionData()>& send,
                      const std::string& topic, int32_t p, errc code) {
    auto before = c_->image();
    auto version = observer_->image_version();
    auto journal_size = fs::file_size(journal());
    auto resp = send();
    EXPECT_EQ(resp.error_code, code)
        << "got " << static_cast<int>(resp.error_code) << ", expected " << static_cast<int>(code);
    EXPECT_EQ(c_->image(), before);
    EXPECT_EQ(observer_->image_version(), version);
    EXPECT_EQ(fs::file_size(journal()), journal_size);
    // The answer tells the sender where the partition really is.
    const PartitionState* found = before->partition(topic, p);
    ASSERT_NE(found, nullptr);
    const PartitionState& cur = *found;
    EXPECT_EQ(resp.leader_id, node_id(cur.leader));
    EXPECT_EQ(resp.leader_epoch, shoal::leader_epoch(cur.leader_epoch));
    EXPECT_EQ(ids(resp.isr), cur.isr);
    EXPECT_EQ(resp.partition_epoch, cur.partition_epoch);
  }

  TempDir dir_;
  std::string cluster_ = unique_cluster_name();
  std::map<int32_t, std::unique_ptr<ipc::ClusterRegion>> brokers_;
  std::set<int32_t> paused_;  // brokers that do not heartbeat
  std::unique_ptr<ipc::ClusterRegion> observer_;
  std::unique_ptr<Controller> c_;
  int64_t session_timeout_ms_ = 9'000;
  bool rebalance_ = false;
  int64_t rebalance_interval_ms_ = 300'000;
  TopicConfig topic_defaults_;
};

// --- fencing and election ---

TEST_F(ControllerElectionTest, StoppedBrokerIsFencedFromEveryIsrAndPreferredInSyncReplicaLeads) {
  create(assigned("t", {{2, 3, 1}, {3, 2, 1}, {1, 2, 3}}));
  create(assigned("pair", {{2, 1}, {1, 3}}));
  // The ISR's order is not the preference: t/0's ISR lists 1 before 3.
  auto r = alter_isr("t", 0, {2, 1, 3});
  ASSERT_EQ(r.error_code, errc::none);
  ASSERT_EQ(state("t", 0).isr, (std::vector<int32_t>{2, 1, 3}));
  std::vector<PartitionState> before;
  for (int32_t p = 0; p < 3; ++p) before.push_back(state("t", p));
  auto pair0 = state("pair", 0);
  auto pair1 = state("pair", 1);

  stop_broker(2);
  tick();

  // Led by 2: the first replica in assignment order that is in the ISR and live.
  auto p0 = state("t", 0);
  EXPECT_EQ(p0.leader, 3);
  EXPECT_EQ(p0.isr, (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(p0.leader_epoch, before[0].leader_epoch + 1);
  EXPECT_GT(p0.partition_epoch, before[0].partition_epoch);
  auto q0 = state("pair", 0);
  EXPECT_EQ(q0.leader, 1);
  EXPECT_EQ(q0.isr, (std::vector<int32_t>{1}));
  EXPECT_EQ(q0.leader_epoch, pair0.leader_epoch + 1);
  EXPECT_GT(q0.partition_epoch, pair0.partition_epoch);
  // Followed by 2: out of the ISR, leader and leader epoch kept.
  for (int32_t p : {1, 2}) {
    SCOPED_TRACE(p);
    auto ps = state("t", p);
    EXPECT_EQ(ps.leader, before[static_cast<size_t>(p)].leader);
    EXPECT_EQ(ps.leader_epoch, before[static_cast<size_t>(p)].leader_epoch);
    EXPECT_GT(ps.partition_epoch, before[static_cast<size_t>(p)].partition_epoch);
    EXPECT_EQ(std::count(ps.isr.begin(), ps.isr.end(), 2), 0);
    EXPECT_EQ(ps.isr.size(), 2u);
  }
  // Not involving 2: untouched.
  EXPECT_EQ(state("pair", 1), pair1);
  expect_published({1, 3});

  // Nothing more changes while nothing happens.
  auto settled = c_->image();
  tick();
  tick();
  EXPECT_EQ(c_->image()->topics, settled->topics);
}

TEST_F(ControllerElectionTest, BrokerWithoutHeartbeatIsFencedOnceTheSessionTimesOut) {
  session_timeout_ms_ = 300;
  start_controller(1);
  create(assigned("t", {{3, 1, 2}}));
  create(assigned("u", {{1, 3}}));
  auto before0 = state("t", 0);
  auto before1 = state("u", 0);

  // Broker 3 freezes (SIGSTOP): it keeps its slot and its pid, but stops heartbeating.
  brokers_.at(3)->heartbeat();
  int64_t last_beat = ipc::monotonic_ms();
  paused_.insert(3);
  tick();
  if (ipc::monotonic_ms() - last_beat < session_timeout_ms_) {
    EXPECT_EQ(state("t", 0), before0) << "fenced before its session timed out";
  }
  ASSERT_TRUE(tick_until([&] { return state("t", 0).leader != 3; })) << "broker 3 was never fenced";
  EXPECT_GE(ipc::monotonic_ms() - last_beat, session_timeout_ms_);
  auto p0 = state("t", 0);
  EXPECT_EQ(p0.leader, 1);
  EXPECT_EQ(p0.isr, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(p0.leader_epoch, before0.leader_epoch + 1);
  EXPECT_GT(p0.partition_epoch, before0.partition_epoch);
  auto u0 = state("u", 0);
  EXPECT_EQ(u0.leader, 1);
  EXPECT_EQ(u0.isr, (std::vector<int32_t>{1}));
  EXPECT_EQ(u0.leader_epoch, before1.leader_epoch);
  expect_published({1, 2});

  // It resumes: live again, but it must catch up before it is back in any ISR.
  paused_.erase(3);
  ASSERT_TRUE(tick_until([&] {
    auto live = published().live_brokers;
    return std::count(live.begin(), live.end(), 3) == 1;
  }));
  EXPECT_EQ(state("t", 0).isr, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(state("t", 0).leader, 1);
  expect_published({1, 2, 3});
}

TEST_F(ControllerElectionTest, BrokerWhoseProcessDiedIsFencedAtTheNextTick) {
  // A broker in another process that is SIGKILLed: its slot still says running and its last
  // heartbeat is fresh (the session timeout is 9 s), but its pid is gone.
  //
  // The child is killed and reaped on every way out of the test. Only a positive pid is ever
  // signalled: kill(-1) or kill(0) would hit far more than the child.
  struct Child {
    pid_t pid = -1;
    void reap() {
      if (pid <= 0) return;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      pid = -1;
    }
    ~Child() { reap(); }
  } child;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(ready[0]);
    auto r = ipc::ClusterRegion::join(cluster_, dir_.path().string(), 4);
    if (!r) ::_exit(1);
    (*r)->publish(ipc::broker_state::running, "inbox-4", 1);
    char c = 'x';
    if (::write(ready[1], &c, 1) != 1) ::_exit(1);
    while (true) ::pause();
  }
  child.pid = pid;
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1) << "the child broker did not start";
  ::close(ready[0]);

  tick();
  auto live = published().live_brokers;
  ASSERT_EQ(std::count(live.begin(), live.end(), 4), 1);
  create(assigned("t", {{4, 2}}));

  child.reap();
  tick();
  auto p0 = state("t", 0);
  EXPECT_EQ(p0.leader, 2);
  EXPECT_EQ(p0.isr, (std::vector<int32_t>{2}));
  EXPECT_EQ(p0.leader_epoch, 1);
  EXPECT_EQ(p0.partition_epoch, 1);
  expect_published({1, 2, 3});
}

TEST_F(ControllerElectionTest, WithNoLiveInSyncReplicaThereIsNoLeaderAndTheLastMemberStays) {
  create(assigned("t", {{2, 3}}));
  stop_broker(3);
  tick();
  ASSERT_EQ(state("t").isr, (std::vector<int32_t>{2}));
  ASSERT_EQ(state("t").leader, 2);
  ASSERT_EQ(state("t").leader_epoch, 0);

  stop_broker(2);
  tick();
  auto ps = state("t");
  EXPECT_EQ(ps.leader, -1);
  EXPECT_EQ(ps.isr, (std::vector<int32_t>{2})) << "the ISR must keep its last member";
  EXPECT_EQ(ps.leader_epoch, 1);
  EXPECT_EQ(published_state("t"), ps);
  expect_published({1});
  // Steady while nobody comes back.
  tick();
  EXPECT_EQ(state("t"), ps);

  // The out-of-sync replica returns: still no leader (unclean election is off).
  start_broker(3);
  tick();
  EXPECT_EQ(state("t").leader, -1);
  EXPECT_EQ(state("t").isr, (std::vector<int32_t>{2}));

  // The last in-sync replica returns and leads again, in a new epoch.
  start_broker(2);
  tick();
  auto back = state("t");
  EXPECT_EQ(back.leader, 2);
  EXPECT_EQ(back.isr, (std::vector<int32_t>{2}));
  EXPECT_EQ(back.leader_epoch, 2);
  EXPECT_GT(back.partition_epoch, ps.partition_epoch);
  EXPECT_EQ(published_state("t"), back);
}

TEST_F(ControllerElectionTest, WhenTheWholeIsrGoesAtOnceTheLeaderIsTheMemberKept) {
  create(assigned("t", {{3, 2}}));
  // ISR [2, 3] with 3 leading: the leader, not the ISR's first member, is the one known to
  // hold every committed record.
  ASSERT_EQ(alter_isr("t", 0, {2, 3}).error_code, errc::none);
  stop_broker(2);
  stop_broker(3);
  tick();
  auto ps = state("t");
  EXPECT_EQ(ps.leader, -1);
  EXPECT_EQ(ps.isr, (std::vector<int32_t>{3}));
  EXPECT_EQ(ps.leader_epoch, 1);

  start_broker(2);
  tick();
  EXPECT_EQ(state("t").leader, -1) << "broker 2 may have missed committed records";
  start_broker(3);
  tick();
  EXPECT_EQ(state("t").leader, 3);
  EXPECT_EQ(state("t").leader_epoch, 2);
}

TEST_F(ControllerElectionTest, UncleanElectionLetsALiveOutOfSyncReplicaLeadOnlyWhenEnabled) {
  create(assigned("clean", {{2, 3}}));
  create(assigned("unclean", {{2, 3}}, {{"unclean.leader.election.enable", "true"}}));
  create(assigned("explicit-false", {{2, 3}}, {{"unclean.leader.election.enable", "false"}}));
  // Broker 3 falls out of sync (it stopped, and came back without catching up).
  stop_broker(3);
  tick();
  start_broker(3);
  tick();
  for (const char* t : {"clean", "unclean", "explicit-false"}) {
    ASSERT_EQ(state(t).isr, (std::vector<int32_t>{2})) << t;
  }

  stop_broker(2);
  tick();
  for (const char* t : {"clean", "explicit-false"}) {
    SCOPED_TRACE(t);
    EXPECT_EQ(state(t).leader, -1);
    EXPECT_EQ(state(t).isr, (std::vector<int32_t>{2}));
    EXPECT_EQ(state(t).leader_epoch, 1);
  }
  auto u = state("unclean");
  EXPECT_EQ(u.leader, 3);
  EXPECT_EQ(u.isr, (std::vector<int32_t>{3}));
  EXPECT_EQ(u.leader_epoch, 1);
  EXPECT_EQ(published_state("unclean"), u);

  // Broker 2 returns: it leads the clean topics again; the unclean one stays with 3, whose
  // history is now the partition's.
  start_broker(2);
  tick();
  EXPECT_EQ(state("clean").leader, 2);
  EXPECT_EQ(state("clean").leader_epoch, 2);
  EXPECT_EQ(state("unclean").leader, 3);
  EXPECT_EQ(state("unclean").isr, (std::vector<int32_t>{3}));
  EXPECT_EQ(state("unclean").leader_epoch, 1);
}

TEST_F(ControllerElectionTest, UncleanElectionEnabledByTheBrokerDefault) {
  auto d = TopicConfig{}.with({{"unclean.leader.election.enable", "true"}});
  ASSERT_TRUE(d);
  topic_defaults_ = *d;
  start_controller(2);
  create(assigned("t", {{3, 1}}));
  create(assigned("override", {{3, 1}}, {{"unclean.leader.election.enable", "false"}}));
  stop_broker(1);
  tick();
  start_broker(1);
  tick();
  stop_broker(3);
  tick();
  EXPECT_EQ(state("t").leader, 1);
  EXPECT_EQ(state("t").isr, (std::vector<int32_t>{1}));
  EXPECT_EQ(state("override").leader, -1);
  EXPECT_EQ(state("override").isr, (std::vector<int32_t>{3}));
}

TEST_F(ControllerElectionTest, RestartedBrokerCountsAsGoneAndBack) {
  create(assigned("t", {{2, 3, 1}}));
  create(assigned("pair", {{1, 2}}));
  create(assigned("solo", {{2}}));

  restart_broker(2, /*incarnation=*/2);
  tick();
  // It led t/0: leadership moves to the next in-sync replica.
  auto t0 = state("t");
  EXPECT_EQ(t0.leader, 3);
  EXPECT_EQ(t0.isr, (std::vector<int32_t>{3, 1}));
  EXPECT_EQ(t0.leader_epoch, 1);
  EXPECT_EQ(t0.partition_epoch, 1);
  // It followed pair/0: out of the ISR; it must catch up again.
  auto pair = state("pair");
  EXPECT_EQ(pair.leader, 1);
  EXPECT_EQ(pair.isr, (std::vector<int32_t>{1}));
  EXPECT_EQ(pair.leader_epoch, 0);
  EXPECT_EQ(pair.partition_epoch, 1);
  // It is solo/0's only replica: it leads again, in a new epoch, so followers re-check.
  auto solo = state("solo");
  EXPECT_EQ(solo.leader, 2);
  EXPECT_EQ(solo.isr, (std::vector<int32_t>{2}));
  EXPECT_EQ(solo.leader_epoch, 1);
  EXPECT_EQ(solo.partition_epoch, 1);
  // And it is live.
  expect_published({1, 2, 3});
  auto settled = c_->image();
  tick();
  EXPECT_EQ(c_->image()->topics, settled->topics);

  // The new incarnation may rejoin the ISR once caught up.
  auto r = alter_isr("pair", 0, {1, 2});
  EXPECT_EQ(r.error_code, errc::none);
  EXPECT_EQ(state("pair").isr, (std::vector<int32_t>{1, 2}));
}

TEST_F(ControllerElectionTest, FailedStorageMakesABrokerIneligibleUntilCleared) {
  create(assigned("t", {{2, 3}, {3, 2}}));
  create(assigned("solo", {{2}}));
  brokers_.at(2)->set_storage_failed(true);
  tick();
  auto p0 = state("t", 0);
  EXPECT_EQ(p0.leader, 3);
  EXPECT_EQ(p0.isr, (std::vector<int32_t>{3}));
  EXPECT_EQ(p0.leader_epoch, 1);
  EXPECT_EQ(state("t", 1).isr, (std::vector<int32_t>{3}));
  EXPECT_EQ(state("t", 1).leader, 3);
  EXPECT_EQ(state("t", 1).leader_epoch, 0);
  EXPECT_EQ(state("solo").leader, -1);
  EXPECT_EQ(state("solo").isr, (std::vector<int32_t>{2}));
  EXPECT_EQ(state("solo").leader_epoch, 1);
  expect_published({1, 3});
  // Not eligible to rejoin an ISR either.
  expect_refused([&] { return alter_isr("t", 0, {3, 2}); }, "t", 0, errc::ineligible_replica);

  brokers_.at(2)->set_storage_failed(false);
  tick();
  expect_published({1, 2, 3});
  EXPECT_EQ(state("solo").leader, 2);
  EXPECT_EQ(state("solo").leader_epoch, 2);
  auto r = alter_isr("t", 0, {3, 2});
  EXPECT_EQ(r.error_code, errc::none);
  EXPECT_EQ(state("t", 0).isr, (std::vector<int32_t>{3, 2}));
}

// --- AlterPartition ---

TEST_F(ControllerElectionTest, AlterPartitionIsAcceptedJournaledAndPublished) {
  create(assigned("t", {{1, 2, 3}, {2, 3, 1}}));
  auto r = alter(1, "t", 0, 0, {1, 2}, 0);
  EXPECT_EQ(r.error_code, errc::none);
  EXPECT_EQ(r.leader_id, node_id(1));
  EXPECT_EQ(r.leader_epoch, shoal::leader_epoch(0));
  EXPECT_EQ(ids(r.isr), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(r.partition_epoch, 1);
  auto ps = state("t", 0);
  EXPECT_EQ(ps.isr, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(ps.leader, 1);
  EXPECT_EQ(ps.leader_epoch, 0);  // an ISR change is not a leader change
  EXPECT_EQ(ps.partition_epoch, 1);
  expect_published({1, 2, 3});

  // Two partitions in one request: each is judged on its own.
  AlterPartitionRequest req = alter_request(2, "t", 1, 0, {2, 3}, 0);
  auto& second = req.topics[0].partitions.emplace_back(req.topics[0].partitions[0]);
  second.partition_index = partition_id(0);  // led by 1, not 2
  auto both = c_->alter_partition(req);
  ASSERT_TRUE(both) << both.err().to_string();
  ASSERT_EQ(both->topics.size(), 1u);
  ASSERT_EQ(both->topics[0].partitions.size(), 2u);
  EXPECT_EQ(both->topics[0].partitions[0].error_code, errc::none);
  EXPECT_EQ(both->topics[0].partitions[1].error_code, errc::not_leader_or_follower);
  EXPECT_EQ(state("t", 1).isr, (std::vector<int32_t>{2, 3}));

  // Grow back, from the new partition epoch.
  r = alter(1, "t", 0, 0, {1, 2, 3}, 1);
  EXPECT_EQ(r.error_code, errc::none);
  EXPECT_EQ(r.partition_epoch, 2);
  auto expected = c_->image()->topics;

  // Another controller replays the journal and finds the same ISRs and epochs.
  start_controller(2);
  EXPECT_EQ(c_->image()->topics, expected);
  EXPECT_EQ(state("t", 0).isr, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(state("t", 0).partition_epoch, 2);
  EXPECT_EQ(state("t", 1).isr, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(state("t", 1).partition_epoch, 1);
  expect_published({1, 2, 3});
}

TEST_F(ControllerElectionTest, AlterPartitionWithAStalePartitionEpochIsInvalidUpdateVersion) {
  create(assigned("t", {{1, 2, 3}}));
  ASSERT_EQ(alter(1, "t", 0, 0, {1, 2}, 0).error_code, errc::none);
  // The leader's second proposal was built on partition epoch 0, before the first committed.
  expect_refused([&] { return alter(1, "t", 0, 0, {1}, 0); }, "t", 0, errc::invalid_update_version);
  // One from the future is no better.
  expect_refused([&] { return alter(1, "t", 0, 0, {1}, 7); }, "t", 0, errc::invalid_update_version);
  // A change the controller makes itself (fencing broker 2) also moves the epoch.
  stop_broker(2);
  tick();
  ASSERT_EQ(state("t", 0).partition_epoch, 2);
  expect_refused([&] { return alter(1, "t", 0, 0, {1}, 1); }, "t", 0, errc::invalid_update_version);
  EXPECT_EQ(alter(1, "t", 0, 0, {1}, 2).error_code, errc::none);
}

TEST_F(ControllerElectionTest, AlterPartitionFromABrokerThatDoesNotLeadIsNotLeaderOrFollower) {
  create(assigned("t", {{2, 3, 1}}));
  // A follower.
  expect_refused(
      [&] {
        return alter(3, "t", 0, 0, {2, 3}, 0);
      },
      "t", 0, errc::not_leader_or_follower);
  // A deposed leader: 2 froze, 3 took over, 2 resumes and sends what it had prepared.
  paused_.insert(2);
  session_timeout_ms_ = 300;
  start_controller(1);
  ASSERT_TRUE(tick_until([&] { return state("t").leader == 3; }));
  paused_.erase(2);
  tick();
  expect_refused(
      [&] {
        return alter(2, "t", 0, 0, {2, 1}, 0);
      },
      "t", 0, errc::not_leader_or_follower);
  auto ps = state("t");
  expect_refused(
      [&] {
        return alter(2, "t", 0, ps.leader_epoch, {2, 1}, ps.partition_epoch);
      },
      "t", 0, errc::not_leader_or_follower);
}

TEST_F(ControllerElectionTest, AlterPartitionWithAWrongLeaderEpochIsFencedLeaderEpoch) {
  create(assigned("t", {{2, 3}}));
  ASSERT_EQ(alter(2, "t", 0, 0, {2}, 0).error_code, errc::none);
  // Broker 2 restarts and leads again, in epoch 1. Its previous incarnation's request (epoch
  // 0) is fenced even though it names the current partition epoch.
  restart_broker(2, 2);
  tick();
  auto ps = state("t");
  ASSERT_EQ(ps.leader, 2);
  ASSERT_EQ(ps.leader_epoch, 1);
  expect_refused(
      [&] {
        return alter(2, "t", 0, 0, {2, 3}, ps.partition_epoch);
      },
      "t", 0, errc::fenced_leader_epoch);
  expect_refused(
      [&] {
        return alter(2, "t", 0, 5, {2, 3}, ps.partition_epoch);
      },
      "t", 0, errc::fenced_leader_epoch);
  EXPECT_EQ(alter(2, "t", 0, 1, {2, 3}, ps.partition_epoch).error_code, errc::none);
}

TEST_F(ControllerElectionTest, AlterPartitionAddingADeadReplicaIsIneligibleReplica) {
  create(assigned("t", {{1, 2, 3}}));
  ASSERT_EQ(alter_isr("t", 0, {1, 2}).error_code, errc::none);
  stop_broker(3);
  tick();
  expect_refused([&] { return alter_isr("t", 0, {1, 2, 3}); }, "t", 0, errc::ineligible_replica);
  // Paused past the session timeout is dead too.
  session_timeout_ms_ = 300;
  start_controller(1);
  ASSERT_EQ(alter_isr("t", 0, {1}).error_code, errc::none);
  paused_.insert(2);
  ASSERT_TRUE(tick_until([&] {
    auto live = published().live_brokers;
    return std::count(live.begin(), live.end(), 2) == 0;
  }));
  expect_refused([&] { return alter_isr("t", 0, {1, 2}); }, "t", 0, errc::ineligible_replica);
  // A broker shutting down is no candidate either.
  paused_.erase(2);
  start_broker(3);
  tick();
  ASSERT_TRUE(c_->controlled_shutdown(3));
  expect_refused([&] { return alter_isr("t", 0, {1, 3}); }, "t", 0, errc::ineligible_replica);
}

TEST_F(ControllerElectionTest, AlterPartitionAddingABrokerThatIsNotAReplicaIsRefused) {
  create(assigned("t", {{1, 2}}));
  // Broker 3 is live but not assigned; 9 does not exist.
  expect_refused([&] { return alter_isr("t", 0, {1, 2, 3}); }, "t", 0, errc::ineligible_replica);
  expect_refused([&] { return alter_isr("t", 0, {1, 9}); }, "t", 0, errc::ineligible_replica);
  // An ISR without its leader, or an empty one, is not a valid ISR.
  auto before = c_->image();
  EXPECT_NE(alter_isr("t", 0, {2}).error_code, errc::none);
  EXPECT_NE(alter_isr("t", 0, {}).error_code, errc::none);
  EXPECT_EQ(c_->image(), before);
  // Unknown topic or partition.
  EXPECT_EQ(alter(1, "nope", 0, 0, {1}, 0).error_code, errc::unknown_topic_or_partition);
  EXPECT_EQ(alter(1, "t", 1, 0, {1}, 0).error_code, errc::unknown_topic_or_partition);
  EXPECT_EQ(alter(1, "t", -1, 0, {1}, 0).error_code, errc::unknown_topic_or_partition);
}

TEST_F(ControllerElectionTest, AlterPartitionOnAStandbyIsNotController) {
  create(assigned("t", {{1, 2}}));
  auto standby = std::make_unique<Controller>(options(2), brokers_.at(2).get());
  standby->tick();
  ASSERT_FALSE(standby->active());
  auto r = standby->alter_partition(alter_request(1, "t", 0, 0, {1}, 0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::not_controller);
  EXPECT_EQ(standby->controlled_shutdown(1).code(), errc::not_controller);
}

// --- controlled shutdown ---

TEST_F(ControllerElectionTest, ControlledShutdownMovesLeadershipsWithoutALeaderlessStep) {
  create(assigned("t", {{2, 1, 3}, {3, 2, 1}}));
  create(assigned("pair", {{1, 2}, {2, 3}}));
  create(assigned("solo", {{2}}));
  ASSERT_EQ(alter_isr("pair", 1, {2}).error_code, errc::none);  // no other in-sync replica
  auto t0 = state("t", 0), t1 = state("t", 1), pair0 = state("pair", 0), pair1 = state("pair", 1),
       solo = state("solo");
  uint64_t version = observer_->image_version();

  auto r = c_->controlled_shutdown(2);
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_EQ(r->error_code, errc::none);
  std::set<std::pair<std::string, int32_t>> remaining;
  for (const auto& rp : r->remaining_partitions) {
    remaining.insert({rp.topic_name, rp.partition_index()});
  }
  EXPECT_EQ(remaining, (std::set<std::pair<std::string, int32_t>>{{"pair", 1}, {"solo", 0}}));

  // One image, published at once, in which t/0 went straight from 2 to 1.
  EXPECT_EQ(observer_->image_version(), version + 1);
  auto now0 = state("t", 0);
  EXPECT_EQ(now0.leader, 1);
  EXPECT_EQ(now0.isr, (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(now0.leader_epoch, t0.leader_epoch + 1);
  EXPECT_EQ(now0.partition_epoch, t0.partition_epoch + 1);
  EXPECT_EQ(published_state("t", 0), now0);
  // Followed by 2: out of the ISR, leader unchanged.
  for (auto [name, p, was] : {std::tuple{"t", 1, t1}, std::tuple{"pair", 0, pair0}}) {
    SCOPED_TRACE(std::string(name) + "/" + std::to_string(p));
    auto ps = state(name, p);
    EXPECT_EQ(ps.leader, was.leader);
    EXPECT_EQ(ps.leader_epoch, was.leader_epoch);
    EXPECT_EQ(ps.partition_epoch, was.partition_epoch + 1);
    EXPECT_EQ(std::count(ps.isr.begin(), ps.isr.end(), 2), 0);
  }
  // Led by 2 alone: still led by 2 until it stops.
  EXPECT_EQ(state("pair", 1), pair1);
  EXPECT_EQ(state("solo"), solo);
  expect_published({1, 2, 3});

  // Asking again changes nothing more for the partitions that moved.
  auto again = c_->controlled_shutdown(2);
  ASSERT_TRUE(again);
  EXPECT_EQ(state("t", 0), now0);

  // The journal has it: a new controller replays the same leaders.
  auto topics = c_->image()->topics;
  start_controller(3);
  EXPECT_EQ(state("t", 0), topics.at("t").partitions[0]);
  EXPECT_EQ(state("t", 1), topics.at("t").partitions[1]);
  EXPECT_EQ(state("pair", 0), topics.at("pair").partitions[0]);
}

TEST_F(ControllerElectionTest, ControlledShutdownPrefersAssignmentOrderAndSkipsDeadReplicas) {
  create(assigned("t", {{2, 3, 1}}));
  stop_broker(3);
  tick();
  ASSERT_EQ(state("t").isr, (std::vector<int32_t>{2, 1}));
  auto r = c_->controlled_shutdown(2);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->remaining_partitions.empty());
  EXPECT_EQ(state("t").leader, 1);
  EXPECT_EQ(state("t").isr, (std::vector<int32_t>{1}));
  EXPECT_EQ(state("t").leader_epoch, 1);
}

TEST_F(ControllerElectionTest, BrokerBackFromAControlledShutdownIsEligibleAgain) {
  create(assigned("t", {{2, 1}}));
  ASSERT_TRUE(c_->controlled_shutdown(2));
  ASSERT_EQ(state("t").leader, 1);
  // It stops and starts again as a new process.
  stop_broker(2);
  tick();
  start_broker(2, /*incarnation=*/2);
  tick();
  auto r = alter_isr("t", 0, {1, 2});
  EXPECT_EQ(r.error_code, errc::none);
  EXPECT_EQ(state("t").isr, (std::vector<int32_t>{1, 2}));
}

// --- preferred leader ---

TEST_F(ControllerElectionTest, LeadershipReturnsToThePreferredReplicaOnceItIsInSync) {
  rebalance_ = true;
  rebalance_interval_ms_ = 50;
  start_controller(1);
  create(assigned("t", {{2, 1, 3}}));
  stop_broker(2);
  tick();
  ASSERT_EQ(state("t").leader, 1);
  ASSERT_EQ(state("t").leader_epoch, 1);

  // Back but not in sync: no move, however many rebalance checks pass.
  start_broker(2);
  int64_t until = ipc::monotonic_ms() + 4 * rebalance_interval_ms_;
  while (ipc::monotonic_ms() < until) {
    tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(state("t").leader, 1);
  EXPECT_EQ(state("t").leader_epoch, 1);

  // In sync again: the next check moves leadership back, bumping the epoch once.
  ASSERT_EQ(alter_isr("t", 0, {1, 3, 2}).error_code, errc::none);
  ASSERT_TRUE(tick_until([&] { return state("t").leader == 2; }));
  auto ps = state("t");
  EXPECT_EQ(ps.leader_epoch, 2);
  EXPECT_EQ(ps.isr, (std::vector<int32_t>{1, 3, 2}));
  EXPECT_EQ(published_state("t"), ps);
  auto settled = c_->image();
  for (int i = 0; i < 3; ++i) tick();
  EXPECT_EQ(c_->image()->topics, settled->topics);
}

TEST_F(ControllerElectionTest, WithoutAutoRebalanceLeadershipStaysPut) {
  rebalance_ = false;
  rebalance_interval_ms_ = 10;
  start_controller(1);
  create(assigned("t", {{2, 1, 3}}));
  stop_broker(2);
  tick();
  start_broker(2);
  tick();
  ASSERT_EQ(alter_isr("t", 0, {1, 3, 2}).error_code, errc::none);
  int64_t until = ipc::monotonic_ms() + 5 * rebalance_interval_ms_;
  while (ipc::monotonic_ms() < until) {
    tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(state("t").leader, 1);
}

}  // namespace
}  // namespace shoal::cluster
