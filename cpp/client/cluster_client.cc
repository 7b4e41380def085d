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
  // Over TCP nothing is opened yet: as in librdkafka, a client of an unreachable cluster is
  // created, and its requests fail (or time out) as they are made.
  if (c->over_tcp()) return c;
  SHOAL_ASSIGN_OR_RETURN(
      c->region_,
      ipc::ClusterRegion::open(config.cluster, std::min<int64_t>(config.socket_timeout_ms, 5'000)));
  return c;
}

ClusterClient::~ClusterClient() {
  close();
}

int16_t BrokerConnection::version_for(protocol::api_key key, int16_t lowest,
                                      int16_t highest) const {
  auto it = versions_.find(static_cast<int16_t>(key));
  if (it == versions_.end()) return -1;
  int16_t lo = std::max(lowest, it->second.first);
  int16_t hi = std::min(highest, it->second.second);
  return lo <= hi ? hi : -1;
}

void ClusterClient::close() {
  std::map<int32_t, std::shared_ptr<BrokerConnection>> conns;
  {
    std::lock_guard lock(mu_);
    conns.swap(connections_);
  }
  for (auto& [_, c] : conns) c->close();
}

std::vector<int32_t> ClusterClient::live_brokers() {
  std::vector<int32_t> ids;
  if (over_tcp()) {
    {
      std::lock_guard lock(mu_);
      for (const auto& [id, _] : addresses_) ids.push_back(id);
    }
    if (!ids.empty()) return ids;
    auto md = fetch_metadata(std::vector<std::string>{}, false,
                             std::min<int64_t>(config_.socket_timeout_ms, 10'000));
    if (md) {
      for (const auto& b : md->brokers) ids.push_back(b.id);
    }
    return ids;
  }
  if (!region_) return ids;
  for (const auto& b : region_->brokers(broker_stale_ms)) {
    if (b.alive) ids.push_back(b.id);
  }
  return ids;
}

void ClusterClient::note_broker(int32_t id, const std::string& host, int32_t port) {
  if (!over_tcp() || id < 0 || host.empty() || port <= 0) return;
  std::lock_guard lock(mu_);
  addresses_[id] = HostPort{host, port};
}

std::string ClusterClient::bootstrap_name() const {
  if (!over_tcp()) return "shm://" + config_.cluster;
  std::string out;
  for (const auto& a : config_.addresses) {
    if (!out.empty()) out += ",";
    out += fmt::format("{}:{}", a.host, a.port);
  }
  return out;
}

std::string ClusterClient::broker_address(int32_t id) const {
  std::lock_guard lock(mu_);
  if (id <= -2 && static_cast<size_t>(-id - 2) < config_.addresses.size()) {
    const auto& a = config_.addresses[static_cast<size_t>(-id - 2)];
    return fmt::format("{}:{}", a.host, a.port);
  }
  auto it = addresses_.find(id);
  return it == addresses_.end() ? "" : fmt::format("{}:{}", it->second.host, it->second.port);
}

void BrokerConnection::when_ready(std::function<void(const status&)> f) {
  std::unique_lock lock(mu_);
  if (state_.load(std::memory_order_relaxed) == 0) {
    waiting_.push_back(std::move(f));
    return;
  }
  status st = outcome_;
  lock.unlock();
  f(st);
}

status BrokerConnection::wait_ready(int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 0)),
                    [&] { return state_.load(std::memory_order_relaxed) != 0; })) {
    return make_error(errc::timed_out, "broker {} did not answer ApiVersions within {} ms",
                      broker_id(), timeout_ms);
  }
  return outcome_;
}

void BrokerConnection::negotiated(std::map<int16_t, std::pair<int16_t, int16_t>> versions,
                                  std::vector<std::string> features) {
  {
    std::lock_guard lock(mu_);
    if (state_.load(std::memory_order_relaxed) != 0) return;
    versions_ = std::move(versions);
    features_ = std::move(features);
  }
  settle({});
}

void BrokerConnection::failed(error e) {
  transport_->close();
  settle(std::move(e));
}

void BrokerConnection::settle(status st) {
  std::vector<std::function<void(const status&)>> run;
  {
    std::lock_guard lock(mu_);
    if (state_.load(std::memory_order_relaxed) != 0) return;  // the first outcome stands
    outcome_ = st;
    state_.store(st ? 1 : 2, std::memory_order_release);
    run.swap(waiting_);
  }
  cv_.notify_all();
  for (auto& f : run) f(st);
}

result<std::shared_ptr<BrokerConnection>> ClusterClient::open_connection(int32_t broker_id) {
  std::shared_ptr<Transport> transport;
  if (over_tcp()) {
    std::optional<HostPort> where;
    {
      std::lock_guard lock(mu_);
      if (broker_id <= -2 && static_cast<size_t>(-broker_id - 2) < config_.addresses.size()) {
        where = config_.addresses[static_cast<size_t>(-broker_id - 2)];
      } else if (auto it = addresses_.find(broker_id); it != addresses_.end()) {
        where = it->second;
      }
    }
    if (!where) {
      return make_error(errc::transport,
                        "broker {} is not known: no Metadata answer from {} has named it",
                        broker_id, bootstrap_name());
    }
    net::TcpConnectionOptions opts;
    opts.connect_timeout_ms = config_.socket_connection_setup_timeout_ms;
    SHOAL_ASSIGN_OR_RETURN(transport,
                           net::TcpConnection::open(where->host, where->port, broker_id, opts));
  } else {
    ipc::ConnectionOptions opts;
    opts.connect_timeout_ms = std::min<int64_t>(config_.socket_timeout_ms, 2'000);
    SHOAL_ASSIGN_OR_RETURN(transport, ipc::Connection::open(config_.cluster, broker_id, opts));
  }
  auto conn = std::make_shared<BrokerConnection>(std::move(transport));
  negotiate(conn, protocol::ApiVersionsRequest::highest_version, true);
  return conn;
}

void ClusterClient::negotiate(const std::shared_ptr<BrokerConnection>& conn, int16_t v,
                              bool retry) {
  // ApiVersions first, as every Kafka client does: a broker that does not know our version
  // answers at version 0 with UNSUPPORTED_VERSION and its own range, and we ask again at the
  // highest version it gave.
  protocol::ApiVersionsRequest req;
  req.client_software_name = "shoal";
  req.client_software_version = SHOAL_VERSION_STRING;
  protocol::bytes frame;
  protocol::encode_request_to(header(protocol::api_key::api_versions, v), req, frame);
  std::weak_ptr<BrokerConnection> weak = conn;
  std::weak_ptr<ClusterClient> client = weak_from_this();
  const int32_t id = conn->broker_id();
  auto st = conn->transport().send(
      frame, std::min<int64_t>(config_.socket_timeout_ms, 10'000),
      [weak, client, id, v, retry](result<protocol::bytes_view> raw) {
        auto conn = weak.lock();
        if (!conn) return;
        if (!raw) return conn->failed(std::move(raw).err());
        // The response header is version 0 whatever the request's; an error answer is v0 too.
        auto head = protocol::decode_response_frame(*raw, protocol::api_key::api_versions, v);
        if (!head) return conn->failed(std::move(head).err());
        auto resp = protocol::decode<protocol::ApiVersionsResponse>(head->second, v);
        if (!resp) resp = protocol::decode<protocol::ApiVersionsResponse>(head->second, 0);
        if (!resp) {
          // An UNSUPPORTED_VERSION answer whose key list does not decode as version 0 (as
          // librdkafka's mock cluster writes it): ask again at version 0, as librdkafka does.
          const auto& body = head->second;
          bool unsupported = body.size() >= 2 && ((body[0] << 8) | body[1]) == 35;
          auto c = client.lock();
          if (unsupported && retry && v > 0 && c) return c->negotiate(conn, 0, false);
          return conn->failed(std::move(resp).err());
        }
        std::map<int16_t, std::pair<int16_t, int16_t>> versions;
        for (const auto& k : resp->api_keys) {
          versions[static_cast<int16_t>(k.api_key)] = {k.min_version, k.max_version};
        }
        if (resp->error_code == errc::unsupported_version && retry) {
          auto it = versions.find(static_cast<int16_t>(protocol::api_key::api_versions));
          auto c = client.lock();
          if (c && it != versions.end() && it->second.second < v) {
            return c->negotiate(conn, it->second.second, false);
          }
        }
        if (resp->error_code != errc::none) {
          return conn->failed(make_error(resp->error_code, "broker {} refused ApiVersions: {}", id,
                                         errc_description(resp->error_code)));
        }
        conn->negotiated(std::move(versions), std::move(resp->shoal_features));
      });
  if (!st) conn->failed(std::move(st).err());
}

result<std::shared_ptr<BrokerConnection>> ClusterClient::connection(int32_t broker_id) {
  const int64_t wait_ms = std::min<int64_t>(config_.socket_timeout_ms, 10'000);
  error last = make_error(errc::transport, "no broker to connect to");
  // A connection whose negotiation failed is closed (broken), so the next attempt opens anew.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto conn = connection_nowait(broker_id);
    if (!conn) return conn;
    auto st = (*conn)->wait_ready(wait_ms);
    if (st) return conn;
    last = std::move(st).err();
    if (last.code == errc::timed_out) break;
  }
  return last;
}

result<std::shared_ptr<BrokerConnection>> ClusterClient::connection_nowait(int32_t broker_id) {
  std::vector<int32_t> candidates;
  if (broker_id >= 0) {
    candidates.push_back(broker_id);
  } else {
    std::vector<std::pair<int64_t, int32_t>> by_age;
    if (over_tcp()) {
      // The brokers the last Metadata named, else the bootstrap addresses.
      std::lock_guard lock(mu_);
      for (const auto& [id, _] : addresses_) by_age.emplace_back(0, id);
      if (by_age.empty()) {
        for (size_t i = 0; i < config_.addresses.size(); ++i) {
          by_age.emplace_back(0, -static_cast<int32_t>(i) - 2);
        }
      }
    } else if (region_) {
      // Brokers answering now first: a broker beats its heartbeat every 50 ms, so one silent
      // for longer is busy, paused or dying, and a request to it could wait seconds.
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
    auto conn = open_connection(id);
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
  if (broker_id < 0 && over_tcp()) {
    // As librdkafka: every broker unreachable is _ALL_BROKERS_DOWN, with the last reason.
    // The bootstrap addresses are tried again next time, in case the cluster moved.
    std::lock_guard lock(mu_);
    addresses_.clear();
    return make_error(errc::all_brokers_down, "no broker of {} could be reached: {}",
                      bootstrap_name(), last.message);
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
  auto image = protocol::decode<cluster::PublishedImage>(raw->second, 0);
  if (!image) return;
  std::set<int32_t> live(image->live_brokers.begin(), image->live_brokers.end());
  std::vector<std::shared_ptr<BrokerConnection>> doomed;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, c] : connections_) {
      if (!live.count(id) && !c->broken()) doomed.push_back(c);
    }
  }
  for (auto& c : doomed) {
    c->transport().mark_broken(
        fmt::format("the controller no longer counts broker {} as live", c->broker_id()));
  }
}

namespace {
thread_local protocol::bytes spare_frame;
// Larger buffers are let go after use rather than kept for the thread's lifetime.
constexpr size_t max_kept_frame = size_t{32} << 20;
}  // namespace

ClusterClient::FrameBuffer::FrameBuffer() : bytes(std::move(spare_frame)) {
  // The spare keeps its capacity, never the previous frame's bytes: frames are appended.
  bytes.clear();
  spare_frame = protocol::bytes();
}

ClusterClient::FrameBuffer::~FrameBuffer() {
  if (bytes.capacity() <= max_kept_frame && bytes.capacity() > spare_frame.capacity()) {
    spare_frame = std::move(bytes);
  }
}

result<ClusterInfo> ClusterClient::fetch_metadata(
    const std::optional<std::vector<std::string>>& topics, bool allow_auto_create,
    int64_t timeout_ms) {
  protocol::MetadataRequest req;
  if (topics) {
    req.topics.emplace();
    for (const auto& name : *topics) req.topics->emplace_back().name = name;
  } else {
    req.topics = std::nullopt;
  }
  req.allow_auto_topic_creation = allow_auto_create;
  // One broker, chosen first, so the answer can say which broker gave it. Not waiting for
  // its versions here: the request waits for them, within timeout_ms.
  SHOAL_ASSIGN_OR_RETURN(auto conn, connection_nowait(-1));
  const int32_t asked = conn->broker_id();
  auto resp = call<protocol::MetadataRequest, protocol::MetadataResponse>(asked, req, timeout_ms);
  if (!resp) return resp.err();
  ClusterInfo info;
  info.cluster_id = resp->cluster_id.value_or("");
  info.controller_id = resp->controller_id();
  info.orig_broker_id = asked;
  for (const auto& b : resp->brokers) info.brokers.push_back({b.node_id(), b.host, b.port});
  if (over_tcp()) {
    std::map<int32_t, HostPort> named;
    for (const auto& b : info.brokers) named[b.id] = HostPort{b.host, b.port};
    std::lock_guard lock(mu_);
    if (asked <= -2) {  // a bootstrap address: the broker listed there is the one asked
      const auto& a = config_.addresses[static_cast<size_t>(-asked - 2)];
      for (const auto& [id, hp] : named) {
        if (hp == a) info.orig_broker_id = id;
      }
    }
    if (!named.empty()) addresses_ = std::move(named);
  }
  for (const auto& t : resp->topics) {
    if (!t.name) continue;  // asked by id only: not something this client does
    TopicInfo ti;
    ti.name = *t.name;
    ti.error = t.error_code;
    ti.error_message = t.error_message.value_or("");
    ti.internal = t.is_internal;
    ti.topic_id = t.topic_id;
    for (const auto& p : t.partitions) {
      PartitionInfo pi;
      pi.id = p.partition_index();
      pi.leader = p.leader_id();
      pi.leader_epoch = p.leader_epoch();
      pi.error = p.error_code;
      for (auto r : p.replica_nodes) pi.replicas.push_back(r());
      for (auto r : p.isr_nodes) pi.isr.push_back(r());
      ti.partitions.push_back(std::move(pi));
    }
    std::sort(ti.partitions.begin(), ti.partitions.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    info.topics[*t.name] = ti;
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
