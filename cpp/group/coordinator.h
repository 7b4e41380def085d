// The group coordinator: every broker runs one, serving the groups whose partition of
// __consumer_offsets (records.h: partition_for_group) it leads. It keeps the groups' membership
// (group.h) and committed offsets in memory, writes every commit and every new generation to
// that partition (through a GroupStore, which answers once the in-sync replicas have the
// records), and when it becomes the leader of a partition it loads the partition's groups and
// offsets from the log, so the groups carry on when their coordinator moves. Kafka's
// GroupCoordinator with the classic protocol; formats and rules in docs/consumer-groups.md.
//
// Thread safety: all methods are safe from any thread. Callbacks run on the calling thread or
// on the thread that completes a store, never under the coordinator's lock.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "group/group.h"
#include "group/records.h"

namespace shoal::group {

// Where the coordinator's records go: the local leader replica of a __consumer_offsets
// partition. append() calls `done` once the records are committed (every in-sync replica has
// them) or failed: NOT_COORDINATOR when this broker no longer leads the partition, other
// codes (NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR) as the log gives them.
class GroupStore {
 public:
  virtual ~GroupStore() = default;
  using record = std::pair<bytes, std::optional<bytes>>;  // key, value (nullopt: tombstone)
  virtual void append(int32_t partition, std::vector<record> records,
                      std::function<void(errc)> done) = 0;
};

struct CoordinatorOptions {
  int32_t offsets_partitions = 10;  // offsets.topic.num.partitions
  GroupTimeouts timeouts;
};

struct CommitEntry {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
};

struct CommittedOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;  // -1: nothing committed
  int32_t leader_epoch = -1;
  std::string metadata;
};

struct MemberDescription {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  bytes metadata;
  bytes assignment;
};

struct GroupDescription {
  errc error = errc::none;
  std::string group_id;
  std::string state;  // Kafka's state names; "Dead" for an unknown group
  std::string protocol_type;
  std::string protocol;
  std::vector<MemberDescription> members;
};

struct GroupListing {
  std::string group_id;
  std::string protocol_type;
  std::string state;
};

class GroupCoordinator {
 public:
  GroupCoordinator(CoordinatorOptions opts, GroupStore* store);

  int32_t partition_for(const std::string& group) const {
    return partition_for_group(group, opts_.offsets_partitions);
  }
  // NONE if this coordinator serves `group` now; NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS
  // or INVALID_GROUP_ID (empty id) otherwise.
  errc serves(const std::string& group) const;

  // Partition ownership, as this broker's leaderships of __consumer_offsets change.
  void begin_loading(int32_t partition);
  // The partition's records, oldest first (what its log holds); the groups become available.
  void finish_loading(int32_t partition, const std::vector<CoordinatorRecord>& records,
                      int64_t now);
  // This broker no longer leads the partition: its groups go (waiting requests get
  // NOT_COORDINATOR).
  void unload(int32_t partition);
  std::set<int32_t> owned_partitions() const;

  void join(const std::string& group, const JoinRequest& req, int64_t now,
            std::function<void(JoinResult)> cb);
  void sync(const std::string& group, const std::string& member_id, int32_t generation,
            const std::optional<std::string>& instance_id,
            const std::optional<std::string>& protocol_type,
            const std::optional<std::string>& protocol_name,
            std::vector<std::pair<std::string, bytes>> assignments, int64_t now,
            std::function<void(SyncResult)> cb);
  errc heartbeat(const std::string& group, const std::string& member_id, int32_t generation,
                 const std::optional<std::string>& instance_id, int64_t now);
  // What a heartbeat would answer now, without refreshing the member's session.
  errc heartbeat_status(const std::string& group, const std::string& member_id, int32_t generation,
                        const std::optional<std::string>& instance_id) const;
  // errc for the request as a whole (NOT_COORDINATOR...) or per member.
  result<std::vector<errc>> leave(
      const std::string& group,
      const std::vector<std::pair<std::string, std::optional<std::string>>>& members, int64_t now);
  // Per entry, in order. Errors for all: the coordinator's or the generation check's.
  void commit(const std::string& group, const std::string& member_id, int32_t generation,
              const std::optional<std::string>& instance_id, std::vector<CommitEntry> entries,
              int64_t now, std::function<void(std::vector<errc>)> cb);
  // nullopt topics: every committed offset of the group.
  result<std::vector<CommittedOffset>> fetch_offsets(
      const std::string& group,
      const std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>>& topics) const;
  GroupDescription describe(const std::string& group) const;
  std::vector<GroupListing> list() const;
  // Deletes an empty group and its offsets (tombstones). NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND.
  void delete_group(const std::string& group, std::function<void(errc)> cb);
  // Deletes some of a group's committed offsets (OffsetDelete, KIP-496), as Kafka's classic
  // groups do: any of an empty group's; of a consumer group with members, only those of topics
  // no member subscribes to (GROUP_SUBSCRIBED_TO_TOPIC for the others); none of a non-empty
  // group of another protocol type (NON_EMPTY_GROUP). `cb` gets the request's error, or one
  // error per partition, in order.
  void delete_offsets(const std::string& group,
                      const std::vector<std::pair<std::string, int32_t>>& partitions,
                      std::function<void(result<std::vector<errc>>)> cb);

  // Session expiries and rebalance timeouts.
  void tick(int64_t now);

 private:
  struct Offsets {
    std::map<std::pair<std::string, int32_t>, OffsetCommitValue> committed;
  };
  struct Entry {
    std::unique_ptr<Group> group;
    Offsets offsets;
  };
  // The group's entry, created empty if needed. REQUIRES: mu_, serves(group) == NONE.
  Entry& entry_locked(const std::string& group);
  errc serves_locked(const std::string& group) const;
  // Prepares the store of the generation the leader's SyncGroup just completed; the work goes
  // to `stores`, run once the lock is released.
  void store_generation_locked(const std::string& group, Entry& e, Outbox& stores);
  // Stores the group's generation if a rebalance just left it empty (Group::
  // take_empty_generation); the work goes to `stores`, run once the lock is released.
  void store_if_empty_locked(const std::string& group, Entry& e, Outbox& stores);
  static void run(Outbox& out);

  CoordinatorOptions opts_;
  GroupStore* store_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> groups_;
  std::set<int32_t> owned_;
  std::set<int32_t> loading_;
};

}  // namespace shoal::group
