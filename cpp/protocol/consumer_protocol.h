// The ConsumerProtocol's framing (schemas/formats/consumer_protocol.schema): an int16 version,
// then the message at that version. Kafka reads a version above the newest it knows as the
// newest (later versions only append fields) and ignores bytes after the last field it knows,
// which is what lets a newer client's subscription reach an older leader; so does Shoal.
#pragma once

#include <cstdint>
#include <utility>

#include "common/result.h"
#include "protocol/gen/consumer_protocol.h"

namespace shoal::protocol {

// The protocol type a consumer's JoinGroup names (Kafka's ConsumerProtocol.PROTOCOL_TYPE).
inline constexpr std::string_view consumer_protocol_type = "consumer";
// The newest ConsumerProtocol version Shoal reads and writes (Kafka 3.5+ writes it too).
inline constexpr int16_t consumer_protocol_version = ConsumerProtocolSubscription::highest_version;

// Encodes `m` after the int16 `version`; a version above the newest is written as the newest.
// REQUIRES: version >= 0 (std::invalid_argument otherwise: a caller's mistake, not bad input).
bytes encode_versioned(const ConsumerProtocolSubscription& m, int16_t version);
bytes encode_versioned(const ConsumerProtocolAssignment& m, int16_t version);

// Decodes a version and the message at it. Errors: INVALID_REQUEST ("malformed
// ConsumerProtocolSubscription v3: ... at byte N") for a negative version, truncated input, a
// negative or oversized length or count, or null where the format has no null.
result<std::pair<int16_t, ConsumerProtocolSubscription>> decode_subscription_versioned(
    bytes_view data);
result<std::pair<int16_t, ConsumerProtocolAssignment>> decode_assignment_versioned(bytes_view data);

}  // namespace shoal::protocol
