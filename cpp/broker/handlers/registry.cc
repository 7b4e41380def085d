// The registry: which handler serves which API.
#include "broker/handlers/handlers.h"

#include "common/logger.h"

namespace shoal::broker {

namespace {

using handler_fn = void (*)(BrokerServices&, RequestContext&, protocol::bytes_view);

struct route {
  protocol::api_key key;
  handler_fn fn;
};

constexpr route routes[] = {
    {protocol::api_key::produce, handle_produce},
    {protocol::api_key::fetch, handle_fetch},
    {protocol::api_key::list_offsets, handle_list_offsets},
    {protocol::api_key::metadata, handle_metadata},
    {protocol::api_key::api_versions, handle_api_versions},
    {protocol::api_key::create_topics, handle_create_topics},
    {protocol::api_key::delete_topics, handle_delete_topics},
    {protocol::api_key::alter_partition, handle_alter_partition},
    {protocol::api_key::controlled_shutdown, handle_controlled_shutdown},
    {protocol::api_key::init_producer_id, handle_init_producer_id},
    {protocol::api_key::find_coordinator, handle_find_coordinator},
    {protocol::api_key::join_group, handle_join_group},
    {protocol::api_key::sync_group, handle_sync_group},
    {protocol::api_key::heartbeat, handle_heartbeat},
    {protocol::api_key::leave_group, handle_leave_group},
    {protocol::api_key::offset_commit, handle_offset_commit},
    {protocol::api_key::offset_fetch, handle_offset_fetch},
    {protocol::api_key::describe_groups, handle_describe_groups},
    {protocol::api_key::list_groups, handle_list_groups},
    {protocol::api_key::delete_groups, handle_delete_groups},
    {protocol::api_key::create_partitions, handle_create_partitions},
    {protocol::api_key::elect_leaders, handle_elect_leaders},
    {protocol::api_key::describe_configs, handle_describe_configs},
    {protocol::api_key::incremental_alter_configs, handle_incremental_alter_configs},
    {protocol::api_key::delete_records, handle_delete_records},
};

}  // namespace

std::vector<protocol::api_key> supported_apis() {
  std::vector<protocol::api_key> v;
  for (const auto& r : routes) v.push_back(r.key);
  return v;
}

void dispatch(BrokerServices& s, RequestContext ctx, protocol::bytes_view frame) {
  auto decoded = protocol::decode_request_header(frame);
  if (!decoded) {
    auto corr = protocol::peek_correlation_id(frame);
    ctx.header.correlation_id = corr.value_or(0);
    ctx.respond_error(errc::invalid_request, decoded.err().message);
    return;
  }
  ctx.header = decoded->first;
  if (ctx.header.version != protocol::protocol_version) {
    ctx.respond_error(
        errc::unsupported_version,
        fmt::format("{} version {} is not supported (only {})", protocol::api_name(ctx.header.key),
                    ctx.header.version, protocol::protocol_version));
    return;
  }
  for (const auto& r : routes) {
    if (r.key == ctx.header.key) {
      r.fn(s, ctx, decoded->second);
      return;
    }
  }
  ctx.respond_error(errc::unsupported_version, fmt::format("this broker does not serve {} requests",
                                                           protocol::api_name(ctx.header.key)));
}

void handle_api_versions(BrokerServices&, RequestContext& ctx, protocol::bytes_view body) {
  auto req = protocol::decode<protocol::ApiVersionsRequest>(body);
  if (!req) return ctx.respond_error(errc::invalid_request, req.err().message);
  protocol::ApiVersionsResponse resp;
  for (auto k : supported_apis()) resp.api_keys.push_back({k, 0, 0});
  ctx.respond(resp);
}

}  // namespace shoal::broker
