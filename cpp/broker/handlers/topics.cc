// CreateTopics and DeleteTopics: topic lifecycle, decided by the controller.
#include <set>

#include "broker/handlers/handlers.h"

namespace shoal::broker {

void handle_create_topics(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto decoded = protocol::decode<protocol::CreateTopicsRequest>(body);
  if (!decoded) return ctx.respond_error(errc::invalid_request, decoded.err().message);
  const auto& req = *decoded;
  protocol::CreateTopicsResponse resp;
  std::set<std::string> seen;
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    if (!seen.insert(t.name).second) {
      rt.error = errc::invalid_request;
      rt.error_message = fmt::format("topic {} appears twice in the request", t.name);
      continue;
    }
    cluster::NewTopicSpec spec;
    spec.name = t.name;
    spec.num_partitions = t.num_partitions;
    spec.replication_factor = t.replication_factor;
    spec.configs = t.configs;
    if (!t.assignments.empty()) {
      std::vector<std::vector<int32_t>> assignment(t.assignments.size());
      bool ok = true;
      for (const auto& a : t.assignments) {
        int32_t p = a.partition_index();
        if (p < 0 || p >= static_cast<int32_t>(assignment.size()) ||
            !assignment[static_cast<size_t>(p)].empty()) {
          ok = false;
          break;
        }
        for (auto b : a.broker_ids) assignment[static_cast<size_t>(p)].push_back(b());
      }
      if (!ok) {
        rt.error = errc::invalid_replica_assignment;
        rt.error_message = "partitions in a replica assignment must be 0..n-1, each once";
        continue;
      }
      spec.assignment = std::move(assignment);
    }
    auto created = s.controller.create_topic(spec, req.validate_only);
    if (!created) {
      rt.error = created.code();
      rt.error_message = created.err().message;
      continue;
    }
    rt.num_partitions = static_cast<int32_t>(created->partitions.size());
    rt.replication_factor = static_cast<int16_t>(created->partitions.front().replicas.size());
    auto cfg = s.controller.topic_defaults().with(created->configs);
    if (cfg) rt.configs = cfg->to_properties();
  }
  ctx.respond(resp);
}

void handle_delete_topics(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto decoded = protocol::decode<protocol::DeleteTopicsRequest>(body);
  if (!decoded) return ctx.respond_error(errc::invalid_request, decoded.err().message);
  protocol::DeleteTopicsResponse resp;
  for (const auto& name : decoded->topic_names) {
    auto& r = resp.responses.emplace_back();
    r.name = name;
    if (!s.config.delete_topic_enable) {
      r.error = errc::topic_deletion_disabled;
      r.error_message = "topic deletion is disabled (delete.topic.enable=false)";
      continue;
    }
    auto st = s.controller.delete_topic(name);
    if (!st) {
      r.error = st.code();
      r.error_message = st.err().message;
    }
  }
  ctx.respond(resp);
}

}  // namespace shoal::broker
