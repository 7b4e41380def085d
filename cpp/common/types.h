// The ids and offsets every module shares. Each is a distinct strong type (named_type.h).
#pragma once

#include <cstdint>
#include <limits>

#include "common/named_type.h"

namespace shoal {

// A record's position in a partition's log (Kafka's offset).
using offset = named_type<int64_t, struct offset_tag>;
// A partition's number within its topic.
using partition_id = named_type<int32_t, struct partition_id_tag>;
// A broker's id (Kafka's node id / broker.id).
using node_id = named_type<int32_t, struct node_id_tag>;
// Epoch of a partition's leadership; bumped on every leader change (KIP-101 fencing).
using leader_epoch = named_type<int32_t, struct leader_epoch_tag>;
// Milliseconds since the Unix epoch, as Kafka's record timestamps are.
using timestamp_ms = named_type<int64_t, struct timestamp_ms_tag>;

inline constexpr timestamp_ms no_timestamp{-1};
inline constexpr leader_epoch no_leader_epoch{-1};

}  // namespace shoal
