// The registry: which handler serves which API, and the checks every request passes first.
#include "broker/handlers/handlers.h"

#include "common/logger.h"

namespace shoal::broker {

namespace {

spdlog::logger& log() {
  return logger("broker");
}

template <typename Req>
void run(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto req = protocol::decode<Req>(body, ctx.version());
  if (!req) {
    log().warn("closing the connection of client '{}' ({}): {}", ctx.client_id(), ctx.client_host,
               req.err().message);
    return ctx.close(req.err().message);
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
    return run<protocol::Req>(s, ctx, decoded->body);
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
