#include "ipc/cluster_region.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "common/logger.h"

namespace shoal::ipc {

namespace {

spdlog::logger& log() { return logger("ipc"); }

std::string fixed_string(const char* s, size_t n) {
  size_t len = strnlen(s, n);
  return std::string(s, len);
}

void copy_fixed(char* dst, size_t n, const std::string& s) {
  std::memset(dst, 0, n);
  std::memcpy(dst, s.data(), std::min(s.size(), n - 1));
}

// flock() on a file in the cluster directory: released by the kernel if we die.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& p) {
    fd_ = ::open(p.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

bool slot_alive(const BrokerSlot& s, int64_t stale_ms, int64_t* age) {
  *age = monotonic_ms() - s.heartbeat_ms.load(std::memory_order_acquire);
  if (static_cast<broker_state>(s.state.load(std::memory_order_acquire)) != broker_state::running) {
    return false;
  }
  if (check_process(ProcessIdentity{s.pid, s.start_time, s.pid_ns}) == liveness::dead) return false;
  return *age < stale_ms;
}

}  // namespace

result<std::unique_ptr<ClusterRegion>> ClusterRegion::join(const std::string& cluster,
                                                           const std::string& cluster_dir,
                                                           int32_t broker_id, unsigned mode) {
  SHOAL_TRY(validate_cluster_name(cluster));
  if (cluster_dir.size() >= sizeof(ClusterHeader::cluster_dir)) {
    return make_error(errc::invalid_arg, "cluster directory path is too long: {}", cluster_dir);
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(cluster_dir) / "cluster", ec);
  FileLock lock(std::filesystem::path(cluster_dir) / "cluster" / ".region.lock");
  if (!lock.ok()) {
    return make_error(errc::fs, "cannot lock {}/cluster/.region.lock", cluster_dir);
  }
  std::string name = region_name(cluster, "cluster");
  auto r = std::make_unique<ClusterRegion>();
  r->cluster_ = cluster;
  if (auto existing = SharedRegion::open(name)) {
    auto* h = existing->as<ClusterHeader>();
    bool valid = existing->size() >= sizeof(ClusterHeader) &&
                 h->region.magic.load(std::memory_order_acquire) == cluster_magic &&
                 h->region.version == layout_version;
    bool any_alive = false;
    if (valid) {
      for (const auto& s : h->brokers) {
        int64_t age;
        any_alive = any_alive || slot_alive(s, 10'000, &age);
      }
    }
    std::string dir = valid ? fixed_string(h->cluster_dir, sizeof(h->cluster_dir)) : "";
    if (valid && (dir == cluster_dir || !any_alive)) {
      if (dir != cluster_dir) copy_fixed(h->cluster_dir, sizeof(h->cluster_dir), cluster_dir);
      r->region_ = std::move(existing).value();
    } else if (valid && any_alive) {
      return make_error(errc::conflict,
                        "cluster '{}' is already running with directory {}; use that directory or "
                        "another cluster name",
                        cluster, dir);
    } else {
      log().warn("replacing invalid cluster region {}", name);
      SharedRegion::remove(name);
    }
  }
  if (!r->region_) {
    SHOAL_ASSIGN_OR_RETURN(r->region_, SharedRegion::create(name, sizeof(ClusterHeader), mode));
    auto* h = r->header();
    ProcessIdentity self = self_identity();
    h->region.version = layout_version;
    h->region.kind = static_cast<uint32_t>(region_kind::cluster);
    h->region.size = r->region_.size();
    h->region.owner_pid = self.pid;
    h->region.owner_start_time = self.start_time;
    h->region.owner_pid_ns = self.pid_ns;
    h->region.incarnation = std::random_device{}();
    h->region.heartbeat_ms.store(monotonic_ms(), std::memory_order_relaxed);
    copy_fixed(h->cluster_name, sizeof(h->cluster_name), cluster);
    copy_fixed(h->cluster_dir, sizeof(h->cluster_dir), cluster_dir);
    h->region.magic.store(cluster_magic, std::memory_order_release);
  }
  // Our slot: the one already carrying our id, else the first empty one. Other brokers only
  // take slots under the same lock, so this cannot race.
  auto* h = r->header();
  int found = -1, empty = -1;
  for (int i = 0; i < static_cast<int>(max_brokers); ++i) {
    auto& s = h->brokers[i];
    auto st = static_cast<broker_state>(s.state.load(std::memory_order_acquire));
    if (st != broker_state::empty && s.broker_id.load(std::memory_order_acquire) == broker_id) {
      found = i;
      break;
    }
    if (st == broker_state::empty && empty < 0) empty = i;
  }
  if (found < 0) found = empty;
  if (found < 0) {
    return make_error(errc::crit_sys_resource, "cluster '{}' has no free broker slot (max {})",
                      cluster, max_brokers);
  }
  auto& s = h->brokers[found];
  int64_t age;
  if (slot_alive(s, 10'000, &age) && s.pid != static_cast<int32_t>(::getpid())) {
    return make_error(errc::conflict, "broker {} of cluster '{}' is already running (pid {})",
                      broker_id, cluster, s.pid);
  }
  ProcessIdentity self = self_identity();
  s.pid = self.pid;
  s.start_time = self.start_time;
  s.pid_ns = self.pid_ns;
  s.heartbeat_ms.store(monotonic_ms(), std::memory_order_release);
  s.broker_id.store(broker_id, std::memory_order_release);
  s.state.store(static_cast<uint32_t>(broker_state::starting), std::memory_order_release);
  r->slot_ = found;
  return r;
}

result<std::unique_ptr<ClusterRegion>> ClusterRegion::open(const std::string& cluster,
                                                           int64_t timeout_ms) {
  SHOAL_TRY(validate_cluster_name(cluster));
  std::string name = region_name(cluster, "cluster");
  int64_t deadline = monotonic_ms() + timeout_ms;
  while (true) {
    auto region = SharedRegion::open(name);
    if (region && region->size() >= sizeof(ClusterHeader)) {
      auto* h = region->as<ClusterHeader>();
      if (h->region.magic.load(std::memory_order_acquire) == cluster_magic) {
        if (h->region.version != layout_version) {
          return make_error(errc::unsupported_feature,
                            "cluster '{}' uses shared-memory layout {}, this client {}", cluster,
                            h->region.version, layout_version);
        }
        auto r = std::make_unique<ClusterRegion>();
        r->cluster_ = cluster;
        r->region_ = std::move(region).value();
        return r;
      }
    }
    if (monotonic_ms() >= deadline) {
      return make_error(errc::transport,
                        "no cluster named '{}' is running on this host (start one with `shoal "
                        "cluster up --name {}`)",
                        cluster, cluster);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ClusterRegion::~ClusterRegion() = default;

void ClusterRegion::publish(broker_state state, const std::string& inbox_name,
                            uint64_t inbox_incarnation) {
  auto& s = header()->brokers[slot_];
  copy_fixed(s.inbox_name, sizeof(s.inbox_name), inbox_name);
  s.inbox_incarnation.store(inbox_incarnation, std::memory_order_release);
  s.heartbeat_ms.store(monotonic_ms(), std::memory_order_release);
  s.state.store(static_cast<uint32_t>(state), std::memory_order_release);
}

void ClusterRegion::heartbeat() {
  header()->brokers[slot_].heartbeat_ms.store(monotonic_ms(), std::memory_order_release);
}

void ClusterRegion::leave() {
  if (slot_ < 0) return;
  header()->brokers[slot_].state.store(static_cast<uint32_t>(broker_state::empty),
                                       std::memory_order_release);
}

std::vector<BrokerInfo> ClusterRegion::brokers(int64_t stale_ms) const {
  std::vector<BrokerInfo> out;
  for (const auto& s : header()->brokers) {
    auto st = static_cast<broker_state>(s.state.load(std::memory_order_acquire));
    if (st == broker_state::empty) continue;
    BrokerInfo b;
    b.id = s.broker_id.load(std::memory_order_acquire);
    b.pid = s.pid;
    b.state = st;
    b.alive = slot_alive(s, stale_ms, &b.heartbeat_age_ms);
    b.inbox_incarnation = s.inbox_incarnation.load(std::memory_order_acquire);
    out.push_back(b);
  }
  return out;
}

std::string ClusterRegion::cluster_dir() const {
  return fixed_string(header()->cluster_dir, sizeof(header()->cluster_dir));
}

}  // namespace shoal::ipc
