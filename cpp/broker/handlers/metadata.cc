// Metadata: the brokers, the controller, and each topic's partitions with their leaders,
// replicas and in-sync replicas. Creates a missing topic when the client allows it and
// auto.create.topics.enable is on, as Kafka does.
#include <algorithm>

#include "broker/handlers/handlers.h"
#include "cluster/topic_config.h"
#include "common/logger.h"

namespace shoal::broker {

namespace {

using MetadataTopic = protocol::MetadataResponse::MetadataResponseTopic;

MetadataTopic describe_topic(const cluster::TopicState& t, const std::vector<int32_t>& live) {
  MetadataTopic out;
  out.name = t.name;
  out.topic_id = cluster::topic_uuid(t.topic_id);
  out.is_internal = cluster::is_internal_topic(t.name);
  for (size_t i = 0; i < t.partitions.size(); ++i) {
    const auto& ps = t.partitions[i];
    auto& p = out.partitions.emplace_back();
    p.partition_index = partition_id(static_cast<int32_t>(i));
    p.leader_id = node_id(ps.leader);
    p.leader_epoch = leader_epoch(ps.leader_epoch);
    if (ps.leader < 0) p.error_code = errc::leader_not_available;
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

void handle(BrokerServices& s, RequestContext& ctx, protocol::MetadataRequest& req) {
  auto view = s.view();
  const std::vector<int32_t>& live = view->published.live_brokers;
  protocol::MetadataResponse resp;
  for (int32_t id : live) {
    auto& b = resp.brokers.emplace_back();
    b.node_id = node_id(id);
    std::tie(b.host, b.port) = s.endpoint(id);
  }
  resp.cluster_id = s.cluster_id;
  resp.controller_id = node_id(view->published.controller_id);
  const cluster::MetadataImage* image = &view->image;
  // Every topic: a null list (version 1 and up), or an empty one in version 0.
  if (!req.topics || (ctx.version() == 0 && req.topics->empty())) {
    for (const auto& [_, t] : image->topics) resp.topics.push_back(describe_topic(t, live));
    return ctx.respond(resp);
  }
  // Before version 4 a client cannot say; Kafka lets those requests create topics.
  const bool allow_create = ctx.version() < 4 || req.allow_auto_topic_creation;
  for (const auto& asked : *req.topics) {
    if (!asked.name) {
      // Version 10 and up may name a topic by its id alone.
      const cluster::TopicState* found = nullptr;
      for (const auto& [_, t] : image->topics) {
        if (cluster::topic_uuid(t.topic_id) == asked.topic_id) found = &t;
      }
      if (found != nullptr) {
        resp.topics.push_back(describe_topic(*found, live));
      } else {
        auto& missing = resp.topics.emplace_back();
        missing.name = std::nullopt;
        missing.topic_id = asked.topic_id;
        missing.error_code = errc::unknown_topic_id;
        missing.error_message = fmt::format("no topic has id {}", asked.topic_id.to_string());
      }
      continue;
    }
    const std::string& name = *asked.name;
    if (const auto* t = image->topic(name)) {
      resp.topics.push_back(describe_topic(*t, live));
      continue;
    }
    MetadataTopic missing;
    missing.name = name;
    if (auto valid = cluster::validate_topic_name(name); !valid) {
      missing.error_code = errc::invalid_topic_exception;
      missing.error_message = valid.err().message;
    } else if (allow_create && s.config.auto_create_topics_enable) {
      // As Kafka's brokers do: ask the controller to create it and say "not yet"; the client
      // asks again and finds it once the controller's image arrives.
      if (s.controller.active()) {
        cluster::NewTopicSpec spec;
        spec.name = name;
        auto created = s.controller.create_topic(spec);
        if (created) {
          logger("broker").info("auto-created topic {} for client {}", name, ctx.client_id());
        } else if (created.code() != errc::topic_already_exists) {
          missing.error_code = created.code();
          missing.error_message = created.err().message;
          resp.topics.push_back(std::move(missing));
          continue;
        }
      } else {
        s.request_topic_creation(name);
      }
      missing.error_code = errc::leader_not_available;
      missing.error_message = fmt::format("topic {} is being created", name);
    } else {
      missing.error_code = errc::unknown_topic_or_partition;
      missing.error_message = fmt::format(
          "topic {} does not exist{}", name,
          s.config.auto_create_topics_enable ? "" : " (auto.create.topics.enable is false)");
    }
    resp.topics.push_back(std::move(missing));
  }
  ctx.respond(resp);
}

}  // namespace shoal::broker
