#include "group/group.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "common/logger.h"

namespace shoal::group {

namespace {

spdlog::logger& log() {
  return logger("group");
}

template <typename R>
void answer(Outbox& out, std::function<void(R)>& cb, R r) {
  if (!cb) return;
  out.push_back([cb = std::move(cb), r = std::move(r)] { cb(r); });
  cb = nullptr;
}

JoinResult join_error(errc e, std::string member_id = {}) {
  JoinResult r;
  r.error = e;
  r.member_id = std::move(member_id);
  return r;
}

SyncResult sync_error(errc e) {
  SyncResult r;
  r.error = e;
  return r;
}

}  // namespace

std::string_view state_name(group_state s) {
  switch (s) {
    case group_state::empty:
      return "Empty";
    case group_state::preparing_rebalance:
      return "PreparingRebalance";
    case group_state::completing_rebalance:
      return "CompletingRebalance";
    case group_state::stable:
      return "Stable";
    case group_state::dead:
      return "Dead";
  }
  return "Unknown";
}

std::string Group::new_member_id(const std::string& client_id) {
  // Kafka's form: the client id, a dash, and something unique.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{}-{:016x}{:04x}", client_id.empty() ? "member" : client_id, rng(),
                     ++member_counter_ & 0xffff);
}

bool Group::supports_protocols(const JoinRequest& req) const {
  if (req.protocols.empty()) return false;
  if (members_.empty()) return true;
  if (req.protocol_type != protocol_type_) return false;
  for (const auto& [name, _] : req.protocols) {
    bool everyone = std::all_of(members_.begin(), members_.end(), [&](const auto& m) {
      if (m.first == req.member_id) return true;  // its own old protocols do not count
      return std::any_of(m.second.protocols.begin(), m.second.protocols.end(),
                         [&](const auto& p) { return p.first == name; });
    });
    if (everyone) return true;
  }
  return false;
}

std::optional<std::string> Group::choose_protocol() const {
  // Candidates: protocols every member supports. Each member votes for the first candidate in
  // its own order of preference; the most votes win (ties: the first member's preference).
  std::vector<std::string> candidates;
  if (members_.empty()) return std::nullopt;
  for (const auto& [name, _] : members_.begin()->second.protocols) {
    bool everyone = std::all_of(members_.begin(), members_.end(), [&](const auto& m) {
      return std::any_of(m.second.protocols.begin(), m.second.protocols.end(),
                         [&](const auto& p) { return p.first == name; });
    });
    if (everyone) candidates.push_back(name);
  }
  if (candidates.empty()) return std::nullopt;
  std::map<std::string, int> votes;
  for (const auto& [_, m] : members_) {
    for (const auto& [name, __] : m.protocols) {
      if (std::find(candidates.begin(), candidates.end(), name) != candidates.end()) {
        ++votes[name];
        break;
      }
    }
  }
  std::string best = candidates.front();
  for (const auto& c : candidates) {
    if (votes[c] > votes[best]) best = c;
  }
  return best;
}

JoinResult Group::join_result_for(const Member& m) const {
  JoinResult r;
  r.generation = generation_;
  r.protocol_type = protocol_type_;
  r.protocol_name = protocol_;
  r.leader = leader_;
  r.member_id = m.id;
  if (m.id == leader_) {
    for (const auto& [id, other] : members_) {
      JoinedMember j{id, other.instance_id, {}};
      for (const auto& [name, meta] : other.protocols) {
        if (protocol_ && name == *protocol_) j.metadata = meta;
      }
      r.members.push_back(std::move(j));
    }
  }
  return r;
}

void Group::join(const JoinRequest& req, int64_t now, Outbox& out,
                 std::function<void(JoinResult)> cb) {
  if (state_ == group_state::dead) {
    return answer(out, cb, join_error(errc::coordinator_not_available));
  }
  if (req.session_timeout_ms < timeouts_.min_session_timeout_ms ||
      req.session_timeout_ms > timeouts_.max_session_timeout_ms) {
    return answer(out, cb, join_error(errc::invalid_session_timeout));
  }
  if (!supports_protocols(req)) {
    return answer(out, cb, join_error(errc::inconsistent_group_protocol));
  }
  auto fill = [&](Member& m) {
    m.instance_id = req.group_instance_id;
    m.client_id = req.client_id;
    m.client_host = req.client_host;
    m.session_timeout_ms = req.session_timeout_ms;
    m.rebalance_timeout_ms = req.rebalance_timeout_ms;
    m.heartbeat_deadline_ms = now + req.session_timeout_ms;
  };
  auto add_and_rebalance = [&](const std::string& id, const char* why) {
    if (members_.size() >= static_cast<size_t>(timeouts_.max_size)) {
      return answer(out, cb, join_error(errc::group_max_size_reached, id));
    }
    Member& m = members_[id];
    m.id = id;
    fill(m);
    m.protocols = req.protocols;
    m.awaiting_join = std::move(cb);
    if (members_.size() == 1) protocol_type_ = req.protocol_type;
    if (m.instance_id) static_members_[*m.instance_id] = id;
    if (state_ == group_state::preparing_rebalance) {
      maybe_complete_join(now, out, false);
    } else {
      prepare_rebalance(why, now, out);
    }
  };

  if (req.member_id.empty()) {
    if (req.group_instance_id) {
      auto it = static_members_.find(*req.group_instance_id);
      std::string id = new_member_id(req.client_id);
      if (it == static_members_.end() || !members_.count(it->second)) {
        return add_and_rebalance(id, "a static member joined");
      }
      // A static member back (a restart): it takes over its old identity and assignment.
      std::string old = it->second;
      Member m = std::move(members_.at(old));
      members_.erase(old);
      answer(out, m.awaiting_join, join_error(errc::fenced_instance_id, old));
      answer(out, m.awaiting_sync, sync_error(errc::fenced_instance_id));
      // KIP-345: the same identity back; no rebalance unless the group's protocol would have
      // to change (its subscription bytes differ anyway: they carry the generation it knew).
      bool same = !protocol_ || std::any_of(req.protocols.begin(), req.protocols.end(),
                                            [&](const auto& p) { return p.first == *protocol_; });
      m.id = id;
      fill(m);
      m.protocols = req.protocols;
      if (leader_ == old) leader_ = id;
      static_members_[*req.group_instance_id] = id;
      Member& placed = members_[id] = std::move(m);
      log().info("group {}: static member {} rejoined as {} (was {})", id_, *req.group_instance_id,
                 id, old);
      if (same && (state_ == group_state::stable || state_ == group_state::completing_rebalance)) {
        return answer(out, cb, join_result_for(placed));
      }
      placed.awaiting_join = std::move(cb);
      if (state_ == group_state::preparing_rebalance) {
        maybe_complete_join(now, out, false);
      } else {
        prepare_rebalance("a static member rejoined with a new subscription", now, out);
      }
      return;
    }
    // KIP-394: a new dynamic member gets its id first and joins again with it, so that a
    // member whose JoinGroup response is lost does not leave a ghost member behind.
    std::string id = new_member_id(req.client_id);
    if (!req.require_known_member_id) {
      // JoinGroup before version 4 has no second round: the member joins with its new id now.
      return add_and_rebalance(id, "a member joined");
    }
    pending_members_[id] = now + req.session_timeout_ms;
    return answer(out, cb, join_error(errc::member_id_required, id));
  }

  if (auto pit = pending_members_.find(req.member_id); pit != pending_members_.end()) {
    pending_members_.erase(pit);
    return add_and_rebalance(req.member_id, "a member joined");
  }
  auto mit = members_.find(req.member_id);
  if (mit == members_.end()) {
    return answer(out, cb, join_error(errc::unknown_member_id, req.member_id));
  }
  Member& m = mit->second;
  if (m.instance_id != req.group_instance_id) {
    return answer(out, cb, join_error(errc::fenced_instance_id, req.member_id));
  }
  bool same = m.protocols == req.protocols;
  fill(m);
  switch (state_) {
    case group_state::preparing_rebalance:
      m.protocols = req.protocols;
      answer(out, m.awaiting_join, join_error(errc::rebalance_in_progress, m.id));
      m.awaiting_join = std::move(cb);
      maybe_complete_join(now, out, false);
      return;
    case group_state::completing_rebalance:
      if (same) return answer(out, cb, join_result_for(m));
      m.protocols = req.protocols;
      m.awaiting_join = std::move(cb);
      prepare_rebalance("a member changed its subscription", now, out);
      return;
    case group_state::stable:
      if (same && m.id != leader_) return answer(out, cb, join_result_for(m));
      // The leader rejoining asks for a rebalance (its view of the topics changed).
      m.protocols = req.protocols;
      m.awaiting_join = std::move(cb);
      prepare_rebalance(
          m.id == leader_ ? "the leader rejoined" : "a member changed its subscription", now, out);
      return;
    default:
      return answer(out, cb, join_error(errc::unknown_member_id, req.member_id));
  }
}

void Group::prepare_rebalance(const char* why, int64_t now, Outbox& out) {
  for (auto& [_, m] : members_) {
    answer(out, m.awaiting_sync, sync_error(errc::rebalance_in_progress));
    m.assignment.clear();
  }
  bool was_empty = state_ == group_state::empty;
  state_ = group_state::preparing_rebalance;
  state_changes_.fetch_add(1, std::memory_order_release);
  sync_persisting_ = false;
  int32_t timeout = 0;
  for (const auto& [_, m] : members_) timeout = std::max(timeout, m.rebalance_timeout_ms);
  rebalance_deadline_ms_ = now + timeout;
  join_not_before_ms_ = was_empty ? now + timeouts_.initial_rebalance_delay_ms : 0;
  log().info("group {}: preparing to rebalance generation {} ({}); {} member(s)", id_, generation_,
             why, members_.size());
  maybe_complete_join(now, out, false);
}

void Group::maybe_complete_join(int64_t now, Outbox& out, bool force) {
  if (state_ != group_state::preparing_rebalance) return;
  bool all = std::all_of(members_.begin(), members_.end(),
                         [](const auto& m) { return static_cast<bool>(m.second.awaiting_join); });
  if (!force && (!all || now < join_not_before_ms_)) return;
  if (!all) {
    // The rebalance timeout passed: members that did not rejoin are out.
    std::vector<std::string> gone;
    for (const auto& [id, m] : members_) {
      if (!m.awaiting_join) gone.push_back(id);
    }
    for (const auto& id : gone) {
      log().info("group {}: member {} did not rejoin within the rebalance timeout", id_, id);
      answer(out, members_.at(id).awaiting_sync, sync_error(errc::unknown_member_id));
      if (members_.at(id).instance_id) static_members_.erase(*members_.at(id).instance_id);
      members_.erase(id);
      if (leader_ == id) leader_.clear();
    }
  }
  ++generation_;
  if (members_.empty()) {
    state_ = group_state::empty;
    state_changes_.fetch_add(1, std::memory_order_release);
    protocol_.reset();
    leader_.clear();
    empty_unstored_ = true;
    log().info("group {}: generation {} is empty", id_, generation_);
    return;
  }
  protocol_ = choose_protocol();
  if (!members_.count(leader_)) leader_ = members_.begin()->first;
  state_ = group_state::completing_rebalance;
  state_changes_.fetch_add(1, std::memory_order_release);
  sync_persisting_ = false;
  log().info("group {}: generation {} with {} member(s), protocol {}, leader {}", id_, generation_,
             members_.size(), protocol_.value_or("?"), leader_);
  for (auto& [_, m] : members_) {
    m.heartbeat_deadline_ms = now + m.session_timeout_ms;
    m.assignment.clear();
    answer(out, m.awaiting_join, join_result_for(m));
  }
}

bool Group::sync(const std::string& member_id, int32_t generation,
                 const std::optional<std::string>& instance_id,
                 const std::vector<std::pair<std::string, bytes>>& assignments, int64_t now,
                 Outbox& out, std::function<void(SyncResult)> cb) {
  if (state_ == group_state::dead) {
    answer(out, cb, sync_error(errc::coordinator_not_available));
    return false;
  }
  auto mit = members_.find(member_id);
  if (mit == members_.end()) {
    answer(out, cb, sync_error(errc::unknown_member_id));
    return false;
  }
  Member& m = mit->second;
  if (m.instance_id != instance_id) {
    answer(out, cb, sync_error(errc::fenced_instance_id));
    return false;
  }
  if (generation != generation_) {
    answer(out, cb, sync_error(errc::illegal_generation));
    return false;
  }
  m.heartbeat_deadline_ms = now + m.session_timeout_ms;
  switch (state_) {
    case group_state::preparing_rebalance:
      answer(out, cb, sync_error(errc::rebalance_in_progress));
      return false;
    case group_state::stable: {
      SyncResult r;
      r.protocol_type = protocol_type_;
      r.protocol_name = protocol_;
      r.assignment = m.assignment;
      answer(out, cb, std::move(r));
      return false;
    }
    case group_state::completing_rebalance:
      answer(out, m.awaiting_sync, sync_error(errc::rebalance_in_progress));
      m.awaiting_sync = std::move(cb);
      if (member_id != leader_ || sync_persisting_) return false;
      for (auto& [id, other] : members_) other.assignment.clear();
      for (const auto& [id, a] : assignments) {
        if (auto it = members_.find(id); it != members_.end()) it->second.assignment = a;
      }
      sync_persisting_ = true;
      return true;
    default:
      answer(out, cb, sync_error(errc::unknown_member_id));
      return false;
  }
}

void Group::complete_sync(int32_t generation, errc error, int64_t now, Outbox& out) {
  if (generation != generation_ || state_ != group_state::completing_rebalance ||
      !sync_persisting_) {
    return;  // a newer rebalance overtook this one
  }
  sync_persisting_ = false;
  if (error != errc::none) {
    for (auto& [_, m] : members_) answer(out, m.awaiting_sync, sync_error(error));
    prepare_rebalance("the assignment could not be stored", now, out);
    return;
  }
  state_ = group_state::stable;
  state_changes_.fetch_add(1, std::memory_order_release);
  log().info("group {}: generation {} is stable", id_, generation_);
  for (auto& [_, m] : members_) {
    if (!m.awaiting_sync) continue;
    SyncResult r;
    r.protocol_type = protocol_type_;
    r.protocol_name = protocol_;
    r.assignment = m.assignment;
    answer(out, m.awaiting_sync, std::move(r));
  }
}

std::atomic<uint64_t> Group::state_changes_{0};

uint64_t Group::state_changes() {
  return state_changes_.load(std::memory_order_acquire);
}

errc Group::heartbeat_status(const std::string& member_id, int32_t generation,
                             const std::optional<std::string>& instance_id) const {
  if (state_ == group_state::dead) return errc::coordinator_not_available;
  auto mit = members_.find(member_id);
  if (mit == members_.end()) return errc::unknown_member_id;
  if (mit->second.instance_id != instance_id) return errc::fenced_instance_id;
  if (generation != generation_) return errc::illegal_generation;
  if (state_ == group_state::preparing_rebalance) return errc::rebalance_in_progress;
  return errc::none;
}

errc Group::heartbeat(const std::string& member_id, int32_t generation,
                      const std::optional<std::string>& instance_id, int64_t now) {
  if (state_ == group_state::dead) return errc::coordinator_not_available;
  auto mit = members_.find(member_id);
  if (mit == members_.end()) return errc::unknown_member_id;
  if (mit->second.instance_id != instance_id) return errc::fenced_instance_id;
  if (generation != generation_) return errc::illegal_generation;
  mit->second.heartbeat_deadline_ms = now + mit->second.session_timeout_ms;
  switch (state_) {
    case group_state::preparing_rebalance:
      return errc::rebalance_in_progress;
    case group_state::completing_rebalance:
    case group_state::stable:
      return errc::none;
    default:
      return errc::unknown_member_id;
  }
}

void Group::remove_member(const std::string& id, int64_t now, Outbox& out, const char* why) {
  auto it = members_.find(id);
  if (it == members_.end()) return;
  answer(out, it->second.awaiting_join, join_error(errc::unknown_member_id, id));
  answer(out, it->second.awaiting_sync, sync_error(errc::unknown_member_id));
  if (it->second.instance_id) static_members_.erase(*it->second.instance_id);
  members_.erase(it);
  if (leader_ == id) leader_.clear();
  log().info("group {}: member {} {}", id_, id, why);
  if (state_ == group_state::preparing_rebalance) {
    maybe_complete_join(now, out, false);
  } else if (state_ == group_state::stable || state_ == group_state::completing_rebalance) {
    prepare_rebalance(why, now, out);
  }
}

std::vector<errc> Group::leave(
    const std::vector<std::pair<std::string, std::optional<std::string>>>& leaving, int64_t now,
    Outbox& out) {
  std::vector<errc> result;
  for (const auto& [member_id, instance_id] : leaving) {
    std::string id = member_id;
    if (id.empty() && instance_id) {
      auto s = static_members_.find(*instance_id);
      if (s != static_members_.end()) id = s->second;
    }
    auto it = members_.find(id);
    if (it == members_.end()) {
      result.push_back(pending_members_.erase(id) ? errc::none : errc::unknown_member_id);
      continue;
    }
    if (instance_id && it->second.instance_id != instance_id) {
      result.push_back(errc::fenced_instance_id);
      continue;
    }
    remove_member(id, now, out, "left the group");
    result.push_back(errc::none);
  }
  return result;
}

errc Group::validate_commit(const std::string& member_id, int32_t generation,
                            const std::optional<std::string>& instance_id) const {
  if (state_ == group_state::dead) return errc::coordinator_not_available;
  // A consumer that only stores offsets here (assign() and commit(), no subscription).
  if (generation < 0 && member_id.empty() && state_ == group_state::empty) return errc::none;
  if (instance_id) {
    auto s = static_members_.find(*instance_id);
    if (s != static_members_.end() && s->second != member_id) return errc::fenced_instance_id;
  }
  if (!members_.count(member_id)) return errc::unknown_member_id;
  if (generation != generation_) return errc::illegal_generation;
  if (state_ == group_state::completing_rebalance) return errc::rebalance_in_progress;
  return errc::none;
}

bool Group::tick(int64_t now, Outbox& out) {
  bool changed = false;
  for (auto it = pending_members_.begin(); it != pending_members_.end();) {
    it = it->second <= now ? pending_members_.erase(it) : std::next(it);
  }
  std::vector<std::string> expired;
  for (const auto& [id, m] : members_) {
    // A member waiting for its JoinGroup answer is not expected to heartbeat.
    if (!m.awaiting_join && m.heartbeat_deadline_ms <= now) expired.push_back(id);
  }
  for (const auto& id : expired) {
    remove_member(id, now, out, "expired (no heartbeat within session.timeout.ms)");
    changed = true;
  }
  if (state_ == group_state::preparing_rebalance) {
    group_state before = state_;
    maybe_complete_join(now, out, now >= rebalance_deadline_ms_);
    changed = changed || state_ != before;
  }
  return changed;
}

int64_t Group::next_deadline() const {
  int64_t d = INT64_MAX;
  for (const auto& [_, t] : pending_members_) d = std::min(d, t);
  for (const auto& [_, m] : members_) {
    if (!m.awaiting_join) d = std::min(d, m.heartbeat_deadline_ms);
  }
  if (state_ == group_state::preparing_rebalance) {
    d = std::min(d, rebalance_deadline_ms_);
    if (join_not_before_ms_ > 0) d = std::min(d, join_not_before_ms_);
  }
  return d;
}

void Group::restore(int32_t generation, std::string protocol_type,
                    std::optional<std::string> protocol, std::string leader,
                    std::vector<Member> members, int64_t now) {
  generation_ = generation;
  protocol_type_ = std::move(protocol_type);
  protocol_ = std::move(protocol);
  leader_ = std::move(leader);
  members_.clear();
  static_members_.clear();
  for (auto& m : members) {
    m.heartbeat_deadline_ms = now + m.session_timeout_ms;
    if (m.instance_id) static_members_[*m.instance_id] = m.id;
    std::string id = m.id;
    members_[id] = std::move(m);
  }
  state_ = members_.empty() || !protocol_ ? group_state::empty : group_state::stable;
  state_changes_.fetch_add(1, std::memory_order_release);
  if (state_ == group_state::empty) {
    members_.clear();
    static_members_.clear();
  }
}

void Group::unload(errc error, Outbox& out) {
  for (auto& [_, m] : members_) {
    answer(out, m.awaiting_join, join_error(error, m.id));
    answer(out, m.awaiting_sync, sync_error(error));
  }
  state_ = group_state::dead;
  state_changes_.fetch_add(1, std::memory_order_release);
}

}  // namespace shoal::group
