// One handler per Kafka API, and the registry that routes a request to its handler. Each
// handler decodes its request, does the work, and answers through the RequestContext, now
// or later (delayed fetches).
#pragma once

#include "broker/request_context.h"
#include "broker/services.h"

namespace shoal::broker {

void handle_api_versions(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_produce(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_fetch(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_list_offsets(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_metadata(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_create_topics(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_delete_topics(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_alter_partition(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_controlled_shutdown(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_init_producer_id(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_find_coordinator(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_join_group(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_sync_group(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_heartbeat(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
// The purgatory key under which held heartbeats wait (not a topic: '$' is not allowed in one).
inline constexpr std::string_view held_heartbeats_key = "$held-heartbeats";
void handle_leave_group(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_offset_commit(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_offset_fetch(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_describe_groups(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_list_groups(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_delete_groups(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_create_partitions(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_elect_leaders(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_describe_configs(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);
void handle_incremental_alter_configs(BrokerServices& s, RequestContext& ctx,
                                      protocol::bytes_view body);
void handle_delete_records(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body);

// Decodes the request header and calls the API's handler; answers undecodable or unknown
// requests with an ErrorResponse (INVALID_REQUEST, UNSUPPORTED_VERSION).
void dispatch(BrokerServices& s, RequestContext ctx, protocol::bytes_view frame);

// The APIs this broker serves, for ApiVersions.
std::vector<protocol::api_key> supported_apis();

}  // namespace shoal::broker
