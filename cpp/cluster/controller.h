// The controller: the one place that changes cluster metadata. Every broker runs one; at any
// time one of them is active, chosen by a compare-and-swap on the cluster region's controller
// word (its epoch grows with every election), and another takes over when it dies or freezes
// past broker.session.timeout.ms.
//
// The active controller records every change in the journal before anyone acts on it, then
// publishes the new image (with the brokers it sees alive) in shared memory, where every
// broker picks it up. It watches the brokers' liveness, elects partition leaders from their
// in-sync replicas (the preferred replica first; an out-of-sync one only where
// unclean.leader.election.enable allows), bumps leader epochs, applies leaders' ISR changes
// (AlterPartition) after checking their epochs, moves leaderships off a broker that is
// shutting down, and moves them back to preferred replicas (auto.leader.rebalance.enable).
//
// A controller that was paused and resumes finds the controller word changed and steps down;
// anything it wrote to the journal late carries its old epoch and is ignored on replay, and
// it can no longer publish.
//
// Thread safety: all methods are safe to call from any thread; changes are serialized.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cluster/journal.h"
#include "cluster/metadata.h"
#include "cluster/topic_config.h"
#include "ipc/cluster_region.h"
#include "protocol/gen/alter_partition.h"
#include "protocol/gen/controlled_shutdown.h"

namespace shoal::cluster {

struct ControllerOptions {
  int32_t broker_id = 0;
  std::filesystem::path journal_path;
  TopicConfig topic_defaults;
  int32_t default_partitions = 1;
  int16_t default_replication_factor = 1;
  int64_t broker_session_timeout_ms = 9'000;
  bool auto_leader_rebalance_enable = true;
  int64_t leader_imbalance_check_interval_ms = 300'000;
};

// What CreateTopics asks for, one topic.
struct NewTopicSpec {
  std::string name;
  int32_t num_partitions = -1;                   // -1: the broker default
  int16_t replication_factor = -1;               // -1: the broker default
  std::vector<std::vector<int32_t>> assignment;  // per partition; empty: assign automatically
  string_map configs;
};

// One change of IncrementalAlterConfigs.
struct ConfigChange {
  std::string name;
  protocol::config_operation op = protocol::config_operation::set;
  std::optional<std::string> value;
};

class Controller {
 public:
  Controller(ControllerOptions opts, ipc::ClusterRegion* region);
  ~Controller();

  // Stands for election when there is no live controller; while active, watches the brokers
  // and does the controller's periodic work. Call every few tens of milliseconds.
  void tick();
  bool active() const;
  int32_t epoch() const;
  // Steps down (a broker shutting down), letting another broker take over at once.
  void resign();

  // While active (NOT_CONTROLLER otherwise). Errors carry Kafka's codes:
  // INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
  // INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG,
  // KAFKA_STORAGE_ERROR (journal).
  result<TopicState> create_topic(const NewTopicSpec& spec, bool validate_only = false);
  status delete_topic(const std::string& name);
  // Grows a topic to `new_total` partitions (CreatePartitions). `assignment`: the replicas of
  // each new partition (empty: assigned as Kafka assigns them, continuing the topic's
  // pattern). UNKNOWN_TOPIC_OR_PARTITION, INVALID_PARTITIONS (not more than now),
  // INVALID_REPLICA_ASSIGNMENT, INVALID_REPLICATION_FACTOR (fewer live brokers than the
  // topic's replication factor).
  status create_partitions(const std::string& topic, int32_t new_total,
                           const std::vector<std::vector<int32_t>>& assignment,
                           bool validate_only = false);
  // Changes a topic's config overrides (IncrementalAlterConfigs): SET, DELETE (back to the
  // default), APPEND / SUBTRACT (list configs: cleanup.policy). UNKNOWN_TOPIC_OR_PARTITION,
  // INVALID_CONFIG naming the key. The new overrides apply on every broker at the next image.
  status alter_topic_configs(const std::string& topic, const std::vector<ConfigChange>& changes,
                             bool validate_only = false);
  // The same for a broker's dynamic configs (broker_id -1: the cluster-wide defaults).
  // `validate` checks the resulting set: the broker module knows which keys may change
  // while it runs.
  status alter_broker_configs(int32_t broker_id, const std::vector<ConfigChange>& changes,
                              const std::function<status(const string_map&)>& validate,
                              bool validate_only = false);
  // Elects leaders now (ElectLeaders): `preferred` moves leadership to the first replica
  // when it is alive and in sync (ELECTION_NOT_NEEDED if it leads already,
  // PREFERRED_LEADER_NOT_AVAILABLE otherwise); unclean elects any live replica of a partition
  // without a leader, whatever unclean.leader.election.enable says, as KIP-460 allows
  // (ELECTION_NOT_NEEDED if it has one, ELIGIBLE_LEADERS_NOT_AVAILABLE if none is alive).
  // Per partition: the error (none when a leader was elected). An empty list: every partition.
  result<std::vector<std::tuple<std::string, int32_t, errc>>> elect_leaders(
      bool preferred, const std::vector<std::pair<std::string, int32_t>>& partitions);
  // A leader's ISR change. FENCED_LEADER_EPOCH / INVALID_UPDATE_VERSION for a stale request,
  // INELIGIBLE_REPLICA for a dead or unknown replica, NOT_LEADER_OR_FOLLOWER if the sender
  // does not lead the partition.
  result<protocol::AlterPartitionResponse> alter_partition(
      const protocol::AlterPartitionRequest& r);
  // Moves leaderships off `broker` and takes it out of every ISR; returns the partitions it
  // still leads (no other in-sync replica could take over).
  result<protocol::ControlledShutdownResponse> controlled_shutdown(int32_t broker);

  // A producer id for an idempotent producer (InitProducerId), with epoch 0; or, given the
  // caller's current id and epoch, the next epoch of that id (a fresh id once the epoch
  // would pass 32767). Ids come from blocks of producer_id_block_size journaled before use.
  // NOT_CONTROLLER while standby; KAFKA_STORAGE_ERROR if the journal cannot be written.
  result<std::pair<int64_t, int16_t>> init_producer_id(int64_t producer_id, int16_t epoch);
  static constexpr int64_t producer_id_block_size = 1000;

  TopicConfig topic_defaults() const;
  // The defaults with the cluster-wide dynamic broker configs applied (by the broker that
  // runs this controller, from each new image).
  void set_topic_defaults(const TopicConfig& defaults);

  // The controller's current image (empty while standby).
  std::shared_ptr<const MetadataImage> image() const;

 private:
  struct Change {
    std::vector<JournalEntry> entries;
    MetadataImage next;
  };
  void become_active_locked(int32_t epoch);
  void step_down_locked(const char* why);
  // Journals `entries` (applied to a copy of the image first), then publishes.
  status commit_locked(std::vector<MetadataRecord> records);
  void publish_locked();
  std::set<int32_t> observe_brokers_locked();
  void reconcile_locked();
  // The leader a partition should get, from its ISR (or any live replica when unclean
  // election is allowed, in which case `ps.isr` becomes just that replica).
  int32_t elect_locked(PartitionState& ps, const std::string& topic, int32_t partition,
                       const std::set<int32_t>& excluded);
  bool eligible_locked(int32_t broker) const;
  status check_active_locked() const;

  ControllerOptions opts_;
  ipc::ClusterRegion* region_;
  mutable std::mutex mu_;
  bool active_ = false;
  int32_t epoch_ = 0;
  MetadataImage image_;
  std::shared_ptr<const MetadataImage> published_image_;
  std::unique_ptr<Journal> journal_;
  uint64_t publish_seq_ = 0;
  // Liveness as this controller sees it: live brokers and the incarnation each was seen with.
  std::map<int32_t, uint64_t> live_;
  std::set<std::pair<int32_t, uint64_t>> shutting_down_;  // (broker, incarnation)
  int64_t last_rebalance_ms_ = 0;
  // Producer ids of the block this controller took and has not handed out yet.
  int64_t producer_id_next_ = 0;
  int64_t producer_id_end_ = 0;
  // After a failed takeover (the journal cannot be read or written): no retry before this.
  int64_t takeover_backoff_until_ms_ = 0;
};

// Kafka's rack-unaware assignment: partition i's first replica is broker (start + i) % n, the
// others follow at a shift that changes every n partitions, so leaders and followers spread
// evenly. `start` and `shift` are random in Kafka; passed in here for testability.
std::vector<std::vector<int32_t>> assign_replicas(int32_t partitions, int16_t replication_factor,
                                                  const std::vector<int32_t>& brokers,
                                                  int32_t start, int32_t shift);

}  // namespace shoal::cluster
