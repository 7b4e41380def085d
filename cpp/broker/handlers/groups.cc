// Consumer groups: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
// OffsetFetch, DescribeGroups, ListGroups, DeleteGroups. The handlers translate messages to
// the group coordinator (cpp/group/coordinator.h); JoinGroup and SyncGroup answer when the
// rebalance gets there, OffsetCommit once the commit is replicated.
#include <memory>

#include "broker/handlers/handlers.h"
#include "ipc/process.h"

namespace shoal::broker {

namespace {

// The JoinGroup and SyncGroup callbacks may run much later, on another thread.
std::shared_ptr<RequestContext> keep(RequestContext& ctx) {
  return std::make_shared<RequestContext>(ctx);
}

}  // namespace

void handle_find_coordinator(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto req = protocol::decode<protocol::FindCoordinatorRequest>(body);
  if (!req) return ctx.respond_error(errc::invalid_request, req.err().message);
  protocol::FindCoordinatorResponse r;
  auto fail = [&](errc e, std::string msg) {
    r.error = e;
    r.error_message = std::move(msg);
    ctx.respond(r);
  };
  if (req->key_type != protocol::coordinator_type::group) {
    return fail(errc::invalid_request,
                "transactions are not supported (no transaction coordinator)");
  }
  if (req->key.empty()) return fail(errc::invalid_group_id, "the group id is empty");
  auto view = s.view();
  const auto* topic = view->image.topic(std::string(group::offsets_topic));
  if (topic == nullptr) {
    // As Kafka: the first FindCoordinator creates the offsets topic; the client asks again.
    s.request_offsets_topic();
    return fail(errc::coordinator_not_available,
                fmt::format("{} is being created", group::offsets_topic));
  }
  int32_t p = s.groups.partition_for(req->key);
  if (p >= static_cast<int32_t>(topic->partitions.size())) {
    return fail(errc::coordinator_not_available,
                fmt::format("{} has {} partitions, offsets.topic.num.partitions says more",
                            group::offsets_topic, topic->partitions.size()));
  }
  int32_t leader = topic->partitions[static_cast<size_t>(p)].leader;
  if (leader < 0) {
    return fail(errc::coordinator_not_available,
                fmt::format("{}-{} has no leader", group::offsets_topic, p));
  }
  r.node_id = node_id(leader);
  r.host = "shm://" + s.config.cluster;
  r.port = 0;
  ctx.respond(r);
}

void handle_join_group(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto req = protocol::decode<protocol::JoinGroupRequest>(body);
  if (!req) return ctx.respond_error(errc::invalid_request, req.err().message);
  group::JoinRequest j;
  j.member_id = req->member_id;
  j.group_instance_id = req->group_instance_id;
  j.client_id = ctx.header.client_id;
  // Kafka records the client's address ("/127.0.0.1"); a shared-memory client has none, and
  // its process id says more on one host. No space, so tools' columns stay split-able.
  j.client_host = "/pid:" + std::to_string(ctx.client_pid);
  j.session_timeout_ms = req->session_timeout_ms;
  j.rebalance_timeout_ms = req->rebalance_timeout_ms;
  j.protocol_type = req->protocol_type;
  for (auto& p : req->protocols) j.protocols.emplace_back(p.name, std::move(p.metadata));
  auto c = keep(ctx);
  s.groups.join(req->group_id, j, ipc::monotonic_ms(), [c](group::JoinResult res) {
    protocol::JoinGroupResponse r;
    r.error = res.error;
    r.generation_id = res.generation;
    if (!res.protocol_type.empty()) r.protocol_type = res.protocol_type;
    r.protocol_name = res.protocol_name;
    r.leader = res.leader;
    r.skip_assignment = res.skip_assignment;
    r.member_id = res.member_id;
    for (auto& m : res.members) {
      r.members.push_back({m.member_id, m.group_instance_id, std::move(m.metadata)});
    }
    c->respond(r);
  });
}

void handle_sync_group(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto req = protocol::decode<protocol::SyncGroupRequest>(body);
  if (!req) return ctx.respond_error(errc::invalid_request, req.err().message);
  std::vector<std::pair<std::string, protocol::bytes>> assignments;
  for (auto& a : req->assignments) assignments.emplace_back(a.member_id, std::move(a.assignment));
  auto c = keep(ctx);
  s.groups.sync(req->group_id, req->member_id, req->generation_id, req->group_instance_id,
                req->protocol_type, req->protocol_name, std::move(assignments), ipc::monotonic_ms(),
                [c](group::SyncResult res) {
                  protocol::SyncGroupResponse r;
                  r.error = res.error;
                  r.protocol_type = res.protocol_type;
                  r.protocol_name = res.protocol_name;
                  r.assignment = std::move(res.assignment);
                  c->respond(r);
                });
}

void handle_heartbeat(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto req = protocol::decode<protocol::HeartbeatRequest>(body);
  if (!req) return ctx.respond_error(errc::invalid_request, req.err().message);
  protocol::HeartbeatResponse r;
  int64_t now = ipc::monotonic_ms();
  r.error = s.groups.heartbeat(req->group_id, req->member_id, req->generation_id,
                               req->group_instance_id, now);
  if (r.error != errc::none || req->max_wait_ms <= 0) return ctx.respond(r);
  // Held: answered when the group's state moves (the broker wakes held heartbeats then) or
  // at max_wait_ms. The session was refreshed on arrival; the wait does not refresh it, so a
  // member that dies while held still expires on time.
  auto shared_ctx = std::make_shared<RequestContext>(ctx);
  auto held = std::make_shared<protocol::HeartbeatRequest>(std::move(req).value());
  group::GroupCoordinator* groups = &s.groups;
  s.delayed.park(
      {{std::string(held_heartbeats_key), 0}}, now + std::min<int32_t>(held->max_wait_ms, 60'000),
      [groups, held, shared_ctx](bool force) {
        protocol::HeartbeatResponse out;
        out.error = groups->heartbeat_status(held->group_id, held->member_id, held->generation_id,
                                             held->group_instance_id);
        if (out.error == errc::none && !force) return false;
        shared_ctx->respond(out);
        return true;
      });
}

void handle_leave_group(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto req = protocol::decode<protocol::LeaveGroupRequest>(body);
  if (!req) return ctx.respond_error(errc::invalid_request, req.err().message);
  std::vector<std::pair<std::string, std::optional<std::string>>> members;
  for (const auto& m : req->members) members.emplace_back(m.member_id, m.group_instance_id);
  protocol::LeaveGroupResponse r;
  auto res = s.groups.leave(req->group_id, members, ipc::monotonic_ms());
  if (!res) {
    r.error = res.code();
  } else {
    for (size_t i = 0; i < members.size(); ++i) {
      r.members.push_back({members[i].first, members[i].second, (*res)[i]});
    }
  }
  ctx.respond(r);
}

void handle_offset_commit(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto req = protocol::decode<protocol::OffsetCommitRequest>(body);
  if (!req) return ctx.respond_error(errc::invalid_request, req.err().message);
  auto view = s.view();
  auto resp = std::make_shared<protocol::OffsetCommitResponse>();
  std::vector<group::CommitEntry> entries;
  std::vector<std::pair<size_t, size_t>> where;  // response slot of each entry
  for (const auto& t : req->topics) {
    auto& rt = resp->topics.emplace_back();
    rt.name = t.name;
    const auto* topic = view->image.topic(t.name);
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      if (topic == nullptr || p.partition_index() < 0 ||
          p.partition_index() >= static_cast<int32_t>(topic->partitions.size())) {
        rp.error = errc::unknown_topic_or_partition;
        continue;
      }
      entries.push_back({t.name, p.partition_index(), p.committed_offset(),
                         p.committed_leader_epoch(), p.committed_metadata});
      where.emplace_back(resp->topics.size() - 1, rt.partitions.size() - 1);
    }
  }
  auto c = keep(ctx);
  if (entries.empty()) return c->respond(*resp);
  s.groups.commit(req->group_id, req->member_id, req->generation_id_or_member_epoch,
                  req->group_instance_id, std::move(entries), ipc::monotonic_ms(),
                  [c, resp, where](std::vector<errc> errors) {
                    for (size_t i = 0; i < where.size() && i < errors.size(); ++i) {
                      resp->topics[where[i].first].partitions[where[i].second].error = errors[i];
                    }
                    c->respond(*resp);
                  });
}

void handle_offset_fetch(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto req = protocol::decode<protocol::OffsetFetchRequest>(body);
  if (!req) return ctx.respond_error(errc::invalid_request, req.err().message);
  std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>> topics;
  if (req->topics) {
    topics.emplace();
    for (const auto& t : *req->topics) {
      std::vector<int32_t> parts;
      for (auto p : t.partition_indexes) parts.push_back(p());
      topics->emplace_back(t.name, std::move(parts));
    }
  }
  protocol::OffsetFetchResponse r;
  auto got = s.groups.fetch_offsets(req->group_id, topics);
  if (!got) {
    r.error = got.code();
    return ctx.respond(r);
  }
  for (const auto& c : *got) {
    if (r.topics.empty() || r.topics.back().name != c.topic) r.topics.push_back({c.topic, {}});
    protocol::OffsetFetchResponse::Partition p;
    p.partition_index = partition_id(c.partition);
    p.committed_offset = offset(c.offset);
    p.committed_leader_epoch = leader_epoch(c.leader_epoch);
    p.metadata = c.metadata;
    r.topics.back().partitions.push_back(std::move(p));
  }
  ctx.respond(r);
}

void handle_describe_groups(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto req = protocol::decode<protocol::DescribeGroupsRequest>(body);
  if (!req) return ctx.respond_error(errc::invalid_request, req.err().message);
  protocol::DescribeGroupsResponse r;
  for (const auto& id : req->groups) {
    auto d = s.groups.describe(id);
    auto& g = r.groups.emplace_back();
    g.error = d.error;
    g.group_id = d.group_id;
    g.group_state = d.state;
    g.protocol_type = d.protocol_type;
    g.protocol_data = d.protocol;
    for (auto& m : d.members) {
      auto& gm = g.members.emplace_back();
      gm.member_id = m.member_id;
      gm.group_instance_id = m.group_instance_id;
      gm.client_id = m.client_id;
      gm.client_host = m.client_host;
      gm.member_metadata = std::move(m.metadata);
      gm.member_assignment = std::move(m.assignment);
    }
  }
  ctx.respond(r);
}

void handle_list_groups(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto req = protocol::decode<protocol::ListGroupsRequest>(body);
  if (!req) return ctx.respond_error(errc::invalid_request, req.err().message);
  protocol::ListGroupsResponse r;
  for (auto& g : s.groups.list()) {
    if (!req->states_filter.empty() &&
        std::find(req->states_filter.begin(), req->states_filter.end(), g.state) ==
            req->states_filter.end()) {
      continue;
    }
    if (!req->types_filter.empty() && std::find(req->types_filter.begin(), req->types_filter.end(),
                                                "classic") == req->types_filter.end()) {
      continue;
    }
    auto& out = r.groups.emplace_back();
    out.group_id = g.group_id;
    out.protocol_type = g.protocol_type;
    out.group_state = g.state;
    out.group_type = "classic";
  }
  ctx.respond(r);
}

void handle_delete_groups(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto req = protocol::decode<protocol::DeleteGroupsRequest>(body);
  if (!req) return ctx.respond_error(errc::invalid_request, req.err().message);
  struct State {
    std::mutex mu;
    protocol::DeleteGroupsResponse resp;
    size_t left = 0;
  };
  auto st = std::make_shared<State>();
  st->left = req->groups_names.size();
  for (const auto& g : req->groups_names) st->resp.results.push_back({g, errc::none});
  auto c = keep(ctx);
  if (st->left == 0) return c->respond(st->resp);
  for (size_t i = 0; i < req->groups_names.size(); ++i) {
    s.groups.delete_group(req->groups_names[i], [st, c, i](errc e) {
      std::lock_guard lock(st->mu);
      st->resp.results[i].error = e;
      if (--st->left == 0) c->respond(st->resp);
    });
  }
}

}  // namespace shoal::broker
