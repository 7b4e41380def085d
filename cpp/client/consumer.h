// The consumer's fetching side (librdkafka's model): assigned partitions are read ahead by a
// fetcher thread, one fetch request in flight per leader, into a local queue bounded by
// queued.max.messages.kbytes; consume() hands records out from that queue. Positions that are
// logical (beginning, end, stored) are resolved with ListOffsets and auto.offset.reset.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/assignor.h"
#include "client/client_config.h"
#include "client/cluster_client.h"
#include "storage/record_batch.h"

namespace shoal::client {

class GroupMember;

inline constexpr int64_t offset_beginning = -2;
inline constexpr int64_t offset_end = -1;
inline constexpr int64_t offset_stored = -1000;
inline constexpr int64_t offset_invalid = -1001;

struct TopicPartitionOffset {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = offset_invalid;
};

// One consumed record, or an event (error set, e.g. _PARTITION_EOF). Views point into
// `holder`, which keeps the fetched bytes alive.
struct ConsumedRecord {
  std::shared_ptr<const std::string> topic;
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp = -1;
  int timestamp_type = 0;  // 0 none, 1 CreateTime, 2 LogAppendTime
  bool key_null = true;
  storage::bytes_view key;
  bool value_null = true;
  storage::bytes_view value;
  int32_t header_count = 0;
  storage::bytes_view headers;  // encoded, see RecordView::headers()
  std::shared_ptr<const storage::bytes> holder;
  errc error = errc::none;
  std::string error_message;
};

class Consumer {
 public:
  static result<std::unique_ptr<Consumer>> create(const ClientConfig& config);
  ~Consumer();

  // Replaces the assignment. Offsets: >= 0, offset_beginning, offset_end, or
  // offset_stored / offset_invalid (then auto.offset.reset decides).
  status assign(const std::vector<TopicPartitionOffset>& partitions);
  void unassign();
  // Adds partitions to the assignment, or removes them, leaving the others as they are
  // (the cooperative protocol's incremental_assign / incremental_unassign).
  status incremental_assign(const std::vector<TopicPartitionOffset>& partitions);
  void incremental_unassign(const std::vector<TopicPartitionOffset>& partitions);
  std::vector<TopicPartitionOffset> assignment() const;

  // Stops (and restarts) fetching these partitions; a paused partition hands out nothing.
  void pause(const std::vector<TopicPartitionOffset>& parts) { set_paused(parts, true); }
  void resume(const std::vector<TopicPartitionOffset>& parts) { set_paused(parts, false); }
  // Per partition, the earliest offset whose timestamp is >= the one given in `offset`
  // (ListOffsets by timestamp); -1 when there is none.
  result<std::vector<TopicPartitionOffset>> offsets_for_times(
      const std::vector<TopicPartitionOffset>& parts, int64_t timeout_ms);

  // --- consumer groups (group.id) ---
  // Joins the group for these topics ("^regex" patterns allowed). _INVALID_ARG without
  // group.id. Rebalance events come from group()->take_event().
  status subscribe(const std::vector<std::string>& topics);
  void unsubscribe();
  GroupMember* group() { return group_.get(); }
  // The offsets to commit: the position after the last record handed out (or stored with
  // store_offset) per partition.
  std::map<TopicPartition, int64_t> stored_offsets() const;
  status store_offset(const std::string& topic, int32_t partition, int64_t offset);
  // Commits `offsets`, or the stored offsets when nullopt. _NO_OFFSET when there is nothing.
  result<std::map<TopicPartition, errc>> commit(
      const std::optional<std::map<TopicPartition, int64_t>>& offsets, int64_t timeout_ms);
  result<std::map<TopicPartition, int64_t>> committed(const std::vector<TopicPartition>& parts,
                                                      int64_t timeout_ms);
  // Moves a partition's position; records already read ahead are discarded.
  // _STATE if the partition is not assigned.
  status seek(const std::string& topic, int32_t partition, int64_t offset);
  // The offset of the next record consume() will return (-1001 if not known yet).
  int64_t position(const std::string& topic, int32_t partition) const;

  // Moves up to `max` records and events into `out`, waiting up to timeout_ms for the first.
  size_t consume(std::vector<ConsumedRecord>& out, size_t max, int64_t timeout_ms);
  // Wakes a consume() waiting now (Ctrl+C handling).
  void wake();

  // (low, high) watermarks, from the leader (or the last fetch, when `cached`).
  result<std::pair<int64_t, int64_t>> watermarks(const std::string& topic, int32_t partition,
                                                 int64_t timeout_ms, bool cached);
  std::shared_ptr<ClusterClient> cluster() const { return cluster_; }
  void close();

 private:
  struct PartitionState {
    std::shared_ptr<const std::string> topic;
    int32_t partition = -1;
    int64_t fetch_offset = offset_invalid;  // next offset to fetch; logical until resolved
    int64_t position = offset_invalid;      // next offset to hand out
    int64_t high_watermark = -1;
    int64_t low_watermark = -1;
    uint64_t generation = 0;  // bumped by seek/assign: older data is dropped
    bool in_flight = false;
    bool eof_reported = false;
    bool paused = false;
    int64_t retry_after_ms = 0;
    size_t queued_bytes = 0;
  };
  struct Chunk {
    std::string topic;
    int32_t partition;
    uint64_t generation;
    std::deque<ConsumedRecord> records;
    size_t bytes;
  };
  using key = std::pair<std::string, int32_t>;

  explicit Consumer(const ClientConfig& config, std::shared_ptr<ClusterClient> cluster);
  void fetch_loop();
  void resolve_offsets();
  void handle_fetch(int32_t leader, std::map<key, uint64_t> generations,
                    const std::map<protocol::uuid, std::string>& names,
                    result<protocol::FetchResponse> resp);
  void push_event_locked(PartitionState& ps, errc code, std::string message);
  void set_paused(const std::vector<TopicPartitionOffset>& parts, bool paused);

  ClientConfig config_;
  std::shared_ptr<ClusterClient> cluster_;
  mutable std::mutex mu_;
  std::condition_variable data_cv_;
  std::condition_variable fetch_cv_;
  std::map<key, PartitionState> partitions_;
  std::deque<Chunk> queue_;
  size_t queued_bytes_ = 0;
  std::set<int32_t> leaders_in_flight_;
  std::map<key, int64_t> stored_;  // offsets to commit
  // Source of PartitionState::generation, consumer-wide, so that a partition unassigned and
  // assigned again never matches an answer to a fetch made for its earlier assignment.
  uint64_t generations_ = 0;
  std::unique_ptr<GroupMember> group_;
  bool closing_ = false;
  bool woken_ = false;
  std::thread fetcher_;
};

}  // namespace shoal::client
