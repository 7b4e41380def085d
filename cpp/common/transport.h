// What a client needs from a connection to one broker, whatever carries it: the shared-memory
// session (ipc::Connection) or a TCP socket (net::TcpConnection). Both carry the same Kafka
// frames (request header and body; the response header and body come back), so the cluster
// client, and everything above it, cannot tell them apart.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "common/result.h"

namespace shoal {

class Transport {
 public:
  // Receives the response frame (valid only during the call) or an error. Runs on the
  // transport's receiver thread: keep it short, never block on this transport.
  using callback = std::function<void(result<std::span<const uint8_t>>)>;

  virtual ~Transport() = default;

  // Sends one request frame. Waits up to timeout_ms for room to send it (then _QUEUE_FULL);
  // the response, or _TIMED_OUT once timeout_ms has passed since the call, goes to `cb`.
  // Fails at once with _TRANSPORT on a broken transport and with MSG_SIZE_TOO_LARGE past
  // max_request_bytes(). An empty `cb` sends a request that gets no response (acks=0).
  virtual status send(std::span<const uint8_t> frame, int64_t timeout_ms, callback cb) = 0;
  virtual bool broken() const = 0;
  virtual int32_t broker_id() const = 0;
  virtual size_t max_request_bytes() const = 0;
  // Fails what is pending and releases the transport's resources.
  virtual void close() = 0;
  // Gives up on the broker: pending requests fail with _TRANSPORT, and so does every later
  // send().
  virtual void mark_broken(const std::string& why) = 0;
};

}  // namespace shoal
