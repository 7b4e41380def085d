// One handler per Kafka API, and the registry that routes a request to its handler. The
// registry decodes the request at the version its header names and hands the handler the typed
// request; the handler does the work and answers through the RequestContext, now or later
// (delayed fetches, acks=all produces, rebalances).
#pragma once

#include "broker/request_context.h"
#include "broker/services.h"
#include "protocol/gen/messages.h"

namespace shoal::broker {

// One handle() per API of SHOAL_PROTOCOL_APIS (the schemas): a missing one fails to link.
#define SHOAL_DECLARE_HANDLER(e, key, name, Req, Resp) \
  void handle(BrokerServices& s, RequestContext& ctx, protocol::Req& req);
SHOAL_PROTOCOL_APIS(SHOAL_DECLARE_HANDLER)
#undef SHOAL_DECLARE_HANDLER

// Kafka's check of a request's current_leader_epoch against the leader's own: an older epoch
// means the asker is behind (FENCED_LEADER_EPOCH), a newer one that this broker is and must not
// answer (UNKNOWN_LEADER_EPOCH); -1 asks for no check. errc::none when it passes.
inline errc check_leader_epoch(int32_t asked, int32_t current) {
  if (asked < 0 || asked == current) return errc::none;
  return asked < current ? errc::fenced_leader_epoch : errc::unknown_leader_epoch;
}

// The purgatory key under which held heartbeats wait (not a topic: '$' is not allowed in one).
inline constexpr std::string_view held_heartbeats_key = "$held-heartbeats";

// Decodes the frame's header and body and calls the API's handler. A frame that cannot be
// decoded, an API key Shoal does not serve, or a version outside the API's range closes the
// connection, as in Kafka; an ApiVersions request of a version above Shoal's is answered at
// version 0 with UNSUPPORTED_VERSION and the versions Shoal serves.
void dispatch(BrokerServices& s, RequestContext ctx, protocol::bytes_view frame);

}  // namespace shoal::broker
