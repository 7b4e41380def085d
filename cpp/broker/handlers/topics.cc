// CreateTopics and DeleteTopics: topic lifecycle, decided by the controller.
#include <set>

#include "broker/handlers/handlers.h"

namespace shoal::broker {

void handle(BrokerServices& s, RequestContext& ctx, protocol::CreateTopicsRequest& req) {
  protocol::CreateTopicsResponse resp;
  std::set<std::string> seen;
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    auto fail = [&rt](errc e, std::string msg) {
      rt.error_code = e;
      rt.error_message = std::move(msg);
    };
    if (!seen.insert(t.name).second) {
      fail(errc::invalid_request, fmt::format("topic {} appears twice in the request", t.name));
      continue;
    }
    cluster::NewTopicSpec spec;
    spec.name = t.name;
    spec.num_partitions = t.num_partitions;
    spec.replication_factor = t.replication_factor;
    bool bad_config = false;
    for (const auto& c : t.configs) {
      if (!c.value) continue;  // null: the default, as no entry
      if (!spec.configs.emplace(c.name, *c.value).second) bad_config = true;
    }
    if (bad_config) {
      fail(errc::invalid_config, fmt::format("topic {}: a config appears twice", t.name));
      continue;
    }
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
        fail(errc::invalid_replica_assignment,
             "partitions in a replica assignment must be 0..n-1, each once");
        continue;
      }
      spec.assignment = std::move(assignment);
    }
    auto created = s.controller.create_topic(spec, req.validate_only);
    if (!created) {
      fail(created.code(), created.err().message);
      continue;
    }
    rt.topic_id = cluster::topic_uuid(created->topic_id);
    rt.num_partitions = static_cast<int32_t>(created->partitions.size());
    rt.replication_factor = static_cast<int16_t>(created->partitions.front().replicas.size());
    auto cfg = s.controller.topic_defaults().with(created->configs);
    if (cfg) {
      rt.configs.emplace();
      for (const auto& [k, v] : cfg->to_properties()) {
        auto& c = rt.configs->emplace_back();
        c.name = k;
        c.value = v;
        c.config_source = created->configs.count(k) ? protocol::config_source::dynamic_topic_config
                                                    : protocol::config_source::default_config;
      }
    }
  }
  ctx.respond(resp);
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::DeleteTopicsRequest& req) {
  protocol::DeleteTopicsResponse resp;
  // Version 6 names each topic by name or by id; earlier versions by name.
  std::vector<std::pair<std::optional<std::string>, protocol::uuid>> asked;
  if (ctx.version() >= 6) {
    for (const auto& t : req.topics) asked.emplace_back(t.name, t.topic_id);
  } else {
    for (const auto& n : req.topic_names) asked.emplace_back(n, protocol::uuid{});
  }
  auto view = s.view();
  for (auto& [name, id] : asked) {
    auto& r = resp.responses.emplace_back();
    r.topic_id = id;
    if (!name && !id.is_zero()) {
      for (const auto& [n, t] : view->image.topics) {
        if (cluster::topic_uuid(t.topic_id) == id) name = n;
      }
      if (!name) {
        r.error_code = errc::unknown_topic_id;
        r.error_message = fmt::format("no topic has id {}", id.to_string());
        continue;
      }
    }
    r.name = name.value_or("");
    if (const auto* t = view->image.topic(*r.name)) r.topic_id = cluster::topic_uuid(t->topic_id);
    if (!s.config.delete_topic_enable) {
      r.error_code = errc::topic_deletion_disabled;
      r.error_message = "topic deletion is disabled (delete.topic.enable=false)";
      continue;
    }
    auto st = s.controller.delete_topic(*r.name);
    if (!st) {
      r.error_code = st.code();
      r.error_message = st.err().message;
    }
  }
  ctx.respond(resp);
}

}  // namespace shoal::broker
