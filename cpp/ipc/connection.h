// The client side of the shared-memory transport: one session with one broker. The client
// creates the session region (its two rings), registers it in a free slot of the broker's
// inbox, and rings the broker's doorbell after each request. A receiver thread reads
// responses, hands each to the callback of its request, expires requests past their timeout,
// keeps the session's heartbeat, and watches the broker: when the broker dies, restarts or
// drops the session, every pending request fails with _TRANSPORT and the connection is
// broken (the caller opens a new one).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "common/transport.h"
#include "ipc/process.h"
#include "ipc/ring.h"
#include "ipc/shm.h"

namespace shoal::ipc {

struct ConnectionOptions {
  size_t request_ring_bytes = 8u << 20;    // power of two
  size_t response_ring_bytes = 32u << 20;  // power of two
  int64_t connect_timeout_ms = 5'000;      // waiting for the broker's inbox to be ready
  // A broker whose inbox heartbeat is older than this is considered gone (paused or dead).
  int64_t broker_timeout_ms = 6'000;
  unsigned mode = 0600;
};

class Connection : public Transport, public std::enable_shared_from_this<Connection> {
 public:
  using callback = Transport::callback;

  static result<std::shared_ptr<Connection>> open(const std::string& cluster, int32_t broker_id,
                                                  ConnectionOptions opts = {});
  ~Connection() override;

  // Sends a request. Waits up to timeout_ms for room in the request ring (then _QUEUE_FULL);
  // the response, or _TIMED_OUT once timeout_ms has passed since the call, goes to `cb`.
  // Fails at once with _TRANSPORT on a broken connection, and with MSG_SIZE_TOO_LARGE for a
  // payload larger than max_request_bytes(). An empty `cb` sends a request that gets no
  // response (a Produce with acks=0).
  status send(bytes_view payload, int64_t timeout_ms, callback cb) override;
  // send() and wait for the response.
  result<std::vector<uint8_t>> call(bytes_view payload, int64_t timeout_ms);

  bool broken() const override { return broken_.load(std::memory_order_acquire); }
  int32_t broker_id() const override { return broker_id_; }
  size_t max_request_bytes() const override { return max_request_; }
  size_t max_response_bytes() const { return max_response_; }
  // Fails pending requests, tells the broker goodbye and removes the session region.
  void close() override;
  // Gives up on the broker (e.g. the controller fenced it): pending requests fail with
  // _TRANSPORT within one check interval (20 ms), and so does every later send().
  void mark_broken(const std::string& why) override;
  std::string broken_reason() const;

 private:
  Connection() = default;
  // One pass of the receiver: waits up to 20 ms for responses, runs their callbacks, checks
  // the broker and expires requests. False once the connection is closing.
  bool receive_once(int64_t& last_check);
  void fail_all(errc code, const std::string& why);
  void notify_broker();
  bool check_broker();
  bool inbox_replaced();

  std::string cluster_;
  int32_t broker_id_ = 0;
  ConnectionOptions opts_;
  SharedRegion inbox_;
  SharedRegion session_;
  uint32_t slot_ = max_sessions;  // none until claimed
  uint32_t generation_ = 0;       // the slot's generation when we claimed it
  int64_t last_inbox_check_ms_ = 0;
  uint64_t incarnation_ = 0;
  ProcessIdentity broker_;
  std::optional<Ring> requests_;
  std::optional<Ring> responses_;
  size_t max_request_ = 0;
  size_t max_response_ = 0;

  std::mutex send_mu_;  // one producer on the request ring
  std::mutex pending_mu_;
  struct pending_request {
    int64_t deadline_ms;
    callback cb;
  };
  std::map<uint64_t, pending_request> pending_;
  uint64_t next_correlation_ = 1;

  std::atomic<bool> broken_{false};
  std::atomic<bool> closing_{false};
  mutable std::mutex reason_mu_;
  std::string broken_reason_;  // guarded by reason_mu_; set once
  std::thread receiver_;
};

}  // namespace shoal::ipc
