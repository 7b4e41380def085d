#include "broker/partition_manager.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "common/logger.h"
#include "storage/file.h"

namespace shoal::broker {

namespace fs = std::filesystem;

namespace {

spdlog::logger& log() {
  return logger("broker");
}

// Kafka's partition.metadata: which topic (by id) a partition directory belongs to, so a
// directory of a deleted topic is never mistaken for one of a new topic with the same name.
constexpr const char* metadata_file = "partition.metadata";

std::optional<int64_t> read_topic_id(const fs::path& dir) {
  std::ifstream f(dir / metadata_file);
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("topic_id: ", 0) == 0) {
      try {
        return std::stoll(line.substr(10));
      } catch (...) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

// "<topic>-<partition>" -> (topic, partition).
std::optional<std::pair<std::string, int32_t>> parse_dir_name(const std::string& name) {
  size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  int32_t p = 0;
  for (size_t i = dash + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    p = p * 10 + (name[i] - '0');
  }
  return std::make_pair(name.substr(0, dash), p);
}

// Whether the directory takes a write of `bytes` again (a full disk, a file-size limit or
// an I/O error would fail it). Opening a log needs no room, so without this check an offline
// log would come back only to fail on its next append, over and over.
bool can_write(const fs::path& dir, size_t bytes) {
  // A .tmp name: log recovery removes it if the broker dies before unlinking it.
  fs::path probe = dir / "write-probe.tmp";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::vector<char> chunk(64 * 1024, 0);
  bool ok = true;
  for (size_t done = 0; ok && done < bytes;) {
    ssize_t n = ::write(fd, chunk.data(), std::min(chunk.size(), bytes - done));
    if (n <= 0) ok = false;
    done += n > 0 ? static_cast<size_t>(n) : 0;
  }
  ok = ok && ::fdatasync(fd) == 0;
  ::close(fd);
  ::unlink(probe.c_str());
  return ok;
}

}  // namespace

PartitionManager::PartitionManager(const BrokerConfig& config)
    : config_(config), topic_defaults_(config.topic_defaults) {}

void PartitionManager::set_topic_defaults(const cluster::TopicConfig& defaults) {
  std::unique_lock lock(mu_);
  topic_defaults_ = defaults;
}

cluster::TopicConfig PartitionManager::topic_defaults() const {
  std::shared_lock lock(mu_);
  return topic_defaults_;
}

fs::path PartitionManager::partition_dir(const std::string& topic, int32_t p) const {
  return config_.log_dir / (topic + "-" + std::to_string(p));
}

result<std::map<int32_t, std::vector<std::shared_ptr<Partition>>>> PartitionManager::apply(
    const cluster::MetadataImage& image, int64_t now_ms) {
  std::map<int32_t, std::vector<std::shared_ptr<Partition>>> following;
  std::unique_lock lock(mu_);
  // Partitions that should exist here.
  std::set<std::pair<std::string, int32_t>> wanted;
  for (const auto& [name, t] : image.topics) {
    for (size_t i = 0; i < t.partitions.size(); ++i) {
      const auto& reps = t.partitions[i].replicas;
      if (std::find(reps.begin(), reps.end(), config_.broker_id) != reps.end()) {
        wanted.insert({name, static_cast<int32_t>(i)});
      }
    }
  }
  // Close and delete partitions no longer here (or of a topic re-created under its name).
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    const cluster::TopicState* t = image.topic(it->first.first);
    bool keep = wanted.count(it->first) && t != nullptr && t->topic_id == it->second->topic_id();
    if (keep) {
      ++it;
      continue;
    }
    auto p = it->second;
    it = partitions_.erase(it);
    (void)p->log().close();
    std::error_code ec;
    fs::remove_all(p->log().dir(), ec);
    log().info("{} deleted (topic removed)", p->name());
  }
  // Directories on disk that no topic claims any more.
  std::error_code ec;
  fs::create_directories(config_.log_dir, ec);
  for (const auto& e : fs::directory_iterator(config_.log_dir, ec)) {
    if (!e.is_directory()) continue;
    auto tp = parse_dir_name(e.path().filename().string());
    if (!tp) continue;
    const cluster::TopicState* t = image.topic(tp->first);
    auto id = read_topic_id(e.path());
    if (wanted.count(*tp) && t != nullptr && id && *id == t->topic_id) continue;
    if (partitions_.count(*tp)) continue;
    log().info("removing {}: it belongs to no current topic", e.path().string());
    fs::remove_all(e.path(), ec);
  }
  // Open the partitions that should be here and update everyone's state.
  for (const auto& key : wanted) {
    const cluster::TopicState* t = image.topic(key.first);
    const cluster::PartitionState& ps = t->partitions[static_cast<size_t>(key.second)];
    SHOAL_ASSIGN_OR_RETURN(auto cfg, topic_defaults_.with(t->configs));
    auto it = partitions_.find(key);
    if (it == partitions_.end()) {
      fs::path dir = partition_dir(key.first, key.second);
      storage::LogOptions opts;
      opts.name = "[" + key.first + "/" + std::to_string(key.second) + "]";
      auto lg = storage::Log::open(dir, cfg.log, opts);
      if (!lg) {
        log().error("{} cannot be opened: {}", opts.name, lg.err().message);
        return lg.err();
      }
      SHOAL_TRY(
          storage::write_file_atomically(storage::Env::posix(), dir / metadata_file,
                                         fmt::format("version: 0\ntopic_id: {}\n", t->topic_id)));
      auto p = std::make_shared<Partition>(key.first, key.second, t->topic_id, config_.broker_id,
                                           std::move(lg).value(), cfg);
      it = partitions_.emplace(key, std::move(p)).first;
    } else {
      it->second->set_config(cfg);
    }
    if (it->second->log().offline()) continue;  // waits for reopen()
    if (it->second->update(ps, now_ms) == replica_role::follower && ps.leader >= 0) {
      following[ps.leader].push_back(it->second);
    }
  }
  return following;
}

std::vector<std::shared_ptr<Partition>> PartitionManager::offline() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<Partition>> v;
  for (const auto& [_, p] : partitions_) {
    if (p->log().offline()) v.push_back(p);
  }
  return v;
}

bool PartitionManager::reopen(const std::shared_ptr<Partition>& p,
                              const cluster::MetadataImage& image, int64_t now_ms) {
  const cluster::TopicState* t = image.topic(p->topic());
  if (t == nullptr || t->topic_id != p->topic_id()) return false;
  auto cfg = topic_defaults().with(t->configs);
  if (!cfg) return false;
  storage::LogOptions opts;
  opts.name = p->name();
  auto dir = p->log().dir();
  if (!can_write(dir, 1u << 20)) return false;
  (void)p->log().close();
  auto lg = storage::Log::open(dir, cfg->log, opts);
  if (!lg) return false;
  auto fresh = std::make_shared<Partition>(p->topic(), p->index(), p->topic_id(), config_.broker_id,
                                           std::move(lg).value(), *cfg);
  fresh->update(t->partitions[static_cast<size_t>(p->index())], now_ms);
  std::unique_lock lock(mu_);
  partitions_[{p->topic(), p->index()}] = fresh;
  log().info("{} reopened after an I/O error; log end {}", fresh->name(),
             fresh->log().log_end_offset());
  return true;
}

std::shared_ptr<Partition> PartitionManager::get(const std::string& topic,
                                                 int32_t partition) const {
  std::shared_lock lock(mu_);
  auto it = partitions_.find({topic, partition});
  return it == partitions_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Partition>> PartitionManager::all() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<Partition>> v;
  for (const auto& [_, p] : partitions_) v.push_back(p);
  return v;
}

int PartitionManager::run_retention() {
  int deleted = 0;
  for (auto& p : all()) {
    auto r = p->log().delete_old_segments();
    if (r) {
      deleted += *r;
    } else if (r.code() != errc::kafka_storage_error || !p->log().offline()) {
      log().warn("{} retention failed: {}", p->name(), r.err().message);
    }
  }
  return deleted;
}

void PartitionManager::run_flush() {
  for (auto& p : all()) {
    auto st = p->log().maybe_flush();
    if (!st && !p->log().offline()) log().warn("{} flush failed: {}", p->name(), st.err().message);
  }
}

void PartitionManager::run_cleaner() {
  for (auto& p : all()) {
    auto r = p->log().compact();
    if (!r && !p->log().offline())
      log().warn("{} compaction failed: {}", p->name(), r.err().message);
  }
}

status PartitionManager::close_all() {
  std::unique_lock lock(mu_);
  status result;
  for (auto& [_, p] : partitions_) {
    auto st = p->log().close();
    if (!st) {
      log().error("{} did not close cleanly: {}", p->name(), st.err().message);
      result = st;
    }
  }
  partitions_.clear();
  return result;
}

}  // namespace shoal::broker
