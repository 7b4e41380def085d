// The records a group coordinator keeps in the internal topic __consumer_offsets, in Kafka's
// own layout (its OffsetCommitKey/Value and GroupMetadataKey/Value schemas, non-flexible
// versions, which Shoal's codec encodes byte for byte as Kafka does): a committed offset is
// keyed by (group, topic, partition), a group's membership by the group. The topic is
// compacted, so the latest record per key is what survives; a null value (tombstone) deletes.
// Formats: docs/consumer-groups.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/result.h"
#include "protocol/codec.h"

namespace shoal::group {

using protocol::bytes;
using protocol::bytes_view;

inline constexpr std::string_view offsets_topic = "__consumer_offsets";

// Key version 1: a committed offset.
struct OffsetKey {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  template <typename V>
  void visit(V& v) {
    v(group);
    v(topic);
    v(partition);
  }
  friend bool operator==(const OffsetKey&, const OffsetKey&) = default;
};

// Value version 3.
struct OffsetValue {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp = -1;
  template <typename V>
  void visit(V& v) {
    v(offset);
    v(leader_epoch);
    v(metadata);
    v(commit_timestamp);
  }
  friend bool operator==(const OffsetValue&, const OffsetValue&) = default;
};

// Key version 2: a group's membership.
struct GroupKey {
  std::string group;
  template <typename V>
  void visit(V& v) {
    v(group);
  }
  friend bool operator==(const GroupKey&, const GroupKey&) = default;
};

struct MemberValue {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout = 0;
  int32_t session_timeout = 0;
  bytes subscription;
  bytes assignment;
  template <typename V>
  void visit(V& v) {
    v(member_id);
    v(group_instance_id);
    v(client_id);
    v(client_host);
    v(rebalance_timeout);
    v(session_timeout);
    v(subscription);
    v(assignment);
  }
  friend bool operator==(const MemberValue&, const MemberValue&) = default;
};

// Value version 3.
struct GroupValue {
  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t current_state_timestamp = -1;
  std::vector<MemberValue> members;
  template <typename V>
  void visit(V& v) {
    v(protocol_type);
    v(generation);
    v(protocol);
    v(leader);
    v(current_state_timestamp);
    v(members);
  }
  friend bool operator==(const GroupValue&, const GroupValue&) = default;
};

bytes encode_key(const OffsetKey& k);
bytes encode_key(const GroupKey& k);
bytes encode_value(const OffsetValue& v);
bytes encode_value(const GroupValue& v);

// One record of __consumer_offsets, decoded. A null value decodes to nullopt (a tombstone).
struct OffsetRecord {
  OffsetKey key;
  std::optional<OffsetValue> value;
};
struct GroupRecord {
  GroupKey key;
  std::optional<GroupValue> value;
};
using CoordinatorRecord = std::variant<OffsetRecord, GroupRecord>;

// Errors: INVALID_RECORD for an unknown key or value version or malformed bytes (the loader
// skips such a record with a warning rather than refusing the whole partition).
result<CoordinatorRecord> decode_record(bytes_view key, std::optional<bytes_view> value);

// Kafka's choice of a group's partition of __consumer_offsets: abs(Java String.hashCode of
// the group id) % partitions, with Kafka's Utils.abs (INT_MIN maps to 0).
int32_t partition_for_group(std::string_view group_id, int32_t partitions);

}  // namespace shoal::group
