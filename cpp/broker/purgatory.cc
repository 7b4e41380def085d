#include "broker/purgatory.h"

#include <algorithm>

namespace shoal::broker {

bool Purgatory::waiting::try_complete(bool force) {
  std::lock_guard lock(mu);
  if (!answered) answered = attempt(force);
  return answered;
}

void Purgatory::park(std::vector<std::pair<std::string, int32_t>> partitions, int64_t deadline_ms,
                     attempt_fn attempt) {
  auto w = std::make_shared<waiting>();
  w->partitions.insert(partitions.begin(), partitions.end());
  w->deadline_ms = deadline_ms;
  w->attempt = std::move(attempt);
  std::lock_guard lock(mu_);
  waiting_.push_back(std::move(w));
}

void Purgatory::wake(const std::string& topic, int32_t partition) {
  std::vector<std::shared_ptr<waiting>> candidates;
  {
    std::lock_guard lock(mu_);
    for (auto& w : waiting_) {
      if (w->partitions.count({topic, partition})) candidates.push_back(w);
    }
  }
  std::vector<std::shared_ptr<waiting>> done;
  for (auto& w : candidates) {
    if (w->try_complete(false)) done.push_back(w);
  }
  if (done.empty()) return;
  std::lock_guard lock(mu_);
  std::erase_if(waiting_, [&](const auto& w) {
    return std::find(done.begin(), done.end(), w) != done.end();
  });
}

void Purgatory::expire(int64_t now_ms) {
  std::vector<std::shared_ptr<waiting>> expired;
  {
    std::lock_guard lock(mu_);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if ((*it)->deadline_ms <= now_ms) {
        expired.push_back(*it);
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : expired) w->try_complete(true);
}

void Purgatory::wake_all() {
  std::vector<std::shared_ptr<waiting>> all;
  {
    std::lock_guard lock(mu_);
    all = waiting_;
  }
  std::vector<std::shared_ptr<waiting>> done;
  for (auto& w : all) {
    if (w->try_complete(false)) done.push_back(w);
  }
  if (done.empty()) return;
  std::lock_guard lock(mu_);
  std::erase_if(waiting_, [&](const auto& w) {
    return std::find(done.begin(), done.end(), w) != done.end();
  });
}

void Purgatory::flush_all() {
  expire(INT64_MAX);
}

size_t Purgatory::size() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

}  // namespace shoal::broker
