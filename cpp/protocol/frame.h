// Kafka's framing: a request frame is a RequestHeader followed by the request body, a response
// frame a ResponseHeader followed by the response body, each at the header version that the
// API and its version call for (docs/protocol.md, "Frames"). TCP puts an int32 size in front of
// every frame; the shared-memory rings delimit frames themselves. Both carry the same frames.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "common/assert.h"
#include "common/result.h"
#include "protocol/codec.h"
#include "protocol/gen/apis.h"
#include "protocol/gen/headers.h"

namespace shoal::protocol {

// Shoal's additions to Kafka's messages, as ApiVersionsResponse.shoal_features names them.
// Produce's expected_log_end_offset: append only if the log ends there (else _CONFLICT).
inline constexpr std::string_view feature_conditional_append = "conditional-append";
// Heartbeat's max_wait_ms: the coordinator holds a healthy answer, answering at once when the
// group starts to rebalance.
inline constexpr std::string_view feature_held_heartbeat = "held-heartbeat";

// The RequestHeader version of a request of `key` at `version`: 2 for a flexible version, 1
// otherwise (Kafka's ApiKeys.requestHeaderVersion). A version above the highest Shoal knows is
// taken as flexible when the API has flexible versions, as Kafka's brokers take it.
int16_t request_header_version(api_key key, int16_t version);
// The ResponseHeader version: 1 for a flexible version, 0 otherwise, and always 0 for
// ApiVersions (a client must be able to read the answer to any version it tried).
int16_t response_header_version(api_key key, int16_t version);

// A decoded request header and the body's bytes (a view into the frame).
struct RequestFrame {
  RequestHeader header;
  bytes_view body;
  api_key key() const { return header.request_api_key; }
  int16_t version() const { return header.request_api_version; }
};

// Splits a request frame into its header and body. Does not judge the version; an API key
// Shoal does not serve is decoded with header version 1.
// Errors: INVALID_REQUEST when the header is malformed.
result<RequestFrame> decode_request_frame(bytes_view frame);

// The correlation id of a request frame whose header may be malformed past it, so that the
// broker can still say which request it dropped. nullopt for a frame of fewer than 8 bytes.
std::optional<int32_t> peek_correlation_id(bytes_view frame);

// Appends a request frame: header (api key and version from `header`), then `body` encoded at
// that version. REQUIRES: header.request_api_key == Body::api.
template <typename Body>
void encode_request_to(const RequestHeader& header, const Body& body, bytes& out) {
  SHOAL_ASSERT(header.request_api_key == Body::api,
               "encode_request: header says {} but the body is {}",
               api_name(header.request_api_key), Body::message_name);
  const int16_t v = header.request_api_version;
  const int16_t hv = request_header_version(Body::api, v);
  out.reserve(out.size() + header.size(hv) + body.size(v));
  Writer w(out);
  header.write(w, hv);
  body.write(w, v);
}

// Appends a response frame for a request of Body::api at `version`.
template <typename Body>
void encode_response_to(int32_t correlation_id, int16_t version, const Body& body, bytes& out) {
  const int16_t hv = response_header_version(Body::api, version);
  ResponseHeader header;
  header.correlation_id = correlation_id;
  out.reserve(out.size() + header.size(hv) + body.size(version));
  Writer w(out);
  header.write(w, hv);
  body.write(w, version);
}

template <typename Body>
bytes encode_response(int32_t correlation_id, int16_t version, const Body& body) {
  bytes out;
  encode_response_to(correlation_id, version, body, out);
  return out;
}

// Splits a response frame to a request of `key` at `version` into its header and body.
// Errors: INVALID_REQUEST when the header is malformed.
result<std::pair<ResponseHeader, bytes_view>> decode_response_frame(bytes_view frame, api_key key,
                                                                    int16_t version);

}  // namespace shoal::protocol
