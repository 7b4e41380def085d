#include "broker/partition.h"

#include <algorithm>

#include "common/logger.h"

namespace shoal::broker {

namespace {
spdlog::logger& blog() {
  return logger("broker");
}
bool contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}
}  // namespace

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

replica_role Partition::update(const cluster::PartitionState& state, int64_t now_ms) {
  std::lock_guard lock(mu_);
  replica_role next = state.leader == self_             ? replica_role::leader
                      : contains(state.replicas, self_) ? replica_role::follower
                                                        : replica_role::none;
  bool new_leadership = next == replica_role::leader && (role_ != replica_role::leader ||
                                                         state.leader_epoch != state_.leader_epoch);
  if (new_leadership) {
    // The epoch starts here: records this leader writes carry it, and followers check their
    // logs against where it starts.
    auto st = log_->assign_epoch(state.leader_epoch);
    if (!st)
      blog().error("{} cannot record leader epoch {}: {}", name_, state.leader_epoch,
                   st.err().message);
    follower_leo_.clear();
    follower_log_start_.clear();
    follower_prev_fetch_.clear();
    last_caught_up_ms_.clear();
    for (int32_t r : state.replicas) {
      if (r == self_) continue;
      follower_leo_[r] = -1;
      // In-sync followers get a full lag period to show up under the new leader.
      last_caught_up_ms_[r] = contains(state.isr, r) ? now_ms : 0;
    }
    blog().info("{} leader at epoch {} with ISR [{}], log end {}, high watermark {}", name_,
                state.leader_epoch, fmt::join(state.isr, ","), log_->log_end_offset(), hw_.load());
  } else if (next == replica_role::follower && role_ != replica_role::follower) {
    blog().info("{} follower of broker {} (epoch {})", name_, state.leader, state.leader_epoch);
  }
  if (state.partition_epoch != state_.partition_epoch || new_leadership) pending_isr_.reset();
  for (int32_t r : state.isr) {
    if (r != self_ && next == replica_role::leader && !last_caught_up_ms_.count(r)) {
      last_caught_up_ms_[r] = now_ms;
    }
  }
  state_ = state;
  role_ = next;
  if (role_ == replica_role::leader) advance_high_watermark_locked();
  return role_;
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

replica_role Partition::role() const {
  std::lock_guard lock(mu_);
  return role_;
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

size_t Partition::isr_size() const {
  std::lock_guard lock(mu_);
  return state_.isr.size();
}

void Partition::advance_high_watermark_locked() {
  if (role_ != replica_role::leader) return;
  int64_t hw = log_->log_end_offset()();
  // Every member of the ISR, and any follower being added to it, must have a record before
  // it counts as committed.
  std::vector<int32_t> members = state_.isr;
  if (pending_isr_) {
    for (int32_t r : *pending_isr_) {
      if (!contains(members, r)) members.push_back(r);
    }
  }
  for (int32_t r : members) {
    if (r == self_) continue;
    auto it = follower_leo_.find(r);
    int64_t leo = it == follower_leo_.end() ? -1 : it->second;
    hw = std::min(hw, leo);
  }
  int64_t cur = hw_.load(std::memory_order_relaxed);
  if (hw > cur) hw_.store(hw, std::memory_order_release);
}

result<offset> Partition::delete_records_before(offset o) {
  std::lock_guard lock(mu_);
  if (role_ != replica_role::leader) {
    return make_error(errc::not_leader_or_follower,
                      "broker {} is not the leader of {} (the leader is {})", self_, name_,
                      state_.leader);
  }
  offset hw = high_watermark();
  if (o() == -1) o = hw;
  if (o() < 0 || o > hw) {
    return make_error(errc::offset_out_of_range,
                      "{}: cannot delete records before offset {}: it must be within [0, {}] "
                      "(the high watermark)",
                      name_, o, hw);
  }
  return log_->advance_log_start_offset(o);
}

void Partition::follow_log_start(offset leader_log_start) {
  offset target = std::min(leader_log_start, log_->log_end_offset());
  if (target <= log_->log_start_offset()) return;
  auto r = log_->advance_log_start_offset(target);
  if (!r)
    blog().warn("{}: cannot follow the leader's log start {}: {}", name_, target, r.err().message);
}

result<storage::LogAppendInfo> Partition::append_as_leader(std::span<uint8_t> batches, int16_t acks,
                                                           offset expected_end) {
  int32_t epoch;
  {
    std::lock_guard lock(mu_);
    if (role_ != replica_role::leader) {
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
  auto info = log_->append_as_leader(batches, shoal::leader_epoch(epoch), expected_end);
  if (info) {
    std::lock_guard lock(mu_);
    advance_high_watermark_locked();
  }
  return info;
}

bool Partition::record_follower_fetch(int32_t replica, offset fetch_offset, int64_t now_ms,
                                      offset log_start) {
  std::lock_guard lock(mu_);
  if (role_ != replica_role::leader || !follower_leo_.count(replica)) return false;
  follower_leo_[replica] = fetch_offset();
  bool start_moved = false;
  if (log_start() >= 0) {
    auto& known = follower_log_start_[replica];
    start_moved = log_start() > known;
    known = std::max(known, log_start());
  }
  // Kafka's rule (Replica.updateFetchState): a follower is caught up now if it has our whole
  // log, or as of its previous fetch if it now has everything we had then. Under a steady
  // stream of appends the first never holds, the second does for a follower keeping up.
  int64_t leo = log_->log_end_offset()();
  auto& prev = follower_prev_fetch_.try_emplace(replica, -1, 0).first->second;
  if (fetch_offset() >= leo) {
    last_caught_up_ms_[replica] = now_ms;
  } else if (prev.first >= 0 && fetch_offset() >= prev.first) {
    last_caught_up_ms_[replica] = std::max(last_caught_up_ms_[replica], prev.second);
  }
  prev = {leo, now_ms};
  int64_t before = hw_.load(std::memory_order_relaxed);
  advance_high_watermark_locked();
  return hw_.load(std::memory_order_relaxed) != before || start_moved;
}

offset Partition::low_watermark() const {
  std::lock_guard lock(mu_);
  if (role_ != replica_role::leader) return offset(-1);
  int64_t low = log_->log_start_offset()();
  for (int32_t r : state_.isr) {
    if (r == self_) continue;
    auto it = follower_log_start_.find(r);
    low = std::min(low, it == follower_log_start_.end() ? int64_t{0} : it->second);
  }
  return offset(low);
}

std::optional<std::pair<int32_t, offset>> Partition::divergence(int32_t last_fetched_epoch,
                                                                offset fetch_offset) const {
  if (last_fetched_epoch < 0) return std::nullopt;
  auto end = log_->end_offset_for_epoch(last_fetched_epoch);
  if (!end) {
    // Every epoch we know is newer than the follower's: it must drop what it has of that epoch.
    return std::make_pair(-1, log_->log_start_offset());
  }
  if (end->first != last_fetched_epoch || fetch_offset > end->second) return end;
  return std::nullopt;
}

std::optional<std::vector<int32_t>> Partition::isr_change(int64_t now_ms, int64_t lag_max_ms,
                                                          const std::vector<int32_t>& live) {
  std::lock_guard lock(mu_);
  if (role_ != replica_role::leader || pending_isr_) return std::nullopt;
  std::vector<int32_t> isr;
  for (int32_t r : state_.isr) {
    if (r == self_) {
      isr.push_back(r);
      continue;
    }
    auto it = last_caught_up_ms_.find(r);
    int64_t last = it == last_caught_up_ms_.end() ? 0 : it->second;
    if (now_ms - last <= lag_max_ms) isr.push_back(r);
  }
  int64_t hw = hw_.load(std::memory_order_relaxed);
  auto epoch_start = log_->end_offset_for_epoch(state_.leader_epoch - 1);
  for (int32_t r : state_.replicas) {
    // Only replicas outside the current ISR: one being removed for lagging is always at the
    // high watermark, since it holds it back.
    if (r == self_ || contains(state_.isr, r) || !contains(live, r)) continue;
    auto it = follower_leo_.find(r);
    int64_t leo = it == follower_leo_.end() ? -1 : it->second;
    // In sync (Kafka's isFollowerInSync): has everything committed, and everything this
    // leadership wrote before it. Not the whole log: under steady appends it never would.
    // And still fetching: a replica that went quiet is not brought back on old progress.
    int64_t needed = std::max(hw, epoch_start ? epoch_start->second() : 0);
    auto prev = follower_prev_fetch_.find(r);
    bool fetching =
        prev != follower_prev_fetch_.end() && now_ms - prev->second.second <= lag_max_ms;
    if (leo >= 0 && leo >= needed && fetching) isr.push_back(r);
  }
  if (isr == state_.isr) return std::nullopt;
  pending_isr_ = isr;
  return isr;
}

void Partition::isr_change_done(const std::optional<cluster::PartitionState>& committed) {
  std::lock_guard lock(mu_);
  pending_isr_.reset();
  if (committed && committed->partition_epoch > state_.partition_epoch &&
      committed->leader_epoch == state_.leader_epoch) {
    state_ = *committed;
  }
  advance_high_watermark_locked();
}

namespace {
error stale_leader(const std::string& name, int32_t leader, int32_t epoch,
                   const cluster::PartitionState& now) {
  return make_error(errc::fenced_leader_epoch,
                    "{}: data from leader {} at epoch {} arrived after leader {} at epoch {} "
                    "took over",
                    name, leader, epoch, now.leader, now.leader_epoch);
}
}  // namespace

result<storage::LogAppendInfo> Partition::append_as_follower(storage::bytes_view batches,
                                                             int32_t leader, int32_t epoch) {
  // Held across the append, so a new image cannot slip in between the check and the write.
  std::lock_guard lock(mu_);
  if (role_ != replica_role::follower || state_.leader != leader || state_.leader_epoch != epoch) {
    return stale_leader(name_, leader, epoch, state_);
  }
  return log_->append_as_follower(batches);
}

status Partition::truncate_as_follower(offset o, int32_t leader, int32_t epoch) {
  std::lock_guard lock(mu_);
  if (role_ != replica_role::follower || state_.leader != leader || state_.leader_epoch != epoch) {
    return stale_leader(name_, leader, epoch, state_);
  }
  SHOAL_TRY(log_->truncate_to(o));
  int64_t leo = log_->log_end_offset()();
  if (hw_.load(std::memory_order_relaxed) > leo) hw_.store(leo, std::memory_order_release);
  return {};
}

void Partition::set_follower_high_watermark(offset leader_hw) {
  int64_t hw = std::min(leader_hw(), log_->log_end_offset()());
  int64_t cur = hw_.load(std::memory_order_relaxed);
  // A follower's high watermark may go down only through truncation (handled by its owner).
  if (hw > cur) hw_.store(hw, std::memory_order_release);
}

void Partition::clamp_high_watermark() {
  int64_t leo = log_->log_end_offset()();
  int64_t cur = hw_.load(std::memory_order_relaxed);
  if (cur > leo) hw_.store(leo, std::memory_order_release);
}

result<storage::FetchDataInfo> Partition::read(offset start, size_t max_bytes) const {
  return log_->read(start, max_bytes, high_watermark());
}

}  // namespace shoal::broker
