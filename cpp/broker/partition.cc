#include "broker/partition.h"

#include <algorithm>

namespace shoal::broker {

Partition::Partition(std::string topic, int32_t index, int64_t topic_id, int32_t self_id,
                     std::unique_ptr<storage::Log> log, cluster::TopicConfig config)
    : topic_(std::move(topic)),
      index_(index),
      topic_id_(topic_id),
      self_(self_id),
      name_("[" + topic_ + "/" + std::to_string(index) + "]"),
      log_(std::move(log)),
      config_(std::move(config)) {
  log_->set_config(config_.log);
}

void Partition::update(const cluster::PartitionState& state) {
  {
    std::lock_guard lock(mu_);
    state_ = state;
  }
  advance_high_watermark();
}

void Partition::set_config(const cluster::TopicConfig& c) {
  std::lock_guard lock(mu_);
  config_ = c;
  log_->set_config(c.log);
}

cluster::TopicConfig Partition::config() const {
  std::lock_guard lock(mu_);
  return config_;
}

bool Partition::is_leader() const {
  std::lock_guard lock(mu_);
  return state_.leader == self_;
}

int32_t Partition::leader_id() const {
  std::lock_guard lock(mu_);
  return state_.leader;
}

int32_t Partition::leader_epoch() const {
  std::lock_guard lock(mu_);
  return state_.leader_epoch;
}

cluster::PartitionState Partition::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

void Partition::advance_high_watermark() {
  std::lock_guard lock(mu_);
  // With this broker the only in-sync replica, everything it has is committed. (Replication
  // moves the watermark as followers catch up.)
  if (state_.leader == self_ && state_.isr.size() == 1 && state_.isr.front() == self_) {
    int64_t leo = log_->log_end_offset()();
    int64_t cur = hw_.load(std::memory_order_relaxed);
    if (leo > cur) hw_.store(leo, std::memory_order_release);
  }
}

result<storage::LogAppendInfo> Partition::append_as_leader(std::span<uint8_t> batches,
                                                           int16_t acks) {
  int32_t epoch;
  {
    std::lock_guard lock(mu_);
    if (state_.leader != self_) {
      return make_error(errc::not_leader_or_follower,
                        "broker {} is not the leader of {} (the leader is {})", self_, name_,
                        state_.leader);
    }
    if (acks == -1 && static_cast<int32_t>(state_.isr.size()) < config_.min_insync_replicas) {
      return make_error(errc::not_enough_replicas,
                        "{} has {} in-sync replica(s) but min.insync.replicas={}", name_,
                        state_.isr.size(), config_.min_insync_replicas);
    }
    epoch = state_.leader_epoch;
  }
  auto info = log_->append_as_leader(batches, shoal::leader_epoch(epoch));
  if (info) advance_high_watermark();
  return info;
}

result<storage::FetchDataInfo> Partition::read(shoal::offset start, size_t max_bytes) const {
  return log_->read(start, max_bytes, high_watermark());
}

}  // namespace shoal::broker
