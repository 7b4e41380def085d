// The records a group coordinator keeps in the internal topic __consumer_offsets, in Kafka's
// own layout (its OffsetCommitKey/Value and GroupMetadataKey/Value schemas): a committed offset is
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
#include "protocol/gen/group_records.h"

namespace shoal::group {

using protocol::bytes;
using protocol::bytes_view;

inline constexpr std::string_view offsets_topic = "__consumer_offsets";

// The keys and values (OffsetCommitKey, OffsetCommitValue, GroupMetadataKey,
// GroupMetadataValue) are declared in cpp/protocol/schemas/formats/group_records.schema.
using MemberMetadata = GroupMetadataValue::MemberMetadata;

// The versions Shoal writes (Kafka 3.x writes the same); any version up to the schema's
// highest is read.
inline constexpr int16_t offset_commit_key_version = 1;
inline constexpr int16_t group_metadata_key_version = 2;
inline constexpr int16_t offset_commit_value_version = 3;
inline constexpr int16_t group_metadata_value_version = 3;

bytes encode_key(const OffsetCommitKey& k);
bytes encode_key(const GroupMetadataKey& k);
bytes encode_value(const OffsetCommitValue& v);
bytes encode_value(const GroupMetadataValue& v);

// One record of __consumer_offsets, decoded. A null value decodes to nullopt (a tombstone).
struct OffsetRecord {
  OffsetCommitKey key;
  std::optional<OffsetCommitValue> value;
};
struct GroupRecord {
  GroupMetadataKey key;
  std::optional<GroupMetadataValue> value;
};
using CoordinatorRecord = std::variant<OffsetRecord, GroupRecord>;

// Errors: INVALID_RECORD for an unknown key or value version or malformed bytes (the loader
// skips such a record with a warning rather than refusing the whole partition).
result<CoordinatorRecord> decode_record(bytes_view key, std::optional<bytes_view> value);

// Kafka's choice of a group's partition of __consumer_offsets: abs(Java String.hashCode of
// the group id) % partitions, with Kafka's Utils.abs (INT_MIN maps to 0).
int32_t partition_for_group(std::string_view group_id, int32_t partitions);

}  // namespace shoal::group
