// A consumer's membership of its group (librdkafka's cgrp): finds the group's coordinator,
// joins (JoinGroup, with KIP-394's member id round), computes the assignment when it is the
// leader (the assignors of assignor.h over the members' subscriptions), takes its share
// (SyncGroup), heartbeats every heartbeat.interval.ms, rejoins when the coordinator says a
// rebalance is under way, commits offsets (OffsetCommit, and auto-commit every
// auto.commit.interval.ms), and leaves the group when closed or when the application stops
// polling for longer than max.poll.interval.ms.
//
// Changes of assignment reach the application as events (assign, revoke, lost) that its
// poll() serves: it runs the rebalance callbacks and applies the change, then calls
// event_applied(). With an eager assignor every rebalance revokes everything first; with
// cooperative-sticky only the partitions that move are revoked, and a follow-up rebalance
// hands them to their new owners (KIP-429).
//
// Thread safety: all methods are safe from any thread; the protocol runs on its own thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/assignor.h"
#include "client/client_config.h"
#include "client/cluster_client.h"
#include "client/consumer.h"

namespace shoal::client {

struct RebalanceEvent {
  enum class kind { assign, revoke, lost };
  kind what = kind::assign;
  std::vector<TopicPartition> partitions;
  bool incremental = false;  // cooperative: only these partitions change
  uint64_t seq = 0;
};

class GroupMember {
 public:
  // `positions` gives the offsets to auto-commit (the consumer's stored offsets).
  GroupMember(const ClientConfig& config, std::shared_ptr<ClusterClient> cluster,
              std::function<std::map<TopicPartition, int64_t>()> positions);
  ~GroupMember();

  // Topics, or "^regex" patterns matched against the cluster's topics (rechecked every
  // topic.metadata.refresh.interval.ms). INVALID_ARG for a bad pattern.
  status subscribe(const std::vector<std::string>& topics);
  void unsubscribe();
  std::vector<std::string> subscription() const;

  // The next rebalance event for the application (nullopt: none).
  std::optional<RebalanceEvent> take_event();
  bool has_event() const;
  // The application ran the callbacks and applied the event.
  void event_applied(uint64_t seq);
  // The application called poll()/consume(): max.poll.interval.ms starts again.
  void note_poll();
  // Once after the member left for overstaying max.poll.interval.ms: the text of the
  // _MAX_POLL_EXCEEDED error the application's next poll returns (as librdkafka's does).
  std::optional<std::string> take_poll_exceeded_error();

  // The committed offsets (-1001: none), from the coordinator.
  result<std::map<TopicPartition, int64_t>> committed(const std::vector<TopicPartition>& parts,
                                                      int64_t timeout_ms);
  // Commits offsets with this member's generation. Per-partition errors in the map; a
  // request-level failure (no coordinator in time) as an error.
  result<std::map<TopicPartition, errc>> commit(const std::map<TopicPartition, int64_t>& offsets,
                                                int64_t timeout_ms);

  std::string member_id() const;
  int32_t generation() const;
  std::vector<TopicPartition> assignment() const;
  // Leaves the group (LeaveGroup; static members stay until their session expires, as in
  // Kafka) and stops the thread. Auto-commits first when enabled.
  void close();

 private:
  void run();
  bool find_coordinator_locked(std::unique_lock<std::mutex>& lock);
  // One JoinGroup + SyncGroup round; false if it must be retried.
  bool join_and_sync(std::unique_lock<std::mutex>& lock);
  result<std::vector<std::pair<std::string, bytes>>> compute_assignment(
      const std::vector<protocol::JoinGroupResponse::JoinGroupResponseMember>& members,
      const std::string& protocol);
  // Sends a heartbeat, which the coordinator may hold (see send_heartbeat()); its answer
  // comes back into heartbeat_in_flight_ and the loop handles it with heartbeat_answered().
  void send_heartbeat(std::unique_lock<std::mutex>& lock);
  void heartbeat_answered(std::unique_lock<std::mutex>& lock);
  // Sends LeaveGroup; the assignment goes back to the application as revoked, or as lost.
  void leave_locked(std::unique_lock<std::mutex>& lock, const char* why, bool lost = false);
  // The application overstayed max.poll.interval.ms: marks the member for leaving.
  void overstayed_locked(int64_t now);
  // Posts an event and waits (bounded) until the application applied it.
  void post_and_wait(std::unique_lock<std::mutex>& lock, RebalanceEvent ev);
  void lose_assignment(std::unique_lock<std::mutex>& lock, const char* why);
  std::vector<std::string> matching_topics(std::unique_lock<std::mutex>& lock);
  void auto_commit(std::unique_lock<std::mutex>& lock);
  bool coordinator_error(errc e) const;
  // A JoinGroup or SyncGroup failed with `e`: forget the coordinator or the member id, and
  // the assignment, as the error says.
  void round_failed(std::unique_lock<std::mutex>& lock, const char* call, errc e);
  // A request that close() can cut short (JoinGroup waits up to the rebalance timeout).
  // REQUIRES: `lock` held; released while waiting.
  template <typename Req, typename Resp>
  result<Resp> call_interruptible(std::unique_lock<std::mutex>& lock, int32_t broker,
                                  const Req& req, int64_t timeout_ms);

  ClientConfig config_;
  std::shared_ptr<ClusterClient> cluster_;
  std::function<std::map<TopicPartition, int64_t>()> positions_;
  std::vector<std::unique_ptr<Assignor>> assignors_;

  mutable std::mutex mu_;
  std::condition_variable cv_;        // wakes the protocol thread
  std::condition_variable event_cv_;  // an event was applied
  std::vector<std::string> subscription_;
  std::vector<std::regex> patterns_;
  std::vector<std::string> subscribed_topics_;  // names the last join subscribed to
  int32_t coordinator_ = -1;
  std::string member_id_;
  int32_t generation_ = -1;
  bool rejoin_ = false;
  std::set<TopicPartition> assigned_;
  std::deque<RebalanceEvent> events_;
  uint64_t next_seq_ = 1;
  uint64_t applied_seq_ = 0;
  int64_t last_poll_ms_ = 0;
  bool poll_exceeded_ = false;
  bool poll_exceeded_report_ = false;  // the application has not been told yet
  bool leave_pending_ = false;         // overstayed: the background thread sends LeaveGroup
  int64_t poll_exceeded_by_ms_ = 0;
  int64_t next_heartbeat_ms_ = 0;
  struct HeartbeatInFlight {
    int64_t sent_ms = 0;
    std::string member_id;  // the membership it speaks for
    int32_t generation = -1;
    std::optional<errc> answer;  // guarded by mu_
  };
  std::shared_ptr<HeartbeatInFlight> heartbeat_in_flight_;
  int64_t next_auto_commit_ms_ = 0;
  int64_t next_topic_check_ms_ = 0;
  bool closing_ = false;
  std::thread thread_;
};

}  // namespace shoal::client
