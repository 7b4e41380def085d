// A client's view of a cluster: its brokers, one connection per broker (opened on first use,
// replaced when broken), typed request/response calls, and a metadata cache (topics,
// partitions, leaders) refreshed from the brokers as Kafka clients do. Two transports carry
// the same frames: with bootstrap.servers = shm://NAME the brokers are found through the
// cluster region and reached over shared memory; with host:port,... they are reached over
// TCP, found as Kafka clients find them (the bootstrap addresses first, under ids -2, -3, ...
// as librdkafka numbers them, then the brokers Metadata and FindCoordinator name).
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/client_config.h"
#include "ipc/cluster_region.h"
#include "ipc/connection.h"
#include "net/tcp_connection.h"
#include "protocol/frame.h"
#include "protocol/gen/messages.h"

namespace shoal::client {

struct PartitionInfo {
  int32_t id = 0;
  int32_t leader = -1;
  int32_t leader_epoch = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  errc error = errc::none;
};

struct TopicInfo {
  std::string name;
  errc error = errc::none;
  std::string error_message;
  bool internal = false;
  protocol::uuid topic_id;  // Kafka's topic id; zero: unknown
  std::vector<PartitionInfo> partitions;
};

struct BrokerEntry {
  int32_t id = -1;
  std::string host;
  int32_t port = 0;
};

struct ClusterInfo {
  std::string cluster_id;
  int32_t controller_id = -1;
  int32_t orig_broker_id = -1;  // the broker that answered
  std::vector<BrokerEntry> brokers;
  std::map<std::string, TopicInfo> topics;
};

// A connection to one broker and the API versions that broker serves. Kafka's clients ask
// ApiVersions first on every connection; so does this one, without blocking the thread that
// opened it: requests sent before the answer wait in the connection and go out, at the
// negotiated versions, from the thread that receives it. (A broker's own loop sends to itself
// through this client, so waiting there for the answer would deadlock.)
class BrokerConnection {
 public:
  explicit BrokerConnection(std::shared_ptr<Transport> transport)
      : transport_(std::move(transport)) {}

  // The highest version of `key` both sides serve within [lowest, highest]; -1 if none.
  // REQUIRES: ready (when_ready ran its callback with OK, or wait_ready returned OK).
  int16_t version_for(protocol::api_key key, int16_t lowest, int16_t highest) const;
  // Whether the broker serves one of Shoal's additions (protocol::feature_*). REQUIRES: ready.
  bool has_feature(std::string_view name) const {
    return std::find(features_.begin(), features_.end(), name) != features_.end();
  }
  bool broken() const { return transport_->broken(); }
  // Whether the versions are known (negotiation succeeded).
  bool ready() const { return state_.load(std::memory_order_acquire) == 1; }
  int32_t broker_id() const { return transport_->broker_id(); }
  size_t max_request_bytes() const { return transport_->max_request_bytes(); }
  Transport& transport() const { return *transport_; }
  void close() { transport_->close(); }

  // Runs `f` once the versions are known (with OK) or negotiation failed (with its error):
  // at once on this thread if that is already so, else on the thread that learns it.
  void when_ready(std::function<void(const status&)> f);
  // Waits up to timeout_ms for the versions. Errors: negotiation's, or _TIMED_OUT.
  status wait_ready(int64_t timeout_ms);
  // Negotiation's outcome; the first call wins and runs the waiting callbacks.
  void negotiated(std::map<int16_t, std::pair<int16_t, int16_t>> versions,
                  std::vector<std::string> features);
  void failed(error e);

 private:
  void settle(status st);

  std::shared_ptr<Transport> transport_;
  // Written once, before state_ leaves 0 (release); read only after (see REQUIRES above).
  std::map<int16_t, std::pair<int16_t, int16_t>> versions_;  // api key -> (min, max)
  std::vector<std::string> features_;
  std::atomic<int> state_{0};  // 0 negotiating, 1 ready, 2 failed
  std::mutex mu_;
  std::condition_variable cv_;
  status outcome_;
  std::vector<std::function<void(const status&)>> waiting_;
};

class ClusterClient : public std::enable_shared_from_this<ClusterClient> {
 public:
  static result<std::shared_ptr<ClusterClient>> connect(const ClientConfig& config);
  ~ClusterClient();

  const ClientConfig& config() const { return config_; }

  // The connection to a broker (-1: any live broker), opened (and its API versions asked) if
  // needed.
  result<std::shared_ptr<BrokerConnection>> connection(int32_t broker_id);
  // Ids of the live brokers: those the cluster region says are alive (shared memory), or
  // those the latest Metadata answer lists (TCP; asked first if there is none yet).
  std::vector<int32_t> live_brokers();
  // Remembers where a broker listens (TCP), as FindCoordinator answers name it.
  void note_broker(int32_t id, const std::string& host, int32_t port);
  // Whether this client reaches its brokers over TCP.
  bool over_tcp() const { return !config_.addresses.empty(); }
  // How the brokers are reached, for messages: shm://NAME, or the bootstrap list.
  std::string bootstrap_name() const;
  // The address a broker listens on (TCP; "" if unknown or over shared memory).
  std::string broker_address(int32_t id) const;

  // Sends a request and decodes its response on the connection's receiver thread.
  template <typename Req, typename Resp>
  status send(int32_t broker_id, const Req& req, int64_t timeout_ms,
              std::function<void(result<Resp>)> done);
  // Sends a request and waits for its response.
  template <typename Req, typename Resp>
  result<Resp> call(int32_t broker_id, const Req& req, int64_t timeout_ms);

  // Asks a broker for metadata (nullopt: all topics) and refreshes the cache with it.
  result<ClusterInfo> fetch_metadata(const std::optional<std::vector<std::string>>& topics,
                                     bool allow_auto_create, int64_t timeout_ms);
  // The cached topic, if known (it may be stale: callers refresh on errors).
  std::optional<TopicInfo> cached_topic(const std::string& name) const;
  // Drops a topic from the cache so the next lookup asks again.
  void invalidate(const std::string& name);
  // Breaks the connections to brokers the controller no longer counts as live (paused past
  // broker.session.timeout.ms, storage failed), so requests waiting on them fail at once and
  // are retried on the new leaders instead of waiting for the connection's own timeout.
  // Cheap when nothing changed (one atomic load): call it from any periodic loop.
  void drop_fenced_brokers();

  void close();

 private:
  ClusterClient(ClientConfig config) : config_(std::move(config)) {}
  // The calling thread's buffer for encoding request frames, borrowed for one send: a
  // producer's frames are megabytes, and a new buffer for each would take fresh pages (a page
  // fault each 4 KiB) every time. A nested send on the same thread gets a buffer of its own.
  struct FrameBuffer {
    protocol::bytes bytes;
    FrameBuffer();
    ~FrameBuffer();
  };
  protocol::RequestHeader header(protocol::api_key key, int16_t version) {
    protocol::RequestHeader h;
    h.request_api_key = key;
    h.request_api_version = version;
    h.correlation_id = correlation_.fetch_add(1, std::memory_order_relaxed);
    h.client_id = config_.client_id;
    return h;
  }
  // Opens a connection and starts asking the broker for its API versions.
  result<std::shared_ptr<BrokerConnection>> open_connection(int32_t broker_id);
  // Sends ApiVersions at `version` on `conn`; on an UNSUPPORTED_VERSION answer, once more at
  // the broker's highest.
  void negotiate(const std::shared_ptr<BrokerConnection>& conn, int16_t version, bool retry);
  // The open (maybe still negotiating) connection to a broker (-1: any live broker).
  result<std::shared_ptr<BrokerConnection>> connection_nowait(int32_t broker_id);
  // Encodes and sends on a connection whose versions are known.
  template <typename Req, typename Resp>
  status send_ready(BrokerConnection& conn, const Req& req, int64_t timeout_ms,
                    std::function<void(result<Resp>)> done);

  ClientConfig config_;
  std::unique_ptr<ipc::ClusterRegion> region_;
  mutable std::mutex mu_;
  std::map<int32_t, std::shared_ptr<BrokerConnection>> connections_;
  std::map<int32_t, HostPort> addresses_;  // TCP: the brokers the last Metadata named
  std::map<std::string, TopicInfo> topics_;
  std::atomic<int32_t> correlation_{1};
  std::atomic<uint64_t> fenced_checked_version_{0};
};

// Decodes a response frame to a request of Resp::api at `version`. Bytes after the last
// field are ignored, as Kafka's and librdkafka's clients ignore them (librdkafka's mock
// cluster ends its Metadata v12 answer with one).
template <typename Resp>
result<Resp> decode_response_frame(protocol::bytes_view frame, int16_t version) {
  auto decoded = protocol::decode_response_frame(frame, Resp::api, version);
  if (!decoded) return decoded.err();
  size_t trailing = 0;
  return protocol::decode_prefix<Resp>(decoded->second, version, &trailing);
}

template <typename Req, typename Resp>
status ClusterClient::send_ready(BrokerConnection& conn, const Req& req, int64_t timeout_ms,
                                 std::function<void(result<Resp>)> done) {
  const int16_t v = conn.version_for(Req::api, Req::lowest_version, Req::highest_version);
  if (v < 0) {
    return make_error(errc::unsupported_version,
                      "broker {} serves no version of {} that this client speaks ({} to {})",
                      conn.broker_id(), protocol::api_name(Req::api), Req::lowest_version,
                      Req::highest_version);
  }
  FrameBuffer frame;
  protocol::encode_request_to(header(Req::api, v), req, frame.bytes);
  if (!done) {  // no response expected (acks=0)
    return conn.transport().send(frame.bytes, timeout_ms, nullptr);
  }
  return conn.transport().send(frame.bytes, timeout_ms,
                               [v, done = std::move(done)](result<protocol::bytes_view> frame) {
                                 if (!frame) return done(std::move(frame).err());
                                 done(decode_response_frame<Resp>(*frame, v));
                               });
}

template <typename Req, typename Resp>
status ClusterClient::send(int32_t broker_id, const Req& req, int64_t timeout_ms,
                           std::function<void(result<Resp>)> done) {
  SHOAL_ASSIGN_OR_RETURN(auto conn, connection_nowait(broker_id));
  if (conn->ready()) return send_ready<Req, Resp>(*conn, req, timeout_ms, std::move(done));
  // The first requests on a new connection wait for ApiVersions' answer with a copy of the
  // request; what goes wrong from here on reaches `done`.
  auto held = std::make_shared<Req>(req);
  conn->when_ready([self = shared_from_this(), conn, held, timeout_ms,
                    done = std::move(done)](const status& st) {
    status r = st ? self->send_ready<Req, Resp>(*conn, *held, timeout_ms, done) : st;
    if (!r && done) done(std::move(r).err());
  });
  return {};
}

template <typename Req, typename Resp>
result<Resp> ClusterClient::call(int32_t broker_id, const Req& req, int64_t timeout_ms) {
  auto promise = std::make_shared<std::promise<result<Resp>>>();
  auto future = promise->get_future();
  SHOAL_TRY((send<Req, Resp>(broker_id, req, timeout_ms,
                             [promise](result<Resp> r) { promise->set_value(std::move(r)); })));
  return future.get();
}

}  // namespace shoal::client
