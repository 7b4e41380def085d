#include "broker/replica_fetcher.h"

#include "cluster/metadata.h"
#include "common/logger.h"
#include "ipc/process.h"

namespace shoal::broker {

namespace {
spdlog::logger& log() {
  return logger("broker");
}
}  // namespace

ReplicaFetcherManager::ReplicaFetcherManager(const BrokerConfig& config,
                                             std::shared_ptr<client::ClusterClient> cluster)
    : config_(config), cluster_(std::move(cluster)) {}

ReplicaFetcherManager::~ReplicaFetcherManager() {
  stop();
}

void ReplicaFetcherManager::set_assignment(
    std::map<int32_t, std::vector<std::shared_ptr<Partition>>> assignment) {
  {
    std::lock_guard lock(mu_);
    for (auto it = fetchers_.begin(); it != fetchers_.end();) {
      if (!assignment.count(it->first)) {
        it->second->stopping = true;
        retired_.push_back(std::move(it->second));
        it = fetchers_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [leader, parts] : assignment) {
      auto& f = fetchers_[leader];
      if (!f) {
        f = std::make_unique<Fetcher>();
        f->leader = leader;
        f->partitions = std::move(parts);
        Fetcher* raw = f.get();
        f->thread = std::thread([this, raw] { run(raw); });
      } else {
        f->partitions = std::move(parts);
      }
    }
  }
  cv_.notify_all();
}

void ReplicaFetcherManager::stop() {
  std::vector<std::unique_ptr<Fetcher>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [_, f] : fetchers_) {
      f->stopping = true;
      all.push_back(std::move(f));
    }
    fetchers_.clear();
    for (auto& f : retired_) all.push_back(std::move(f));
    retired_.clear();
  }
  cv_.notify_all();
  for (auto& f : all) f->thread.join();
}

void ReplicaFetcherManager::run(Fetcher* f) {
  int64_t backoff_ms = 0;
  while (true) {
    std::vector<std::shared_ptr<Partition>> parts;
    {
      std::unique_lock lock(mu_);
      if (backoff_ms > 0) cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms));
      if (f->stopping) return;
      parts = f->partitions;
    }
    backoff_ms = 0;
    protocol::FetchRequest req;
    req.replica_id = node_id(config_.broker_id);
    req.max_wait_ms = static_cast<int32_t>(config_.replica_fetch_wait_max_ms);
    req.min_bytes = 1;
    req.max_bytes = config_.replica_fetch_response_max_bytes;
    // Each partition with the leader epoch its request was made under.
    std::map<std::pair<std::string, int32_t>, std::pair<std::shared_ptr<Partition>, int32_t>>
        by_key;
    std::map<protocol::uuid, std::string> names;  // Fetch v13 names topics by id
    for (auto& p : parts) {
      if (p->role() != replica_role::follower || p->leader_id() != f->leader) continue;
      auto t = std::find_if(req.topics.begin(), req.topics.end(),
                            [&](const auto& x) { return x.topic == p->topic(); });
      if (t == req.topics.end()) {
        t = req.topics.emplace(req.topics.end());
        t->topic = p->topic();
        t->topic_id = cluster::topic_uuid(p->topic_id());
        names[t->topic_id] = p->topic();
      }
      auto& fp = t->partitions.emplace_back();
      fp.partition = partition_id(p->index());
      int32_t epoch = p->leader_epoch();
      fp.current_leader_epoch = leader_epoch(epoch);
      fp.fetch_offset = p->log().log_end_offset();
      fp.last_fetched_epoch = leader_epoch(p->log().latest_epoch().value_or(-1));
      fp.log_start_offset = p->log().log_start_offset();
      fp.partition_max_bytes = config_.replica_fetch_max_bytes;
      by_key[{p->topic(), p->index()}] = {p, epoch};
    }
    if (by_key.empty()) {
      backoff_ms = 50;
      continue;
    }
    auto resp = cluster_->call<protocol::FetchRequest, protocol::FetchResponse>(
        f->leader, req, config_.replica_fetch_wait_max_ms + config_.replica_socket_timeout_ms);
    {
      std::lock_guard lock(mu_);
      if (f->stopping) return;
    }
    if (!resp) {
      log().debug("fetch from leader {} failed: {}", f->leader, resp.err().message);
      backoff_ms = config_.replica_fetch_backoff_ms;
      continue;
    }
    bool any_error = false;
    for (auto& t : resp->responses) {
      std::string name = t.topic;
      if (auto n = names.find(t.topic_id); name.empty() && n != names.end()) name = n->second;
      for (auto& rp : t.partitions) {
        auto it = by_key.find({name, rp.partition_index()});
        if (it == by_key.end()) continue;
        auto& [p, epoch] = it->second;
        if (p->role() != replica_role::follower || p->leader_id() != f->leader) continue;
        if (rp.error_code != errc::none) {
          if (rp.error_code == errc::offset_out_of_range) {
            // Behind the leader's log start (retention there): start over where it begins.
            if (p->log().log_end_offset() < rp.log_start_offset) {
              log().info("{} is behind the leader's log start {}; restarting the log there",
                         p->name(), rp.log_start_offset);
              (void)p->log().truncate_fully_and_start_at(rp.log_start_offset);
              p->clamp_high_watermark();
            }
          } else {
            any_error = true;
            log().debug("{} fetch from leader {}: {}", p->name(), f->leader,
                        rp.error_message.value_or(std::string(errc_description(rp.error_code))));
          }
          continue;
        }
        if (rp.diverging_epoch.epoch >= 0 || rp.diverging_epoch.end_offset() >= 0) {
          // Cut at the leader's end of the epoch, or ours if we hold less of it.
          offset cut = rp.diverging_epoch.end_offset;
          if (rp.diverging_epoch.epoch >= 0) {
            auto ours = p->log().end_offset_for_epoch(rp.diverging_epoch.epoch);
            if (ours && ours->first == rp.diverging_epoch.epoch) cut = std::min(cut, ours->second);
          }
          log().info(
              "{} diverged from leader {} after epoch {}: truncating from offset {} (log "
              "end was {})",
              p->name(), f->leader, rp.diverging_epoch.epoch, cut, p->log().log_end_offset());
          auto st = p->truncate_as_follower(cut, f->leader, epoch);
          if (!st && st.code() != errc::fenced_leader_epoch) {
            log().error("{} truncation failed: {}", p->name(), st.err().message);
          }
          continue;
        }
        if (rp.records && !rp.records->empty()) {
          auto appended = p->append_as_follower(*rp.records, f->leader, epoch);
          if (!appended && appended.code() == errc::fenced_leader_epoch) continue;
          if (!appended) {
            log().warn("{} cannot append what leader {} sent: {}", p->name(), f->leader,
                       appended.err().message);
            any_error = true;
            continue;
          }
        }
        p->set_follower_high_watermark(rp.high_watermark);
        p->follow_log_start(rp.log_start_offset);  // DeleteRecords and retention on the leader
      }
    }
    if (any_error) backoff_ms = config_.replica_fetch_backoff_ms;
  }
}

}  // namespace shoal::broker
