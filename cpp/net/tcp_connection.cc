#include "net/tcp_connection.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/clock.h"
#include "common/logger.h"

namespace shoal::net {

namespace {

spdlog::logger& log() {
  return logger("net");
}

constexpr size_t read_chunk = 256 * 1024;
// A buffer grown for a large response is let go once it is empty again.
constexpr size_t kept_buffer = 4 * 1024 * 1024;

int32_t be32(const uint8_t* p) {
  return static_cast<int32_t>((uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
                              (uint32_t{p[2]} << 8) | uint32_t{p[3]});
}

// Connects one resolved address within deadline; the socket (non-blocking) or -1 and why.
int connect_one(const addrinfo* ai, int64_t deadline, std::string* why) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    *why = std::strerror(errno);
    return -1;
  }
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
    *why = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  for (;;) {
    int64_t left = deadline - monotonic_ms();
    if (left <= 0) {
      *why = "timed out";
      ::close(fd);
      return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      *why = std::strerror(errno);
      ::close(fd);
      return -1;
    }
    if (r == 0) continue;
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      *why = std::strerror(err);
      ::close(fd);
      return -1;
    }
    int one = 1;
    // Requests are whole frames written at once: Nagle would only delay them.
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
  }
}

}  // namespace

result<std::shared_ptr<TcpConnection>> TcpConnection::open(const std::string& host, int32_t port,
                                                           int32_t broker_id,
                                                           TcpConnectionOptions opts) {
  const std::string address = host + ":" + std::to_string(port);
  auto what = [&] {
    return broker_id >= 0 ? fmt::format("broker {} at {}", broker_id, address)
                          : fmt::format("bootstrap server {}", address);
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  int gai = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (gai != 0) {
    return make_error(errc::transport, "{}: cannot resolve {}: {}", what(), host,
                      ::gai_strerror(gai));
  }
  const int64_t deadline = monotonic_ms() + opts.connect_timeout_ms;
  int fd = -1;
  std::string why = "no address";
  for (const addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = connect_one(ai, deadline, &why);
  }
  ::freeaddrinfo(found);
  if (fd < 0) return make_error(errc::transport, "{}: connect failed: {}", what(), why);
  int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    ::close(fd);
    return make_error(errc::transport, "{}: eventfd: {}", what(), std::strerror(errno));
  }
  auto conn = std::shared_ptr<TcpConnection>(new TcpConnection());
  conn->host_ = host;
  conn->port_ = port;
  conn->broker_id_ = broker_id;
  conn->opts_ = std::move(opts);
  conn->fd_ = fd;
  conn->wake_fd_ = wake;
  // The thread holds the connection only while it works on it, so dropping the last
  // reference elsewhere still destroys it (the destructor then joins the thread).
  conn->receiver_ = std::thread([weak = std::weak_ptr<TcpConnection>(conn)] {
    for (;;) {
      auto self = weak.lock();
      if (!self || self->closing_.load(std::memory_order_acquire) || self->broken()) {
        if (self)
          self->fail_all(errc::transport,
                         "connection to " + self->address() + ": " + self->broken_reason());
        return;
      }
      self->receive_loop();
    }
  });
  log().debug("connected to {}", what());
  return conn;
}

TcpConnection::~TcpConnection() {
  close();
  if (receiver_.joinable()) {
    // The receiver itself may drop the last reference (from a response's callback).
    if (receiver_.get_id() == std::this_thread::get_id()) {
      receiver_.detach();
    } else {
      receiver_.join();
    }
  }
  if (fd_ >= 0) ::close(fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

std::string TcpConnection::broken_reason() const {
  std::lock_guard lock(reason_mu_);
  return broken_reason_;
}

void TcpConnection::set_broken(const std::string& why) {
  std::lock_guard lock(reason_mu_);
  if (!broken_.exchange(true, std::memory_order_acq_rel)) broken_reason_ = why;
}

void TcpConnection::mark_broken(const std::string& why) {
  set_broken(why);
  // The receiver sees the end of the stream at once and fails what is pending.
  ::shutdown(fd_, SHUT_RDWR);
  uint64_t one = 1;
  [[maybe_unused]] auto w = ::write(wake_fd_, &one, sizeof(one));
}

void TcpConnection::close() {
  if (closing_.exchange(true)) return;
  set_broken("the connection was closed");
  ::shutdown(fd_, SHUT_RDWR);
  uint64_t one = 1;
  [[maybe_unused]] auto w = ::write(wake_fd_, &one, sizeof(one));
  if (receiver_.joinable() && receiver_.get_id() != std::this_thread::get_id()) {
    receiver_.join();
  }
  fail_all(errc::destroy, "the connection was closed");
}

void TcpConnection::fail_all(errc code, const std::string& why) {
  std::map<int32_t, pending_request> failed;
  {
    std::lock_guard lock(pending_mu_);
    failed.swap(pending_);
  }
  for (auto& [_, p] : failed) p.cb(make_error(code, "{}", why));
}

status TcpConnection::send(std::span<const uint8_t> frame, int64_t timeout_ms, callback cb) {
  if (broken()) {
    return make_error(errc::transport, "connection to {} is broken: {}", address(),
                      broken_reason());
  }
  if (frame.size() > opts_.max_request_bytes) {
    return make_error(errc::message_too_large,
                      "request of {} bytes exceeds the {} bytes a request to {} can carry",
                      frame.size(), opts_.max_request_bytes, address());
  }
  if (frame.size() < 8) {
    return make_error(errc::invalid_arg, "a request frame of {} bytes has no header", frame.size());
  }
  // Kafka's request header: api key (2), api version (2), correlation id (4).
  const int32_t corr = be32(frame.data() + 4);
  const int64_t deadline = monotonic_ms() + timeout_ms;
  std::lock_guard lock(send_mu_);
  const bool registered = static_cast<bool>(cb);
  if (cb) {
    // Registered first: the answer can arrive before the write returns.
    std::lock_guard plock(pending_mu_);
    pending_[corr] = pending_request{deadline, std::move(cb)};
  }
  // Takes back a registered request after a failed write, unless the receiver already
  // failed it: then its callback has the error, and send() must not report it twice.
  auto unregister = [&](error e) -> status {
    if (!registered) return e;
    std::lock_guard plock(pending_mu_);
    if (pending_.erase(corr) == 1) return e;
    return {};
  };
  // Broken after the check above: the receiver may have failed everything already.
  if (broken()) {
    return unregister(
        make_error(errc::transport, "connection to {} is broken: {}", address(), broken_reason()));
  }
  const uint32_t n = static_cast<uint32_t>(frame.size());
  uint8_t size[4] = {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                     static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  size_t total = 4 + frame.size();
  size_t sent = 0;
  while (sent < total) {
    iovec iov[2];
    int cnt = 0;
    if (sent < 4) iov[cnt++] = {size + sent, 4 - sent};
    size_t off = sent < 4 ? 0 : sent - 4;
    iov[cnt++] = {const_cast<uint8_t*>(frame.data()) + off, frame.size() - off};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(cnt);
    ssize_t w = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      sent += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int64_t left = deadline - monotonic_ms();
      if (left <= 0) {
        if (sent == 0) {
          return unregister(make_error(errc::queue_full,
                                       "{} did not take the request within {} ms (its socket "
                                       "buffer stayed full)",
                                       address(), timeout_ms));
        }
        // Half a frame is on the wire: the stream cannot carry another.
        mark_broken("a request could not be written within its timeout");
        return unregister(make_error(errc::timed_out,
                                     "{}: a request could not be written within {} ms", address(),
                                     timeout_ms));
      }
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 100)));
      if (broken()) break;
      continue;
    }
    mark_broken(w < 0 ? fmt::format("write failed: {}", std::strerror(errno))
                      : std::string("write failed"));
    break;
  }
  if (sent < total) {
    return unregister(
        make_error(errc::transport, "connection to {} is broken: {}", address(), broken_reason()));
  }
  return {};
}

void TcpConnection::expire(int64_t now) {
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
    cb(make_error(errc::timed_out, "{} did not answer within the request timeout", address()));
  }
}

bool TcpConnection::dispatch() {
  while (in_end_ - in_start_ >= 4) {
    const uint8_t* p = in_.data() + in_start_;
    int32_t size = be32(p);
    if (size < 4 || static_cast<size_t>(size) > opts_.max_response_bytes) {
      set_broken(fmt::format("the broker sent a response of {} bytes", size));
      return false;
    }
    if (in_end_ - in_start_ < 4 + static_cast<size_t>(size)) return true;
    std::span<const uint8_t> frame(p + 4, static_cast<size_t>(size));
    const int32_t corr = be32(frame.data());
    callback cb;
    {
      std::lock_guard lock(pending_mu_);
      auto it = pending_.find(corr);
      if (it != pending_.end()) {
        cb = std::move(it->second.cb);
        pending_.erase(it);
      }
    }
    // No pending request: it timed out and its late answer is dropped.
    if (cb) cb(frame);
    in_start_ += 4 + static_cast<size_t>(size);
  }
  return true;
}

void TcpConnection::receive_loop() {
  // One wait, its reads and their dispatch; the thread calls again while the connection
  // lives. The wait ends by the nearest request deadline (checked every 100 ms at most).
  int64_t now = monotonic_ms();
  int64_t wait_ms = 1000;
  {
    std::lock_guard lock(pending_mu_);
    for (const auto& [_, p] : pending_) wait_ms = std::min(wait_ms, p.deadline_ms - now);
    if (!pending_.empty()) wait_ms = std::clamp<int64_t>(wait_ms, 0, 100);
  }
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  int r = ::poll(fds, 2, static_cast<int>(wait_ms));
  if (r < 0 && errno != EINTR) {
    set_broken(fmt::format("poll failed: {}", std::strerror(errno)));
    return;
  }
  expire(monotonic_ms());
  if (r <= 0 || (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) return;
  for (;;) {
    // Room at the end for the rest of the frame being read, at least a chunk: a large
    // response is read straight into place.
    size_t held = in_end_ - in_start_;
    size_t need = read_chunk;
    if (held >= 4) {
      int32_t size = be32(in_.data() + in_start_);
      if (size > 0 && static_cast<size_t>(size) + 4 > held) {
        need = std::max(need, static_cast<size_t>(size) + 4 - held);
      }
    }
    if (in_start_ > 0 && in_.size() - in_end_ < need) {  // unread bytes to the front
      std::memmove(in_.data(), in_.data() + in_start_, held);
      in_start_ = 0;
      in_end_ = held;
    }
    if (in_.size() - in_end_ < need) in_.resize(in_end_ + need);
    ssize_t got = ::recv(fd_, in_.data() + in_end_, in_.size() - in_end_, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      set_broken(fmt::format("read failed: {}", std::strerror(errno)));
      return;
    }
    if (got == 0) {
      set_broken(closing_.load() ? std::string("the connection was closed")
                                 : std::string("the broker closed the connection"));
      return;
    }
    in_end_ += static_cast<size_t>(got);
    if (!dispatch()) return;
    if (in_start_ == in_end_) {
      in_start_ = in_end_ = 0;
      if (in_.size() > kept_buffer) in_ = {};  // a large response's buffer is let go
    }
  }
}

}  // namespace shoal::net
