// One consumer group as its coordinator holds it: Kafka's classic group membership protocol
// (GroupMetadata plus the state machine of GroupCoordinator). Members join (JoinGroup), the
// coordinator waits until every known member has rejoined or the rebalance timeout passes,
// starts a new generation and picks a leader, the leader computes the assignment and sends it
// with its SyncGroup, and every member gets its share from its own SyncGroup. Heartbeats keep
// members alive within session.timeout.ms; one that stops heartbeating or leaves starts a
// rebalance. Static members (group.instance.id) keep their assignment across restarts.
//
//   Empty --join--> PreparingRebalance --all joined--> CompletingRebalance --leader's sync-->
//   Stable --join/leave/expiry--> PreparingRebalance ...  (no members left: Empty)
//
// Responses that must wait (JoinGroup until the generation starts, SyncGroup until the leader
// sent the assignment) are callbacks; the group never calls them directly but appends them to
// an Outbox that the caller runs after releasing its lock.
//
// Thread safety: none; the coordinator serializes access.
#pragma once

#include <atomic>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/errc.h"
#include "protocol/codec.h"

namespace shoal::group {

using protocol::bytes;

enum class group_state { empty, preparing_rebalance, completing_rebalance, stable, dead };
// Kafka's names: "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead".
std::string_view state_name(group_state s);

using Outbox = std::vector<std::function<void()>>;

struct JoinedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  bytes metadata;  // the member's subscription for the chosen protocol
};

struct JoinResult {
  errc error = errc::none;
  int32_t generation = -1;
  std::string protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  bool skip_assignment = false;
  std::vector<JoinedMember> members;  // the leader's answer only
};

struct SyncResult {
  errc error = errc::none;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  bytes assignment;
};

struct JoinRequest {
  std::string member_id;  // empty for a new member
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 45'000;
  int32_t rebalance_timeout_ms = 300'000;
  std::string protocol_type;
  std::vector<std::pair<std::string, bytes>> protocols;  // by preference
  // KIP-394: a new member is first answered MEMBER_ID_REQUIRED with its id (JoinGroup v4+);
  // false for older versions, whose members join at once.
  bool require_known_member_id = true;
};

struct Member {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::vector<std::pair<std::string, bytes>> protocols;
  bytes assignment;
  int64_t heartbeat_deadline_ms = 0;  // monotonic
  std::function<void(JoinResult)> awaiting_join;
  std::function<void(SyncResult)> awaiting_sync;
};

struct GroupTimeouts {
  int64_t initial_rebalance_delay_ms = 0;  // group.initial.rebalance.delay.ms
  int32_t min_session_timeout_ms = 6'000;  // group.min.session.timeout.ms
  int32_t max_session_timeout_ms = 1'800'000;
  int32_t max_size = INT32_MAX;  // group.max.size
};

class Group {
 public:
  Group(std::string id, GroupTimeouts timeouts) : id_(std::move(id)), timeouts_(timeouts) {}

  const std::string& id() const { return id_; }
  group_state state() const { return state_; }
  int32_t generation() const { return generation_; }
  const std::string& protocol_type() const { return protocol_type_; }
  const std::optional<std::string>& protocol_name() const { return protocol_; }
  const std::string& leader() const { return leader_; }
  const std::map<std::string, Member>& members() const { return members_; }

  void join(const JoinRequest& req, int64_t now, Outbox& out, std::function<void(JoinResult)> cb);
  // `assignments` only from the leader. Returns true when the leader's assignment arrived and
  // the caller must now store the new generation, then call complete_sync with the outcome.
  bool sync(const std::string& member_id, int32_t generation,
            const std::optional<std::string>& instance_id,
            const std::vector<std::pair<std::string, bytes>>& assignments, int64_t now, Outbox& out,
            std::function<void(SyncResult)> cb);
  // The stored generation's outcome: on success the group becomes Stable and every waiting
  // SyncGroup gets its assignment; otherwise they get `error` and a rebalance starts.
  void complete_sync(int32_t generation, errc error, int64_t now, Outbox& out);
  // What a heartbeat would answer now, without counting as one (a held heartbeat, below).
  errc heartbeat_status(const std::string& member_id, int32_t generation,
                        const std::optional<std::string>& instance_id) const;
  // Grows whenever any group in this process changes state: a broker holding heartbeats
  // (HeartbeatRequest::max_wait_ms) re-checks them when it moves.
  static uint64_t state_changes();
  errc heartbeat(const std::string& member_id, int32_t generation,
                 const std::optional<std::string>& instance_id, int64_t now);
  // Per member: NONE or UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID.
  std::vector<errc> leave(
      const std::vector<std::pair<std::string, std::optional<std::string>>>& members, int64_t now,
      Outbox& out);
  // Whether an offset commit from this member and generation may proceed (Kafka's rules).
  errc validate_commit(const std::string& member_id, int32_t generation,
                       const std::optional<std::string>& instance_id) const;
  // Expires members and pending member ids past their session, and finishes a rebalance whose
  // timeout passed. Returns true if the group changed.
  bool tick(int64_t now, Outbox& out);
  // The earliest time tick() has work.
  int64_t next_deadline() const;

  // Restores a stored generation (coordinator failover); members' sessions start now.
  void restore(int32_t generation, std::string protocol_type, std::optional<std::string> protocol,
               std::string leader, std::vector<Member> members, int64_t now);
  // Fails every waiting request (the coordinator moved) and marks the group dead.
  void unload(errc error, Outbox& out);
  // True once after a rebalance left the group with no members: the caller stores the empty
  // generation, as Kafka does, so that a coordinator loading the group later does not bring
  // back the members of the last stored generation (and make a new member wait out their
  // sessions).
  bool take_empty_generation() { return std::exchange(empty_unstored_, false); }

 private:
  void prepare_rebalance(const char* why, int64_t now, Outbox& out);
  void maybe_complete_join(int64_t now, Outbox& out, bool force);
  void remove_member(const std::string& id, int64_t now, Outbox& out, const char* why);
  std::optional<std::string> choose_protocol() const;
  bool supports_protocols(const JoinRequest& req) const;
  std::string new_member_id(const std::string& client_id);
  JoinResult join_result_for(const Member& m) const;

  std::string id_;
  GroupTimeouts timeouts_;
  group_state state_ = group_state::empty;
  static std::atomic<uint64_t> state_changes_;
  int32_t generation_ = 0;
  std::string protocol_type_;
  std::optional<std::string> protocol_;
  std::string leader_;
  std::map<std::string, Member> members_;
  std::map<std::string, std::string> static_members_;  // instance id -> member id
  std::map<std::string, int64_t> pending_members_;     // member id -> deadline (KIP-394)
  int64_t rebalance_deadline_ms_ = 0;
  int64_t join_not_before_ms_ = 0;  // group.initial.rebalance.delay.ms
  bool sync_persisting_ = false;
  bool empty_unstored_ = false;
  uint64_t member_counter_ = 0;
};

}  // namespace shoal::group
