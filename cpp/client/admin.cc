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
  return md.controller_id;
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
    for (const auto& t : r->topics) check(t.error);
  } else if constexpr (std::is_same_v<Resp, protocol::CreatePartitionsResponse>) {
    for (const auto& t : r->results) check(t.error);
  } else if constexpr (std::is_same_v<Resp, protocol::ElectLeadersResponse>) {
    check(r->error);
  } else {
    for (const auto& t : r->responses) check(t.error);
  }
  return any && all;
}

}  // namespace

template <typename Req, typename Resp>
result<Resp> Admin::to_controller(const Req& req, int64_t timeout_ms) {
  int64_t deadline = ipc::monotonic_ms() + timeout_ms;
  result<Resp> last = make_error(errc::timed_out, "no controller answered");
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

result<protocol::DescribeConfigsResponse::Result> Admin::describe_configs(
    const protocol::DescribeConfigsRequest::Resource& resource, bool synonyms, bool documentation,
    int64_t timeout_ms) {
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
    req.key = group;
    auto resp = cluster_->call<protocol::FindCoordinatorRequest, protocol::FindCoordinatorResponse>(
        -1, req, left);
    if (resp && resp->error == errc::none && resp->node_id() >= 0) return resp->node_id();
    if (resp && !coordinator_moving(resp->error)) {
      return make_error(resp->error, "{}",
                        resp->error_message.value_or(std::string(errc_name(resp->error))));
    }
    if (!resp) {
      last = resp.err();
    } else {
      last = make_error(resp->error, "no coordinator for group {} yet", group);
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

result<protocol::DescribeGroupsResponse::Group> Admin::describe_group(const std::string& group,
                                                                      int64_t timeout_ms) {
  protocol::DescribeGroupsRequest req;
  req.groups.push_back(group);
  SHOAL_ASSIGN_OR_RETURN(
      auto resp, (to_coordinator<protocol::DescribeGroupsRequest, protocol::DescribeGroupsResponse>(
                     group, req, timeout_ms, [](const protocol::DescribeGroupsResponse& r) {
                       return r.groups.size() == 1 && coordinator_moving(r.groups[0].error);
                     })));
  if (resp.groups.size() != 1) {
    return make_error(errc::unknown_server_error, "DescribeGroups answered {} groups, not 1",
                      resp.groups.size());
  }
  return std::move(resp.groups[0]);
}

result<protocol::OffsetFetchResponse> Admin::offset_fetch(const protocol::OffsetFetchRequest& req,
                                                          int64_t timeout_ms) {
  return to_coordinator<protocol::OffsetFetchRequest, protocol::OffsetFetchResponse>(
      req.group_id, req, timeout_ms,
      [](const protocol::OffsetFetchResponse& r) { return coordinator_moving(r.error); });
}

result<protocol::OffsetCommitResponse> Admin::offset_commit(
    const protocol::OffsetCommitRequest& req, int64_t timeout_ms) {
  return to_coordinator<protocol::OffsetCommitRequest, protocol::OffsetCommitResponse>(
      req.group_id, req, timeout_ms, [](const protocol::OffsetCommitResponse& r) {
        // Group-wide errors are repeated on every partition.
        for (const auto& t : r.topics) {
          for (const auto& p : t.partitions) {
            if (!coordinator_moving(p.error)) return false;
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
                       return r.results.size() == 1 && coordinator_moving(r.results[0].error);
                     })));
  if (resp.results.size() != 1) {
    return make_error(errc::unknown_server_error, "DeleteGroups answered {} groups, not 1",
                      resp.results.size());
  }
  return resp.results[0].error;
}

std::vector<protocol::ListGroupsResponse::Group> Admin::list_groups(
    const protocol::ListGroupsRequest& req, int64_t timeout_ms,
    std::vector<std::pair<int32_t, error>>* failed) {
  std::vector<protocol::ListGroupsResponse::Group> out;
  for (int32_t id : cluster_->live_brokers()) {
    auto resp = cluster_->call<protocol::ListGroupsRequest, protocol::ListGroupsResponse>(
        id, req, timeout_ms);
    if (!resp || resp->error != errc::none) {
      if (failed != nullptr) {
        failed->emplace_back(id, resp ? make_error(resp->error,
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

// The partition index of the per-partition entries the leader-routed calls share.
int32_t index_of(const protocol::ListOffsetsRequest::Partition& p) {
  return p.partition();
}
int32_t index_of(const protocol::ListOffsetsResponse::Partition& p) {
  return p.partition();
}
int32_t index_of(const protocol::DeleteRecordsRequest::Partition& p) {
  return p.partition_index();
}
int32_t index_of(const protocol::DeleteRecordsResponse::Partition& p) {
  return p.partition_index();
}
int32_t index_of(const protocol::ProduceRequest::Partition& p) {
  return p.index();
}
int32_t index_of(const protocol::ProduceResponse::Partition& p) {
  return p.index();
}
void set_index(protocol::ProduceResponse::Partition& p, int32_t i) {
  p.index = partition_id(i);
}
void set_index(protocol::ListOffsetsResponse::Partition& p, int32_t i) {
  p.partition = partition_id(i);
}
void set_index(protocol::DeleteRecordsResponse::Partition& p, int32_t i) {
  p.partition_index = partition_id(i);
}

}  // namespace

template <typename Req, typename Resp>
result<Resp> Admin::to_leaders(const Req& req, int64_t timeout_ms) {
  using ReqPartition = typename decltype(Req::Topic::partitions)::value_type;
  using RespPartition = typename decltype(Resp::Topic::partitions)::value_type;
  using Key = std::pair<std::string, int32_t>;
  int64_t deadline = ipc::monotonic_ms() + timeout_ms;
  // The answer so far for every partition asked, in the order asked.
  Resp out;
  std::map<Key, const ReqPartition*> asked;
  std::vector<std::string> topics;
  for (const auto& t : req.topics) {
    topics.push_back(t.name);
    auto& rt = out.topics.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      RespPartition r;
      set_index(r, index_of(p));
      r.error = errc::leader_not_available;
      rt.partitions.push_back(r);
      asked[{t.name, index_of(p)}] = &p;
    }
  }
  std::map<Key, RespPartition*> slot;
  for (auto& t : out.topics) {
    for (auto& p : t.partitions) slot[{t.name, index_of(p)}] = &p;
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
        slot[*it]->error = errc::unknown_topic_or_partition;  // final: no retry
        it = pending.erase(it);
        continue;
      }
      int32_t leader = ti->second.partitions[static_cast<size_t>(partition)].leader;
      if (leader >= 0) {
        auto [r, fresh] = by_leader.try_emplace(leader, req);
        if (fresh) r->second.topics.clear();  // the request's other fields, no partitions
        auto& rt = r->second.topics;
        if (rt.empty() || rt.back().name != topic) rt.push_back({topic, {}});
        rt.back().partitions.push_back(*asked[*it]);
      }
      ++it;
    }
    for (auto& [leader, r] : by_leader) {
      left = deadline - ipc::monotonic_ms();
      if (left <= 0) break;
      auto resp = cluster_->call<Req, Resp>(leader, r, left);
      if (!resp) continue;
      for (const auto& t : resp->topics) {
        for (const auto& p : t.partitions) {
          Key k{t.name, index_of(p)};
          auto sl = slot.find(k);
          if (sl == slot.end()) continue;
          *sl->second = p;
          if (!leader_moving(p.error)) pending.erase(k);
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

result<protocol::ProduceResponse::Partition> Admin::append_if_log_end(
    const std::string& topic, int32_t partition, int64_t expected_end,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
    int64_t timeout_ms) {
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
  req.acks = -1;
  req.timeout_ms = static_cast<int32_t>(std::clamp<int64_t>(timeout_ms, 0, INT32_MAX));
  auto& t = req.topics.emplace_back();
  t.name = topic;
  auto& p = t.partitions.emplace_back();
  p.index = partition_id(partition);
  p.records = std::move(*built);
  p.expected_log_end_offset = offset(expected_end);
  SHOAL_ASSIGN_OR_RETURN(
      auto resp,
      (to_leaders<protocol::ProduceRequest, protocol::ProduceResponse>(req, timeout_ms)));
  return resp.topics.at(0).partitions.at(0);
}

}  // namespace shoal::client
