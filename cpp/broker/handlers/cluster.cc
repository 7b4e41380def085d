// AlterPartition and ControlledShutdown: requests from brokers to the controller.
#include "broker/handlers/handlers.h"

namespace shoal::broker {

void handle_alter_partition(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto decoded = protocol::decode<protocol::AlterPartitionRequest>(body);
  if (!decoded) return ctx.respond_error(errc::invalid_request, decoded.err().message);
  auto resp = s.controller.alter_partition(*decoded);
  if (!resp) {
    protocol::AlterPartitionResponse r;
    r.error = resp.code();
    return ctx.respond(r);
  }
  ctx.respond(*resp);
}

void handle_controlled_shutdown(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto decoded = protocol::decode<protocol::ControlledShutdownRequest>(body);
  if (!decoded) return ctx.respond_error(errc::invalid_request, decoded.err().message);
  auto resp = s.controller.controlled_shutdown(decoded->broker_id());
  if (!resp) {
    protocol::ControlledShutdownResponse r;
    r.error = resp.code();
    return ctx.respond(r);
  }
  ctx.respond(*resp);
}

}  // namespace shoal::broker
