#include "ipc/server.h"

#include <cstring>
#include <random>

#include "common/logger.h"
#include "ipc/futex.h"

namespace shoal::ipc {

namespace {

spdlog::logger& log() {
  return logger("ipc");
}

uint64_t random_u64() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(monotonic_ms());
}

std::string inbox_region(const std::string& cluster, int32_t broker_id) {
  return region_name(cluster, "broker-" + std::to_string(broker_id));
}

// Whether the owner of a region looks alive: a live pid in our namespace, or a fresh
// heartbeat when the pid cannot be checked from here.
bool owner_alive(const RegionHeader& h, int64_t stale_after_ms) {
  ProcessIdentity owner{h.owner_pid, h.owner_start_time, h.owner_pid_ns};
  switch (check_process(owner)) {
    case liveness::dead:
      return false;
    case liveness::alive:
      return true;
    case liveness::unknown:
      return monotonic_ms() - h.heartbeat_ms.load(std::memory_order_acquire) < stale_after_ms;
  }
  return false;
}

std::string slot_region_name(const SessionSlot& s) {
  char buf[sizeof(s.region_name) + 1];
  std::memcpy(buf, s.region_name, sizeof(s.region_name));
  buf[sizeof(s.region_name)] = '\0';
  return std::string(buf);
}

}  // namespace

// --- ServerSession ---

void ServerSession::write_locked(uint64_t correlation_id, bytes_view payload) {
  uint8_t* dst = responses_->try_reserve(payload.size());
  if (dst != nullptr && queue_.empty()) {
    if (!payload.empty()) std::memcpy(dst, payload.data(), payload.size());
    if (responses_->commit(message_type::response, correlation_id, payload.size())) {
      responses_->wake_consumer();
    }
    return;
  }
  queue_.push_back({correlation_id, std::vector<uint8_t>(payload.begin(), payload.end())});
  queued_bytes_ += payload.size();
  // The client's consume() then rings our doorbell when it frees space (no 200 ms wait).
  responses_->set_producer_waiting(true);
  if (queued_bytes_ > server_->opts_.max_queued_response_bytes) {
    overflowed_.store(true, std::memory_order_release);
  }
}

void ServerSession::respond(uint64_t correlation_id, bytes_view payload) {
  std::lock_guard lock(mu_);
  if (closed()) return;
  if (payload.size() > responses_->max_payload()) {
    // The handler must keep responses within max_response_bytes(); this is a bug, not input.
    log().error("session {} (pid {}): response of {} bytes exceeds the ring's {}; dropped", slot_,
                client_.pid, payload.size(), responses_->max_payload());
    return;
  }
  flush_locked();
  write_locked(correlation_id, payload);
}

void ServerSession::drop(const std::string& why) {
  {
    std::lock_guard lock(drop_mu_);
    if (drop_reason_.empty()) drop_reason_ = why;
  }
  drop_requested_.store(true, std::memory_order_release);
  if (server_ != nullptr && !closed()) server_->mark_pending(slot_);
}

bool ServerSession::flush_locked() {
  while (!queue_.empty()) {
    auto& q = queue_.front();
    uint8_t* dst = responses_->try_reserve(q.payload.size());
    if (dst == nullptr) return false;
    if (!q.payload.empty()) std::memcpy(dst, q.payload.data(), q.payload.size());
    if (responses_->commit(message_type::response, q.correlation_id, q.payload.size())) {
      responses_->wake_consumer();
    }
    queued_bytes_ -= q.payload.size();
    queue_.pop_front();
  }
  responses_->set_producer_waiting(false);
  return true;
}

// --- Server ---

result<std::unique_ptr<Server>> Server::create(ServerOptions opts) {
  SHOAL_TRY(validate_cluster_name(opts.cluster));
  std::string name = inbox_region(opts.cluster, opts.broker_id);
  if (auto existing = SharedRegion::open(name)) {
    auto* h = existing->as<RegionHeader>();
    bool valid = existing->size() >= sizeof(RegionHeader) &&
                 h->magic.load(std::memory_order_acquire) == inbox_magic;
    if (valid && owner_alive(*h, opts.session_timeout_ms)) {
      return make_error(errc::conflict,
                        "broker {} of cluster '{}' is already running (pid {}); stop it first or "
                        "choose another --id",
                        opts.broker_id, opts.cluster, h->owner_pid);
    }
    log().warn("replacing {} left by a broker that is gone (pid {})", name,
               valid ? h->owner_pid : -1);
    SharedRegion::remove(name);
  }
  int removed = remove_stale_sessions(opts.cluster, opts.broker_id);
  if (removed > 0)
    log().info("removed {} stale session region(s) of broker {}", removed, opts.broker_id);

  SHOAL_ASSIGN_OR_RETURN(auto region, SharedRegion::create(name, sizeof(InboxHeader), opts.mode));
  auto* in = region.as<InboxHeader>();
  ProcessIdentity self = self_identity();
  in->region.version = layout_version;
  in->region.kind = static_cast<uint32_t>(region_kind::inbox);
  in->region.size = region.size();
  in->region.owner_pid = self.pid;
  in->region.owner_start_time = self.start_time;
  in->region.owner_pid_ns = self.pid_ns;
  in->region.incarnation = random_u64();
  in->region.heartbeat_ms.store(monotonic_ms(), std::memory_order_relaxed);
  in->broker_id = opts.broker_id;
  in->slot_count = max_sessions;
  // Last: the magic says the region is ready.
  in->region.magic.store(inbox_magic, std::memory_order_release);

  auto server = std::unique_ptr<Server>(new Server(std::move(opts)));
  server->inbox_ = std::move(region);
  server->sessions_.resize(max_sessions);
  server->claimed_since_.assign(max_sessions, 0);
  log().info("broker {} inbox {} ready ({} session slots)", server->opts_.broker_id,
             server->inbox_.name(), max_sessions);
  return server;
}

Server::~Server() {
  for (uint32_t i = 0; i < sessions_.size(); ++i) {
    if (sessions_[i]) release_slot(i, "the broker is shutting down");
  }
  if (inbox_) {
    inbox()->region.magic.store(0, std::memory_order_release);
    SharedRegion::remove(inbox_.name());
  }
}

uint64_t Server::incarnation() const {
  return inbox()->region.incarnation;
}

void Server::stop() {
  stopping_.store(true, std::memory_order_release);
  ring_doorbell();
}

void Server::ring_doorbell() {
  if (!inbox_) return;
  inbox()->doorbell.fetch_add(1, std::memory_order_seq_cst);
  if (inbox()->broker_waiting.load(std::memory_order_seq_cst) != 0) futex_wake(&inbox()->doorbell);
}

void Server::post(std::function<void()> task) {
  {
    std::lock_guard lock(posted_mu_);
    posted_.push_back(std::move(task));
    has_posted_.store(true, std::memory_order_release);
  }
  ring_doorbell();
}

bool Server::run_posted() {
  if (!has_posted_.load(std::memory_order_acquire)) return false;
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(posted_mu_);
    tasks.swap(posted_);
    has_posted_.store(false, std::memory_order_relaxed);
  }
  for (auto& t : tasks) t();
  return !tasks.empty();
}

void Server::mark_pending(uint32_t slot) {
  inbox()->pending[slot / 64].fetch_or(uint64_t{1} << (slot % 64), std::memory_order_release);
}

void Server::attach_slot(uint32_t slot) {
  SessionSlot& s = inbox()->slots[slot];
  std::string name = slot_region_name(s);
  std::string prefix = region_name(opts_.cluster, "session-");
  auto fail = [&](const std::string& why) {
    log().warn("session slot {} (pid {}, {}): {}; releasing it", slot, s.client_pid, name, why);
    release_slot(slot, "invalid session");
  };
  if (name.rfind(prefix, 0) != 0) return fail("the region name is not a session of this cluster");
  auto region = SharedRegion::open(name);
  if (!region) return fail(region.err().message);
  if (region->size() < sizeof(SessionHeader)) return fail("the region is too small");
  auto* h = region->as<SessionHeader>();
  if (h->region.magic.load(std::memory_order_acquire) != session_magic ||
      h->region.version != layout_version ||
      h->region.kind != static_cast<uint32_t>(region_kind::session)) {
    return fail("not a version-1 session region");
  }
  if (h->region.size != region->size() || h->region.owner_pid != s.client_pid ||
      h->broker_id != opts_.broker_id || h->slot != slot ||
      h->inbox_incarnation != inbox()->region.incarnation) {
    return fail("the region was made for another broker, slot or process");
  }
  size_t size = region->size();
  if (h->request_ring_offset >= size || h->response_ring_offset >= size ||
      h->request_ring_offset < sizeof(SessionHeader) ||
      h->response_ring_offset < sizeof(SessionHeader)) {
    return fail("ring offsets out of bounds");
  }
  auto* base = static_cast<uint8_t*>(region->data());
  size_t req_avail = h->response_ring_offset > h->request_ring_offset
                         ? h->response_ring_offset - h->request_ring_offset
                         : size - h->request_ring_offset;
  size_t resp_avail = h->request_ring_offset > h->response_ring_offset
                          ? h->request_ring_offset - h->response_ring_offset
                          : size - h->response_ring_offset;
  auto req = Ring::attach(base + h->request_ring_offset, req_avail);
  auto resp = Ring::attach(base + h->response_ring_offset, resp_avail);
  if (!req || !resp) return fail("bad ring header");

  auto session = std::make_shared<ServerSession>();
  session->server_ = this;
  session->slot_ = slot;
  session->generation_ = s.generation.load(std::memory_order_acquire);
  session->client_ = ProcessIdentity{s.client_pid, s.client_start_time, s.client_pid_ns};
  session->requests_ = *req;
  session->responses_ = *resp;
  session->max_response_ = resp->max_payload();
  session->region_ = std::move(region).value();
  sessions_[slot] = session;
  session_count_.fetch_add(1, std::memory_order_relaxed);
  log().debug("session slot {} attached: pid {}, {}", slot, s.client_pid, name);
}

void Server::release_slot(uint32_t slot, const char* why) {
  SessionSlot& s = inbox()->slots[slot];
  std::string name = slot_region_name(s);
  bool owned = false;  // the region is the slot's client's: ours to unlink
  if (auto session = sessions_[slot]) {
    std::lock_guard lock(session->mu_);
    session->closed_.store(true, std::memory_order_release);
    session->region_.as<SessionHeader>()->dropped.store(1, std::memory_order_release);
    session->requests_.reset();
    session->responses_.reset();
    session->queue_.clear();
    session->region_ = SharedRegion();
    sessions_[slot].reset();
    session_count_.fetch_sub(1, std::memory_order_relaxed);
    owned = true;
    log().info("session slot {} (pid {}) released: {}", slot, s.client_pid, why);
  } else if (!name.empty() && name.rfind(region_name(opts_.cluster, "session-"), 0) == 0) {
    // Never attached: tell the client (if the region really is its) that it was let go.
    if (auto r = SharedRegion::open(name); r && r->size() >= sizeof(SessionHeader)) {
      auto* h = r->as<SessionHeader>();
      if (h->region.owner_pid == s.client_pid && h->broker_id == opts_.broker_id) {
        h->dropped.store(1, std::memory_order_release);
        owned = true;
      }
    }
    log().info("session slot {} (pid {}) released: {}", slot, s.client_pid, why);
  }
  if (owned) SharedRegion::remove(name);
  std::memset(s.region_name, 0, sizeof(s.region_name));
  s.generation.fetch_add(1, std::memory_order_acq_rel);
  s.state.store(static_cast<uint32_t>(slot_state::free), std::memory_order_release);
}

bool Server::serve_session(uint32_t slot, const request_handler& handler) {
  auto session = sessions_[slot];
  if (!session) return false;
  bool worked = false;
  // A bounded batch per visit keeps one busy client from starving the others.
  for (int n = 0; n < 256; ++n) {
    auto m = session->requests_->peek();
    if (!m) {
      log().warn("session slot {} (pid {}): {}", slot, session->client_.pid, m.err().message);
      release_slot(slot, "its request ring is corrupt");
      return true;
    }
    if (!m->has_value()) break;
    worked = true;
    Ring::Message msg = **m;
    if (msg.type == message_type::request) {
      handler(session, msg.correlation_id, msg.payload);
    }
    if (session->drop_requested_.load(std::memory_order_acquire)) break;
    if (session->requests_->consume(msg)) session->requests_->wake_producer();
    if (n == 255) mark_pending(slot);
  }
  {
    std::lock_guard lock(session->mu_);
    if (!session->closed()) session->flush_locked();
  }
  if (session->overflowed_.load(std::memory_order_acquire)) {
    release_slot(slot, "it stopped reading responses");
  } else if (session->drop_requested_.load(std::memory_order_acquire)) {
    std::string why;
    {
      std::lock_guard lock(session->drop_mu_);
      why = "dropped: " + session->drop_reason_;
    }
    release_slot(slot, why.c_str());
  }
  return worked;
}

void Server::check_liveness() {
  int64_t now = monotonic_ms();
  for (uint32_t i = 0; i < max_sessions; ++i) {
    SessionSlot& s = inbox()->slots[i];
    auto state = static_cast<slot_state>(s.state.load(std::memory_order_acquire));
    if (state == slot_state::free) continue;
    if (state == slot_state::claimed) {
      // The client is filling the slot in (its pid may not be written yet): only a claim that
      // stays unfinished for a whole session timeout is given up.
      if (claimed_since_[i] == 0) claimed_since_[i] = now;
      if (now - claimed_since_[i] > opts_.session_timeout_ms) {
        claimed_since_[i] = 0;
        release_slot(i, "it was claimed but never activated");
      }
      continue;
    }
    claimed_since_[i] = 0;
    ProcessIdentity client{s.client_pid, s.client_start_time, s.client_pid_ns};
    if (check_process(client) == liveness::dead) {
      release_slot(i, "its process is gone");
      continue;
    }
    auto& session = sessions_[i];
    if (!session) {
      mark_pending(i);  // active but not attached yet: attach on the next pass
      continue;
    }
    int64_t beat =
        session->region_.as<SessionHeader>()->region.heartbeat_ms.load(std::memory_order_acquire);
    if (now - beat > opts_.session_timeout_ms) {
      release_slot(i, "its client has been silent longer than the session timeout");
      continue;
    }
    if (session->overflowed_.load(std::memory_order_acquire)) {
      release_slot(i, "it stopped reading responses");
      continue;
    }
    std::lock_guard lock(session->mu_);
    if (!session->queue_.empty()) session->flush_locked();
  }
}

void Server::run(const request_handler& handler, const std::function<void()>& on_tick,
                 int64_t tick_ms) {
  InboxHeader* in = inbox();
  int64_t last_tick = monotonic_ms();
  while (!stopping_.load(std::memory_order_acquire)) {
    int64_t now = monotonic_ms();
    in->region.heartbeat_ms.store(now, std::memory_order_release);
    bool worked = false;
    for (uint32_t w = 0; w < max_sessions / 64; ++w) {
      uint64_t bits = in->pending[w].exchange(0, std::memory_order_acq_rel);
      while (bits != 0) {
        uint32_t slot = w * 64 + static_cast<uint32_t>(__builtin_ctzll(bits));
        bits &= bits - 1;
        auto state = static_cast<slot_state>(in->slots[slot].state.load(std::memory_order_acquire));
        auto& session = sessions_[slot];
        if (state == slot_state::closing) {
          release_slot(slot, "closed by its client");
          continue;
        }
        if (state == slot_state::active &&
            (!session ||
             session->generation_ != in->slots[slot].generation.load(std::memory_order_acquire))) {
          if (session) release_slot(slot, "replaced");
          attach_slot(slot);
        }
        if (sessions_[slot]) worked |= serve_session(slot, handler);
      }
    }
    worked |= run_posted();
    if (now - last_liveness_ms_ >= 200) {
      check_liveness();
      last_liveness_ms_ = now;
    }
    if (now - last_tick >= tick_ms) {
      on_tick();
      last_tick = now;
    }
    if (worked) continue;
    // Sleep until a client rings the doorbell, announcing itself first so no ring is missed.
    in->broker_waiting.store(1, std::memory_order_seq_cst);
    uint32_t seq = in->doorbell.load(std::memory_order_seq_cst);
    bool news = has_posted_.load(std::memory_order_seq_cst);
    for (uint32_t w = 0; w < max_sessions / 64 && !news; ++w) {
      news = in->pending[w].load(std::memory_order_acquire) != 0;
    }
    if (!news && !stopping_.load(std::memory_order_acquire)) {
      futex_wait(&in->doorbell, seq, tick_ms);
    }
    in->broker_waiting.store(0, std::memory_order_relaxed);
  }
}

int Server::remove_stale_sessions(const std::string& cluster, int32_t broker_id) {
  int removed = 0;
  std::string suffix = "-b" + std::to_string(broker_id);
  for (const auto& name : SharedRegion::list(region_name(cluster, "session-"))) {
    if (name.size() < suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    auto r = SharedRegion::open(name);
    bool stale = true;
    if (r && r->size() >= sizeof(SessionHeader)) {
      auto* h = r->as<SessionHeader>();
      ProcessIdentity owner{h->region.owner_pid, h->region.owner_start_time,
                            h->region.owner_pid_ns};
      stale = check_process(owner) == liveness::dead;
    }
    if (stale && SharedRegion::remove(name)) ++removed;
  }
  return removed;
}

}  // namespace shoal::ipc
