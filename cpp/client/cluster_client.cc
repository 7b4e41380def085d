#include "client/cluster_client.h"

#include <set>

#include "cluster/metadata.h"
#include "common/logger.h"

namespace shoal::client {

namespace {
constexpr int64_t broker_stale_ms = 10'000;
constexpr int64_t fresh_heartbeat_ms = 500;
}  // namespace

result<std::shared_ptr<ClusterClient>> ClusterClient::connect(const ClientConfig& config) {
  auto c = std::shared_ptr<ClusterClient>(new ClusterClient(config));
  SHOAL_ASSIGN_OR_RETURN(
      c->region_,
      ipc::ClusterRegion::open(config.cluster, std::min<int64_t>(config.socket_timeout_ms, 5'000)));
  return c;
}

ClusterClient::~ClusterClient() {
  close();
}

void ClusterClient::close() {
  std::map<int32_t, std::shared_ptr<ipc::Connection>> conns;
  {
    std::lock_guard lock(mu_);
    conns.swap(connections_);
  }
  for (auto& [_, c] : conns) c->close();
}

std::vector<int32_t> ClusterClient::live_brokers() const {
  std::vector<int32_t> ids;
  if (!region_) return ids;
  for (const auto& b : region_->brokers(broker_stale_ms)) {
    if (b.alive) ids.push_back(b.id);
  }
  return ids;
}

result<std::shared_ptr<ipc::Connection>> ClusterClient::connection(int32_t broker_id) {
  std::vector<int32_t> candidates;
  if (broker_id >= 0) {
    candidates.push_back(broker_id);
  } else {
    // Brokers answering now first: a broker beats its heartbeat every 50 ms, so one silent
    // for longer is busy, paused or dying, and a request to it could wait seconds.
    std::vector<std::pair<int64_t, int32_t>> by_age;
    if (region_) {
      for (const auto& b : region_->brokers(broker_stale_ms)) {
        if (b.alive) by_age.emplace_back(b.heartbeat_age_ms >= fresh_heartbeat_ms, b.id);
      }
    }
    if (by_age.empty()) {
      return make_error(errc::all_brokers_down, "no broker of cluster '{}' is running",
                        config_.cluster);
    }
    std::lock_guard lock(mu_);
    auto connected = [this](int32_t id) {
      auto it = connections_.find(id);
      return it != connections_.end() && !it->second->broken();
    };
    // Then a broker we are already connected to.
    std::stable_sort(by_age.begin(), by_age.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return connected(a.second) && !connected(b.second);
    });
    for (const auto& [_, id] : by_age) candidates.push_back(id);
  }
  error last = make_error(errc::transport, "no broker to connect to");
  for (int32_t id : candidates) {
    {
      std::lock_guard lock(mu_);
      auto it = connections_.find(id);
      if (it != connections_.end() && !it->second->broken()) return it->second;
    }
    ipc::ConnectionOptions opts;
    opts.connect_timeout_ms = std::min<int64_t>(config_.socket_timeout_ms, 2'000);
    auto conn = ipc::Connection::open(config_.cluster, id, opts);
    if (!conn) {
      last = conn.err();
      continue;
    }
    std::lock_guard lock(mu_);
    auto& slot = connections_[id];
    if (slot && !slot->broken()) {
      (*conn)->close();
      return slot;
    }
    if (slot) slot->close();
    slot = *conn;
    return slot;
  }
  return last;
}

void ClusterClient::drop_fenced_brokers() {
  if (!region_) return;
  uint64_t seen = fenced_checked_version_.load(std::memory_order_acquire);
  if (region_->image_version() == seen) return;
  auto raw = region_->read_image(seen);
  if (!raw) return;
  fenced_checked_version_.store(raw->first, std::memory_order_release);
  auto image = protocol::decode<cluster::PublishedImage>(raw->second);
  if (!image) return;
  std::set<int32_t> live(image->live_brokers.begin(), image->live_brokers.end());
  std::vector<std::shared_ptr<ipc::Connection>> doomed;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, c] : connections_) {
      if (!live.count(id) && !c->broken()) doomed.push_back(c);
    }
  }
  for (auto& c : doomed) {
    c->mark_broken(
        fmt::format("the controller no longer counts broker {} as live", c->broker_id()));
  }
}

namespace {
thread_local protocol::bytes spare_frame;
// Larger buffers are let go after use rather than kept for the thread's lifetime.
constexpr size_t max_kept_frame = size_t{32} << 20;
}  // namespace

ClusterClient::FrameBuffer::FrameBuffer() : bytes(std::move(spare_frame)) {
  spare_frame = protocol::bytes();
}

ClusterClient::FrameBuffer::~FrameBuffer() {
  if (bytes.capacity() <= max_kept_frame && bytes.capacity() > spare_frame.capacity()) {
    spare_frame = std::move(bytes);
  }
}

status ClusterClient::send_frame(int32_t broker_id, const protocol::bytes& frame,
                                 int64_t timeout_ms,
                                 std::function<void(result<protocol::bytes_view>)> done) {
  SHOAL_ASSIGN_OR_RETURN(auto conn, connection(broker_id));
  return conn->send(frame, timeout_ms, std::move(done));
}

result<ClusterInfo> ClusterClient::fetch_metadata(
    const std::optional<std::vector<std::string>>& topics, bool allow_auto_create,
    int64_t timeout_ms) {
  protocol::MetadataRequest req;
  req.topics = topics;
  req.allow_auto_topic_creation = allow_auto_create;
  auto resp = call<protocol::MetadataRequest, protocol::MetadataResponse>(-1, req, timeout_ms);
  if (!resp) return resp.err();
  ClusterInfo info;
  info.cluster_id = resp->cluster_id.value_or("");
  info.controller_id = resp->controller_id();
  for (const auto& b : resp->brokers) info.brokers.push_back({b.node_id(), b.host, b.port});
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, c] : connections_) {
      if (!c->broken()) info.orig_broker_id = id;
    }
  }
  for (const auto& t : resp->topics) {
    TopicInfo ti;
    ti.name = t.name;
    ti.error = t.error;
    ti.error_message = t.error_message.value_or("");
    ti.internal = t.is_internal;
    ti.topic_id = t.topic_id;
    for (const auto& p : t.partitions) {
      PartitionInfo pi;
      pi.id = p.partition_index();
      pi.leader = p.leader_id();
      pi.leader_epoch = p.leader_epoch();
      pi.error = p.error;
      for (auto r : p.replica_nodes) pi.replicas.push_back(r());
      for (auto r : p.isr_nodes) pi.isr.push_back(r());
      ti.partitions.push_back(std::move(pi));
    }
    std::sort(ti.partitions.begin(), ti.partitions.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    info.topics[t.name] = ti;
  }
  std::lock_guard lock(mu_);
  for (const auto& [name, ti] : info.topics) {
    if (ti.error == errc::none) {
      topics_[name] = ti;
    } else {
      topics_.erase(name);
    }
  }
  return info;
}

std::optional<TopicInfo> ClusterClient::cached_topic(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return std::nullopt;
  return it->second;
}

void ClusterClient::invalidate(const std::string& name) {
  std::lock_guard lock(mu_);
  topics_.erase(name);
}

}  // namespace shoal::client
