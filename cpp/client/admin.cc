#include "client/admin.h"

#include <map>
#include <set>
#include <thread>

#include "common/clock.h"
#include "ipc/process.h"
#include "storage/record_batch.h"

namespace shoal::client {

result<std::unique_ptr<Admin>> Admin::create(const ClientConfig& config) {
  SHOAL_ASSIGN_OR_RETURN(auto cluster, ClusterClient::connect(config));
  return std::unique_ptr<Admin>(new Admin(std::move(cluster)));
}

result<int32_t> Admin::controller(int64_t timeout_ms) {
  SHOAL_ASSIGN_OR_RETURN(auto md,
                         cluster_->fetch_metadata(std::vector<std::string>{}, false, timeout_ms));
  // A controller that is none of the brokers listed (librdkafka's mock cluster names 0) is
  // no controller: wait for one, as librdkafka does, until the request's timeout.
  for (const auto& b : md.brokers) {
    if (b.id == md.controller_id) return md.controller_id;
  }
  return -1;
}

namespace {

// Whether every per-topic error says the request reached a broker that is not (or no longer)
// the controller, or the controller could not be reached: then the whole request is retried.
template <typename Resp>
bool should_retry(const result<Resp>& r) {
  if (!r) {
    return r.code() == errc::transport || r.code() == errc::timed_out ||
           r.code() == errc::not_controller || r.code() == errc::all_brokers_down;
  }
  bool any = false;
  bool all = true;
  auto check = [&](errc e) {
    any = true;
    all = all && e == errc::not_controller;
  };
  if constexpr (std::is_same_v<Resp, protocol::CreateTopicsResponse>) {
    for (const auto& t : r->topics) check(t.error_code);
  } else if constexpr (std::is_same_v<Resp, protocol::CreatePartitionsResponse>) {
    for (const auto& t : r->results) check(t.error_code);
  } else if constexpr (std::is_same_v<Resp, protocol::ElectLeadersResponse>) {
    check(r->error_code);
  } else {
    for (const auto& t : r->responses) check(t.error_code);
  }
  return any && all;
}

}  // namespace

template <typename Req, typename Resp>
result<Resp> Admin::to_controller(const Req& req, int64_t timeout_ms) {
  int64_t deadline = ipc::monotonic_ms() + timeout_ms;
  result<Resp> last = make_error(errc::timed_out, "timed out waiting for the controller");
  while (true) {
    int64_t left = deadline - ipc::monotonic_ms();
    if (left <= 0) return last;
    auto id = controller(left);
    if (id && *id >= 0) {
      last = cluster_->call<Req, Resp>(*id, req, left);
      if (!should_retry(last)) return last;
    } else if (!id) {
      last = id.err();
    }
    // The controller is moving (or not elected yet): look it up again shortly.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

result<protocol::CreateTopicsResponse> Admin::create_topics(
    const protocol::CreateTopicsRequest& req, int64_t timeout_ms) {
  return to_controller<protocol::CreateTopicsRequest, protocol::CreateTopicsResponse>(req,
                                                                                      timeout_ms);
}

result<protocol::DeleteTopicsResponse> Admin::delete_topics(
    const protocol::DeleteTopicsRequest& req, int64_t timeout_ms) {
  return to_controller<protocol::DeleteTopicsRequest, protocol::DeleteTopicsResponse>(req,
                                                                                      timeout_ms);
}

result<protocol::CreatePartitionsResponse> Admin::create_partitions(
    const protocol::CreatePartitionsRequest& req, int64_t timeout_ms) {
  return to_controller<protocol::CreatePartitionsRequest, protocol::CreatePartitionsResponse>(
      req, timeout_ms);
}

result<protocol::IncrementalAlterConfigsResponse> Admin::incremental_alter_configs(
    const protocol::IncrementalAlterConfigsRequest& req, int64_t timeout_ms) {
  return to_controller<protocol::IncrementalAlterConfigsRequest,
                       protocol::IncrementalAlterConfigsResponse>(req, timeout_ms);
}

result<protocol::ElectLeadersResponse> Admin::elect_leaders(
    const protocol::ElectLeadersRequest& req, int64_t timeout_ms) {
  return to_controller<protocol::ElectLeadersRequest, protocol::ElectLeadersResponse>(req,
                                                                                      timeout_ms);
}

result<protocol::DescribeConfigsResponse::DescribeConfigsResult> Admin::describe_configs(
    const protocol::DescribeConfigsRequest::DescribeConfigsResource& resource, bool synonyms,
    bool documentation, int64_t timeout_ms) {
  protocol::DescribeConfigsRequest req;
  req.resources.push_back(resource);
  req.include_synonyms = synonyms;
  req.include_documentation = documentation;
  // A broker's configs come from that broker; a topic's (and the cluster-wide dynamic
  // defaults) from any broker.
  int32_t broker = -1;
  if (resource.resource_type == protocol::config_resource_type::broker &&
      !resource.resource_name.empty()) {
    try {
      size_t used = 0;
      broker = std::stoi(resource.resource_name, &used);
      if (used != resource.resource_name.size() || broker < 0) throw std::invalid_argument("id");
    } catch (const std::exception&) {
      return make_error(errc::invalid_request, "a broker resource is named by its id, not '{}'",
                        resource.resource_name);
    }
    auto live = cluster_->live_brokers();
    if (std::find(live.begin(), live.end(), broker) == live.end()) {
      return make_error(errc::broker_not_available, "broker {} is not available", broker);
    }
  }
  SHOAL_ASSIGN_OR_RETURN(
      auto resp,
      (cluster_->call<protocol::DescribeConfigsRequest, protocol::DescribeConfigsResponse>(
          broker, req, timeout_ms)));
  if (resp.results.size() != 1) {
    return make_error(errc::unknown_server_error, "DescribeConfigs answered {} resources, not 1",
                      resp.results.size());
  }
  return std::move(resp.results[0]);
}

}  // namespace shoal::client

namespace shoal::client {

namespace {

// The coordinator moved, is not elected yet, or is still loading the group: ask again.
bool coordinator_moving(errc e) {
  return e == errc::not_coordinator || e == errc::coordinator_not_available ||
         e == errc::coordinator_load_in_progress || e == errc::transport || e == errc::timed_out ||
         e == errc::all_brokers_down || e == errc::request_timed_out;
}

bool leader_moving(errc e) {
  return e == errc::not_leader_or_follower || e == errc::leader_not_available ||
         e == errc::fenced_leader_epoch || e == errc::unknown_leader_epoch ||
         e == errc::kafka_storage_error || e == errc::transport || e == errc::timed_out ||
         e == errc::all_brokers_down || e == errc::request_timed_out;
}

constexpr int64_t retry_backoff_ms = 50;

}  // namespace

result<int32_t> Admin::coordinator(const std::string& group, int64_t timeout_ms) {
  int64_t deadline = ipc::monotonic_ms() + timeout_ms;
  error last = make_error(errc::coordinator_not_available, "no coordinator for group {}", group);
  while (true) {
    int64_t left = deadline - ipc::monotonic_ms();
    if (left <= 0) return last;
    protocol::FindCoordinatorRequest req;
    req.key = group;                 // versions 0 to 3
    req.coordinator_keys = {group};  // version 4
    auto resp = cluster_->call<protocol::FindCoordinatorRequest, protocol::FindCoordinatorResponse>(
        -1, req, left);
    if (!resp) {
      last = resp.err();
    } else {
      errc e = resp->error_code;
      int32_t node = resp->node_id();
      std::optional<std::string> msg = resp->error_message;
      std::string host = resp->host;
      int32_t port = resp->port;
      if (!resp->coordinators.empty()) {
        e = resp->coordinators.front().error_code;
        node = resp->coordinators.front().node_id();
        msg = resp->coordinators.front().error_message;
        host = resp->coordinators.front().host;
        port = resp->coordinators.front().port;
      }
      if (e == errc::none) cluster_->note_broker(node, host, port);
      if (e == errc::none && node >= 0) return node;
      if (!coordinator_moving(e))
        return make_error(e, "{}", msg.value_or(std::string(errc_name(e))));
      last = make_error(e, "no coordinator for group {} yet", group);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(retry_backoff_ms));
  }
}

template <typename Req, typename Resp>
result<Resp> Admin::to_coordinator(const std::string& group, const Req& req, int64_t timeout_ms,
                                   const std::function<bool(const Resp&)>& retry) {
  int64_t deadline = ipc::monotonic_ms() + timeout_ms;
  result<Resp> last =
      make_error(errc::coordinator_not_available, "no coordinator for group {}", group);
  while (true) {
    int64_t left = deadline - ipc::monotonic_ms();
    if (left <= 0) return last;
    auto id = coordinator(group, left);
    if (!id) return id.err();
    left = deadline - ipc::monotonic_ms();
    if (left <= 0) return last;
    last = cluster_->call<Req, Resp>(*id, req, left);
    if (last ? !retry(*last) : !coordinator_moving(last.code())) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(retry_backoff_ms));
  }
}

result<protocol::DescribeGroupsResponse::DescribedGroup> Admin::describe_group(
    const std::string& group, int64_t timeout_ms) {
  protocol::DescribeGroupsRequest req;
  req.groups.push_back(group);
  SHOAL_ASSIGN_OR_RETURN(
      auto resp, (to_coordinator<protocol::DescribeGroupsRequest, protocol::DescribeGroupsResponse>(
                     group, req, timeout_ms, [](const protocol::DescribeGroupsResponse& r) {
                       return r.groups.size() == 1 && coordinator_moving(r.groups[0].error_code);
                     })));
  if (resp.groups.size() != 1) {
    return make_error(errc::unknown_server_error, "DescribeGroups answered {} groups, not 1",
                      resp.groups.size());
  }
  return std::move(resp.groups[0]);
}

result<protocol::OffsetFetchResponse::OffsetFetchResponseGroup> Admin::offset_fetch(
    const std::string& group, const TopicsAsked& topics, bool require_stable, int64_t timeout_ms) {
  // Filled for every version: 1 to 7 ask for one group, 8 for a list of them.
  protocol::OffsetFetchRequest req;
  req.group_id = group;
  req.require_stable = require_stable;
  auto& g = req.groups.emplace_back();
  g.group_id = group;
  if (topics) {
    req.topics.emplace();
    g.topics.emplace();
    for (const auto& [name, parts] : *topics) {
      auto& t = req.topics->emplace_back();
      t.name = name;
      t.partition_indexes = parts;
      auto& gt = g.topics->emplace_back();
      gt.name = name;
      gt.partition_indexes = parts;
    }
  } else {
    req.topics = std::nullopt;
    g.topics = std::nullopt;
  }
  // Version 8's answer as it is; an older one's in version 8's shape.
  auto as_group = [&group](const protocol::OffsetFetchResponse& r) {
    if (!r.groups.empty()) return r.groups.front();
    protocol::OffsetFetchResponse::OffsetFetchResponseGroup out;
    out.group_id = group;
    out.error_code = r.error_code;
    for (const auto& t : r.topics) {
      auto& ot = out.topics.emplace_back();
      ot.name = t.name;
      for (const auto& p : t.partitions) {
        auto& op = ot.partitions.emplace_back();
        op.partition_index = p.partition_index;
        op.committed_offset = p.committed_offset;
        op.committed_leader_epoch = p.committed_leader_epoch;
        op.metadata = p.metadata;
        op.error_code = p.error_code;
      }
    }
    return out;
  };
  SHOAL_ASSIGN_OR_RETURN(
      auto resp, (to_coordinator<protocol::OffsetFetchRequest, protocol::OffsetFetchResponse>(
                     group, req, timeout_ms, [&as_group](const protocol::OffsetFetchResponse& r) {
                       return coordinator_moving(as_group(r).error_code);
                     })));
  return as_group(resp);
}

result<protocol::OffsetCommitResponse> Admin::offset_commit(
    const protocol::OffsetCommitRequest& req, int64_t timeout_ms) {
  return to_coordinator<protocol::OffsetCommitRequest, protocol::OffsetCommitResponse>(
      req.group_id, req, timeout_ms, [](const protocol::OffsetCommitResponse& r) {
        // Group-wide errors are repeated on every partition.
        for (const auto& t : r.topics) {
          for (const auto& p : t.partitions) {
            if (!coordinator_moving(p.error_code)) return false;
          }
        }
        return !r.topics.empty();
      });
}

result<errc> Admin::delete_group(const std::string& group, int64_t timeout_ms) {
  protocol::DeleteGroupsRequest req;
  req.groups_names.push_back(group);
  SHOAL_ASSIGN_OR_RETURN(
      auto resp, (to_coordinator<protocol::DeleteGroupsRequest, protocol::DeleteGroupsResponse>(
                     group, req, timeout_ms, [](const protocol::DeleteGroupsResponse& r) {
                       return r.results.size() == 1 && coordinator_moving(r.results[0].error_code);
                     })));
  if (resp.results.size() != 1) {
    return make_error(errc::unknown_server_error, "DeleteGroups answered {} groups, not 1",
                      resp.results.size());
  }
  return resp.results[0].error_code;
}

std::vector<protocol::ListGroupsResponse::ListedGroup> Admin::list_groups(
    const protocol::ListGroupsRequest& req, int64_t timeout_ms,
    std::vector<std::pair<int32_t, error>>* failed) {
  std::vector<protocol::ListGroupsResponse::ListedGroup> out;
  for (int32_t id : cluster_->live_brokers()) {
    auto resp = cluster_->call<protocol::ListGroupsRequest, protocol::ListGroupsResponse>(
        id, req, timeout_ms);
    if (!resp || resp->error_code != errc::none) {
      if (failed != nullptr) {
        failed->emplace_back(id, resp ? make_error(resp->error_code,
                                                   "broker {} could not list its "
                                                   "groups",
                                                   id)
                                      : resp.err());
      }
      continue;
    }
    for (auto& g : resp->groups) out.push_back(std::move(g));
  }
  return out;
}

namespace {

// The calls routed to partition leaders (ListOffsets, DeleteRecords, Produce) share one shape
// under different names: topics with names, each with partitions with an index (and, in the
// response, an error). These overloads name the parts for to_leaders.
auto& topics_of(protocol::ListOffsetsRequest& r) {
  return r.topics;
}
auto& topics_of(protocol::ListOffsetsResponse& r) {
  return r.topics;
}
auto& topics_of(protocol::DeleteRecordsRequest& r) {
  return r.topics;
}
auto& topics_of(protocol::DeleteRecordsResponse& r) {
  return r.topics;
}
auto& topics_of(protocol::ProduceRequest& r) {
  return r.topic_data;
}
auto& topics_of(protocol::ProduceResponse& r) {
  return r.responses;
}
template <typename M>
const auto& topics_of(const M& m) {
  return topics_of(const_cast<M&>(m));
}
template <typename T>
auto& partitions_of(T& t) {
  if constexpr (requires { t.partition_data; }) {
    return t.partition_data;
  } else if constexpr (requires { t.partition_responses; }) {
    return t.partition_responses;
  } else {
    return t.partitions;
  }
}
template <typename P>
int32_t index_of(const P& p) {
  if constexpr (requires { p.index; }) {
    return p.index();
  } else {
    return p.partition_index();
  }
}
template <typename P>
void set_index(P& p, int32_t i) {
  if constexpr (requires { p.index; }) {
    p.index = partition_id(i);
  } else {
    p.partition_index = partition_id(i);
  }
}

}  // namespace

template <typename Req, typename Resp>
result<Resp> Admin::to_leaders(const Req& req, int64_t timeout_ms) {
  using ReqTopic = typename std::remove_cvref_t<decltype(topics_of(req))>::value_type;
  using RespTopic =
      typename std::remove_cvref_t<decltype(topics_of(std::declval<Resp&>()))>::value_type;
  using ReqPartition =
      typename std::remove_cvref_t<decltype(partitions_of(std::declval<ReqTopic&>()))>::value_type;
  using RespPartition =
      typename std::remove_cvref_t<decltype(partitions_of(std::declval<RespTopic&>()))>::value_type;
  using Key = std::pair<std::string, int32_t>;
  int64_t deadline = ipc::monotonic_ms() + timeout_ms;
  // The answer so far for every partition asked, in the order asked.
  Resp out;
  std::map<Key, const ReqPartition*> asked;
  std::vector<std::string> topics;
  for (const auto& t : topics_of(req)) {
    topics.push_back(t.name);
    auto& rt = topics_of(out).emplace_back();
    rt.name = t.name;
    for (const auto& p : partitions_of(const_cast<ReqTopic&>(t))) {
      RespPartition r;
      set_index(r, index_of(p));
      r.error_code = errc::leader_not_available;
      partitions_of(rt).push_back(r);
      asked[{t.name, index_of(p)}] = &p;
    }
  }
  std::map<Key, RespPartition*> slot;
  for (auto& t : topics_of(out)) {
    for (auto& p : partitions_of(t)) slot[{t.name, index_of(p)}] = &p;
  }
  std::set<Key> pending;
  for (const auto& [k, _] : asked) pending.insert(k);
  while (!pending.empty()) {
    int64_t left = deadline - ipc::monotonic_ms();
    if (left <= 0) break;
    auto md = cluster_->fetch_metadata(topics, false, left);
    if (!md) {
      std::this_thread::sleep_for(std::chrono::milliseconds(retry_backoff_ms));
      continue;
    }
    std::map<int32_t, Req> by_leader;
    for (auto it = pending.begin(); it != pending.end();) {
      const auto& [topic, partition] = *it;
      auto ti = md->topics.find(topic);
      if (ti == md->topics.end() || ti->second.error == errc::unknown_topic_or_partition ||
          partition < 0 || static_cast<size_t>(partition) >= ti->second.partitions.size()) {
        slot[*it]->error_code = errc::unknown_topic_or_partition;  // final: no retry
        it = pending.erase(it);
        continue;
      }
      int32_t leader = ti->second.partitions[static_cast<size_t>(partition)].leader;
      if (leader >= 0) {
        auto [r, fresh] = by_leader.try_emplace(leader, req);
        if (fresh) topics_of(r->second).clear();  // the request's other fields, no partitions
        auto& rt = topics_of(r->second);
        if (rt.empty() || rt.back().name != topic) rt.emplace_back().name = topic;
        partitions_of(rt.back()).push_back(*asked[*it]);
      }
      ++it;
    }
    for (auto& [leader, r] : by_leader) {
      left = deadline - ipc::monotonic_ms();
      if (left <= 0) break;
      auto resp = cluster_->call<Req, Resp>(leader, r, left);
      if (!resp) continue;
      for (auto& t : topics_of(*resp)) {
        for (const auto& p : partitions_of(t)) {
          Key k{t.name, index_of(p)};
          auto sl = slot.find(k);
          if (sl == slot.end()) continue;
          *sl->second = p;
          if (!leader_moving(p.error_code)) pending.erase(k);
        }
      }
    }
    if (!pending.empty()) {
      for (const auto& t : topics) cluster_->invalidate(t);
      std::this_thread::sleep_for(std::chrono::milliseconds(retry_backoff_ms));
    }
  }
  return out;
}

result<protocol::ListOffsetsResponse> Admin::list_offsets(const protocol::ListOffsetsRequest& req,
                                                          int64_t timeout_ms) {
  return to_leaders<protocol::ListOffsetsRequest, protocol::ListOffsetsResponse>(req, timeout_ms);
}

result<protocol::DeleteRecordsResponse> Admin::delete_records(
    const protocol::DeleteRecordsRequest& req, int64_t timeout_ms) {
  return to_leaders<protocol::DeleteRecordsRequest, protocol::DeleteRecordsResponse>(req,
                                                                                     timeout_ms);
}

result<protocol::ProduceResponse::PartitionProduceResponse> Admin::append_if_log_end(
    const std::string& topic, int32_t partition, int64_t expected_end,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
    int64_t timeout_ms) {
  if (expected_end >= 0) {
    // Only a Shoal broker honours the condition (Kafka's skip the tagged field and would
    // append unconditionally): refuse before anything is written.
    SHOAL_ASSIGN_OR_RETURN(auto conn, cluster_->connection(-1));
    if (!conn->has_feature(protocol::feature_conditional_append)) {
      return make_error(errc::unsupported_version,
                        "the cluster's brokers do not serve conditional appends (Shoal's "
                        "addition to Produce), which the schema registry's writers need");
    }
  }
  storage::RecordBatchBuilder b;
  int64_t now = wall_clock_ms();
  for (const auto& [key, value] : records) {
    std::optional<storage::bytes_view> v;
    if (value)
      v = storage::bytes_view(reinterpret_cast<const uint8_t*>(value->data()), value->size());
    b.append(now, storage::bytes_view(reinterpret_cast<const uint8_t*>(key.data()), key.size()), v);
  }
  auto built = b.build();
  if (!built) return built.err();
  protocol::ProduceRequest req;
  req.transactional_id = std::nullopt;
  req.acks = -1;
  req.timeout_ms = static_cast<int32_t>(std::clamp<int64_t>(timeout_ms, 0, INT32_MAX));
  auto& t = req.topic_data.emplace_back();
  t.name = topic;
  auto& p = t.partition_data.emplace_back();
  p.index = partition_id(partition);
  p.records = std::move(*built);
  p.expected_log_end_offset = offset(expected_end);
  SHOAL_ASSIGN_OR_RETURN(
      auto resp,
      (to_leaders<protocol::ProduceRequest, protocol::ProduceResponse>(req, timeout_ms)));
  return resp.responses.at(0).partition_responses.at(0);
}

}  // namespace shoal::client
