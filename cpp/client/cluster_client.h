// A client's view of a cluster: the brokers found through the cluster region, one
// shared-memory connection per broker (opened on first use, replaced when broken), typed
// request/response calls, and a metadata cache (topics, partitions, leaders) refreshed from
// the brokers as Kafka clients do.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <atomic>
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
#include "protocol/messages.h"

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
  int64_t topic_id = 0;
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

class ClusterClient : public std::enable_shared_from_this<ClusterClient> {
 public:
  static result<std::shared_ptr<ClusterClient>> connect(const ClientConfig& config);
  ~ClusterClient();

  const ClientConfig& config() const { return config_; }

  // The connection to a broker (-1: any live broker), opened if needed.
  result<std::shared_ptr<ipc::Connection>> connection(int32_t broker_id);
  // Ids of the brokers the cluster region says are alive.
  std::vector<int32_t> live_brokers() const;

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
  status send_frame(int32_t broker_id, const protocol::bytes& frame, int64_t timeout_ms,
                    std::function<void(result<protocol::bytes_view>)> done);
  protocol::RequestHeader header(protocol::api_key key) {
    return protocol::RequestHeader{key, protocol::protocol_version,
                                   correlation_.fetch_add(1, std::memory_order_relaxed),
                                   config_.client_id};
  }

  ClientConfig config_;
  std::unique_ptr<ipc::ClusterRegion> region_;
  mutable std::mutex mu_;
  std::map<int32_t, std::shared_ptr<ipc::Connection>> connections_;
  std::map<std::string, TopicInfo> topics_;
  std::atomic<int32_t> correlation_{1};
  std::atomic<uint64_t> fenced_checked_version_{0};
};

// Decodes a response frame: the body, or the broker's ErrorResponse as an error.
template <typename Resp>
result<Resp> decode_response_frame(protocol::bytes_view frame) {
  auto decoded = protocol::decode_response_header(frame);
  if (!decoded) return decoded.err();
  if (decoded->first.error_response) {
    auto e = protocol::decode<protocol::ErrorResponse>(decoded->second);
    if (!e) return e.err();
    return make_error(e->error, "{}", e->error_message.value_or("the broker refused the request"));
  }
  return protocol::decode<Resp>(decoded->second);
}

template <typename Req, typename Resp>
status ClusterClient::send(int32_t broker_id, const Req& req, int64_t timeout_ms,
                           std::function<void(result<Resp>)> done) {
  FrameBuffer frame;
  protocol::encode_request_to(header(Req::api), req, frame.bytes);
  if (!done) {  // no response expected (acks=0)
    return send_frame(broker_id, frame.bytes, timeout_ms, nullptr);
  }
  return send_frame(broker_id, frame.bytes, timeout_ms,
                    [done = std::move(done)](result<protocol::bytes_view> frame) {
                      if (!frame) return done(std::move(frame).err());
                      done(decode_response_frame<Resp>(*frame));
                    });
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
