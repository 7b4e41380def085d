// Metadata: the brokers, the controller, and each topic's partitions with their leaders,
// replicas and in-sync replicas. Creates a missing topic when the client allows it and
// auto.create.topics.enable is on, as Kafka does.
#include <algorithm>

#include "broker/handlers/handlers.h"
#include "cluster/topic_config.h"
#include "common/logger.h"

namespace shoal::broker {

namespace {

protocol::MetadataResponse::Topic describe_topic(const cluster::TopicState& t,
                                                 const std::vector<int32_t>& live) {
  protocol::MetadataResponse::Topic out;
  out.name = t.name;
  out.topic_id = t.topic_id;
  out.is_internal = cluster::is_internal_topic(t.name);
  for (size_t i = 0; i < t.partitions.size(); ++i) {
    const auto& ps = t.partitions[i];
    auto& p = out.partitions.emplace_back();
    p.partition_index = partition_id(static_cast<int32_t>(i));
    p.leader_id = node_id(ps.leader);
    p.leader_epoch = leader_epoch(ps.leader_epoch);
    if (ps.leader < 0) p.error = errc::leader_not_available;
    for (int32_t r : ps.replicas) {
      p.replica_nodes.push_back(node_id(r));
      if (std::find(live.begin(), live.end(), r) == live.end()) {
        p.offline_replicas.push_back(node_id(r));
      }
    }
    for (int32_t r : ps.isr) p.isr_nodes.push_back(node_id(r));
  }
  return out;
}

}  // namespace

void handle_metadata(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto decoded = protocol::decode<protocol::MetadataRequest>(body);
  if (!decoded) return ctx.respond_error(errc::invalid_request, decoded.err().message);
  const auto& req = *decoded;
  auto view = s.view();
  const std::vector<int32_t>& live = view->published.live_brokers;
  protocol::MetadataResponse resp;
  for (int32_t id : live) {
    resp.brokers.push_back({node_id(id), "shm://" + s.config.cluster, 0, std::nullopt});
  }
  resp.cluster_id = s.config.cluster;
  resp.controller_id = node_id(view->published.controller_id);
  const cluster::MetadataImage* image = &view->image;
  if (!req.topics) {
    for (const auto& [_, t] : image->topics) resp.topics.push_back(describe_topic(t, live));
    return ctx.respond(resp);
  }
  for (const auto& name : *req.topics) {
    if (const auto* t = image->topic(name)) {
      resp.topics.push_back(describe_topic(*t, live));
      continue;
    }
    protocol::MetadataResponse::Topic missing;
    missing.name = name;
    if (auto valid = cluster::validate_topic_name(name); !valid) {
      missing.error = errc::invalid_topic_exception;
      missing.error_message = valid.err().message;
    } else if (req.allow_auto_topic_creation && s.config.auto_create_topics_enable) {
      // As Kafka's brokers do: ask the controller to create it and say "not yet"; the client
      // asks again and finds it once the controller's image arrives.
      if (s.controller.active()) {
        cluster::NewTopicSpec spec;
        spec.name = name;
        auto created = s.controller.create_topic(spec);
        if (created) {
          logger("broker").info("auto-created topic {} for client {}", name, ctx.header.client_id);
        } else if (created.code() != errc::topic_already_exists) {
          missing.error = created.code();
          missing.error_message = created.err().message;
          resp.topics.push_back(std::move(missing));
          continue;
        }
      } else {
        s.request_topic_creation(name);
      }
      missing.error = errc::leader_not_available;
      missing.error_message = fmt::format("topic {} is being created", name);
    } else {
      missing.error = errc::unknown_topic_or_partition;
      missing.error_message = fmt::format(
          "topic {} does not exist{}", name,
          s.config.auto_create_topics_enable ? "" : " (auto.create.topics.enable is false)");
    }
    resp.topics.push_back(std::move(missing));
  }
  ctx.respond(resp);
}

}  // namespace shoal::broker
