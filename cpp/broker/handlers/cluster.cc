// Requests the controller serves: AlterPartition and ControlledShutdown from brokers,
// InitProducerId from idempotent producers.
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

void handle_init_producer_id(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto decoded = protocol::decode<protocol::InitProducerIdRequest>(body);
  if (!decoded) return ctx.respond_error(errc::invalid_request, decoded.err().message);
  protocol::InitProducerIdResponse r;
  if (decoded->transactional_id) {
    r.error = errc::invalid_request;
    r.error_message = "transactions are not supported (transactional.id must be unset)";
    return ctx.respond(r);
  }
  auto got = s.controller.init_producer_id(decoded->producer_id, decoded->producer_epoch);
  if (!got) {
    r.error = got.code();
    r.error_message = got.err().message;
  } else {
    r.producer_id = got->first;
    r.producer_epoch = got->second;
  }
  ctx.respond(r);
}

}  // namespace shoal::broker
