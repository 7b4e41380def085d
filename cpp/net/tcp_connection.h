// The client side of Kafka's wire protocol on TCP: one socket to one broker (a Shoal
// broker's listener or any Kafka broker), carrying the same frames the shared-memory session
// carries. Requests go out under a lock, each prefixed with its 4-byte size; a receiver
// thread reads responses, matches each to its request by correlation id (Kafka answers in
// request order, but matching by id also drops a late answer to a request that timed out),
// and expires requests past their timeout. When the broker closes the socket, or a read or
// write fails, every pending request fails with _TRANSPORT and the connection is broken (the
// caller opens a new one).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/transport.h"

namespace shoal::net {

struct TcpConnectionOptions {
  int64_t connect_timeout_ms = 30'000;  // librdkafka's socket.connection.setup.timeout.ms
  // The largest request this client sends (a Kafka broker's socket.request.max.bytes).
  size_t max_request_bytes = 100 * 1024 * 1024;
  // A response declaring more than this breaks the connection before it is read.
  size_t max_response_bytes = 1024 * 1024 * 1024;
  std::string name = "tcp";  // for logs
};

class TcpConnection : public Transport, public std::enable_shared_from_this<TcpConnection> {
 public:
  // Connects to host:port (every address the name resolves to, in turn) within the
  // options' timeout; broker_id names the broker in errors and logs (negative: a bootstrap
  // address whose id is not known yet). Errors: _TRANSPORT naming the address and why.
  static result<std::shared_ptr<TcpConnection>> open(const std::string& host, int32_t port,
                                                     int32_t broker_id,
                                                     TcpConnectionOptions opts = {});
  ~TcpConnection() override;

  status send(std::span<const uint8_t> frame, int64_t timeout_ms, callback cb) override;
  bool broken() const override { return broken_.load(std::memory_order_acquire); }
  int32_t broker_id() const override { return broker_id_; }
  size_t max_request_bytes() const override { return opts_.max_request_bytes; }
  void close() override;
  void mark_broken(const std::string& why) override;

  std::string address() const { return host_ + ":" + std::to_string(port_); }
  std::string broken_reason() const;

 private:
  TcpConnection() = default;
  void receive_loop();
  // Takes the complete response frames at the front of in_; false when a size is bad.
  bool dispatch();
  void expire(int64_t now);
  void fail_all(errc code, const std::string& why);
  void set_broken(const std::string& why);

  std::string host_;
  int32_t port_ = 0;
  int32_t broker_id_ = -1;
  TcpConnectionOptions opts_;
  int fd_ = -1;
  int wake_fd_ = -1;  // eventfd: wakes the receiver to close

  std::mutex send_mu_;  // one writer on the socket at a time: frames must not interleave
  std::mutex pending_mu_;
  struct pending_request {
    int64_t deadline_ms;
    callback cb;
  };
  std::map<int32_t, pending_request> pending_;  // by correlation id

  // Receiver thread only: bytes [in_start_, in_end_) of in_ are read and not yet dispatched.
  std::vector<uint8_t> in_;
  size_t in_start_ = 0;
  size_t in_end_ = 0;

  std::atomic<bool> broken_{false};
  std::atomic<bool> closing_{false};
  mutable std::mutex reason_mu_;
  std::string broken_reason_;
  std::thread receiver_;
};

}  // namespace shoal::net
