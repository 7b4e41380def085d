#include "client/group_member.h"

#include <algorithm>

#include "common/clock.h"
#include "common/logger.h"

namespace shoal::client {

namespace {

spdlog::logger& log() {
  return logger("client");
}

constexpr int64_t retry_ms = 100;

}  // namespace

GroupMember::GroupMember(const ClientConfig& config, std::shared_ptr<ClusterClient> cluster,
                         std::function<std::map<TopicPartition, int64_t>()> positions)
    : config_(config), cluster_(std::move(cluster)), positions_(std::move(positions)) {
  auto parsed = parse_assignment_strategy(config_.partition_assignment_strategy);
  if (parsed) assignors_ = std::move(parsed).value();
  if (assignors_.empty()) assignors_.push_back(make_assignor("range"));
  last_poll_ms_ = monotonic_ms();
  thread_ = std::thread([this] { run(); });
}

GroupMember::~GroupMember() {
  close();
}

status GroupMember::subscribe(const std::vector<std::string>& topics) {
  std::vector<std::regex> patterns;
  for (const auto& t : topics) {
    if (t.empty()) return make_error(errc::invalid_arg, "an empty topic name");
    if (t[0] != '^') continue;
    try {
      patterns.emplace_back(t, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return make_error(errc::invalid_arg, "invalid subscription pattern \"{}\": {}", t, e.what());
    }
  }
  {
    std::lock_guard lock(mu_);
    subscription_ = topics;
    patterns_ = std::move(patterns);
    rejoin_ = true;
    next_topic_check_ms_ = 0;
    last_poll_ms_ = monotonic_ms();  // max.poll.interval.ms counts from the subscription
  }
  cv_.notify_all();
  return {};
}

void GroupMember::unsubscribe() {
  std::unique_lock lock(mu_);
  subscription_.clear();
  patterns_.clear();
  leave_locked(lock, "unsubscribed");
  cv_.notify_all();
}

std::vector<std::string> GroupMember::subscription() const {
  std::lock_guard lock(mu_);
  return subscription_;
}

std::optional<RebalanceEvent> GroupMember::take_event() {
  std::lock_guard lock(mu_);
  if (events_.empty()) return std::nullopt;
  RebalanceEvent ev = std::move(events_.front());
  events_.pop_front();
  return ev;
}

bool GroupMember::has_event() const {
  std::lock_guard lock(mu_);
  return !events_.empty();
}

void GroupMember::event_applied(uint64_t seq) {
  {
    std::lock_guard lock(mu_);
    applied_seq_ = std::max(applied_seq_, seq);
  }
  event_cv_.notify_all();
}

void GroupMember::note_poll() {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    int64_t now = monotonic_ms();
    if (!poll_exceeded_ && !member_id_.empty() &&
        now - last_poll_ms_ > config_.max_poll_interval_ms) {
      // Overdue, and the background thread has not seen it yet (the whole process may have
      // been stopped): this member is out all the same. The background thread leaves; the
      // poll after this one rejoins.
      overstayed_locked(now);
      wake = true;
    } else if (poll_exceeded_ && !leave_pending_) {
      poll_exceeded_ = false;
      rejoin_ = true;
      wake = true;
    }
    last_poll_ms_ = now;
  }
  if (wake) cv_.notify_all();
}

void GroupMember::overstayed_locked(int64_t now) {
  log().warn(
      "group {}: the application did not poll within max.poll.interval.ms={}: leaving the group",
      config_.group_id, config_.max_poll_interval_ms);
  poll_exceeded_ = true;
  poll_exceeded_by_ms_ = now - last_poll_ms_ - config_.max_poll_interval_ms;
  poll_exceeded_report_ = true;
  leave_pending_ = true;
}

std::optional<std::string> GroupMember::take_poll_exceeded_error() {
  std::lock_guard lock(mu_);
  if (!poll_exceeded_report_) return std::nullopt;
  poll_exceeded_report_ = false;
  return fmt::format(
      "Application maximum poll interval ({}ms) exceeded by {}ms: left the group; the next "
      "poll rejoins it",
      config_.max_poll_interval_ms, poll_exceeded_by_ms_);
}

std::string GroupMember::member_id() const {
  std::lock_guard lock(mu_);
  return member_id_;
}

int32_t GroupMember::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

std::vector<TopicPartition> GroupMember::assignment() const {
  std::lock_guard lock(mu_);
  return {assigned_.begin(), assigned_.end()};
}

bool GroupMember::coordinator_error(errc e) const {
  return e == errc::not_coordinator || e == errc::coordinator_not_available ||
         e == errc::coordinator_load_in_progress || e == errc::transport || e == errc::timed_out ||
         e == errc::all_brokers_down || e == errc::request_timed_out;
}

void GroupMember::post_and_wait(std::unique_lock<std::mutex>& lock, RebalanceEvent ev) {
  ev.seq = next_seq_++;
  uint64_t seq = ev.seq;
  events_.push_back(std::move(ev));
  // The application applies it from poll(); one that does not poll within
  // max.poll.interval.ms is not waited for.
  event_cv_.wait_for(lock, std::chrono::milliseconds(config_.max_poll_interval_ms),
                     [&] { return applied_seq_ >= seq || closing_; });
}

void GroupMember::lose_assignment(std::unique_lock<std::mutex>& lock, const char* why) {
  if (assigned_.empty()) return;
  log().info("group {}: assignment lost ({})", config_.group_id, why);
  RebalanceEvent ev;
  ev.what = RebalanceEvent::kind::lost;
  ev.partitions.assign(assigned_.begin(), assigned_.end());
  assigned_.clear();
  post_and_wait(lock, std::move(ev));
}

bool GroupMember::find_coordinator_locked(std::unique_lock<std::mutex>& lock) {
  protocol::FindCoordinatorRequest req;
  req.key = config_.group_id;                 // versions 0 to 3
  req.coordinator_keys = {config_.group_id};  // version 4 asks for a list
  lock.unlock();
  auto resp = cluster_->call<protocol::FindCoordinatorRequest, protocol::FindCoordinatorResponse>(
      -1, req, std::min<int64_t>(config_.request_timeout_ms, 5'000));
  lock.lock();
  errc e = resp.code();
  int32_t node = -1;
  if (resp && !resp->coordinators.empty()) {
    e = resp->coordinators.front().error_code;
    node = resp->coordinators.front().node_id();
    if (e == errc::none) {
      cluster_->note_broker(node, resp->coordinators.front().host, resp->coordinators.front().port);
    }
  } else if (resp) {
    e = resp->error_code;
    node = resp->node_id();
    if (e == errc::none) cluster_->note_broker(node, resp->host, resp->port);
  }
  if (e != errc::none) {
    log().debug("group {}: no coordinator yet: {}", config_.group_id,
                resp ? std::string(errc_name(e)) : resp.err().message);
    return false;
  }
  coordinator_ = node;
  log().debug("group {}: coordinator is broker {}", config_.group_id, coordinator_);
  return true;
}

std::vector<std::string> GroupMember::matching_topics(std::unique_lock<std::mutex>& lock) {
  std::vector<std::string> names;
  std::vector<std::regex> patterns = patterns_;
  for (const auto& t : subscription_) {
    if (t[0] != '^') names.push_back(t);
  }
  if (!patterns.empty()) {
    lock.unlock();
    auto md = cluster_->fetch_metadata(std::nullopt, false, config_.request_timeout_ms);
    lock.lock();
    if (md) {
      for (const auto& [name, info] : md->topics) {
        if (info.internal || name.starts_with("__")) continue;
        for (const auto& re : patterns) {
          if (std::regex_search(name, re)) {
            names.push_back(name);
            break;
          }
        }
      }
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

result<std::vector<std::pair<std::string, bytes>>> GroupMember::compute_assignment(
    const std::vector<protocol::JoinGroupResponse::JoinGroupResponseMember>& members,
    const std::string& protocol) {
  const Assignor* assignor = nullptr;
  for (const auto& a : assignors_) {
    if (a->name() == protocol) assignor = a.get();
  }
  if (assignor == nullptr) {
    return make_error(errc::inconsistent_group_protocol, "no assignor named {}", protocol);
  }
  std::vector<MemberSubscription> subs;
  std::set<std::string> topics;
  for (const auto& m : members) {
    auto s = decode_subscription(m.metadata);
    if (!s) return s.err();
    subs.push_back(to_member_subscription(m.member_id, m.group_instance_id, *s));
    topics.insert(subs.back().topics.begin(), subs.back().topics.end());
  }
  std::map<std::string, int32_t> partitions;
  if (!topics.empty()) {
    SHOAL_ASSIGN_OR_RETURN(
        auto md, cluster_->fetch_metadata(std::vector<std::string>(topics.begin(), topics.end()),
                                          false, config_.request_timeout_ms));
    for (const auto& [name, info] : md.topics) {
      if (info.error == errc::none && !info.partitions.empty()) {
        partitions[name] = static_cast<int32_t>(info.partitions.size());
      }
    }
  }
  Assignment a = assignor->assign(partitions, subs);
  std::vector<std::pair<std::string, bytes>> out;
  for (const auto& [member, parts] : a) {
    ConsumerProtocolAssignment pa;
    pa.assigned_partitions = group_by_topic(parts);
    out.emplace_back(member, encode_assignment(pa));
  }
  return out;
}

template <typename Req, typename Resp>
result<Resp> GroupMember::call_interruptible(std::unique_lock<std::mutex>& lock, int32_t broker,
                                             const Req& req, int64_t timeout_ms) {
  struct Slot {
    std::optional<result<Resp>> value;
  };
  auto slot = std::make_shared<Slot>();
  lock.unlock();
  auto st = cluster_->send<Req, Resp>(broker, req, timeout_ms, [this, slot](result<Resp> r) {
    {
      std::lock_guard l(mu_);
      slot->value = std::move(r);
    }
    cv_.notify_all();
  });
  lock.lock();
  if (!st) return st.err();
  cv_.wait(lock, [&] { return slot->value.has_value() || closing_; });
  if (!slot->value) return make_error(errc::destroy, "the consumer is closing");
  return std::move(*slot->value);
}

void GroupMember::round_failed(std::unique_lock<std::mutex>& lock, const char* call, errc e) {
  log().debug("group {}: {}: {}", config_.group_id, call, errc_name(e));
  if (coordinator_error(e)) coordinator_ = -1;
  if (e == errc::unknown_member_id || e == errc::illegal_generation) {
    lose_assignment(lock, errc_name(e).data());
    if (e == errc::unknown_member_id) member_id_.clear();
  }
}

bool GroupMember::join_and_sync(std::unique_lock<std::mutex>& lock) {
  const bool cooperative = assignors_.front()->cooperative();
  if (!cooperative && !assigned_.empty()) {
    // Eager: everything is given up before joining; with enable.auto.commit, what was
    // consumed is committed first (the group accepts this generation's commits until the
    // new one starts).
    auto_commit(lock);
    RebalanceEvent ev;
    ev.what = RebalanceEvent::kind::revoke;
    ev.partitions.assign(assigned_.begin(), assigned_.end());
    assigned_.clear();
    post_and_wait(lock, std::move(ev));
    if (closing_) return false;
  }
  subscribed_topics_ = matching_topics(lock);
  protocol::JoinGroupRequest join;
  join.group_id = config_.group_id;
  join.session_timeout_ms = config_.session_timeout_ms;
  join.rebalance_timeout_ms = config_.max_poll_interval_ms;
  join.member_id = member_id_;
  join.group_instance_id = config_.group_instance_id;
  join.protocol_type = std::string(consumer_protocol_type);
  for (const auto& a : assignors_) {
    MemberSubscription m;
    m.topics = subscribed_topics_;
    if (cooperative) m.owned_partitions.assign(assigned_.begin(), assigned_.end());
    m.generation = generation_;
    auto& p = join.protocols.emplace_back();
    p.name = std::string(a->name());
    p.metadata = encode_subscription(to_protocol_subscription(m));
  }
  int32_t coordinator = coordinator_;
  // JoinGroup waits for the whole group: up to the rebalance timeout.
  auto jr = call_interruptible<protocol::JoinGroupRequest, protocol::JoinGroupResponse>(
      lock, coordinator, join, static_cast<int64_t>(config_.max_poll_interval_ms) + 5'000);
  if (closing_) return false;
  errc e = jr ? jr->error_code : jr.code();
  if (e == errc::member_id_required) {
    member_id_ = jr->member_id;
    return false;  // join again with it, at once
  }
  if (e != errc::none) {
    round_failed(lock, "JoinGroup", e);
    if (e == errc::fenced_instance_id) {
      log().error("group {}: group.instance.id {} is used by another consumer", config_.group_id,
                  config_.group_instance_id.value_or(""));
    }
    return false;
  }
  member_id_ = jr->member_id;
  int32_t generation = jr->generation_id;
  std::string protocol = jr->protocol_name.value_or("");
  protocol::SyncGroupRequest sync;
  sync.group_id = config_.group_id;
  sync.generation_id = generation;
  sync.member_id = member_id_;
  sync.group_instance_id = config_.group_instance_id;
  sync.protocol_type = jr->protocol_type;
  sync.protocol_name = jr->protocol_name;
  if (jr->leader == member_id_ && !jr->skip_assignment) {
    lock.unlock();
    auto computed = compute_assignment(jr->members, protocol);
    lock.lock();
    if (!computed) {
      log().warn("group {}: cannot compute the assignment: {}", config_.group_id,
                 computed.err().message);
      return false;
    }
    for (auto& [m, a] : *computed) {
      auto& out = sync.assignments.emplace_back();
      out.member_id = m;
      out.assignment = std::move(a);
    }
    log().info("group {}: leader of generation {}: assigned {} member(s) with {}", config_.group_id,
               generation, sync.assignments.size(), protocol);
  }
  auto sr = call_interruptible<protocol::SyncGroupRequest, protocol::SyncGroupResponse>(
      lock, coordinator, sync, static_cast<int64_t>(config_.max_poll_interval_ms) + 5'000);
  if (closing_) return false;
  e = sr ? sr->error_code : sr.code();
  if (e != errc::none) {
    round_failed(lock, "SyncGroup", e);
    return false;
  }
  std::set<TopicPartition> now_assigned;
  if (!sr->assignment.empty()) {
    auto a = decode_assignment(sr->assignment);
    if (!a) {
      log().error("group {}: undecodable assignment: {}", config_.group_id, a.err().message);
      return false;
    }
    for (auto& tp : flatten(a->assigned_partitions)) now_assigned.insert(std::move(tp));
  }
  generation_ = generation;
  rejoin_ = false;
  // At once: the coordinator holds it (HeartbeatRequest::max_wait_ms), so the member hears of
  // the next rebalance as it starts.
  next_heartbeat_ms_ = monotonic_ms();
  log().info("group {}: member {} of generation {} has {} partition(s)", config_.group_id,
             member_id_, generation_, now_assigned.size());
  if (!cooperative) {
    assigned_ = now_assigned;
    RebalanceEvent ev;
    ev.what = RebalanceEvent::kind::assign;
    ev.partitions.assign(now_assigned.begin(), now_assigned.end());
    post_and_wait(lock, std::move(ev));
    return true;
  }
  std::vector<TopicPartition> revoked, added;
  for (const auto& tp : assigned_) {
    if (!now_assigned.count(tp)) revoked.push_back(tp);
  }
  for (const auto& tp : now_assigned) {
    if (!assigned_.count(tp)) added.push_back(tp);
  }
  if (!revoked.empty()) {
    auto_commit(lock);
    for (const auto& tp : revoked) assigned_.erase(tp);
    RebalanceEvent ev;
    ev.what = RebalanceEvent::kind::revoke;
    ev.incremental = true;
    ev.partitions = revoked;
    post_and_wait(lock, std::move(ev));
    rejoin_ = true;  // KIP-429: the follow-up rebalance gives them to their new owners
  }
  // An (possibly empty) incremental assign tells the application the rebalance is done.
  for (const auto& tp : added) assigned_.insert(tp);
  RebalanceEvent ev;
  ev.what = RebalanceEvent::kind::assign;
  ev.incremental = true;
  ev.partitions = added;
  post_and_wait(lock, std::move(ev));
  return true;
}

void GroupMember::send_heartbeat(std::unique_lock<std::mutex>& lock) {
  protocol::HeartbeatRequest req;
  req.group_id = config_.group_id;
  req.generation_id = generation_;
  req.member_id = member_id_;
  req.group_instance_id = config_.group_instance_id;
  // The coordinator holds a healthy answer for one heartbeat interval and answers at once
  // when the group starts to rebalance: this member rejoins within microseconds of a join or
  // of a member's expiry, instead of at its next heartbeat. The hold replaces the wait
  // between heartbeats, so the coordinator still hears from it once per interval. Meanwhile
  // the loop goes on (auto-commit, max.poll.interval.ms, new subscriptions).
  req.max_wait_ms = config_.heartbeat_interval_ms;
  auto slot = std::make_shared<HeartbeatInFlight>();
  slot->sent_ms = monotonic_ms();
  slot->member_id = member_id_;
  slot->generation = generation_;
  heartbeat_in_flight_ = slot;
  next_heartbeat_ms_ = slot->sent_ms + config_.heartbeat_interval_ms;
  int32_t coordinator = coordinator_;
  lock.unlock();
  auto st = cluster_->send<protocol::HeartbeatRequest, protocol::HeartbeatResponse>(
      coordinator, req,
      config_.heartbeat_interval_ms +
          std::min<int64_t>(config_.session_timeout_ms, config_.request_timeout_ms),
      [this, slot](result<protocol::HeartbeatResponse> r) {
        {
          std::lock_guard l(mu_);
          slot->answer = r ? r->error_code : r.code();
        }
        cv_.notify_all();
      });
  lock.lock();
  if (!st) slot->answer = st.code();
}

void GroupMember::heartbeat_answered(std::unique_lock<std::mutex>& lock) {
  auto slot = std::move(heartbeat_in_flight_);
  heartbeat_in_flight_.reset();
  // An answer about a membership this member no longer has (it rejoined meanwhile) says
  // nothing about the current one.
  if (slot->member_id != member_id_ || slot->generation != generation_) return;
  errc e = *slot->answer;
  next_heartbeat_ms_ = std::max(monotonic_ms(), slot->sent_ms + config_.heartbeat_interval_ms);
  if (e == errc::none) return;
  log().debug("group {}: heartbeat: {}", config_.group_id, errc_name(e));
  if (e == errc::rebalance_in_progress) {
    rejoin_ = true;
  } else if (e == errc::illegal_generation) {
    lose_assignment(lock, "the group moved to a newer generation without us");
    rejoin_ = true;
  } else if (e == errc::unknown_member_id || e == errc::fenced_instance_id) {
    lose_assignment(lock, "the coordinator no longer knows this member");
    member_id_.clear();
    generation_ = -1;
    rejoin_ = true;
  } else if (coordinator_error(e)) {
    coordinator_ = -1;
  }
}

void GroupMember::leave_locked(std::unique_lock<std::mutex>& lock, const char* why, bool lost) {
  if (member_id_.empty()) return;
  if (!assigned_.empty()) {
    RebalanceEvent ev;
    // A member that overstayed max.poll.interval.ms cannot commit what it holds any more:
    // its partitions are lost, not revoked (librdkafka's rule), so on_lost runs.
    ev.what = lost ? RebalanceEvent::kind::lost : RebalanceEvent::kind::revoke;
    ev.partitions.assign(assigned_.begin(), assigned_.end());
    assigned_.clear();
    events_.push_back(ev);  // not waited for: the member is leaving
    events_.back().seq = next_seq_++;
  }
  if (!config_.group_instance_id && coordinator_ >= 0) {
    protocol::LeaveGroupRequest req;
    req.group_id = config_.group_id;
    req.member_id = member_id_;  // versions 0 to 2
    auto& m = req.members.emplace_back();
    m.member_id = member_id_;
    m.reason = std::string(why);
    int32_t coordinator = coordinator_;
    lock.unlock();
    (void)cluster_->call<protocol::LeaveGroupRequest, protocol::LeaveGroupResponse>(
        coordinator, req, std::min<int64_t>(config_.request_timeout_ms, 5'000));
    lock.lock();
    log().info("group {}: member {} left ({})", config_.group_id, member_id_, why);
  }
  member_id_.clear();
  generation_ = -1;
}

void GroupMember::auto_commit(std::unique_lock<std::mutex>& lock) {
  if (!config_.enable_auto_commit || generation_ < 0 || assigned_.empty()) return;
  lock.unlock();
  auto offsets = positions_ ? positions_() : std::map<TopicPartition, int64_t>{};
  if (!offsets.empty()) {
    auto r = commit(offsets, std::min<int64_t>(config_.request_timeout_ms, 5'000));
    if (!r) log().debug("group {}: auto-commit failed: {}", config_.group_id, r.err().message);
  }
  lock.lock();
}

void GroupMember::run() {
  std::unique_lock lock(mu_);
  while (!closing_) {
    int64_t now = monotonic_ms();
    if (!poll_exceeded_ && !subscription_.empty() &&
        now - last_poll_ms_ > config_.max_poll_interval_ms) {
      overstayed_locked(now);
    }
    if (leave_pending_) {
      leave_pending_ = false;
      leave_locked(lock, "max.poll.interval.ms exceeded", /*lost=*/true);
      continue;
    }
    bool active = !subscription_.empty() && !poll_exceeded_;
    if (!active) {
      cv_.wait_for(lock, std::chrono::milliseconds(retry_ms));
      continue;
    }
    if (coordinator_ < 0 && !find_coordinator_locked(lock)) {
      cv_.wait_for(lock, std::chrono::milliseconds(retry_ms));
      continue;
    }
    if (config_.topic_metadata_refresh_interval_ms > 0 && !patterns_.empty() &&
        now >= next_topic_check_ms_ && generation_ >= 0) {
      next_topic_check_ms_ = now + config_.topic_metadata_refresh_interval_ms;
      if (matching_topics(lock) != subscribed_topics_) rejoin_ = true;
    }
    if (heartbeat_in_flight_ && heartbeat_in_flight_->answer) {
      heartbeat_answered(lock);
      continue;
    }
    if (rejoin_ || generation_ < 0) {
      if (!join_and_sync(lock) && !closing_ && member_id_.empty()) {
        cv_.wait_for(lock, std::chrono::milliseconds(retry_ms));
      }
      continue;
    }
    if (!heartbeat_in_flight_ && now >= next_heartbeat_ms_) {
      send_heartbeat(lock);
      continue;
    }
    if (config_.enable_auto_commit && config_.auto_commit_interval_ms > 0 &&
        now >= next_auto_commit_ms_) {
      next_auto_commit_ms_ = now + config_.auto_commit_interval_ms;
      auto_commit(lock);
      continue;
    }
    // While a heartbeat is held, its answer wakes the loop (cv_).
    int64_t wake = heartbeat_in_flight_ ? now + retry_ms : next_heartbeat_ms_;
    if (config_.enable_auto_commit && config_.auto_commit_interval_ms > 0) {
      wake = std::min(wake, next_auto_commit_ms_);
    }
    cv_.wait_for(lock, std::chrono::milliseconds(std::clamp<int64_t>(wake - now, 1, retry_ms)));
  }
}

result<std::map<TopicPartition, int64_t>> GroupMember::committed(
    const std::vector<TopicPartition>& parts, int64_t timeout_ms) {
  int64_t deadline = monotonic_ms() + timeout_ms;
  // Versions 1 to 7 ask for one group; version 8 for a list of groups.
  protocol::OffsetFetchRequest req;
  req.group_id = config_.group_id;
  req.topics.emplace();
  auto& group = req.groups.emplace_back();
  group.group_id = config_.group_id;
  group.topics.emplace();
  for (const auto& tp : parts) {
    if (req.topics->empty() || req.topics->back().name != tp.topic) {
      req.topics->emplace_back().name = tp.topic;
      group.topics->emplace_back().name = tp.topic;
    }
    req.topics->back().partition_indexes.push_back(tp.partition);
    group.topics->back().partition_indexes.push_back(tp.partition);
  }
  while (true) {
    int32_t coordinator;
    {
      std::unique_lock lock(mu_);
      if (coordinator_ < 0) find_coordinator_locked(lock);
      coordinator = coordinator_;
    }
    errc e = errc::coordinator_not_available;
    std::string msg = "no coordinator";
    if (coordinator >= 0) {
      auto resp = cluster_->call<protocol::OffsetFetchRequest, protocol::OffsetFetchResponse>(
          coordinator, req, std::max<int64_t>(deadline - monotonic_ms(), 1));
      std::map<TopicPartition, int64_t> out;
      for (const auto& tp : parts) out[tp] = offset_invalid;
      auto take = [&out](const std::string& topic, const auto& p) {
        if (p.error_code == errc::none && p.committed_offset() >= 0) {
          out[{topic, p.partition_index()}] = p.committed_offset();
        }
      };
      e = resp.code();
      if (resp && !resp->groups.empty()) {
        e = resp->groups.front().error_code;
        for (const auto& t : resp->groups.front().topics) {
          for (const auto& p : t.partitions) take(t.name, p);
        }
      } else if (resp) {
        e = resp->error_code;
        for (const auto& t : resp->topics) {
          for (const auto& p : t.partitions) take(t.name, p);
        }
      }
      msg = resp ? std::string(errc_description(e)) : resp.err().message;
      if (e == errc::none) return out;
      if (coordinator_error(e)) {
        std::lock_guard lock(mu_);
        coordinator_ = -1;
      }
    }
    if (!coordinator_error(e) || monotonic_ms() >= deadline) return make_error(e, "{}", msg);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

result<std::map<TopicPartition, errc>> GroupMember::commit(
    const std::map<TopicPartition, int64_t>& offsets, int64_t timeout_ms) {
  int64_t deadline = monotonic_ms() + timeout_ms;
  while (true) {
    protocol::OffsetCommitRequest req;
    int32_t coordinator;
    {
      std::unique_lock lock(mu_);
      if (coordinator_ < 0) find_coordinator_locked(lock);
      coordinator = coordinator_;
      req.group_id = config_.group_id;
      req.generation_id_or_member_epoch = generation_;
      req.member_id = member_id_;
      req.group_instance_id = config_.group_instance_id;
    }
    for (const auto& [tp, off] : offsets) {
      if (req.topics.empty() || req.topics.back().name != tp.topic) {
        req.topics.emplace_back().name = tp.topic;
      }
      auto& p = req.topics.back().partitions.emplace_back();
      p.partition_index = partition_id(tp.partition);
      p.committed_offset = offset(off);
    }
    errc e = errc::coordinator_not_available;
    std::string msg = "no coordinator";
    if (coordinator >= 0) {
      auto resp = cluster_->call<protocol::OffsetCommitRequest, protocol::OffsetCommitResponse>(
          coordinator, req, std::max<int64_t>(deadline - monotonic_ms(), 1));
      if (resp) {
        std::map<TopicPartition, errc> out;
        e = errc::none;
        for (const auto& t : resp->topics) {
          for (const auto& p : t.partitions) {
            out[{t.name, p.partition_index()}] = p.error_code;
            if (p.error_code != errc::none) e = p.error_code;
          }
        }
        if (!coordinator_error(e)) return out;
      } else {
        e = resp.code();
        msg = resp.err().message;
      }
      if (coordinator_error(e)) {
        std::lock_guard lock(mu_);
        coordinator_ = -1;
      }
    }
    if (monotonic_ms() >= deadline) return make_error(e, "{}", msg);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void GroupMember::close() {
  {
    std::unique_lock lock(mu_);
    if (closing_ && !thread_.joinable()) return;
    if (!closing_) {
      auto_commit(lock);
      closing_ = true;
      leave_locked(lock, "the consumer is closing");
    }
  }
  cv_.notify_all();
  event_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace shoal::client
