// The broker side of the shared-memory transport: the inbox region where clients register
// their sessions, and the loop that reads their requests and writes responses.
//
// Robustness: every client writes only into its own session region, so a client that dies
// or stops mid-request affects nobody else; the loop never blocks on a client (responses that
// do not fit are queued in memory); dead clients (pid gone, or silent past
// session_timeout_ms) lose their session and its memory. A stale inbox left by a crashed run
// is replaced; a live one (another broker with the same id) makes create() fail.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "ipc/process.h"
#include "ipc/ring.h"
#include "ipc/shm.h"

namespace shoal::ipc {

struct ServerOptions {
  std::string cluster;
  int32_t broker_id = 0;
  // A client whose session heartbeat is older than this loses its session.
  int64_t session_timeout_ms = 10'000;
  // Responses queued for a client whose response ring is full; past this the session is dropped.
  size_t max_queued_response_bytes = 256u << 20;
  unsigned mode = 0600;
};

class Server;

// One client session as the broker sees it. respond() may be called from any thread, at any
// time, even after the session died (the response is then dropped).
class ServerSession {
 public:
  // Sends a response. Never blocks: queued when the client's ring is full.
  void respond(uint64_t correlation_id, bytes_view payload);
  // Ends the session (a request it cannot parse, as a TCP connection is closed): the broker
  // releases it on its next pass, and the client's pending requests fail with _TRANSPORT.
  void drop(const std::string& why);
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  uint32_t slot() const { return slot_; }
  int32_t client_pid() const { return client_.pid; }
  // The largest response this session's ring can carry.
  size_t max_response_bytes() const { return max_response_; }

 private:
  friend class Server;
  bool flush_locked();  // writes queued responses; true if everything went out
  void write_locked(uint64_t correlation_id, bytes_view payload);

  Server* server_ = nullptr;
  uint32_t slot_ = 0;
  uint32_t generation_ = 0;
  ProcessIdentity client_;
  SharedRegion region_;
  std::mutex mu_;  // guards the response ring and the queue
  std::optional<Ring> requests_;
  std::optional<Ring> responses_;
  struct queued {
    uint64_t correlation_id;
    std::vector<uint8_t> payload;
  };
  std::deque<queued> queue_;
  size_t queued_bytes_ = 0;
  size_t max_response_ = 0;
  std::atomic<bool> closed_{false};
  std::atomic<bool> overflowed_{false};
  std::atomic<bool> drop_requested_{false};
  std::mutex drop_mu_;
  std::string drop_reason_;  // guarded by drop_mu_
};

class Server {
 public:
  // Called on the loop thread for every request, in the order each session sent them.
  using request_handler = std::function<void(const std::shared_ptr<ServerSession>&,
                                             uint64_t correlation_id, bytes_view payload)>;

  // Creates the broker's inbox (replacing a stale one) and returns a server ready to run.
  static result<std::unique_ptr<Server>> create(ServerOptions opts);
  ~Server();

  // Runs the loop on the calling thread until stop(). `on_tick` runs on the loop thread at
  // least every tick_ms (timers: delayed responses, timeouts).
  void run(const request_handler& handler, const std::function<void()>& on_tick,
           int64_t tick_ms = 10);
  // Thread-safe; run() returns soon after.
  void stop();
  // Runs `task` on the loop thread soon, in the order posted (thread-safe, never blocks on the
  // loop): how the TCP listener hands its requests to the same loop and the same handlers, so
  // the handlers stay single-threaded whichever transport a request came by.
  void post(std::function<void()> task);

  const std::string& inbox_name() const { return inbox_.name(); }
  uint64_t incarnation() const;
  size_t session_count() const { return session_count_.load(std::memory_order_relaxed); }

  // Removes session regions made for this broker by processes that are gone.
  static int remove_stale_sessions(const std::string& cluster, int32_t broker_id);

 private:
  friend class ServerSession;
  explicit Server(ServerOptions opts) : opts_(std::move(opts)) {}
  InboxHeader* inbox() const { return inbox_.as<InboxHeader>(); }
  void attach_slot(uint32_t slot);
  void release_slot(uint32_t slot, const char* why);
  bool serve_session(uint32_t slot, const request_handler& handler);
  void check_liveness();
  void mark_pending(uint32_t slot);
  void ring_doorbell();
  bool run_posted();  // true if there were tasks

  ServerOptions opts_;
  SharedRegion inbox_;
  std::vector<std::shared_ptr<ServerSession>> sessions_;  // by slot; loop thread only
  std::vector<int64_t> claimed_since_;                    // by slot: when first seen claimed
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> session_count_{0};
  std::mutex posted_mu_;
  std::vector<std::function<void()>> posted_;  // guarded by posted_mu_
  std::atomic<bool> has_posted_{false};
  int64_t last_liveness_ms_ = 0;
};

}  // namespace shoal::ipc
