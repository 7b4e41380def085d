// Consumer groups: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
// OffsetFetch, OffsetDelete, DescribeGroups, ListGroups, DeleteGroups. The handlers translate
// messages, at whatever version the client speaks, to the group coordinator
// (cpp/group/coordinator.h); JoinGroup and SyncGroup answer when the rebalance gets there,
// OffsetCommit once the commit is replicated.
#include <memory>

#include "broker/handlers/handlers.h"
#include "ipc/process.h"

namespace shoal::broker {

namespace {

// The JoinGroup and SyncGroup callbacks may run much later, on another thread.
std::shared_ptr<RequestContext> keep(RequestContext& ctx) {
  return std::make_shared<RequestContext>(ctx);
}

struct Coordinator {
  errc error = errc::none;
  std::string message;
  int32_t node = -1;
  std::string host;
  int32_t port = -1;
};

// The broker that coordinates `group`: the leader of its partition of __consumer_offsets.
Coordinator find_group_coordinator(BrokerServices& s, const std::string& group) {
  Coordinator c;
  auto fail = [&c](errc e, std::string msg) {
    c.error = e;
    c.message = std::move(msg);
    return c;
  };
  if (group.empty()) return fail(errc::invalid_group_id, "the group id is empty");
  auto view = s.view();
  const auto* topic = view->image.topic(std::string(group::offsets_topic));
  if (topic == nullptr) {
    // As Kafka: the first FindCoordinator creates the offsets topic; the client asks again.
    s.request_offsets_topic();
    return fail(errc::coordinator_not_available,
                fmt::format("{} is being created", group::offsets_topic));
  }
  int32_t p = s.groups.partition_for(group);
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
  auto ep = s.endpoint(leader);
  c.node = leader;
  c.host = ep.first;
  c.port = ep.second;
  return c;
}

Coordinator find_coordinator(BrokerServices& s, protocol::coordinator_type type,
                             const std::string& key) {
  if (type != protocol::coordinator_type::group) {
    Coordinator c;
    c.error = type == protocol::coordinator_type::transaction ? errc::coordinator_not_available
                                                              : errc::invalid_request;
    c.message = type == protocol::coordinator_type::transaction
                    ? "transactions are not supported yet (no transaction coordinator)"
                    : fmt::format("coordinator type {} is unknown", static_cast<int>(type));
    return c;
  }
  return find_group_coordinator(s, key);
}

}  // namespace

void handle(BrokerServices& s, RequestContext& ctx, protocol::FindCoordinatorRequest& req) {
  protocol::FindCoordinatorResponse r;
  if (ctx.version() >= 4) {
    // Version 4 asks for several keys at once (KIP-699).
    for (const auto& key : req.coordinator_keys) {
      Coordinator c = find_coordinator(s, req.key_type, key);
      auto& out = r.coordinators.emplace_back();
      out.key = key;
      out.node_id = node_id(c.node);
      out.host = c.host;
      out.port = c.port;
      out.error_code = c.error;
      if (c.error != errc::none) out.error_message = c.message;
    }
    return ctx.respond(r);
  }
  Coordinator c = find_coordinator(s, req.key_type, req.key);
  r.node_id = node_id(c.node);
  r.host = c.host;
  r.port = c.port;
  r.error_code = c.error;
  if (c.error != errc::none) r.error_message = c.message;
  ctx.respond(r);
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::JoinGroupRequest& req) {
  group::JoinRequest j;
  j.member_id = req.member_id;
  j.group_instance_id = req.group_instance_id;
  j.client_id = ctx.client_id();
  j.client_host = ctx.client_host;
  j.session_timeout_ms = req.session_timeout_ms;
  // Version 0 has no rebalance timeout: Kafka takes the session timeout for it.
  j.rebalance_timeout_ms = ctx.version() >= 1 ? req.rebalance_timeout_ms : req.session_timeout_ms;
  j.protocol_type = req.protocol_type;
  j.require_known_member_id = ctx.version() >= 4;
  for (auto& p : req.protocols) j.protocols.emplace_back(p.name, std::move(p.metadata));
  auto c = keep(ctx);
  s.groups.join(req.group_id, j, ipc::monotonic_ms(), [c](group::JoinResult res) {
    protocol::JoinGroupResponse r;
    r.error_code = res.error;
    r.generation_id = res.generation;
    if (!res.protocol_type.empty()) r.protocol_type = res.protocol_type;
    // Before version 7 the protocol name is not nullable: "" stands for none.
    r.protocol_name = res.protocol_name;
    if (!r.protocol_name && c->version() < 7) r.protocol_name = std::string();
    r.leader = res.leader;
    r.skip_assignment = res.skip_assignment;
    r.member_id = res.member_id;
    for (auto& m : res.members) {
      auto& out = r.members.emplace_back();
      out.member_id = m.member_id;
      out.group_instance_id = m.group_instance_id;
      out.metadata = std::move(m.metadata);
    }
    c->respond(r);
  });
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::SyncGroupRequest& req) {
  std::vector<std::pair<std::string, protocol::bytes>> assignments;
  for (auto& a : req.assignments) assignments.emplace_back(a.member_id, std::move(a.assignment));
  auto c = keep(ctx);
  s.groups.sync(req.group_id, req.member_id, req.generation_id, req.group_instance_id,
                req.protocol_type, req.protocol_name, std::move(assignments), ipc::monotonic_ms(),
                [c](group::SyncResult res) {
                  protocol::SyncGroupResponse r;
                  r.error_code = res.error;
                  r.protocol_type = res.protocol_type;
                  r.protocol_name = res.protocol_name;
                  r.assignment = std::move(res.assignment);
                  c->respond(r);
                });
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::HeartbeatRequest& req) {
  protocol::HeartbeatResponse r;
  int64_t now = ipc::monotonic_ms();
  r.error_code = s.groups.heartbeat(req.group_id, req.member_id, req.generation_id,
                                    req.group_instance_id, now);
  if (r.error_code != errc::none || req.max_wait_ms <= 0) return ctx.respond(r);
  // Held (Shoal's max_wait_ms): answered when the group's state moves (the broker wakes held
  // heartbeats then) or at max_wait_ms. The session was refreshed on arrival; the wait does not
  // refresh it, so a member that dies while held still expires on time.
  auto shared_ctx = std::make_shared<RequestContext>(ctx);
  auto held = std::make_shared<protocol::HeartbeatRequest>(std::move(req));
  group::GroupCoordinator* groups = &s.groups;
  s.delayed.park(
      {{std::string(held_heartbeats_key), 0}}, now + std::min<int32_t>(held->max_wait_ms, 60'000),
      [groups, held, shared_ctx](bool force) {
        protocol::HeartbeatResponse out;
        out.error_code = groups->heartbeat_status(held->group_id, held->member_id,
                                                  held->generation_id, held->group_instance_id);
        if (out.error_code == errc::none && !force) return false;
        shared_ctx->respond(out);
        return true;
      });
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::LeaveGroupRequest& req) {
  std::vector<std::pair<std::string, std::optional<std::string>>> members;
  if (ctx.version() >= 3) {
    for (const auto& m : req.members) members.emplace_back(m.member_id, m.group_instance_id);
  } else {
    members.emplace_back(req.member_id, std::nullopt);  // one member, by id
  }
  protocol::LeaveGroupResponse r;
  auto res = s.groups.leave(req.group_id, members, ipc::monotonic_ms());
  if (!res) {
    r.error_code = res.code();
  } else if (ctx.version() >= 3) {
    for (size_t i = 0; i < members.size(); ++i) {
      auto& out = r.members.emplace_back();
      out.member_id = members[i].first;
      out.group_instance_id = members[i].second;
      out.error_code = (*res)[i];
    }
  } else {
    r.error_code = res->front();  // the one member's error is the request's
  }
  ctx.respond(r);
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::OffsetCommitRequest& req) {
  auto view = s.view();
  auto resp = std::make_shared<protocol::OffsetCommitResponse>();
  std::vector<group::CommitEntry> entries;
  std::vector<std::pair<size_t, size_t>> where;  // response slot of each entry
  for (const auto& t : req.topics) {
    auto& rt = resp->topics.emplace_back();
    rt.name = t.name;
    const auto* topic = view->image.topic(t.name);
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      if (topic == nullptr || p.partition_index() < 0 ||
          p.partition_index() >= static_cast<int32_t>(topic->partitions.size())) {
        rp.error_code = errc::unknown_topic_or_partition;
        continue;
      }
      entries.push_back({t.name, p.partition_index(), p.committed_offset(),
                         p.committed_leader_epoch(), p.committed_metadata});
      where.emplace_back(resp->topics.size() - 1, rt.partitions.size() - 1);
    }
  }
  auto c = keep(ctx);
  if (entries.empty()) return c->respond(*resp);
  s.groups.commit(
      req.group_id, req.member_id, req.generation_id_or_member_epoch, req.group_instance_id,
      std::move(entries), ipc::monotonic_ms(), [c, resp, where](std::vector<errc> errors) {
        for (size_t i = 0; i < where.size() && i < errors.size(); ++i) {
          resp->topics[where[i].first].partitions[where[i].second].error_code = errors[i];
        }
        c->respond(*resp);
      });
}

namespace {

using TopicsAsked = std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>>;

// One group's committed offsets, in the response shape of version 8 (the older shape is
// filled from it). A group-wide error is also set on every partition asked for, as Kafka does
// for clients of versions without a group error field.
protocol::OffsetFetchResponse::OffsetFetchResponseGroup fetch_group(BrokerServices& s,
                                                                    const std::string& group,
                                                                    const TopicsAsked& topics) {
  protocol::OffsetFetchResponse::OffsetFetchResponseGroup g;
  g.group_id = group;
  auto got = s.groups.fetch_offsets(group, topics);
  if (!got) {
    g.error_code = got.code();
    if (topics) {
      for (const auto& [name, parts] : *topics) {
        auto& t = g.topics.emplace_back();
        t.name = name;
        for (int32_t p : parts) {
          auto& out = t.partitions.emplace_back();
          out.partition_index = partition_id(p);
          out.committed_offset = offset(-1);
          out.metadata = std::string();
          out.error_code = got.code();
        }
      }
    }
    return g;
  }
  for (const auto& c : *got) {
    if (g.topics.empty() || g.topics.back().name != c.topic) g.topics.emplace_back().name = c.topic;
    auto& p = g.topics.back().partitions.emplace_back();
    p.partition_index = partition_id(c.partition);
    p.committed_offset = offset(c.offset);
    p.committed_leader_epoch = leader_epoch(c.leader_epoch);
    p.metadata = c.metadata;
  }
  return g;
}

template <typename Topics>
TopicsAsked topics_asked(const std::optional<std::vector<Topics>>& topics) {
  if (!topics) return std::nullopt;
  TopicsAsked out;
  out.emplace();
  for (const auto& t : *topics) out->emplace_back(t.name, t.partition_indexes);
  return out;
}

}  // namespace

void handle(BrokerServices& s, RequestContext& ctx, protocol::OffsetFetchRequest& req) {
  protocol::OffsetFetchResponse r;
  if (ctx.version() >= 8) {
    for (const auto& g : req.groups) {
      r.groups.push_back(fetch_group(s, g.group_id, topics_asked(g.topics)));
    }
    return ctx.respond(r);
  }
  // Version 1 cannot ask for every partition: its topic list is never null.
  auto g = fetch_group(s, req.group_id, topics_asked(req.topics));
  r.error_code = g.error_code;
  for (auto& t : g.topics) {
    auto& rt = r.topics.emplace_back();
    rt.name = t.name;
    for (auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      rp.committed_offset = p.committed_offset;
      rp.committed_leader_epoch = p.committed_leader_epoch;
      rp.metadata = p.metadata;
      rp.error_code = p.error_code;
    }
  }
  ctx.respond(r);
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::OffsetDeleteRequest& req) {
  std::vector<std::pair<std::string, int32_t>> parts;
  for (const auto& t : req.topics) {
    for (const auto& p : t.partitions) parts.emplace_back(t.name, p.partition_index());
  }
  auto c = keep(ctx);
  auto asked = std::make_shared<protocol::OffsetDeleteRequest>(std::move(req));
  s.groups.delete_offsets(asked->group_id, parts, [c, asked](result<std::vector<errc>> res) {
    protocol::OffsetDeleteResponse r;
    if (!res) {
      r.error_code = res.code();
      return c->respond(r);
    }
    size_t i = 0;
    for (const auto& t : asked->topics) {
      auto& rt = r.topics.emplace_back();
      rt.name = t.name;
      for (const auto& p : t.partitions) {
        auto& rp = rt.partitions.emplace_back();
        rp.partition_index = p.partition_index;
        rp.error_code = (*res)[i++];
      }
    }
    c->respond(r);
  });
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::DescribeGroupsRequest& req) {
  protocol::DescribeGroupsResponse r;
  for (const auto& id : req.groups) {
    auto d = s.groups.describe(id);
    auto& g = r.groups.emplace_back();
    g.error_code = d.error;
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

void handle(BrokerServices& s, RequestContext& ctx, protocol::ListGroupsRequest& req) {
  protocol::ListGroupsResponse r;
  // Kafka matches both filters ignoring case: the Java admin sends "Classic" and "Stable",
  // librdkafka "classic".
  auto has = [](const std::vector<std::string>& filter, std::string_view v) {
    return std::any_of(filter.begin(), filter.end(), [&](const std::string& f) {
      return f.size() == v.size() && std::equal(f.begin(), f.end(), v.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
             });
    });
  };
  for (auto& g : s.groups.list()) {
    if (!req.states_filter.empty() && !has(req.states_filter, g.state)) continue;
    if (!req.types_filter.empty() && !has(req.types_filter, "classic")) continue;
    auto& out = r.groups.emplace_back();
    out.group_id = g.group_id;
    out.protocol_type = g.protocol_type;
    out.group_state = g.state;
    out.group_type = "classic";
  }
  ctx.respond(r);
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::DeleteGroupsRequest& req) {
  struct State {
    std::mutex mu;
    protocol::DeleteGroupsResponse resp;
    size_t left = 0;
  };
  auto st = std::make_shared<State>();
  st->left = req.groups_names.size();
  for (const auto& g : req.groups_names) st->resp.results.emplace_back().group_id = g;
  auto c = keep(ctx);
  if (st->left == 0) return c->respond(st->resp);
  for (size_t i = 0; i < req.groups_names.size(); ++i) {
    s.groups.delete_group(req.groups_names[i], [st, c, i](errc e) {
      std::lock_guard lock(st->mu);
      st->resp.results[i].error_code = e;
      if (--st->left == 0) c->respond(st->resp);
    });
  }
}

}  // namespace shoal::broker
