// The broker's TCP listener: Kafka's wire protocol on a socket. Each frame is a 4-byte
// big-endian size and that many bytes of request (header and body), exactly what the
// shared-memory rings carry, so the same handlers serve both.
//
// One thread owns every socket (epoll, non-blocking): it accepts, reads frames, closes idle
// and bad connections, and writes what could not be written at once. Responses may come
// from any thread and in any order; each connection numbers its requests and sends the
// responses in request order, as Kafka's clients require when they pipeline. Memory per
// connection is bounded: a frame's buffer is allocated for at most 2 MiB of its declared size
// and grows past that with the bytes that arrive, and a connection stops being read while it has
// too many requests in flight or too many response bytes its client has not read.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "common/result.h"

namespace shoal::net {

// Allocates like std::allocator but leaves bytes uninitialized on resize: the listener writes
// every byte of a frame before a handler sees it, and zeroing a 1 MB produce request first
// cost a fifth of reading it. Untouched pages of a large buffer stay out of memory.
template <class T>
struct uninitialized_allocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = uninitialized_allocator<U>;
  };
  uninitialized_allocator() = default;
  template <class U>
  uninitialized_allocator(const uninitialized_allocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// One request frame (without its size prefix).
using frame_bytes = std::vector<uint8_t, uninitialized_allocator<uint8_t>>;

struct ListenerOptions {
  std::string host = "127.0.0.1";  // "0.0.0.0" or "" binds every interface
  int port = 0;                    // 0: a free port, chosen by the kernel
  // Kafka's socket.request.max.bytes: a larger (or negative) declared size closes the
  // connection before anything is read into memory.
  int64_t max_request_bytes = 100 * 1024 * 1024;
  // Kafka's max.connections: connections past it are accepted and closed at once.
  int max_connections = 2'147'483'647;
  // Kafka's connections.max.idle.ms: a connection with nothing in flight and no traffic for
  // this long is closed.
  int64_t max_idle_ms = 600'000;
  // Reading a connection pauses while this many of its requests await responses...
  int max_in_flight = 64;
  // ... or while this many response bytes wait for its client to read them.
  size_t max_pending_output_bytes = 64 * 1024 * 1024;
  std::string name = "listener";  // for logs
};

class Connection;

// Called on the listener thread with one whole frame (without its size prefix). The handler
// must end the request with exactly one Connection::respond / no_response / close for `seq`,
// from any thread, now or later.
using frame_handler =
    std::function<void(const std::shared_ptr<Connection>&, uint64_t seq, frame_bytes)>;

class Connection {
 public:
  // Sends the response to request `seq` (`frame` without its size prefix) once every earlier
  // request of this connection has been answered. Thread-safe; never blocks on the client.
  void respond(uint64_t seq, std::vector<uint8_t> frame);
  // Request `seq` gets no response (a Produce with acks=0).
  void no_response(uint64_t seq);
  // Closes the connection (a request that cannot be parsed). Thread-safe.
  void close(const std::string& why);
  // True once close() was called or the connection is gone: requests read before that are
  // not served (Kafka serves nothing after a frame it cannot parse).
  bool closed() const;
  // "127.0.0.1:54321"
  const std::string& peer() const { return peer_; }
  const std::string& peer_host() const { return peer_host_; }

  struct State;
  State* state_ref() const { return state_.get(); }
  Connection(std::shared_ptr<State> state, std::string peer, std::string peer_host)
      : state_(std::move(state)), peer_(std::move(peer)), peer_host_(std::move(peer_host)) {}

 private:
  void complete(uint64_t seq, std::vector<uint8_t>* frame);
  std::shared_ptr<State> state_;
  std::string peer_;
  std::string peer_host_;
};

struct ListenerStats {
  size_t connections = 0;
  uint64_t accepted = 0;
  uint64_t refused = 0;  // over max.connections
  uint64_t closed_bad_frame = 0;
  uint64_t closed_idle = 0;
  size_t buffered_bytes = 0;  // request and response bytes held for all connections
};

class TcpListener {
 public:
  // Binds and listens (errc::conflict names the address when it is taken), then serves on
  // its own thread until stop() or destruction.
  static result<std::unique_ptr<TcpListener>> start(ListenerOptions opts, frame_handler handler);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  int port() const;  // the port bound (the chosen one when opts.port was 0)
  const std::string& host() const;
  // Closes the listening socket and every connection; in-flight responses are dropped.
  void stop();
  ListenerStats stats() const;

  struct Impl;

 private:
  explicit TcpListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::net
