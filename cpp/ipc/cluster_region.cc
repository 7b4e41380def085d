#include "ipc/cluster_region.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "common/crc32c.h"
#include "common/logger.h"

namespace shoal::ipc {

namespace {

spdlog::logger& log() {
  return logger("ipc");
}

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
    bool magic_ok = existing->size() >= sizeof(RegionHeader) &&
                    h->region.magic.load(std::memory_order_acquire) == cluster_magic;
    if (magic_ok && h->region.version != layout_version) {
      // Another version of Shoal runs this cluster: never pull its memory from under it.
      ProcessIdentity owner{h->region.owner_pid, h->region.owner_start_time,
                            h->region.owner_pid_ns};
      if (check_process(owner) != liveness::dead) {
        return make_error(errc::conflict,
                          "cluster '{}' is run by another version of Shoal (shared-memory layout "
                          "{}, this one {}); stop it first",
                          cluster, h->region.version, layout_version);
      }
    }
    bool valid = magic_ok && existing->size() >= sizeof(ClusterHeader) &&
                 h->region.version == layout_version;
    bool any_alive = false;
    if (valid) {
      for (const auto& s : h->brokers) {
        int64_t age;
        any_alive = any_alive || slot_alive(s, 10'000, &age);
      }
    }
    std::string dir = valid ? fixed_string(h->cluster_dir, sizeof(h->cluster_dir)) : "";
    if (valid && dir == cluster_dir) {
      // The same cluster restarting: attached clients keep their mapping.
      r->region_ = std::move(existing).value();
    } else if (valid && any_alive) {
      return make_error(errc::conflict,
                        "cluster '{}' is already running with directory {}; use that directory or "
                        "another cluster name",
                        cluster, dir);
    } else if (valid) {
      // A stopped cluster of the same name kept its data elsewhere: it is another cluster.
      // Reusing its region would show its topics, leaders and broker slots until our
      // controller publishes (names repeat: test clusters are named after pids, which wrap).
      log().info("replacing the region of stopped cluster '{}' (directory {})", cluster, dir);
      SharedRegion::remove(name);
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

result<bool> ClusterRegion::remove_if_abandoned(const std::string& cluster) {
  SHOAL_TRY(validate_cluster_name(cluster));
  std::string name = region_name(cluster, "cluster");
  auto region = SharedRegion::open(name);
  if (!region || region->size() < sizeof(ClusterHeader)) return false;
  auto* h = region->as<ClusterHeader>();
  if (h->region.magic.load(std::memory_order_acquire) != cluster_magic ||
      h->region.version != layout_version) {
    return false;
  }
  // The same lock as join(), so no broker claims a slot while we decide.
  std::string dir = fixed_string(h->cluster_dir, sizeof(h->cluster_dir));
  FileLock lock(std::filesystem::path(dir) / "cluster" / ".region.lock");
  if (!lock.ok()) return make_error(errc::fs, "cannot lock {}/cluster/.region.lock", dir);
  for (const auto& s : h->brokers) {
    if (static_cast<broker_state>(s.state.load(std::memory_order_acquire)) == broker_state::empty) {
      continue;
    }
    if (check_process(ProcessIdentity{s.pid, s.start_time, s.pid_ns}) != liveness::dead) {
      return false;
    }
  }
  // The inboxes of brokers that were killed go too (a restarted broker would replace them).
  std::string prefix = region_name(cluster, "broker-");
  for (const auto& s : h->brokers) {
    std::string inbox = fixed_string(s.inbox_name, sizeof(s.inbox_name));
    if (!inbox.empty() && inbox.rfind(prefix, 0) == 0) SharedRegion::remove(inbox);
  }
  SharedRegion::remove(name);
  return true;
}

ClusterRegion::~ClusterRegion() = default;

void ClusterRegion::set_advertised_listener(const std::string& host, int32_t port) {
  auto& s = header()->brokers[slot_];
  copy_fixed(s.advertised_host, sizeof(s.advertised_host), host);
  s.advertised_port.store(port, std::memory_order_release);
}

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
  std::string dir = cluster_dir();
  FileLock lock(std::filesystem::path(dir) / "cluster" / ".region.lock");
  header()->brokers[slot_].state.store(static_cast<uint32_t>(broker_state::empty),
                                       std::memory_order_release);
  slot_ = -1;
  // The last broker out removes the region, so stopped clusters leave nothing in /dev/shm.
  for (const auto& s : header()->brokers) {
    if (static_cast<broker_state>(s.state.load(std::memory_order_acquire)) != broker_state::empty) {
      return;
    }
  }
  SharedRegion::remove(region_.name());
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
    b.process = check_process(ProcessIdentity{s.pid, s.start_time, s.pid_ns});
    b.inbox_incarnation = s.inbox_incarnation.load(std::memory_order_acquire);
    b.storage_failed = s.storage_failed.load(std::memory_order_acquire) != 0;
    b.advertised_port = s.advertised_port.load(std::memory_order_acquire);
    if (b.advertised_port > 0) {
      b.advertised_host = fixed_string(s.advertised_host, sizeof(s.advertised_host));
    }
    out.push_back(b);
  }
  return out;
}

void ClusterRegion::set_storage_failed(bool failed) {
  if (slot_ < 0) return;
  header()->brokers[slot_].storage_failed.store(failed ? 1 : 0, std::memory_order_release);
}

namespace {
constexpr uint64_t controller_word(int32_t epoch, int32_t id) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(epoch)) << 32) |
         static_cast<uint32_t>(id + 1);
}
}  // namespace

ClusterRegion::ControllerInfo ClusterRegion::controller() const {
  ControllerInfo c;
  c.word = header()->controller.load(std::memory_order_acquire);
  c.epoch = static_cast<int32_t>(c.word >> 32);
  c.id = static_cast<int32_t>(c.word & 0xffffffffu) - 1;
  c.heartbeat_age_ms =
      monotonic_ms() - header()->controller_heartbeat_ms.load(std::memory_order_acquire);
  return c;
}

std::optional<int32_t> ClusterRegion::try_claim_controller(uint64_t seen, int32_t self) {
  int32_t epoch = static_cast<int32_t>(seen >> 32) + 1;
  uint64_t expected = seen;
  // The heartbeat first, so no broker finds the new controller stale before its first beat.
  header()->controller_heartbeat_ms.store(monotonic_ms(), std::memory_order_release);
  if (!header()->controller.compare_exchange_strong(expected, controller_word(epoch, self),
                                                    std::memory_order_acq_rel)) {
    return std::nullopt;
  }
  return epoch;
}

bool ClusterRegion::is_controller(int32_t self, int32_t epoch) const {
  return header()->controller.load(std::memory_order_acquire) == controller_word(epoch, self);
}

void ClusterRegion::controller_heartbeat() {
  header()->controller_heartbeat_ms.store(monotonic_ms(), std::memory_order_release);
}

void ClusterRegion::resign_controller(int32_t self, int32_t epoch) {
  uint64_t expected = controller_word(epoch, self);
  header()->controller.compare_exchange_strong(expected, controller_word(epoch, -1),
                                               std::memory_order_acq_rel);
}

bool ClusterRegion::raise_controller_epoch(int32_t self, int32_t from, int32_t to) {
  uint64_t expected = controller_word(from, self);
  return header()->controller.compare_exchange_strong(expected, controller_word(to, self),
                                                      std::memory_order_acq_rel);
}

bool ClusterRegion::publish_image(std::span<const uint8_t> data, uint64_t version, int32_t self,
                                  int32_t epoch) {
  if (data.size() > image_capacity || version == 0) return false;
  auto* h = header();
  uint64_t cur = h->image_current.load(std::memory_order_acquire);
  uint32_t next = cur == 0 ? 0 : static_cast<uint32_t>(1 - (cur & 1));
  ImageBuffer& buf = h->images[next];
  buf.version.store(0, std::memory_order_release);
  std::memcpy(buf.data, data.data(), data.size());
  buf.size = static_cast<uint32_t>(data.size());
  buf.crc = crc32c(data.data(), data.size());
  buf.version.store(version, std::memory_order_release);
  if (!is_controller(self, epoch)) return false;
  return h->image_current.compare_exchange_strong(cur, (version << 1) | next,
                                                  std::memory_order_acq_rel);
}

std::optional<std::pair<uint64_t, std::vector<uint8_t>>> ClusterRegion::read_image(
    uint64_t known) const {
  auto* h = header();
  for (int attempt = 0; attempt < 8; ++attempt) {
    uint64_t cur = h->image_current.load(std::memory_order_acquire);
    if (cur == 0) return std::nullopt;
    uint64_t version = cur >> 1;
    if (version == known) return std::nullopt;
    const ImageBuffer& buf = h->images[cur & 1];
    if (buf.version.load(std::memory_order_acquire) != version) continue;
    uint32_t size = buf.size;
    uint32_t crc = buf.crc;
    if (size > image_capacity) continue;
    std::vector<uint8_t> data(buf.data, buf.data + size);
    if (buf.version.load(std::memory_order_acquire) != version) continue;
    if (crc32c(data.data(), data.size()) != crc) continue;
    return std::make_pair(version, std::move(data));
  }
  return std::nullopt;
}

uint64_t ClusterRegion::image_version() const {
  return header()->image_current.load(std::memory_order_acquire) >> 1;
}

bool ClusterRegion::current_image_intact() const {
  auto* h = header();
  uint64_t cur = h->image_current.load(std::memory_order_acquire);
  if (cur == 0) return true;
  const ImageBuffer& buf = h->images[cur & 1];
  return buf.version.load(std::memory_order_acquire) == (cur >> 1) && buf.size <= image_capacity &&
         crc32c(buf.data, buf.size) == buf.crc;
}

std::string ClusterRegion::cluster_dir() const {
  return fixed_string(header()->cluster_dir, sizeof(header()->cluster_dir));
}

}  // namespace shoal::ipc
