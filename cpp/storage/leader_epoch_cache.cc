#include "storage/leader_epoch_cache.h"

#include <charconv>

#include <fmt/format.h>

namespace shoal::storage {

result<bool> LeaderEpochCache::load() {
  std::lock_guard lock(mu_);
  entries_.clear();
  if (!env_->exists(file_)) return false;
  auto text = read_small_file(env_, file_);
  if (!text) return false;
  std::string_view s = *text;
  std::vector<EpochEntry> parsed;
  while (!s.empty()) {
    size_t nl = s.find('\n');
    std::string_view line = s.substr(0, nl);
    s = nl == std::string_view::npos ? std::string_view{} : s.substr(nl + 1);
    if (line.empty()) continue;
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return false;
    int32_t epoch = 0;
    int64_t start = 0;
    auto a = std::from_chars(line.data(), line.data() + sp, epoch);
    auto b = std::from_chars(line.data() + sp + 1, line.data() + line.size(), start);
    if (a.ec != std::errc() || b.ec != std::errc() || b.ptr != line.data() + line.size()) {
      return false;
    }
    if (!parsed.empty() && (epoch <= parsed.back().epoch || start < parsed.back().start())) {
      return false;
    }
    parsed.push_back({epoch, offset(start)});
  }
  entries_ = std::move(parsed);
  return true;
}

status LeaderEpochCache::save_locked() {
  std::string text;
  for (const auto& e : entries_) text += fmt::format("{} {}\n", e.epoch, e.start);
  return write_file_atomically(env_, file_, text);
}

status LeaderEpochCache::assign(int32_t epoch, offset start) {
  std::lock_guard lock(mu_);
  if (!entries_.empty()) {
    if (epoch <= entries_.back().epoch) return {};
    if (start < entries_.back().start) return {};
    // An epoch that wrote nothing is superseded by the next one at the same offset.
    if (start == entries_.back().start) entries_.pop_back();
  }
  entries_.push_back({epoch, start});
  return save_locked();
}

std::optional<std::pair<int32_t, offset>> LeaderEpochCache::end_offset_for(int32_t epoch,
                                                                           offset log_end) const {
  std::lock_guard lock(mu_);
  for (size_t i = entries_.size(); i-- > 0;) {
    if (entries_[i].epoch <= epoch) {
      offset end = i + 1 < entries_.size() ? entries_[i + 1].start : log_end;
      return std::make_pair(entries_[i].epoch, end);
    }
  }
  return std::nullopt;
}

status LeaderEpochCache::truncate_from_end(offset o) {
  std::lock_guard lock(mu_);
  size_t before = entries_.size();
  while (!entries_.empty() && entries_.back().start >= o) entries_.pop_back();
  return entries_.size() == before ? status{} : save_locked();
}

status LeaderEpochCache::truncate_from_start(offset o) {
  std::lock_guard lock(mu_);
  bool changed = false;
  while (entries_.size() > 1 && entries_[1].start <= o) {
    entries_.erase(entries_.begin());
    changed = true;
  }
  if (!entries_.empty() && entries_.front().start < o) {
    entries_.front().start = o;
    changed = true;
  }
  return changed ? save_locked() : status{};
}

std::optional<EpochEntry> LeaderEpochCache::latest() const {
  std::lock_guard lock(mu_);
  if (entries_.empty()) return std::nullopt;
  return entries_.back();
}

std::vector<EpochEntry> LeaderEpochCache::entries() const {
  std::lock_guard lock(mu_);
  return entries_;
}

status LeaderEpochCache::clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
  return save_locked();
}

}  // namespace shoal::storage
