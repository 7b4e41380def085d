// The admin APIs: CreatePartitions, ElectLeaders and IncrementalAlterConfigs (decided by the
// controller), DescribeConfigs (answered from this broker's image and configuration), and
// DeleteRecords (done by each partition's leader).
#include <set>

#include "broker/handlers/handlers.h"
#include "cluster/topic_config.h"
#include "ipc/process.h"

namespace shoal::broker {

namespace {

protocol::config_type type_of(const std::string& t) {
  if (t == "boolean") return protocol::config_type::boolean;
  if (t == "string") return protocol::config_type::string;
  if (t == "int") return protocol::config_type::int_;
  if (t == "short") return protocol::config_type::short_;
  if (t == "long") return protocol::config_type::long_;
  if (t == "double") return protocol::config_type::double_;
  if (t == "list") return protocol::config_type::list;
  return protocol::config_type::unknown;
}

bool wanted(const std::optional<std::vector<std::string>>& keys, const std::string& k) {
  return !keys || keys->empty() || std::find(keys->begin(), keys->end(), k) != keys->end();
}

// A topic's configs: every topic-level key with its effective value and where it comes from
// (the topic's override, this broker's configuration, or Kafka's default).
void describe_topic(BrokerServices& s, const protocol::DescribeConfigsRequest& req,
                    const protocol::DescribeConfigsRequest::DescribeConfigsResource& r,
                    protocol::DescribeConfigsResponse::DescribeConfigsResult& out) {
  auto view = s.view();
  const cluster::TopicState* t = view ? view->image.topic(r.resource_name) : nullptr;
  if (t == nullptr) {
    out.error_code = errc::unknown_topic_or_partition;
    out.error_message = fmt::format("Topic '{}' does not exist.", r.resource_name);
    return;
  }
  cluster::TopicConfig defaults = s.partitions.topic_defaults();
  auto effective = defaults.with(t->configs);
  if (!effective) {
    out.error_code = effective.code();
    out.error_message = effective.err().message;
    return;
  }
  const cluster::TopicConfig fresh;
  const cluster::TopicConfig& static_defaults = s.config.topic_defaults;
  auto layer = [&](int32_t id) {
    auto it = view->image.broker_configs.find(id);
    return it == view->image.broker_configs.end() ? cluster::string_map{} : it->second;
  };
  cluster::string_map dyn_all = layer(-1);
  cluster::string_map dyn_mine = layer(s.config.broker_id);
  std::map<std::string, std::string> broker_key;  // topic key -> the broker key that sets it
  for (const auto& d : broker_config_definitions()) {
    if (!d.topic_synonym.empty() && BrokerConfig::is_dynamic(d.name)) {
      broker_key[d.topic_synonym] = d.name;
    }
  }
  for (const auto& d : cluster::topic_config_definitions()) {
    if (!wanted(r.configuration_keys, d.name)) continue;
    protocol::DescribeConfigsResponse::DescribeConfigsResourceResult c;
    c.name = d.name;
    c.value = effective->get(d.name);
    c.config_type = type_of(d.type);
    // Highest precedence first, as Kafka lists synonyms: the topic's override, this broker's
    // dynamic config, the cluster-wide dynamic default, the broker's properties, the default.
    auto bk = broker_key.find(d.name);
    std::vector<protocol::DescribeConfigsResponse::DescribeConfigsSynonym> synonyms;
    if (t->configs.count(d.name)) {
      synonyms.push_back(
          {d.name, t->configs.at(d.name), protocol::config_source::dynamic_topic_config});
    }
    if (bk != broker_key.end()) {
      const std::string& key = bk->second;
      if (dyn_mine.count(key)) {
        synonyms.push_back({key, dyn_mine.at(key), protocol::config_source::dynamic_broker_config});
      }
      if (dyn_all.count(key)) {
        synonyms.push_back(
            {key, dyn_all.at(key), protocol::config_source::dynamic_default_broker_config});
      }
    }
    std::string static_value = static_defaults.get(d.name);
    if (static_value != fresh.get(d.name)) {
      synonyms.push_back({bk != broker_key.end() ? bk->second : d.name, static_value,
                          protocol::config_source::static_broker_config});
    }
    synonyms.push_back({bk != broker_key.end() ? bk->second : d.name, fresh.get(d.name),
                        protocol::config_source::default_config});
    c.config_source = synonyms.front().source;
    if (req.include_synonyms) c.synonyms = std::move(synonyms);
    if (req.include_documentation) c.documentation = d.doc;
    out.configs.push_back(std::move(c));
  }
}

// A broker's configs: every broker key with its value; the dynamic ones say so.
void describe_broker(BrokerServices& s, const protocol::DescribeConfigsRequest& req,
                     const protocol::DescribeConfigsRequest::DescribeConfigsResource& r,
                     protocol::DescribeConfigsResponse::DescribeConfigsResult& out) {
  bool cluster_wide = r.resource_name.empty();
  if (!cluster_wide && r.resource_name != std::to_string(s.config.broker_id)) {
    out.error_code = errc::invalid_request;
    out.error_message = fmt::format(
        "broker {} cannot describe the configs of broker {}: send the request to that broker",
        s.config.broker_id, r.resource_name);
    return;
  }
  auto view = s.view();
  auto layer = [&](int32_t id) {
    if (!view) return cluster::string_map{};
    auto it = view->image.broker_configs.find(id);
    return it == view->image.broker_configs.end() ? cluster::string_map{} : it->second;
  };
  cluster::string_map dyn_all = layer(-1);
  cluster::string_map dyn_mine = cluster_wide ? cluster::string_map{} : layer(s.config.broker_id);
  auto props = s.config.to_properties();
  auto effective = s.partitions.topic_defaults();
  for (const auto& d : broker_config_definitions()) {
    if (!wanted(r.configuration_keys, d.name)) continue;
    protocol::DescribeConfigsResponse::DescribeConfigsResourceResult c;
    c.name = d.name;
    c.config_type = type_of(d.type);
    if (d.type.empty() || d.type == "(as the topic key)") {
      for (const auto& td : cluster::topic_config_definitions()) {
        if (td.name == d.topic_synonym) c.config_type = type_of(td.type);
      }
    }
    c.read_only = !BrokerConfig::is_dynamic(d.name);
    std::optional<std::string> value;
    if (dyn_mine.count(d.name)) {
      value = dyn_mine.at(d.name);
      c.config_source = protocol::config_source::dynamic_broker_config;
    } else if (dyn_all.count(d.name)) {
      value = dyn_all.at(d.name);
      c.config_source = protocol::config_source::dynamic_default_broker_config;
    } else if (cluster_wide) {
      continue;  // the cluster-wide resource lists only its dynamic configs, as Kafka's
    } else if (s.config.static_props.count(d.name)) {
      c.config_source = protocol::config_source::static_broker_config;
    } else {
      c.config_source = protocol::config_source::default_config;
    }
    if (!value && BrokerConfig::is_dynamic(d.name)) {
      value = effective.get(d.topic_synonym);  // static and Kafka's default, as in force
    } else if (!value) {
      auto it = props.find(d.name);
      if (it != props.end()) value = it->second;
    }
    c.value = value;
    if (req.include_synonyms) {
      if (dyn_mine.count(d.name)) {
        c.synonyms.push_back(
            {d.name, dyn_mine.at(d.name), protocol::config_source::dynamic_broker_config});
      }
      if (dyn_all.count(d.name)) {
        c.synonyms.push_back(
            {d.name, dyn_all.at(d.name), protocol::config_source::dynamic_default_broker_config});
      }
      if (s.config.static_props.count(d.name)) {
        c.synonyms.push_back({d.name, s.config.static_props.at(d.name),
                              protocol::config_source::static_broker_config});
      }
      c.synonyms.push_back({d.name, d.default_value, protocol::config_source::default_config});
    }
    if (req.include_documentation) c.documentation = d.doc;
    out.configs.push_back(std::move(c));
  }
}

}  // namespace

void handle(BrokerServices& s, RequestContext& ctx, protocol::CreatePartitionsRequest& request) {
  auto* req = &request;
  protocol::CreatePartitionsResponse resp;
  std::set<std::string> seen;
  for (const auto& t : req->topics) {
    auto& r = resp.results.emplace_back();
    r.name = t.name;
    if (!seen.insert(t.name).second) {
      r.error_code = errc::invalid_request;
      r.error_message = fmt::format("topic {} appears twice in the request", t.name);
      continue;
    }
    std::vector<std::vector<int32_t>> assignment;
    if (t.assignments) {
      for (const auto& a : *t.assignments) {
        auto& reps = assignment.emplace_back();
        for (auto b : a.broker_ids) reps.push_back(b());
      }
    }
    auto st = s.controller.create_partitions(t.name, t.count, assignment, req->validate_only);
    if (!st) {
      r.error_code = st.code();
      r.error_message = st.err().message;
    }
  }
  ctx.respond(resp);
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::ElectLeadersRequest& request) {
  auto* req = &request;
  std::vector<std::pair<std::string, int32_t>> asked;
  if (req->topic_partitions) {
    for (const auto& t : *req->topic_partitions) {
      for (auto p : t.partitions) asked.emplace_back(t.topic, p);
    }
  }
  protocol::ElectLeadersResponse resp;
  // Version 0 has no election type: it asks for the preferred leaders.
  auto results =
      s.controller.elect_leaders(req->election_type == protocol::election_type::preferred, asked);
  if (!results) {
    resp.error_code = results.code();
    return ctx.respond(resp);
  }
  for (const auto& [topic, p, e] : *results) {
    if (resp.replica_election_results.empty() ||
        resp.replica_election_results.back().topic != topic) {
      resp.replica_election_results.emplace_back().topic = topic;
    }
    protocol::ElectLeadersResponse::PartitionResult rp;
    rp.partition_id = partition_id(p);
    rp.error_code = e;
    if (e != errc::none) rp.error_message = std::string(errc_description(e));
    resp.replica_election_results.back().partition_result.push_back(std::move(rp));
  }
  ctx.respond(resp);
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::DescribeConfigsRequest& request) {
  auto* req = &request;
  protocol::DescribeConfigsResponse resp;
  for (const auto& r : req->resources) {
    auto& out = resp.results.emplace_back();
    out.resource_type = r.resource_type;
    out.resource_name = r.resource_name;
    if (r.resource_type == protocol::config_resource_type::topic) {
      describe_topic(s, *req, r, out);
    } else if (r.resource_type == protocol::config_resource_type::broker) {
      describe_broker(s, *req, r, out);
    } else {
      out.error_code = errc::invalid_request;
      out.error_message =
          fmt::format("resource type {} has no configs here (topics: 2, brokers: 4)",
                      static_cast<int>(r.resource_type));
    }
  }
  ctx.respond(resp);
}

void handle(BrokerServices& s, RequestContext& ctx,
            protocol::IncrementalAlterConfigsRequest& request) {
  auto* req = &request;
  protocol::IncrementalAlterConfigsResponse resp;
  for (const auto& r : req->resources) {
    auto& out = resp.responses.emplace_back();
    out.resource_type = r.resource_type;
    out.resource_name = r.resource_name;
    std::vector<cluster::ConfigChange> changes;
    for (const auto& c : r.configs) changes.push_back({c.name, c.config_operation, c.value});
    status st;
    if (r.resource_type == protocol::config_resource_type::topic) {
      st = s.controller.alter_topic_configs(r.resource_name, changes, req->validate_only);
    } else if (r.resource_type == protocol::config_resource_type::broker) {
      int32_t id = -1;
      if (!r.resource_name.empty()) {
        try {
          size_t used = 0;
          id = std::stoi(r.resource_name, &used);
          if (used != r.resource_name.size() || id < 0) throw std::invalid_argument("id");
        } catch (const std::exception&) {
          st = make_error(errc::invalid_request,
                          "a broker resource is named by a broker id, or \"\" for every broker, "
                          "not '{}'",
                          r.resource_name);
        }
      }
      if (st) {
        st = s.controller.alter_broker_configs(
            id, changes,
            [](const cluster::string_map& m) { return BrokerConfig::validate_dynamic(m); },
            req->validate_only);
      }
    } else {
      st = make_error(errc::invalid_request, "resource type {} has no configs here",
                      static_cast<int>(r.resource_type));
    }
    if (!st) {
      out.error_code = st.code();
      out.error_message = st.err().message;
    }
  }
  ctx.respond(resp);
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::DeleteRecordsRequest& request) {
  auto* req = &request;
  auto resp = std::make_shared<protocol::DeleteRecordsResponse>();
  struct Waiting {
    size_t topic, partition;
    std::shared_ptr<Partition> part;
    offset target;
    int32_t epoch;
  };
  auto waiting = std::make_shared<std::vector<Waiting>>();
  for (const auto& t : req->topics) {
    auto& rt = resp->topics.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      auto part = s.partitions.get(t.name, p.partition_index());
      if (!part) {
        auto view = s.view();
        rp.error_code = view && view->image.partition(t.name, p.partition_index())
                            ? errc::not_leader_or_follower
                            : errc::unknown_topic_or_partition;
        continue;
      }
      auto r = part->delete_records_before(p.offset);
      if (!r) {
        rp.error_code = r.code();
        continue;
      }
      rp.low_watermark = *r;
      waiting->push_back(
          {resp->topics.size() - 1, rt.partitions.size() - 1, part, *r, part->leader_epoch()});
    }
  }
  // As Kafka's DelayedDeleteRecords: the answer waits until every in-sync replica has moved
  // its log start there (followers report theirs with each fetch), so a new leader elected
  // after the answer no longer serves the deleted records.
  auto done = [resp, waiting](bool force) {
    bool all = true;
    for (auto& w : *waiting) {
      auto& rp = resp->topics[w.topic].partitions[w.partition];
      if (rp.error_code != errc::none || w.target() < 0) continue;
      if (!w.part->is_leader() || w.part->leader_epoch() != w.epoch) {
        rp.error_code = errc::not_leader_or_follower;
        w.target = offset(-1);
      } else if (w.part->low_watermark() >= w.target) {
        rp.low_watermark = w.part->low_watermark();
        w.target = offset(-1);
      } else if (force) {
        rp.error_code = errc::request_timed_out;
        w.target = offset(-1);
      } else {
        all = false;
      }
    }
    return all;
  };
  if (done(false)) return ctx.respond(*resp);
  auto shared_ctx = std::make_shared<RequestContext>(ctx);
  std::vector<std::pair<std::string, int32_t>> keys;
  for (const auto& w : *waiting) keys.emplace_back(w.part->topic(), w.part->index());
  int32_t timeout = req->timeout_ms > 0 ? req->timeout_ms : 30'000;
  s.delayed.park(std::move(keys), ipc::monotonic_ms() + timeout,
                 [done, resp, shared_ctx](bool force) {
                   if (!done(force)) return false;
                   shared_ctx->respond(*resp);
                   return true;
                 });
}

}  // namespace shoal::broker
