#include "group/coordinator.h"

#include "common/clock.h"
#include "common/logger.h"
#include "protocol/consumer_protocol.h"

namespace shoal::group {

namespace {

spdlog::logger& log() {
  return logger("group");
}

// offset.metadata.max.bytes
constexpr size_t max_metadata_bytes = 4096;

// What a failed store means to the client (Kafka's GroupMetadataManager mapping).
errc store_error(errc e) {
  switch (e) {
    case errc::none:
      return errc::none;
    case errc::unknown_topic_or_partition:
    case errc::not_enough_replicas:
    case errc::not_enough_replicas_after_append:
    case errc::request_timed_out:
      return errc::coordinator_not_available;
    case errc::not_leader_or_follower:
    case errc::kafka_storage_error:
    case errc::not_coordinator:
      return errc::not_coordinator;
    case errc::message_too_large:
    case errc::record_list_too_large:
    case errc::invalid_fetch_size:
      return errc::invalid_commit_offset_size;
    default:
      return errc::unknown_server_error;
  }
}

}  // namespace

GroupCoordinator::GroupCoordinator(CoordinatorOptions opts, GroupStore* store)
    : opts_(opts), store_(store) {}

void GroupCoordinator::run(Outbox& out) {
  for (auto& f : out) f();
  out.clear();
}

errc GroupCoordinator::serves_locked(const std::string& group) const {
  if (group.empty()) return errc::invalid_group_id;
  int32_t p = partition_for(group);
  if (loading_.count(p)) return errc::coordinator_load_in_progress;
  if (!owned_.count(p)) return errc::not_coordinator;
  return errc::none;
}

errc GroupCoordinator::serves(const std::string& group) const {
  std::lock_guard lock(mu_);
  return serves_locked(group);
}

GroupCoordinator::Entry& GroupCoordinator::entry_locked(const std::string& group) {
  auto& e = groups_[group];
  if (!e.group) e.group = std::make_unique<Group>(group, opts_.timeouts);
  return e;
}

std::set<int32_t> GroupCoordinator::owned_partitions() const {
  std::lock_guard lock(mu_);
  auto all = owned_;
  all.insert(loading_.begin(), loading_.end());
  return all;
}

void GroupCoordinator::begin_loading(int32_t partition) {
  std::lock_guard lock(mu_);
  loading_.insert(partition);
  owned_.erase(partition);
}

void GroupCoordinator::finish_loading(int32_t partition,
                                      const std::vector<CoordinatorRecord>& records, int64_t now) {
  std::lock_guard lock(mu_);
  if (!loading_.count(partition)) return;  // unloaded meanwhile
  // Latest record per key wins, as compaction would leave it.
  std::map<std::string, std::optional<GroupMetadataValue>> groups;
  std::map<std::string, Offsets> offsets;
  for (const auto& rec : records) {
    if (const auto* o = std::get_if<OffsetRecord>(&rec)) {
      if (partition_for(o->key.group) != partition) continue;
      auto& committed = offsets[o->key.group].committed;
      if (o->value) {
        committed[{o->key.topic, o->key.partition}] = *o->value;
      } else {
        committed.erase({o->key.topic, o->key.partition});
      }
    } else if (const auto* g = std::get_if<GroupRecord>(&rec)) {
      if (partition_for(g->key.group) != partition) continue;
      groups[g->key.group] = g->value;
      if (!g->value) offsets.erase(g->key.group);  // a deleted group loses its offsets too
    }
  }
  size_t with_members = 0;
  for (auto& [name, value] : groups) {
    if (!value) continue;
    Entry& e = entry_locked(name);
    std::vector<Member> members;
    for (const auto& mv : value->members) {
      Member m;
      m.id = mv.member_id;
      m.instance_id = mv.group_instance_id;
      m.client_id = mv.client_id;
      m.client_host = mv.client_host;
      m.session_timeout_ms = mv.session_timeout;
      m.rebalance_timeout_ms = mv.rebalance_timeout;
      if (value->protocol) m.protocols.push_back({*value->protocol, mv.subscription});
      m.assignment = mv.assignment;
      members.push_back(std::move(m));
    }
    with_members += members.empty() ? 0 : 1;
    e.group->restore(value->generation, value->protocol_type, value->protocol,
                     value->leader.value_or(""), std::move(members), now);
  }
  for (auto& [name, o] : offsets) {
    if (o.committed.empty()) continue;
    entry_locked(name).offsets = std::move(o);
  }
  loading_.erase(partition);
  owned_.insert(partition);
  log().info("coordinator: loaded {}-{}: {} record(s), {} group(s) with members, {} with offsets",
             offsets_topic, partition, records.size(), with_members, offsets.size());
}

void GroupCoordinator::unload(int32_t partition) {
  Outbox out;
  {
    std::lock_guard lock(mu_);
    loading_.erase(partition);
    if (!owned_.erase(partition)) return;
    size_t n = 0;
    for (auto it = groups_.begin(); it != groups_.end();) {
      if (partition_for(it->first) == partition) {
        it->second.group->unload(errc::not_coordinator, out);
        it = groups_.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    log().info("coordinator: no longer leads {}-{}; {} group(s) unloaded", offsets_topic, partition,
               n);
  }
  run(out);
}

void GroupCoordinator::join(const std::string& group, const JoinRequest& req, int64_t now,
                            std::function<void(JoinResult)> cb) {
  Outbox out;
  {
    std::lock_guard lock(mu_);
    errc e = serves_locked(group);
    if (e != errc::none) {
      JoinResult r;
      r.error = e;
      r.member_id = req.member_id;
      out.push_back([cb, r] { cb(r); });
    } else {
      Entry& en = entry_locked(group);
      en.group->join(req, now, out, std::move(cb));
      store_if_empty_locked(group, en, out);
    }
  }
  run(out);
}

void GroupCoordinator::store_if_empty_locked(const std::string& group, Entry& e, Outbox& stores) {
  if (!e.group->take_empty_generation()) return;
  GroupMetadataValue v;
  v.protocol_type = e.group->protocol_type();
  v.generation = e.group->generation();
  v.current_state_timestamp = wall_clock_ms();
  std::vector<GroupStore::record> recs;
  recs.emplace_back(encode_key(GroupMetadataKey{group}), encode_value(v));
  int32_t partition = partition_for(group);
  int32_t generation = v.generation;
  // Nothing waits on this write. If it fails, a later coordinator loads the previous
  // generation and its members rejoin or expire, as before the group emptied.
  stores.push_back([this, recs = std::move(recs), partition, group, generation]() mutable {
    store_->append(partition, std::move(recs), [group, generation](errc err) {
      if (err != errc::none) {
        log().warn("coordinator: empty group {} generation {} could not be stored: {}", group,
                   generation, errc_name(err));
      }
    });
  });
}

void GroupCoordinator::store_generation_locked(const std::string& group, Entry& e, Outbox& stores) {
  const Group& g = *e.group;
  GroupMetadataValue v;
  v.protocol_type = g.protocol_type();
  v.generation = g.generation();
  v.protocol = g.protocol_name();
  v.leader = g.leader();
  v.current_state_timestamp = wall_clock_ms();
  for (const auto& [id, m] : g.members()) {
    MemberMetadata mv;
    mv.member_id = id;
    mv.group_instance_id = m.instance_id;
    mv.client_id = m.client_id;
    mv.client_host = m.client_host;
    mv.rebalance_timeout = m.rebalance_timeout_ms;
    mv.session_timeout = m.session_timeout_ms;
    for (const auto& [name, meta] : m.protocols) {
      if (g.protocol_name() && name == *g.protocol_name()) mv.subscription = meta;
    }
    mv.assignment = m.assignment;
    v.members.push_back(std::move(mv));
  }
  std::vector<GroupStore::record> recs;
  recs.emplace_back(encode_key(GroupMetadataKey{group}), encode_value(v));
  int32_t generation = g.generation();
  int32_t partition = partition_for(group);
  // Run after the lock is released: the store may answer at once.
  stores.push_back([this, recs = std::move(recs), partition, group, generation]() mutable {
    store_->append(partition, std::move(recs), [this, group, generation](errc err) {
      Outbox out;
      {
        std::lock_guard lock(mu_);
        auto it = groups_.find(group);
        if (it == groups_.end()) return;
        if (err != errc::none) {
          log().warn("coordinator: group {} generation {} could not be stored: {}", group,
                     generation, errc_name(err));
        }
        it->second.group->complete_sync(generation, store_error(err), monotonic_ms(), out);
      }
      run(out);
    });
  });
}

void GroupCoordinator::sync(const std::string& group, const std::string& member_id,
                            int32_t generation, const std::optional<std::string>& instance_id,
                            const std::optional<std::string>& protocol_type,
                            const std::optional<std::string>& protocol_name,
                            std::vector<std::pair<std::string, bytes>> assignments, int64_t now,
                            std::function<void(SyncResult)> cb) {
  Outbox out, stores;
  {
    std::lock_guard lock(mu_);
    errc e = serves_locked(group);
    auto it = groups_.find(group);
    if (e == errc::none && it == groups_.end()) e = errc::unknown_member_id;
    if (e == errc::none) {
      const Group& g = *it->second.group;
      // KIP-559: the protocol named must be the group's.
      if ((protocol_type && *protocol_type != g.protocol_type()) ||
          (protocol_name && g.protocol_name() && *protocol_name != *g.protocol_name())) {
        e = errc::inconsistent_group_protocol;
      }
    }
    if (e != errc::none) {
      SyncResult r;
      r.error = e;
      out.push_back([cb, r] { cb(r); });
    } else if (it->second.group->sync(member_id, generation, instance_id, assignments, now, out,
                                      std::move(cb))) {
      store_generation_locked(group, it->second, stores);
    }
  }
  run(out);
  run(stores);
}

errc GroupCoordinator::heartbeat(const std::string& group, const std::string& member_id,
                                 int32_t generation, const std::optional<std::string>& instance_id,
                                 int64_t now) {
  std::lock_guard lock(mu_);
  errc e = serves_locked(group);
  if (e != errc::none) return e;
  auto it = groups_.find(group);
  if (it == groups_.end()) return errc::unknown_member_id;
  return it->second.group->heartbeat(member_id, generation, instance_id, now);
}

errc GroupCoordinator::heartbeat_status(const std::string& group, const std::string& member_id,
                                        int32_t generation,
                                        const std::optional<std::string>& instance_id) const {
  std::lock_guard lock(mu_);
  errc e = serves_locked(group);
  if (e != errc::none) return e;
  auto it = groups_.find(group);
  if (it == groups_.end()) return errc::unknown_member_id;
  return it->second.group->heartbeat_status(member_id, generation, instance_id);
}

result<std::vector<errc>> GroupCoordinator::leave(
    const std::string& group,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& members, int64_t now) {
  Outbox out;
  std::vector<errc> r;
  {
    std::lock_guard lock(mu_);
    errc e = serves_locked(group);
    if (e != errc::none) return make_error(e, "{}", errc_description(e));
    auto it = groups_.find(group);
    if (it == groups_.end()) {
      r.assign(members.size(), errc::unknown_member_id);
    } else {
      r = it->second.group->leave(members, now, out);
      store_if_empty_locked(group, it->second, out);
    }
  }
  run(out);
  return r;
}

void GroupCoordinator::commit(const std::string& group, const std::string& member_id,
                              int32_t generation, const std::optional<std::string>& instance_id,
                              std::vector<CommitEntry> entries, int64_t now,
                              std::function<void(std::vector<errc>)> cb) {
  (void)now;
  std::vector<errc> result(entries.size(), errc::none);
  std::vector<GroupStore::record> recs;
  std::vector<size_t> stored;  // indexes of the entries being written
  int32_t partition = 0;
  {
    std::lock_guard lock(mu_);
    errc e = serves_locked(group);
    if (e == errc::none) {
      auto it = groups_.find(group);
      e = it == groups_.end()
              ? (generation < 0 && member_id.empty() ? errc::none : errc::unknown_member_id)
              : it->second.group->validate_commit(member_id, generation, instance_id);
    }
    if (e != errc::none) {
      result.assign(entries.size(), e);
    } else {
      partition = partition_for(group);
      int64_t ts = wall_clock_ms();
      for (size_t i = 0; i < entries.size(); ++i) {
        const auto& c = entries[i];
        if (c.metadata && c.metadata->size() > max_metadata_bytes) {
          result[i] = errc::offset_metadata_too_large;
          continue;
        }
        OffsetCommitValue v{c.offset, c.leader_epoch, c.metadata.value_or(""), ts};
        recs.emplace_back(encode_key(OffsetCommitKey{group, c.topic, c.partition}),
                          encode_value(v));
        stored.push_back(i);
      }
    }
  }
  if (stored.empty()) return cb(result);
  store_->append(partition, std::move(recs),
                 [this, group, entries = std::move(entries), stored, result,
                  cb = std::move(cb)](errc err) mutable {
                   errc mapped = store_error(err);
                   {
                     std::lock_guard lock(mu_);
                     if (mapped == errc::none && serves_locked(group) == errc::none) {
                       Entry& e = entry_locked(group);
                       int64_t ts = wall_clock_ms();
                       for (size_t i : stored) {
                         const auto& c = entries[i];
                         e.offsets.committed[{c.topic, c.partition}] = OffsetCommitValue{
                             c.offset, c.leader_epoch, c.metadata.value_or(""), ts};
                       }
                     }
                   }
                   for (size_t i : stored) result[i] = mapped;
                   cb(result);
                 });
}

result<std::vector<CommittedOffset>> GroupCoordinator::fetch_offsets(
    const std::string& group,
    const std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>>& topics) const {
  std::lock_guard lock(mu_);
  errc e = serves_locked(group);
  if (e != errc::none) return make_error(e, "{}", errc_description(e));
  std::vector<CommittedOffset> out;
  auto it = groups_.find(group);
  const Offsets* o = it == groups_.end() ? nullptr : &it->second.offsets;
  if (!topics) {
    if (o != nullptr) {
      for (const auto& [tp, v] : o->committed) {
        out.push_back({tp.first, tp.second, v.offset, v.leader_epoch, v.metadata});
      }
    }
    return out;
  }
  for (const auto& [topic, parts] : *topics) {
    for (int32_t p : parts) {
      CommittedOffset c{topic, p, -1, -1, ""};
      if (o != nullptr) {
        if (auto f = o->committed.find({topic, p}); f != o->committed.end()) {
          c.offset = f->second.offset;
          c.leader_epoch = f->second.leader_epoch;
          c.metadata = f->second.metadata;
        }
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

GroupDescription GroupCoordinator::describe(const std::string& group) const {
  std::lock_guard lock(mu_);
  GroupDescription d;
  d.group_id = group;
  d.error = serves_locked(group);
  d.state = "Dead";
  if (d.error != errc::none) return d;
  auto it = groups_.find(group);
  if (it == groups_.end()) return d;
  const Group& g = *it->second.group;
  d.state = std::string(state_name(g.state()));
  d.protocol_type = g.protocol_type();
  d.protocol = g.protocol_name().value_or("");
  for (const auto& [id, m] : g.members()) {
    MemberDescription md{id, m.instance_id, m.client_id, m.client_host, {}, m.assignment};
    for (const auto& [name, meta] : m.protocols) {
      if (g.protocol_name() && name == *g.protocol_name()) md.metadata = meta;
    }
    d.members.push_back(std::move(md));
  }
  return d;
}

std::vector<GroupListing> GroupCoordinator::list() const {
  std::lock_guard lock(mu_);
  std::vector<GroupListing> out;
  for (const auto& [name, e] : groups_) {
    if (serves_locked(name) != errc::none) continue;
    const Group& g = *e.group;
    // A group with neither members nor offsets is gone, as in Kafka.
    if (g.state() == group_state::empty && e.offsets.committed.empty() && g.generation() == 0) {
      continue;
    }
    out.push_back({name, g.protocol_type(), std::string(state_name(g.state()))});
  }
  return out;
}

void GroupCoordinator::delete_group(const std::string& group, std::function<void(errc)> cb) {
  std::vector<GroupStore::record> recs;
  int32_t partition = 0;
  {
    std::lock_guard lock(mu_);
    errc e = serves_locked(group);
    auto it = groups_.find(group);
    if (e == errc::none && it == groups_.end()) e = errc::group_id_not_found;
    if (e == errc::none && it->second.group->state() != group_state::empty) {
      e = errc::non_empty_group;
    }
    if (e != errc::none) return cb(e);
    partition = partition_for(group);
    for (const auto& [tp, _] : it->second.offsets.committed) {
      recs.emplace_back(encode_key(OffsetCommitKey{group, tp.first, tp.second}), std::nullopt);
    }
    recs.emplace_back(encode_key(GroupMetadataKey{group}), std::nullopt);
  }
  store_->append(partition, std::move(recs), [this, group, cb = std::move(cb)](errc err) {
    errc mapped = store_error(err);
    if (mapped == errc::none) {
      std::lock_guard lock(mu_);
      auto it = groups_.find(group);
      if (it != groups_.end() && it->second.group->state() == group_state::empty) {
        groups_.erase(it);
      }
    }
    cb(mapped);
  });
}

void GroupCoordinator::delete_offsets(
    const std::string& group, const std::vector<std::pair<std::string, int32_t>>& partitions,
    std::function<void(result<std::vector<errc>>)> cb) {
  std::vector<errc> result(partitions.size(), errc::none);
  std::vector<GroupStore::record> recs;
  std::vector<std::pair<std::string, int32_t>> deleted;
  int32_t partition = 0;
  {
    std::lock_guard lock(mu_);
    errc e = serves_locked(group);
    auto it = groups_.find(group);
    if (e == errc::none &&
        (it == groups_.end() || it->second.group->state() == group_state::dead)) {
      e = errc::group_id_not_found;
    }
    if (e != errc::none) return cb(make_error(e, "{}", errc_description(e)));
    const Group& g = *it->second.group;
    std::set<std::string> subscribed;
    if (g.state() != group_state::empty) {
      if (g.protocol_type() != protocol::consumer_protocol_type) {
        return cb(make_error(errc::non_empty_group,
                             "group {} has members and is not a consumer group", group));
      }
      // The topics some member subscribes to, from the subscriptions of the chosen protocol.
      for (const auto& [_, m] : g.members()) {
        for (const auto& [name, metadata] : m.protocols) {
          if (!g.protocol_name() || name != *g.protocol_name()) continue;
          auto sub = protocol::decode_subscription_versioned(metadata);
          if (sub) subscribed.insert(sub->second.topics.begin(), sub->second.topics.end());
        }
      }
    }
    partition = partition_for(group);
    for (size_t i = 0; i < partitions.size(); ++i) {
      const auto& [topic, p] = partitions[i];
      if (subscribed.count(topic)) {
        result[i] = errc::group_subscribed_to_topic;
        continue;
      }
      if (it->second.offsets.committed.count({topic, p})) {
        recs.emplace_back(encode_key(OffsetCommitKey{group, topic, p}), std::nullopt);
        deleted.emplace_back(topic, p);
      }
    }
  }
  if (recs.empty()) return cb(std::move(result));
  store_->append(partition, std::move(recs),
                 [this, group, deleted, result, partitions, cb = std::move(cb)](errc err) mutable {
                   errc mapped = store_error(err);
                   if (mapped == errc::none) {
                     std::lock_guard lock(mu_);
                     auto it = groups_.find(group);
                     if (it != groups_.end()) {
                       for (const auto& tp : deleted) it->second.offsets.committed.erase(tp);
                     }
                   } else {
                     for (size_t i = 0; i < partitions.size(); ++i) {
                       if (result[i] == errc::none) result[i] = mapped;
                     }
                   }
                   cb(std::move(result));
                 });
}

void GroupCoordinator::tick(int64_t now) {
  Outbox out;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, e] : groups_) {
      if (e.group->next_deadline() <= now) e.group->tick(now, out);
      store_if_empty_locked(name, e, out);
    }
  }
  run(out);
}

}  // namespace shoal::group
