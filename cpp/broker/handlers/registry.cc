// The registry: which handler serves which API, and the checks every request passes first.
#include "broker/handlers/handlers.h"

#include "common/logger.h"

namespace shoal::broker {

namespace {

spdlog::logger& log() {
  return logger("broker");
}

// What only the controller can do. Shoal's clients send these to the controller; Kafka's
// (Java's admin for IncrementalAlterConfigs, every client's InitProducerId) to any broker.
template <typename Req>
constexpr bool controller_api = std::is_same_v<Req, protocol::CreateTopicsRequest> ||
                                std::is_same_v<Req, protocol::DeleteTopicsRequest> ||
                                std::is_same_v<Req, protocol::CreatePartitionsRequest> ||
                                std::is_same_v<Req, protocol::IncrementalAlterConfigsRequest> ||
                                std::is_same_v<Req, protocol::ElectLeadersRequest> ||
                                std::is_same_v<Req, protocol::InitProducerIdRequest>;

// A broker's own client names itself "broker-<id>" and comes by shared memory: a request it
// forwarded is answered where it lands, never forwarded again (two brokers that disagree on
// who the controller is cannot bounce a request between them).
bool forwarded_by_a_broker(const RequestContext& ctx) {
  return ctx.client_id().rfind("broker-", 0) == 0 && ctx.client_host.rfind("/pid:", 0) == 0;
}

// Sends a controller request on to the controller and its answer back, as Kafka's brokers
// forward to theirs. False if this broker answers itself (it is the controller, there is
// none, or the request was forwarded already). When the controller cannot be reached, the
// request is handled here after all, which answers NOT_CONTROLLER the way each API words it.
template <typename Req, typename Resp>
bool forward_to_controller(BrokerServices& s, RequestContext& ctx, Req& req) {
  int32_t controller = s.controller_id();
  if (controller < 0 || controller == s.config.broker_id || forwarded_by_a_broker(ctx)) {
    return false;
  }
  auto held = std::make_shared<Req>(std::move(req));
  auto answer_here = [&s, ctx, held]() mutable { handle(s, ctx, *held); };
  // CreateTopics and its kin wait up to their own timeout_ms on the controller.
  constexpr int64_t forward_timeout_ms = 60'000;
  status st = s.client->send<Req, Resp>(
      controller, *held, forward_timeout_ms, [&s, ctx, answer_here](result<Resp> r) {
        if (r) return ctx.respond(*r);
        log().info("forwarding {} of client '{}' to the controller failed: {}", Req::message_name,
                   ctx.client_id(), r.err().message);
        s.post(answer_here);
      });
  if (!st) answer_here();
  return true;
}

template <typename Req, typename Resp>
void run(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  size_t trailing = 0;
  auto req = protocol::decode_prefix<Req>(body, ctx.version(), &trailing);
  if (!req) {
    log().warn("closing the connection of client '{}' ({}): {}", ctx.client_id(), ctx.client_host,
               req.err().message);
    // The bytes themselves, for whoever reports a client Shoal cannot read.
    log().debug("the body was: {:02x}",
                fmt::join(body.first(std::min<size_t>(body.size(), 256)), " "));
    return ctx.close(req.err().message);
  }
  if (trailing != 0) {
    log().debug(
        "client '{}' ({}) sent {} v{} with {} bytes after its last field (ignored, as "
        "Kafka ignores them)",
        ctx.client_id(), ctx.client_host, Req::message_name, ctx.version(), trailing);
  }
  if constexpr (controller_api<Req>) {
    if (forward_to_controller<Req, Resp>(s, ctx, *req)) return;
  }
  handle(s, ctx, *req);
}

void answer_unsupported_api_versions(RequestContext& ctx) {
  protocol::ApiVersionsResponse resp;
  resp.error_code = errc::unsupported_version;
  for (const auto& a : protocol::all_apis()) {
    auto& k = resp.api_keys.emplace_back();
    k.api_key = a.key;
    k.min_version = a.lowest_version;
    k.max_version = a.highest_version;
  }
  ctx.header.request_api_version = 0;  // Kafka answers at version 0, which every client reads
  ctx.respond(resp);
}

}  // namespace

void dispatch(BrokerServices& s, RequestContext ctx, protocol::bytes_view frame) {
  auto decoded = protocol::decode_request_frame(frame);
  if (!decoded) {
    log().warn("closing a connection ({}): {}", ctx.client_host, decoded.err().message);
    return ctx.close(decoded.err().message);
  }
  ctx.header = decoded->header;
  const protocol::api_info* api = protocol::find_api(static_cast<int16_t>(ctx.api()));
  if (api == nullptr) {
    std::string why =
        fmt::format("API key {} is not one this broker serves", static_cast<int16_t>(ctx.api()));
    log().warn("closing the connection of client '{}' ({}): {}", ctx.client_id(), ctx.client_host,
               why);
    return ctx.close(why);
  }
  if (ctx.api() == protocol::api_key::api_versions && ctx.version() > api->highest_version) {
    return answer_unsupported_api_versions(ctx);
  }
  if (ctx.version() < api->lowest_version || ctx.version() > api->highest_version) {
    std::string why = fmt::format("{} version {} is not supported (only {} to {})", api->name,
                                  ctx.version(), api->lowest_version, api->highest_version);
    log().warn("closing the connection of client '{}' ({}): {}", ctx.client_id(), ctx.client_host,
               why);
    return ctx.close(why);
  }
  switch (ctx.api()) {
#define SHOAL_ROUTE(e, key, name, Req, Resp) \
  case protocol::api_key::e:                 \
    return run<protocol::Req, protocol::Resp>(s, ctx, decoded->body);
    SHOAL_PROTOCOL_APIS(SHOAL_ROUTE)
#undef SHOAL_ROUTE
  }
}

void handle(BrokerServices&, RequestContext& ctx, protocol::ApiVersionsRequest&) {
  protocol::ApiVersionsResponse resp;
  for (const auto& a : protocol::all_apis()) {
    auto& k = resp.api_keys.emplace_back();
    k.api_key = a.key;
    k.min_version = a.lowest_version;
    k.max_version = a.highest_version;
  }
  // Shoal's own additions, so that Shoal's clients use them only with brokers that have them
  // (Kafka's clients skip the unknown tag).
  resp.shoal_features = {std::string(protocol::feature_conditional_append),
                         std::string(protocol::feature_held_heartbeat)};
  ctx.respond(resp);
}

}  // namespace shoal::broker
