#include "net/tcp_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "common/clock.h"
#include "common/logger.h"

namespace shoal::net {

namespace {
spdlog::logger& log() {
  return logger("net");
}

constexpr uint64_t listen_id = 0;
constexpr uint64_t wake_id = 1;
constexpr size_t read_chunk = 64 * 1024;
constexpr size_t first_allocation = 2 * 1024 * 1024;

int64_t now_ms() {
  return monotonic_ms();
}

std::string describe(const sockaddr_storage& a, std::string* host_out) {
  char buf[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof(buf));
    port = ntohs(v4->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof(buf));
    port = ntohs(v6->sin6_port);
  }
  if (host_out) *host_out = buf;
  return fmt::format("{}:{}", buf, port);
}
}  // namespace

// A response, its 4-byte size prefix beside it so one writev sends both.
struct OutFrame {
  uint8_t prefix[4];
  std::vector<uint8_t> data;
  size_t sent = 0;  // of prefix + data
  size_t size() const { return 4 + data.size(); }
};

struct Connection::State {
  TcpListener::Impl* owner = nullptr;
  uint64_t id = 0;
  std::atomic<bool> closing{false};
  std::atomic<int64_t> last_activity_ms{0};

  // Listener thread only: the frame being read and bytes read while paused.
  uint8_t size_buf[4];
  int size_have = 0;
  int64_t want = -1;  // the declared size of the frame being read; -1 while reading a size
  frame_bytes frame;
  size_t have = 0;  // bytes of `frame` filled
  std::vector<uint8_t> backlog;
  size_t backlog_off = 0;
  uint64_t next_seq = 0;

  std::mutex mu;  // guards everything below
  int fd = -1;
  bool closed = false;
  int in_flight = 0;
  bool reading_paused = false;
  bool want_out = false;  // EPOLLOUT is registered
  uint64_t next_to_send = 0;
  std::map<uint64_t, std::optional<std::vector<uint8_t>>> finished;  // answered out of order
  std::deque<OutFrame> out;
  size_t out_bytes = 0;
  size_t finished_bytes = 0;
};

struct TcpListener::Impl {
  ListenerOptions opts;
  frame_handler handler;
  int listen_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;
  int bound_port = 0;
  std::thread thread;
  std::atomic<bool> stopping{false};
  uint64_t next_id = 2;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> conns;  // listener thread only

  std::mutex tasks_mu;
  std::vector<std::pair<uint64_t, bool>> tasks;  // (connection, close?) else resume reading

  std::atomic<size_t> n_connections{0};
  std::atomic<uint64_t> accepted{0}, refused{0}, closed_bad{0}, closed_idle{0};
  std::atomic<int64_t> buffered{0};
  int64_t last_refusal_log_ms = 0;

  void post_task(uint64_t id, bool close) {
    {
      std::lock_guard lock(tasks_mu);
      tasks.emplace_back(id, close);
    }
    uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(wake_fd, &one, sizeof(one));
  }

  // Under s.mu.
  void update_events(Connection::State& s) {
    epoll_event ev{};
    ev.events =
        (s.reading_paused ? 0u : uint32_t{EPOLLIN}) | (s.want_out ? uint32_t{EPOLLOUT} : 0u);
    ev.data.u64 = s.id;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, s.fd, &ev);
  }

  bool should_pause(const Connection::State& s) const {
    return s.in_flight >= opts.max_in_flight ||
           s.out_bytes + s.finished_bytes >= opts.max_pending_output_bytes;
  }

  // Under s.mu: writes what the socket takes. False when the peer is gone.
  bool flush(Connection::State& s) {
    while (!s.out.empty()) {
      iovec iov[64];
      int n = 0;
      for (auto it = s.out.begin(); it != s.out.end() && n < 63; ++it) {
        if (it->sent < 4) {
          iov[n++] = {it->prefix + it->sent, 4 - it->sent};
          if (!it->data.empty()) iov[n++] = {it->data.data(), it->data.size()};
        } else {
          iov[n++] = {it->data.data() + (it->sent - 4), it->data.size() - (it->sent - 4)};
        }
      }
      msghdr mh{};
      mh.msg_iov = iov;
      mh.msg_iovlen = static_cast<size_t>(n);
      ssize_t w = ::sendmsg(s.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return false;
      }
      s.last_activity_ms.store(now_ms(), std::memory_order_relaxed);
      auto left = static_cast<size_t>(w);
      while (left > 0) {
        OutFrame& f = s.out.front();
        size_t take = std::min(left, f.size() - f.sent);
        f.sent += take;
        left -= take;
        if (f.sent == f.size()) {
          s.out_bytes -= f.size();
          buffered.fetch_sub(static_cast<int64_t>(f.size()), std::memory_order_relaxed);
          s.out.pop_front();
        }
      }
    }
    bool want = !s.out.empty();
    if (want != s.want_out) {
      s.want_out = want;
      update_events(s);
    }
    return true;
  }

  void close_connection(uint64_t id, const char* why, bool bad) {
    auto it = conns.find(id);
    if (it == conns.end()) return;
    std::shared_ptr<Connection> c = it->second;
    conns.erase(it);
    // Counted before the client can see the close (tests read the counters after it).
    if (bad) closed_bad.fetch_add(1, std::memory_order_relaxed);
    auto& s = *c->state_ref();
    {
      std::lock_guard lock(s.mu);
      if (s.closed) return;
      s.closed = true;
      ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, s.fd, nullptr);
      ::close(s.fd);
      s.fd = -1;
      buffered.fetch_sub(static_cast<int64_t>(s.out_bytes + s.finished_bytes),
                         std::memory_order_relaxed);
      s.out.clear();
      s.finished.clear();
      s.out_bytes = s.finished_bytes = 0;
    }
    buffered.fetch_sub(static_cast<int64_t>(s.have + (s.backlog.size() - s.backlog_off)),
                       std::memory_order_relaxed);
    s.frame = {};
    s.have = 0;
    s.backlog = {};
    s.backlog_off = 0;
    n_connections.fetch_sub(1, std::memory_order_relaxed);
    log().debug("{}: closed connection from {}: {}", opts.name, c->peer(), why);
  }

  void accept_all() {
    for (;;) {
      sockaddr_storage addr{};
      socklen_t len = sizeof(addr);
      int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR) continue;
        if (errno == EMFILE || errno == ENFILE) {
          log().warn("{}: cannot accept a connection: {}", opts.name, std::strerror(errno));
        }
        return;  // EAGAIN, or a connection that went away before we took it
      }
      std::string host;
      std::string peer = describe(addr, &host);
      if (n_connections.load(std::memory_order_relaxed) >=
          static_cast<size_t>(std::max(opts.max_connections, 0))) {
        refused.fetch_add(1, std::memory_order_relaxed);  // counted before the client sees it
        ::close(fd);
        int64_t now = now_ms();
        if (now - last_refusal_log_ms >= 1000) {
          log().warn("{}: refused a connection from {}: max.connections ({}) reached", opts.name,
                     peer, opts.max_connections);
          last_refusal_log_ms = now;
        }
        continue;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      auto st = std::make_shared<Connection::State>();
      st->owner = this;
      st->id = next_id++;
      st->fd = fd;
      st->last_activity_ms.store(now_ms(), std::memory_order_relaxed);
      auto c = std::make_shared<Connection>(st, peer, host);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = st->id;
      if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        log().warn("{}: cannot watch a connection from {}: {}", opts.name, peer,
                   std::strerror(errno));
        ::close(fd);
        continue;
      }
      conns.emplace(st->id, c);
      n_connections.fetch_add(1, std::memory_order_relaxed);
      accepted.fetch_add(1, std::memory_order_relaxed);
      log().debug("{}: connection from {}", opts.name, peer);
    }
  }

  // Hands a whole frame to the handler, counting it in flight (and pausing the connection's
  // reads when that reaches a limit).
  void emit(const std::shared_ptr<Connection>& c, frame_bytes frame) {
    auto& s = *c->state_ref();
    {
      std::lock_guard lock(s.mu);
      ++s.in_flight;
      if (should_pause(s)) {
        s.reading_paused = true;
        update_events(s);
      }
    }
    handler(c, s.next_seq++, std::move(frame));
  }

  bool paused(Connection::State& s) {
    std::lock_guard lock(s.mu);
    return s.reading_paused || s.closed;
  }

  // Makes room in the frame being read for `more` bytes, never past the declared size. A
  // frame of up to first_allocation bytes (every produce request a client sends with Kafka's
  // default max.request.size and message.max.bytes) gets its whole buffer at once, so it is
  // never copied into a bigger one; a larger one grows with what arrives, at most doubling,
  // so a declared size alone holds at most first_allocation of untouched memory.
  void grow(Connection::State& s, size_t more) {
    size_t need = s.have + more;
    if (need <= s.frame.size()) return;
    size_t want = static_cast<size_t>(s.want);
    size_t to = std::min(want, std::max({need, 2 * s.frame.size(), first_allocation}));
    s.frame.resize(to);
  }

  // Takes bytes of the stream: sizes, frames, their tails. Returns how many it took (fewer
  // than n when the connection paused at a frame boundary), or -1 on a bad size.
  ssize_t consume(const std::shared_ptr<Connection>& c, const uint8_t* p, size_t n) {
    auto& s = *c->state_ref();
    size_t used = 0;
    while (used < n) {
      if (c->closed()) return static_cast<ssize_t>(n);  // nothing after a close is served
      if (s.want < 0) {
        if (paused(s)) break;
        size_t take = std::min<size_t>(4 - s.size_have, n - used);
        std::memcpy(s.size_buf + s.size_have, p + used, take);
        s.size_have += static_cast<int>(take);
        used += take;
        if (s.size_have < 4) break;
        s.size_have = 0;
        const uint8_t* b = s.size_buf;
        int32_t size = static_cast<int32_t>((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
                                            (uint32_t{b[2]} << 8) | uint32_t{b[3]});
        if (size < 0 || size > opts.max_request_bytes) {
          log().warn(
              "{}: closing the connection from {}: a request of {} bytes ({} allowed by "
              "socket.request.max.bytes)",
              opts.name, c->peer(), size, opts.max_request_bytes);
          return -1;
        }
        if (n - used >= static_cast<size_t>(size)) {  // the whole frame is here: one copy
          emit(c, frame_bytes(p + used, p + used + size));
          used += static_cast<size_t>(size);
          continue;
        }
        s.want = size;
        s.have = 0;
        if (used == n) break;  // the size ended this read; memcpy must not see a null buffer
      }
      size_t take = std::min<size_t>(static_cast<size_t>(s.want) - s.have, n - used);
      grow(s, take);
      std::memcpy(s.frame.data() + s.have, p + used, take);
      s.have += take;
      used += take;
      buffered.fetch_add(static_cast<int64_t>(take), std::memory_order_relaxed);
      if (s.have == static_cast<size_t>(s.want)) finish_frame(c);
    }
    return static_cast<ssize_t>(used);
  }

  void finish_frame(const std::shared_ptr<Connection>& c) {
    auto& s = *c->state_ref();
    buffered.fetch_sub(static_cast<int64_t>(s.have), std::memory_order_relaxed);
    s.frame.resize(s.have);
    frame_bytes f = std::move(s.frame);
    s.frame = {};
    s.want = -1;
    s.have = 0;
    emit(c, std::move(f));
  }

  void on_readable(const std::shared_ptr<Connection>& c) {
    auto& s = *c->state_ref();
    // Bytes read before the connection paused go first.
    if (s.backlog_off < s.backlog.size()) {
      size_t left = s.backlog.size() - s.backlog_off;
      ssize_t used = consume(c, s.backlog.data() + s.backlog_off, left);
      if (used < 0) return close_connection(s.id, "bad request size", true);
      s.backlog_off += static_cast<size_t>(used);
      buffered.fetch_sub(used, std::memory_order_relaxed);
      if (s.backlog_off < s.backlog.size()) return;  // paused again
      s.backlog.clear();
      s.backlog_off = 0;
    }
    uint8_t chunk[read_chunk];
    for (;;) {
      int fd;
      {
        std::lock_guard lock(s.mu);
        if (s.reading_paused || s.closed) return;
        fd = s.fd;  // only this thread closes it
      }
      // The rest of a large frame goes straight into its buffer: no second copy.
      bool direct = s.want >= 0 && static_cast<size_t>(s.want) - s.have >= read_chunk;
      uint8_t* into = chunk;
      size_t len = sizeof(chunk);
      if (direct) {
        grow(s, read_chunk);
        into = s.frame.data() + s.have;
        len = std::min<size_t>(s.frame.size(), static_cast<size_t>(s.want)) - s.have;
      }
      ssize_t r = ::recv(fd, into, len, MSG_DONTWAIT);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        return close_connection(s.id, std::strerror(errno), false);
      }
      if (r == 0) return close_connection(s.id, "closed by the client", false);
      s.last_activity_ms.store(now_ms(), std::memory_order_relaxed);
      if (direct) {
        s.have += static_cast<size_t>(r);
        buffered.fetch_add(r, std::memory_order_relaxed);
        if (s.have == static_cast<size_t>(s.want)) finish_frame(c);
      } else {
        ssize_t used = consume(c, chunk, static_cast<size_t>(r));
        if (used < 0) return close_connection(s.id, "bad request size", true);
        if (used < r) {  // paused at a frame boundary: keep the rest for later
          s.backlog.assign(chunk + used, chunk + r);
          s.backlog_off = 0;
          buffered.fetch_add(r - used, std::memory_order_relaxed);
          return;
        }
      }
      if (static_cast<size_t>(r) < len) return;
    }
  }

  void on_writable(const std::shared_ptr<Connection>& c) {
    auto& s = *c->state_ref();
    bool ok;
    bool resume = false;
    {
      std::lock_guard lock(s.mu);
      if (s.closed) return;
      ok = flush(s);
      if (ok && s.reading_paused && !should_pause(s)) resume = true;
    }
    if (!ok) return close_connection(s.id, "the client is gone", false);
    if (resume) resume_reading(c);
  }

  void resume_reading(const std::shared_ptr<Connection>& c) {
    auto& s = *c->state_ref();
    {
      std::lock_guard lock(s.mu);
      if (s.closed || !s.reading_paused || should_pause(s)) return;
      s.reading_paused = false;
      update_events(s);
    }
    on_readable(c);
  }

  void run_tasks() {
    uint64_t drained;
    [[maybe_unused]] ssize_t r = ::read(wake_fd, &drained, sizeof(drained));
    std::vector<std::pair<uint64_t, bool>> todo;
    {
      std::lock_guard lock(tasks_mu);
      todo.swap(tasks);
    }
    for (auto [id, close] : todo) {
      auto it = conns.find(id);
      if (it == conns.end()) continue;
      if (close) {
        close_connection(id, "closed by the broker", true);
      } else {
        resume_reading(it->second);
      }
    }
  }

  void expire_idle() {
    int64_t now = now_ms();
    std::vector<uint64_t> idle;
    for (auto& [id, c] : conns) {
      auto& s = *c->state_ref();
      if (now - s.last_activity_ms.load(std::memory_order_relaxed) < opts.max_idle_ms) continue;
      std::lock_guard lock(s.mu);
      if (s.in_flight == 0 && s.out.empty()) idle.push_back(id);
    }
    for (uint64_t id : idle) {
      closed_idle.fetch_add(1, std::memory_order_relaxed);
      close_connection(id, "idle for connections.max.idle.ms", false);
    }
  }

  void loop() {
    epoll_event events[256];
    int64_t last_idle_check = now_ms();
    int64_t idle_every = std::clamp<int64_t>(opts.max_idle_ms / 4, 10, 1000);
    while (!stopping.load(std::memory_order_acquire)) {
      int n = ::epoll_wait(epoll_fd, events, 256, static_cast<int>(idle_every));
      for (int i = 0; i < n; ++i) {
        uint64_t id = events[i].data.u64;
        if (id == listen_id) {
          accept_all();
          continue;
        }
        if (id == wake_id) {
          run_tasks();
          continue;
        }
        auto it = conns.find(id);
        if (it == conns.end()) continue;
        std::shared_ptr<Connection> c = it->second;
        uint32_t e = events[i].events;
        // Both directions shut (or an error): nothing more can be read or delivered.
        if (e & (EPOLLHUP | EPOLLERR)) {
          close_connection(id, "hung up", false);
          continue;
        }
        if (e & EPOLLOUT) on_writable(c);
        if (e & EPOLLIN) on_readable(c);
      }
      int64_t now = now_ms();
      if (now - last_idle_check >= idle_every) {
        expire_idle();
        last_idle_check = now;
      }
    }
  }
};

// Connection ------------------------------------------------------------------------------

void Connection::respond(uint64_t seq, std::vector<uint8_t> frame) {
  complete(seq, &frame);
}

void Connection::no_response(uint64_t seq) {
  complete(seq, nullptr);
}

bool Connection::closed() const {
  return state_->closing.load(std::memory_order_acquire);
}

void Connection::complete(uint64_t seq, std::vector<uint8_t>* frame) {
  State& s = *state_;
  auto* owner = s.owner;
  bool resume = false;
  bool gone = false;
  {
    std::lock_guard lock(s.mu);
    if (s.closed) return;
    --s.in_flight;
    auto push = [&](std::vector<uint8_t>&& data) {
      OutFrame f;
      uint32_t n = static_cast<uint32_t>(data.size());
      f.prefix[0] = static_cast<uint8_t>(n >> 24);
      f.prefix[1] = static_cast<uint8_t>(n >> 16);
      f.prefix[2] = static_cast<uint8_t>(n >> 8);
      f.prefix[3] = static_cast<uint8_t>(n);
      f.data = std::move(data);
      s.out_bytes += f.size();
      owner->buffered.fetch_add(static_cast<int64_t>(f.size()), std::memory_order_relaxed);
      s.out.push_back(std::move(f));
    };
    if (seq != s.next_to_send) {
      size_t n = frame ? frame->size() : 0;
      s.finished_bytes += n;
      owner->buffered.fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed);
      if (frame) {
        s.finished.emplace(seq, std::move(*frame));
      } else {
        s.finished.emplace(seq, std::nullopt);
      }
    } else {
      if (frame) push(std::move(*frame));
      ++s.next_to_send;
      for (auto it = s.finished.begin(); it != s.finished.end() && it->first == s.next_to_send;
           it = s.finished.erase(it)) {
        if (it->second) {
          size_t n = it->second->size();
          s.finished_bytes -= n;
          owner->buffered.fetch_sub(static_cast<int64_t>(n), std::memory_order_relaxed);
          push(std::move(*it->second));
        }
        ++s.next_to_send;
      }
      gone = !owner->flush(s);
    }
    if (!gone && s.reading_paused && !owner->should_pause(s)) resume = true;
    if (gone || resume) owner->post_task(s.id, gone);
  }
}

void Connection::close(const std::string& why) {
  State& s = *state_;
  if (s.closing.exchange(true)) return;
  std::lock_guard lock(s.mu);
  if (s.closed) return;
  log().debug("{}: closing the connection from {}: {}", s.owner->opts.name, peer_, why);
  s.owner->post_task(s.id, true);
}

// TcpListener -----------------------------------------------------------------------------

TcpListener::TcpListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TcpListener::~TcpListener() {
  stop();
}

result<std::unique_ptr<TcpListener>> TcpListener::start(ListenerOptions opts,
                                                        frame_handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->opts = std::move(opts);
  impl->handler = std::move(handler);
  const std::string& host = impl->opts.host;
  std::string shown = fmt::format("{}:{}", host.empty() ? "0.0.0.0" : host, impl->opts.port);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(impl->opts.port);
  int gai = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (gai != 0) {
    return make_error(errc::resolve, "cannot resolve listener host '{}': {}", host,
                      ::gai_strerror(gai));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, ::freeaddrinfo);
  int fd = -1;
  int last_errno = 0;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    int one = 1;
    // A restarted broker takes its port back at once, without waiting out TIME_WAIT.
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) break;
    last_errno = errno;
    ::close(fd);
    fd = -1;
  }
  if (fd < 0) {
    if (last_errno == EADDRINUSE) {
      return make_error(errc::conflict, "address {} is already in use", shown);
    }
    return make_error(errc::transport, "cannot listen on {}: {}", shown, std::strerror(last_errno));
  }
  impl->listen_fd = fd;
  sockaddr_storage bound{};
  socklen_t blen = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  impl->bound_port = bound.ss_family == AF_INET6
                         ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                         : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

  impl->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  impl->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->epoll_fd < 0 || impl->wake_fd < 0) {
    int e = errno;
    if (impl->epoll_fd >= 0) ::close(impl->epoll_fd);
    if (impl->wake_fd >= 0) ::close(impl->wake_fd);
    ::close(fd);
    return make_error(errc::transport, "cannot set up the listener on {}: {}", shown,
                      std::strerror(e));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = listen_id;
  ::epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  ev.data.u64 = wake_id;
  ::epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, impl->wake_fd, &ev);

  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->loop(); });
  log().info("{}: listening on {}:{}", raw->opts.name, host.empty() ? "0.0.0.0" : host,
             raw->bound_port);
  return std::unique_ptr<TcpListener>(new TcpListener(std::move(impl)));
}

int TcpListener::port() const {
  return impl_->bound_port;
}

const std::string& TcpListener::host() const {
  return impl_->opts.host;
}

void TcpListener::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(impl_->wake_fd, &one, sizeof(one));
  if (impl_->thread.joinable()) impl_->thread.join();
  std::vector<uint64_t> ids;
  for (auto& [id, c] : impl_->conns) ids.push_back(id);
  for (uint64_t id : ids) impl_->close_connection(id, "the broker is stopping", false);
  ::close(impl_->listen_fd);
  ::close(impl_->epoll_fd);
  ::close(impl_->wake_fd);
  log().info("{}: stopped listening on port {}", impl_->opts.name, impl_->bound_port);
}

ListenerStats TcpListener::stats() const {
  ListenerStats st;
  st.connections = impl_->n_connections.load(std::memory_order_relaxed);
  st.accepted = impl_->accepted.load(std::memory_order_relaxed);
  st.refused = impl_->refused.load(std::memory_order_relaxed);
  st.closed_bad_frame = impl_->closed_bad.load(std::memory_order_relaxed);
  st.closed_idle = impl_->closed_idle.load(std::memory_order_relaxed);
  st.buffered_bytes =
      static_cast<size_t>(std::max<int64_t>(impl_->buffered.load(std::memory_order_relaxed), 0));
  return st;
}

}  // namespace shoal::net
