// Requests the controller serves: AlterPartition and ControlledShutdown from brokers,
// InitProducerId from idempotent producers. DescribeCluster, which any broker answers.
#include "broker/handlers/handlers.h"

namespace shoal::broker {

void handle(BrokerServices& s, RequestContext& ctx, protocol::AlterPartitionRequest& req) {
  auto resp = s.controller.alter_partition(req);
  if (!resp) {
    protocol::AlterPartitionResponse r;
    r.error_code = resp.code();
    return ctx.respond(r);
  }
  ctx.respond(*resp);
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::ControlledShutdownRequest& req) {
  auto resp = s.controller.controlled_shutdown(req.broker_id());
  if (!resp) {
    protocol::ControlledShutdownResponse r;
    r.error_code = resp.code();
    return ctx.respond(r);
  }
  ctx.respond(*resp);
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::InitProducerIdRequest& req) {
  protocol::InitProducerIdResponse r;
  if (req.transactional_id) {
    r.error_code = errc::invalid_request;
    r.error_message = "transactions are not supported (transactional.id must be unset)";
    return ctx.respond(r);
  }
  auto got = s.controller.init_producer_id(req.producer_id, req.producer_epoch);
  if (!got) {
    r.error_code = got.code();
    r.error_message = got.err().message;
  } else {
    r.producer_id = got->first;
    r.producer_epoch = got->second;
  }
  ctx.respond(r);
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::DescribeClusterRequest& req) {
  protocol::DescribeClusterResponse r;
  // Endpoint type 1 is brokers; 2 (controllers) is KRaft's controller quorum, which Shoal's
  // controller, living in a broker, does not have apart from the brokers. (Kafka answers
  // UNSUPPORTED_ENDPOINT_TYPE, 115, which librdkafka does not know; INVALID_REQUEST says it.)
  if (ctx.version() >= 1 && req.endpoint_type != 1) {
    r.error_code = errc::invalid_request;
    r.error_message = fmt::format("endpoint type {} is not served: only brokers (1)",
                                  static_cast<int>(req.endpoint_type));
    return ctx.respond(r);
  }
  auto view = s.view();
  r.cluster_id = s.cluster_id;
  r.controller_id = node_id(view->published.controller_id);
  for (int32_t id : view->published.live_brokers) {
    auto& b = r.brokers.emplace_back();
    b.broker_id = node_id(id);
    std::tie(b.host, b.port) = s.endpoint(id);
  }
  ctx.respond(r);
}

}  // namespace shoal::broker
