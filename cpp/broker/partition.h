// One partition as its broker holds it: the log, the leadership state from the metadata
// image, and the high watermark consumers read up to.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/metadata.h"
#include "cluster/topic_config.h"
#include "storage/log.h"

namespace shoal::broker {

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

  // Adopts the partition's state from a new metadata image.
  void update(const cluster::PartitionState& state);
  void set_config(const cluster::TopicConfig& c);
  cluster::TopicConfig config() const;

  bool is_leader() const;
  int32_t leader_id() const;
  int32_t leader_epoch() const;
  cluster::PartitionState state() const;

  // The offset below which every in-sync replica has every record: what consumers may read.
  shoal::offset high_watermark() const {
    return shoal::offset(hw_.load(std::memory_order_acquire));
  }

  // A producer's append. Errors: NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS (acks=all with
  // an ISR smaller than min.insync.replicas), and the log's own (see Log::append_as_leader).
  result<storage::LogAppendInfo> append_as_leader(std::span<uint8_t> batches, int16_t acks);

  // A consumer's read: up to the high watermark.
  result<storage::FetchDataInfo> read(shoal::offset start, size_t max_bytes) const;

 private:
  void advance_high_watermark();

  const std::string topic_;
  const int32_t index_;
  const int64_t topic_id_;
  const int32_t self_;
  const std::string name_;
  std::unique_ptr<storage::Log> log_;
  mutable std::mutex mu_;  // guards state_ and config_
  cluster::PartitionState state_;
  cluster::TopicConfig config_;
  std::atomic<int64_t> hw_{0};
};

}  // namespace shoal::broker
