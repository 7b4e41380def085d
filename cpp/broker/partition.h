// One partition as its broker holds it: the log, its role (leader, follower, or neither) and
// epochs from the metadata image, and the replication state around the high watermark.
//
// As leader it tracks how far each follower has fetched, moves the high watermark to what
// every member of the in-sync replica set has, and works out ISR changes to ask the
// controller for: followers that fell more than replica.lag.time.max.ms behind leave, ones
// that caught up join. As follower it appends what it fetched from its leader and takes the
// leader's high watermark (bounded by its own log end).
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/metadata.h"
#include "cluster/topic_config.h"
#include "protocol/gen/messages.h"
#include "storage/log.h"

namespace shoal::broker {

enum class replica_role { none, leader, follower };

class Partition {
 public:
  Partition(std::string topic, int32_t index, int64_t topic_id, int32_t self_id,
            std::unique_ptr<storage::Log> log, cluster::TopicConfig config);

  const std::string& topic() const { return topic_; }
  int32_t index() const { return index_; }
  int64_t topic_id() const { return topic_id_; }
  storage::Log& log() { return *log_; }
  const storage::Log& log() const { return *log_; }
  // "[orders/3]" for log lines.
  const std::string& name() const { return name_; }

  // Adopts the partition's state from a new metadata image. Becoming leader (or a new leader
  // epoch) records the epoch's start in the log's leader-epoch cache. Returns the new role.
  replica_role update(const cluster::PartitionState& state, int64_t now_ms);
  void set_config(const cluster::TopicConfig& c);
  cluster::TopicConfig config() const;

  replica_role role() const;
  bool is_leader() const { return role() == replica_role::leader; }
  int32_t leader_id() const;
  int32_t leader_epoch() const;
  cluster::PartitionState state() const;

  // The offset below which every in-sync replica has every record: what consumers may read,
  // and what acks=all waits for.
  offset high_watermark() const { return offset(hw_.load(std::memory_order_acquire)); }

  // --- leader ---
  // A producer's append. Errors: NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS (acks=all with
  // an ISR smaller than min.insync.replicas), and the log's own (see Log::append_as_leader,
  // which also explains `expected_end`).
  result<storage::LogAppendInfo> append_as_leader(std::span<uint8_t> batches, int16_t acks,
                                                  offset expected_end = offset(-1));
  // A follower fetched from `fetch_offset`: it has every record below. Returns true if the
  // high watermark moved.
  // `log_start` is the follower's log start as it reported it (-1: not reported); DeleteRecords
  // waits for the in-sync followers' to reach its offset (low_watermark()).
  bool record_follower_fetch(int32_t replica, offset fetch_offset, int64_t now_ms,
                             offset log_start = offset(-1));
  // Leader only: the smallest log start among this replica and its in-sync followers (Kafka's
  // low watermark); -1 on a follower.
  offset low_watermark() const;
  // Where a follower's log stops agreeing with ours (KIP-101), given the epoch of its last
  // record and its fetch offset: (epoch, end offset) to truncate to, or nullopt if it agrees.
  std::optional<std::pair<int32_t, offset>> divergence(int32_t last_fetched_epoch,
                                                       offset fetch_offset) const;
  // The ISR change this leader should ask the controller for, if any (one at a time):
  // followers more than lag_max_ms behind leave; followers in `live` that have caught up
  // with the high watermark join.
  std::optional<std::vector<int32_t>> isr_change(int64_t now_ms, int64_t lag_max_ms,
                                                 const std::vector<int32_t>& live);
  // The controller answered (or refused) the pending ISR change.
  void isr_change_done(const std::optional<cluster::PartitionState>& committed);
  // Whether acks=all records up to `end` are committed: every in-sync replica has them.
  // DeleteRecords, on the leader: moves the log start to `o` (-1: the high watermark) and
  // returns the new log start. OFFSET_OUT_OF_RANGE past the high watermark (records not yet
  // committed cannot be deleted), NOT_LEADER_OR_FOLLOWER on a follower. Followers move theirs
  // at their next fetch.
  result<offset> delete_records_before(offset o);
  // A follower: the leader's log start, learnt from a fetch; ours follows (up to our log end).
  void follow_log_start(offset leader_log_start);
  bool committed(offset end) const { return high_watermark() >= end; }
  size_t isr_size() const;

  // --- follower ---
  // Appends what leader `leader` sent at `epoch`, unless this replica has since learned of
  // another leader or epoch (a fetcher that was retired mid-request must not append after
  // the fetcher for the new leader read our log end): FENCED_LEADER_EPOCH then.
  result<storage::LogAppendInfo> append_as_follower(storage::bytes_view batches, int32_t leader,
                                                    int32_t epoch);
  // Cuts a divergent tail at `o` on the word of leader `leader` at `epoch` (same check).
  status truncate_as_follower(offset o, int32_t leader, int32_t epoch);
  void set_follower_high_watermark(offset leader_hw);
  // After the log was truncated: the high watermark cannot be past the log end.
  void clamp_high_watermark();

  // A consumer's read: up to the high watermark.
  result<storage::FetchDataInfo> read(offset start, size_t max_bytes) const;

 private:
  void advance_high_watermark_locked();

  const std::string topic_;
  const int32_t index_;
  const int64_t topic_id_;
  const int32_t self_;
  const std::string name_;
  std::unique_ptr<storage::Log> log_;
  mutable std::mutex mu_;
  cluster::PartitionState state_;
  cluster::TopicConfig config_;
  replica_role role_ = replica_role::none;
  // Leader only: each follower's log end as of its last fetch (-1: not fetched yet under
  // this leadership), and when it last had everything the leader had.
  std::map<int32_t, int64_t> follower_leo_;
  std::map<int32_t, int64_t> follower_log_start_;  // as the followers last reported it
  std::map<int32_t, int64_t> last_caught_up_ms_;
  // Our log end and the time at each follower's previous fetch (-1: none yet).
  std::map<int32_t, std::pair<int64_t, int64_t>> follower_prev_fetch_{};
  std::optional<std::vector<int32_t>> pending_isr_;
  std::atomic<int64_t> hw_{0};
};

}  // namespace shoal::broker
