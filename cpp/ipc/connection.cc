#include "ipc/connection.h"

#include <chrono>
#include <cstring>
#include <future>
#include <random>
#include <vector>

#include "common/logger.h"
#include "ipc/futex.h"

namespace shoal::ipc {

namespace {

spdlog::logger& log() {
  return logger("ipc");
}

constexpr size_t align64(size_t v) {
  return (v + 63) & ~size_t{63};
}

bool power_of_two(size_t v) {
  return v >= 4096 && (v & (v - 1)) == 0;
}

std::atomic<uint64_t> session_counter{0};

uint64_t random_u64() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

result<std::shared_ptr<Connection>> Connection::open(const std::string& cluster, int32_t broker_id,
                                                     ConnectionOptions opts) {
  SHOAL_TRY(validate_cluster_name(cluster));
  if (!power_of_two(opts.request_ring_bytes) || !power_of_two(opts.response_ring_bytes)) {
    return make_error(errc::invalid_arg, "ring sizes must be powers of two of at least 4096 bytes");
  }
  auto conn = std::shared_ptr<Connection>(new Connection());
  conn->cluster_ = cluster;
  conn->broker_id_ = broker_id;
  conn->opts_ = opts;

  // The broker's inbox, once it is ready.
  std::string inbox_name = region_name(cluster, "broker-" + std::to_string(broker_id));
  int64_t deadline = monotonic_ms() + opts.connect_timeout_ms;
  while (true) {
    auto r = SharedRegion::open(inbox_name);
    if (r && r->size() >= sizeof(InboxHeader)) {
      auto* in = r->as<InboxHeader>();
      if (in->region.magic.load(std::memory_order_acquire) == inbox_magic) {
        if (in->region.version != layout_version) {
          return make_error(
              errc::unsupported_feature,
              "broker {} of cluster '{}' uses shared-memory layout {}, this client {}", broker_id,
              cluster, in->region.version, layout_version);
        }
        conn->inbox_ = std::move(r).value();
        break;
      }
    }
    if (monotonic_ms() >= deadline) {
      return make_error(errc::transport,
                        "broker {} of cluster '{}' is not running (no ready {} after {} ms)",
                        broker_id, cluster, inbox_name, opts.connect_timeout_ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto* in = conn->inbox_.as<InboxHeader>();
  conn->incarnation_ = in->region.incarnation;
  conn->broker_ =
      ProcessIdentity{in->region.owner_pid, in->region.owner_start_time, in->region.owner_pid_ns};
  if (!conn->check_broker()) {
    return make_error(errc::transport, "broker {} of cluster '{}': {}", broker_id, cluster,
                      conn->broken_reason());
  }

  // The session region: header, request ring, response ring.
  ProcessIdentity self = self_identity();
  std::string name = region_name(cluster, fmt::format("session-{}-{}-{}-b{}", self.pid_ns, self.pid,
                                                      session_counter.fetch_add(1), broker_id));
  size_t req_off = align64(sizeof(SessionHeader));
  size_t resp_off = req_off + align64(Ring::footprint(opts.request_ring_bytes));
  size_t total = resp_off + Ring::footprint(opts.response_ring_bytes);
  SharedRegion::remove(name);  // a leftover of a dead process that had our pid
  SHOAL_ASSIGN_OR_RETURN(conn->session_, SharedRegion::create(name, total, opts.mode));
  auto* h = conn->session_.as<SessionHeader>();
  auto* base = static_cast<uint8_t*>(conn->session_.data());
  Ring::initialize(base + req_off, opts.request_ring_bytes);
  Ring::initialize(base + resp_off, opts.response_ring_bytes);
  h->region.version = layout_version;
  h->region.kind = static_cast<uint32_t>(region_kind::session);
  h->region.size = conn->session_.size();
  h->region.owner_pid = self.pid;
  h->region.owner_start_time = self.start_time;
  h->region.owner_pid_ns = self.pid_ns;
  h->region.incarnation = random_u64();
  h->region.heartbeat_ms.store(monotonic_ms(), std::memory_order_relaxed);
  h->broker_id = broker_id;
  h->inbox_incarnation = conn->incarnation_;
  h->request_ring_offset = req_off;
  h->response_ring_offset = resp_off;
  conn->requests_ = Ring::attach(base + req_off, resp_off - req_off).value();
  conn->responses_ = Ring::attach(base + resp_off, total - resp_off).value();
  conn->max_request_ = conn->requests_->max_payload();
  conn->max_response_ = conn->responses_->max_payload();

  // Claim a free slot in the inbox, fill it in, then activate it.
  uint32_t slot = max_sessions;
  for (uint32_t i = 0; i < max_sessions; ++i) {
    uint32_t expected = static_cast<uint32_t>(slot_state::free);
    if (in->slots[i].state.compare_exchange_strong(
            expected, static_cast<uint32_t>(slot_state::claimed), std::memory_order_acq_rel)) {
      slot = i;
      break;
    }
  }
  if (slot == max_sessions) {
    SharedRegion::remove(name);
    return make_error(errc::crit_sys_resource, "broker {} has no free session slot (all {} in use)",
                      broker_id, max_sessions);
  }
  SessionSlot& s = in->slots[slot];
  conn->generation_ = s.generation.load(std::memory_order_acquire);
  s.client_pid = self.pid;
  s.client_start_time = self.start_time;
  s.client_pid_ns = self.pid_ns;
  s.claimed_ms.store(monotonic_ms(), std::memory_order_relaxed);
  std::memset(s.region_name, 0, sizeof(s.region_name));
  std::memcpy(s.region_name, name.data(), std::min(name.size(), sizeof(s.region_name) - 1));
  h->slot = slot;
  h->region.magic.store(session_magic, std::memory_order_release);
  uint32_t claimed = static_cast<uint32_t>(slot_state::claimed);
  if (!s.state.compare_exchange_strong(claimed, static_cast<uint32_t>(slot_state::active),
                                       std::memory_order_acq_rel)) {
    // The broker gave up on our claim (we were too slow, or paused): start over.
    SharedRegion::remove(name);
    return make_error(errc::transport, "broker {} released session slot {} before it was ready",
                      broker_id, slot);
  }
  conn->slot_ = slot;
  conn->notify_broker();
  // The receiver holds the connection only for one pass (at most 20 ms): a callback it runs
  // may drop the last reference elsewhere (a client forgetting a broker that died), and the
  // connection is then destroyed here, on this thread, which must not join itself.
  conn->receiver_ = std::thread([weak = std::weak_ptr<Connection>(conn)] {
    int64_t last_check = 0;
    for (;;) {
      auto self = weak.lock();
      if (!self || !self->receive_once(last_check)) return;
    }
  });
  log().debug("connected to broker {} of '{}' through slot {} ({})", broker_id, cluster, slot,
              name);
  return conn;
}

Connection::~Connection() {
  close();
  // Destroyed by its own receiver (the last reference was the receiver's): it exits as soon
  // as this returns, touching nothing of the connection.
  if (receiver_.joinable()) receiver_.detach();
}

void Connection::notify_broker() {
  auto* in = inbox_.as<InboxHeader>();
  in->pending[slot_ / 64].fetch_or(uint64_t{1} << (slot_ % 64), std::memory_order_seq_cst);
  in->doorbell.fetch_add(1, std::memory_order_seq_cst);
  if (in->broker_waiting.load(std::memory_order_seq_cst) != 0) futex_wake(&in->doorbell);
}

bool Connection::inbox_replaced() {
  int64_t now = monotonic_ms();
  if (now - last_inbox_check_ms_ < 500) return false;
  last_inbox_check_ms_ = now;
  // A broker that crashed and started again made a new inbox under the same name; our
  // mapping still shows the old one, so look the name up afresh.
  auto r = SharedRegion::open(inbox_.name());
  if (!r) return true;
  if (r->size() < sizeof(InboxHeader)) return false;
  auto* h = r->as<InboxHeader>();
  return h->region.magic.load(std::memory_order_acquire) == inbox_magic &&
         h->region.incarnation != incarnation_;
}

void Connection::mark_broken(const std::string& why) {
  std::lock_guard lock(reason_mu_);
  if (!broken_.exchange(true, std::memory_order_acq_rel)) broken_reason_ = why;
}

std::string Connection::broken_reason() const {
  std::lock_guard lock(reason_mu_);
  return broken_reason_;
}

bool Connection::check_broker() {
  auto* in = inbox_.as<InboxHeader>();
  std::string why;
  if (session_ && session_.as<SessionHeader>()->dropped.load(std::memory_order_acquire) != 0) {
    why = "the broker dropped this session";
  } else if (in->region.magic.load(std::memory_order_acquire) != inbox_magic ||
             in->region.incarnation != incarnation_) {
    why = "the broker shut down or restarted";
  } else if (inbox_replaced()) {
    why = "the broker restarted";
  } else if (check_process(broker_) == liveness::dead) {
    why = fmt::format("the broker process (pid {}) is gone", broker_.pid);
  } else {
    int64_t silent = monotonic_ms() - in->region.heartbeat_ms.load(std::memory_order_acquire);
    if (silent > opts_.broker_timeout_ms) {
      why = fmt::format("the broker has not been heard from for {} ms (paused or hung)", silent);
    }
  }
  if (why.empty()) return true;
  mark_broken(why);
  return false;
}

status Connection::send(bytes_view payload, int64_t timeout_ms, callback cb) {
  if (broken()) {
    return make_error(errc::transport, "connection to broker {} is broken: {}", broker_id_,
                      broken_reason());
  }
  if (payload.size() > max_request_) {
    return make_error(errc::message_too_large,
                      "request of {} bytes exceeds the {} bytes a request to broker {} can carry",
                      payload.size(), max_request_, broker_id_);
  }
  int64_t deadline = monotonic_ms() + timeout_ms;
  std::lock_guard lock(send_mu_);
  uint8_t* dst = nullptr;
  while ((dst = requests_->try_reserve(payload.size())) == nullptr) {
    int64_t left = deadline - monotonic_ms();
    if (left <= 0) {
      return make_error(errc::queue_full,
                        "broker {} did not take the request within {} ms (the session's request "
                        "ring is full)",
                        broker_id_, timeout_ms);
    }
    requests_->wait_for_space(payload.size(), std::min<int64_t>(left, 50));
    if (broken()) {
      return make_error(errc::transport, "connection to broker {} is broken: {}", broker_id_,
                        broken_reason());
    }
  }
  uint64_t corr;
  {
    std::lock_guard plock(pending_mu_);
    corr = next_correlation_++;
    // No callback: the caller expects no response (a Produce with acks=0).
    if (cb) pending_[corr] = pending_request{deadline, std::move(cb)};
  }
  if (!payload.empty()) std::memcpy(dst, payload.data(), payload.size());
  requests_->commit(message_type::request, corr, payload.size());
  notify_broker();
  return {};
}

result<std::vector<uint8_t>> Connection::call(bytes_view payload, int64_t timeout_ms) {
  auto promise = std::make_shared<std::promise<result<std::vector<uint8_t>>>>();
  auto future = promise->get_future();
  SHOAL_TRY(send(payload, timeout_ms, [promise](result<bytes_view> r) {
    if (r) {
      promise->set_value(std::vector<uint8_t>(r->begin(), r->end()));
    } else {
      promise->set_value(std::move(r).err());
    }
  }));
  return future.get();  // the receiver always answers: response, timeout or breakage
}

void Connection::fail_all(errc code, const std::string& why) {
  std::map<uint64_t, pending_request> failed;
  {
    std::lock_guard lock(pending_mu_);
    failed.swap(pending_);
  }
  for (auto& [_, p] : failed) p.cb(make_error(code, "{}", why));
}

bool Connection::receive_once(int64_t& last_check) {
  if (closing_.load(std::memory_order_acquire)) return false;
  {
    responses_->wait_for_data(20);
    while (true) {
      auto m = responses_->peek();
      if (!m) {
        mark_broken(m.err().message);
        break;
      }
      if (!m->has_value()) break;
      Ring::Message msg = **m;
      callback cb;
      {
        std::lock_guard lock(pending_mu_);
        auto it = pending_.find(msg.correlation_id);
        if (it != pending_.end()) {
          cb = std::move(it->second.cb);
          pending_.erase(it);
        }
      }
      if (cb) {
        if (msg.type == message_type::response) {
          cb(msg.payload);
        } else {
          cb(make_error(errc::bad_msg, "broker {} answered with a message of type {}", broker_id_,
                        static_cast<uint32_t>(msg.type)));
        }
      }
      if (responses_->consume(msg)) notify_broker();
    }
    int64_t now = monotonic_ms();
    if (now - last_check >= 20) {
      last_check = now;
      session_.as<SessionHeader>()->region.heartbeat_ms.store(now, std::memory_order_release);
      if (!broken() && !check_broker()) {
        // A broker that shut down or let us go is routine (clients reconnect); one that died
        // or froze is worth a warning.
        std::string reason = broken_reason();
        bool routine = reason.find("shut down") != std::string::npos ||
                       reason.find("dropped") != std::string::npos;
        log().log(routine ? spdlog::level::info : spdlog::level::warn,
                  "connection to broker {} of '{}' lost: {}", broker_id_, cluster_,
                  broken_reason());
      }
      if (broken()) {
        fail_all(errc::transport, fmt::format("broker {}: {}", broker_id_, broken_reason()));
        return true;
      }
      std::vector<callback> expired;
      {
        std::lock_guard lock(pending_mu_);
        for (auto it = pending_.begin(); it != pending_.end();) {
          if (it->second.deadline_ms <= now) {
            expired.push_back(std::move(it->second.cb));
            it = pending_.erase(it);
          } else {
            ++it;
          }
        }
      }
      for (auto& cb : expired) {
        cb(make_error(errc::timed_out, "broker {} did not answer within the request timeout",
                      broker_id_));
      }
    }
  }
  return true;
}

void Connection::close() {
  if (closing_.exchange(true)) return;
  if (receiver_.joinable() && receiver_.get_id() != std::this_thread::get_id()) receiver_.join();
  fail_all(errc::destroy, "the connection was closed");
  if (inbox_ && session_ && slot_ < max_sessions) {
    auto* in = inbox_.as<InboxHeader>();
    SessionSlot& s = in->slots[slot_];
    if (!broken() && in->region.magic.load(std::memory_order_acquire) == inbox_magic &&
        s.generation.load(std::memory_order_acquire) == generation_) {
      uint32_t active = static_cast<uint32_t>(slot_state::active);
      if (s.state.compare_exchange_strong(active, static_cast<uint32_t>(slot_state::closing),
                                          std::memory_order_acq_rel)) {
        notify_broker();
      }
    }
  }
  if (session_) SharedRegion::remove(session_.name());
}

}  // namespace shoal::ipc
