// The cluster's metadata: topics, their partitions' replica assignments, leaders, in-sync
// replicas and epochs, and each topic's config overrides. The controller changes it by
// appending records to its journal (journal.h); applying the records in order rebuilds the
// same MetadataImage, which is how a restarted cluster keeps everything.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/result.h"
#include "protocol/codec.h"

namespace shoal::cluster {

using protocol::bytes;
using protocol::bytes_view;
using protocol::string_map;

struct PartitionState {
  std::vector<int32_t> replicas;  // assignment; the first is the preferred leader
  std::vector<int32_t> isr;       // in-sync replicas
  int32_t leader = -1;            // -1: no leader
  int32_t leader_epoch = 0;       // bumped on every leader change
  int32_t partition_epoch = 0;    // bumped on every change (ISR too): fences stale updates

  template <typename V>
  void visit(V& v) {
    v(replicas);
    v(isr);
    v(leader);
    v(leader_epoch);
    v(partition_epoch);
  }
  bool operator==(const PartitionState&) const = default;
};

struct TopicState {
  std::string name;
  int64_t topic_id = 0;  // random per creation: a re-created topic is a different topic
  string_map configs;    // overrides only
  std::vector<PartitionState> partitions;

  template <typename V>
  void visit(V& v) {
    v(name);
    v(topic_id);
    v(configs);
    v(partitions);
  }
  bool operator==(const TopicState&) const = default;
};

// --- Journal records ---

struct CreateTopicRecord {
  TopicState topic;
  template <typename V>
  void visit(V& v) {
    v(topic);
  }
};

struct DeleteTopicRecord {
  std::string name;
  int64_t topic_id = 0;
  template <typename V>
  void visit(V& v) {
    v(name);
    v(topic_id);
  }
};

struct PartitionChangeRecord {
  std::string topic;
  int64_t topic_id = 0;
  int32_t partition = 0;
  PartitionState state;
  template <typename V>
  void visit(V& v) {
    v(topic);
    v(topic_id);
    v(partition);
    v(state);
  }
};

struct AddPartitionsRecord {
  std::string topic;
  int64_t topic_id = 0;
  std::vector<PartitionState> partitions;  // appended after the existing ones
  template <typename V>
  void visit(V& v) {
    v(topic);
    v(topic_id);
    v(partitions);
  }
};

struct TopicConfigRecord {
  std::string topic;
  int64_t topic_id = 0;
  string_map configs;  // the complete new set of overrides
  template <typename V>
  void visit(V& v) {
    v(topic);
    v(topic_id);
    v(configs);
  }
};

struct ControllerRecord {
  int32_t controller_id = -1;
  int32_t controller_epoch = 0;
  template <typename V>
  void visit(V& v) {
    v(controller_id);
    v(controller_epoch);
  }
};

// A block of producer ids handed out (Kafka's ProducerIdsRecord): ids below
// next_producer_id are taken, whoever took them, and are never given again.
struct ProducerIdsRecord {
  int32_t broker_id = -1;
  int64_t next_producer_id = 0;
  template <typename V>
  void visit(V& v) {
    v(broker_id);
    v(next_producer_id);
  }
};

// A broker's dynamic configuration (IncrementalAlterConfigs on a broker resource): the
// complete new set of dynamic overrides, for one broker or (broker_id -1) every broker.
struct BrokerConfigRecord {
  int32_t broker_id = -1;
  string_map configs;
  template <typename V>
  void visit(V& v) {
    v(broker_id);
    v(configs);
  }
  bool operator==(const BrokerConfigRecord&) const = default;
};

// New record types go at the end: a record's index is its type in the journal.
using MetadataRecord =
    std::variant<CreateTopicRecord, DeleteTopicRecord, PartitionChangeRecord, AddPartitionsRecord,
                 TopicConfigRecord, ControllerRecord, ProducerIdsRecord, BrokerConfigRecord>;

// One journal entry: a record stamped with the epoch of the controller that wrote it.
struct JournalEntry {
  int32_t controller_epoch = 0;
  MetadataRecord record;
};

bytes encode_entry(const JournalEntry& e);
result<JournalEntry> decode_entry(bytes_view data);

// What the controller publishes in shared memory for every broker: the journaled image plus
// the brokers it sees alive (which is not journaled: liveness is re-learned after a restart).
struct PublishedImage {
  int64_t version = 0;  // (controller epoch << 24) | publish counter: grows across controllers
  int32_t controller_id = -1;
  int32_t controller_epoch = 0;
  int64_t metadata_version = 0;  // MetadataImage::version
  std::vector<int32_t> live_brokers;
  std::vector<TopicState> topics;
  std::vector<BrokerConfigRecord> broker_configs;  // dynamic broker configs, by broker (-1 all)

  template <typename V>
  void visit(V& v) {
    v(version);
    v(controller_id);
    v(controller_epoch);
    v(metadata_version);
    v(live_brokers);
    v(topics);
    v(broker_configs);
  }
};

// --- The image ---

struct MetadataImage {
  int64_t version = 0;  // records applied
  int32_t controller_id = -1;
  int32_t controller_epoch = 0;
  std::map<std::string, TopicState> topics;
  int64_t next_producer_id = 0;  // the first producer id never handed out
  // Dynamic broker configs: by broker id, -1 for the cluster-wide defaults.
  std::map<int32_t, string_map> broker_configs;

  // Applies one entry. Entries from an older controller epoch than one already applied are
  // ignored: a deposed controller that wrote after its successor cannot change anything.
  // Returns false (and changes nothing) for an entry that does not fit the image, e.g. a
  // change to a topic that does not exist.
  bool apply(const JournalEntry& e);

  const TopicState* topic(const std::string& name) const;
  const PartitionState* partition(const std::string& name, int32_t p) const;
};

}  // namespace shoal::cluster
