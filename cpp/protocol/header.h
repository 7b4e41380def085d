// Framing: the API keys, and the headers in front of every request and response body.
// A request frame is RequestHeader then the request body; a response frame is ResponseHeader
// then the response body (docs/protocol.md, "Framing"). The transport carries whole frames.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/assert.h"
#include "common/result.h"
#include "protocol/codec.h"

namespace shoal::protocol {

// X(enumerator, Kafka's api key, Kafka's name)
#define SHOAL_API_KEY_LIST(X)                                 \
  X(produce, 0, "Produce")                                    \
  X(fetch, 1, "Fetch")                                        \
  X(list_offsets, 2, "ListOffsets")                           \
  X(metadata, 3, "Metadata")                                  \
  X(leader_and_isr, 4, "LeaderAndIsr")                        \
  X(stop_replica, 5, "StopReplica")                           \
  X(update_metadata, 6, "UpdateMetadata")                     \
  X(controlled_shutdown, 7, "ControlledShutdown")             \
  X(offset_commit, 8, "OffsetCommit")                         \
  X(offset_fetch, 9, "OffsetFetch")                           \
  X(find_coordinator, 10, "FindCoordinator")                  \
  X(join_group, 11, "JoinGroup")                              \
  X(heartbeat, 12, "Heartbeat")                               \
  X(leave_group, 13, "LeaveGroup")                            \
  X(sync_group, 14, "SyncGroup")                              \
  X(describe_groups, 15, "DescribeGroups")                    \
  X(list_groups, 16, "ListGroups")                            \
  X(api_versions, 18, "ApiVersions")                          \
  X(create_topics, 19, "CreateTopics")                        \
  X(delete_topics, 20, "DeleteTopics")                        \
  X(delete_records, 21, "DeleteRecords")                      \
  X(init_producer_id, 22, "InitProducerId")                   \
  X(offset_for_leader_epoch, 23, "OffsetForLeaderEpoch")      \
  X(describe_configs, 32, "DescribeConfigs")                  \
  X(alter_configs, 33, "AlterConfigs")                        \
  X(create_partitions, 37, "CreatePartitions")                \
  X(delete_groups, 42, "DeleteGroups")                        \
  X(elect_leaders, 43, "ElectLeaders")                        \
  X(incremental_alter_configs, 44, "IncrementalAlterConfigs") \
  X(offset_delete, 47, "OffsetDelete")                        \
  X(alter_partition, 56, "AlterPartition")                    \
  X(broker_heartbeat, 63, "BrokerHeartbeat")

// Kafka's API keys. A decoded header may hold a value that is not listed (api_key_known()).
enum class api_key : int16_t {
#define SHOAL_API_KEY_ENUM(e, code, name) e = code,
  SHOAL_API_KEY_LIST(SHOAL_API_KEY_ENUM)
#undef SHOAL_API_KEY_ENUM
};

// Kafka's name of the API ("Produce", "ListOffsets"); "Unknown" for an unlisted key.
std::string_view api_name(api_key k);
// Whether `k` is one of the listed keys.
bool api_key_known(int16_t k);
// Every listed key, in increasing order.
std::span<const api_key> all_api_keys();

// The only version of every message. The header carries it so that a later format can be
// told apart; a broker answers any other version with UNSUPPORTED_VERSION.
inline constexpr int16_t protocol_version = 0;

struct RequestHeader {
  static constexpr std::string_view name = "RequestHeader";

  api_key key = api_key::api_versions;
  int16_t version = protocol_version;
  // Chosen by the client, echoed in the response; pairs responses with requests.
  int32_t correlation_id = 0;
  std::string client_id;  // client.id, for logs and quotas

  template <typename V>
  void visit(V& v) {
    v(key);
    v(version);
    v(correlation_id);
    v(client_id);
  }
  friend bool operator==(const RequestHeader&, const RequestHeader&) = default;
};

struct ResponseHeader {
  static constexpr std::string_view name = "ResponseHeader";

  int32_t correlation_id = 0;
  // False: the body is the API's response (ProduceResponse for a Produce request, ...).
  // True: the broker could not decode or route the request and the body is an ErrorResponse
  // (messages.h). Without this flag a client could not tell the two apart: some bodies decode
  // as both (an empty DeleteTopicsResponse is also a valid ErrorResponse).
  bool error_response = false;

  template <typename V>
  void visit(V& v) {
    v(correlation_id);
    v(error_response);
  }
  friend bool operator==(const ResponseHeader&, const ResponseHeader&) = default;
};

// encode_request() into `out`, replacing what it held but keeping its capacity: a sender that
// reuses one buffer does not take fresh pages (a page fault each 4 KiB) for every frame.
// REQUIRES: as encode_request().
template <typename Body>
void encode_request_to(const RequestHeader& header, const Body& body, bytes& out) {
  if constexpr (requires { Body::api; }) {
    SHOAL_ASSERT(header.key == Body::api, "encode_request: header says {} but the body is {}",
                 api_name(header.key), detail::message_name<Body>());
  }
  out.clear();
  out.reserve(encoded_size(header) + encoded_size(body));
  encode_to(header, out);
  encode_to(body, out);
}

// A request frame: `header` followed by `body`.
// REQUIRES: when Body declares `api` (every request in messages.h does), header.key == Body::api.
template <typename Body>
bytes encode_request(const RequestHeader& header, const Body& body) {
  bytes out;
  encode_request_to(header, body, out);
  return out;
}

// Splits a request frame into its header and the body's bytes (a view into `frame`; decode
// it with decode<XxxRequest>() chosen by header.key). Does not judge the key or the version.
// Errors: INVALID_REQUEST when the header is malformed.
result<std::pair<RequestHeader, bytes_view>> decode_request_header(bytes_view frame);

// The correlation id of a request frame whose header may be malformed past it, so that the
// broker can still address an ErrorResponse. nullopt when the frame is shorter than the
// fields before and including correlation_id (8 bytes).
std::optional<int32_t> peek_correlation_id(bytes_view frame);

// A response frame: `header` followed by `body`.
template <typename Body>
bytes encode_response(const ResponseHeader& header, const Body& body) {
  bytes out;
  out.reserve(encoded_size(header) + encoded_size(body));
  encode_to(header, out);
  encode_to(body, out);
  return out;
}

// Splits a response frame into its header and the body's bytes (a view into `frame`).
// Errors: INVALID_REQUEST when the header is malformed.
result<std::pair<ResponseHeader, bytes_view>> decode_response_header(bytes_view frame);

}  // namespace shoal::protocol
