// The TCP listener on its own: frames in, responses out in request order whatever order they
// are answered in, bad sizes closing only their connection, and bounded memory for clients
// that send slowly, sit idle, or never read.
#include "net/tcp_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include <gtest/gtest.h>

namespace shoal::net {
namespace {

using namespace std::chrono_literals;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Waits for `cond` up to `ms`; false at the deadline.
template <typename F>
bool eventually(F cond, int64_t ms = 10'000) {
  int64_t deadline = now_ms() + ms;
  while (!cond()) {
    if (now_ms() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

int dial(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0) << strerror(errno);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

std::vector<uint8_t> framed(const std::vector<uint8_t>& body) {
  uint32_t n = static_cast<uint32_t>(body.size());
  std::vector<uint8_t> out;
  out.reserve(4 + body.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(n >> shift));
  for (uint8_t b : body) out.push_back(b);
  return out;
}

void send_all(int fd, const std::vector<uint8_t>& b) {
  size_t off = 0;
  while (off < b.size()) {
    ssize_t w = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    ASSERT_GT(w, 0) << strerror(errno);
    off += static_cast<size_t>(w);
  }
}

// Reads one response frame; nullopt when the connection closed (or `ms` passed).
std::optional<std::vector<uint8_t>> read_frame(int fd, int64_t ms = 10'000) {
  auto read_n = [&](uint8_t* p, size_t n) {
    size_t got = 0;
    int64_t deadline = now_ms() + ms;
    while (got < n) {
      pollfd pf{fd, POLLIN, 0};
      int left = static_cast<int>(std::max<int64_t>(deadline - now_ms(), 0));
      if (::poll(&pf, 1, left) <= 0) return false;
      ssize_t r = ::recv(fd, p + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  };
  uint8_t h[4];
  if (!read_n(h, 4)) return std::nullopt;
  uint32_t n = (uint32_t{h[0]} << 24) | (uint32_t{h[1]} << 16) | (uint32_t{h[2]} << 8) | h[3];
  std::vector<uint8_t> body(n);
  if (n > 0 && !read_n(body.data(), n)) return std::nullopt;
  return body;
}

bool closed_by_peer(int fd, int64_t ms = 10'000) {
  int64_t deadline = now_ms() + ms;
  uint8_t b[4096];
  while (now_ms() < deadline) {
    pollfd pf{fd, POLLIN, 0};
    if (::poll(&pf, 1, 50) <= 0) continue;
    ssize_t r = ::recv(fd, b, sizeof(b), 0);
    if (r == 0 || (r < 0 && errno == ECONNRESET)) return true;
  }
  return false;
}

// Answers each frame with the frame itself, from a worker thread after a random delay, so
// responses are ready out of order. A frame starting with 'X' asks for no response, 'C'
// for the connection to be closed, 'B' for a response of 1 MiB.
class EchoServer {
 public:
  explicit EchoServer(ListenerOptions opts = {}) {
    auto l = TcpListener::start(
        opts, [this](const std::shared_ptr<Connection>& c, uint64_t seq, frame_bytes frame) {
          frames.fetch_add(1);
          std::lock_guard lock(mu_);
          work_.push_back({c, seq, std::move(frame)});
          cv_.notify_one();
        });
    EXPECT_TRUE(l) << l.err().to_string();
    listener = std::move(*l);
    for (int i = 0; i < 4; ++i) workers_.emplace_back([this, i] { work(i); });
  }
  ~EchoServer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    for (auto& t : workers_) t.join();
    listener->stop();
  }
  std::unique_ptr<TcpListener> listener;
  std::atomic<uint64_t> frames{0};
  std::atomic<bool> hold{false};  // while set, nothing is answered

 private:
  struct item {
    std::shared_ptr<Connection> c;
    uint64_t seq;
    frame_bytes frame;
  };
  void work(int i) {
    std::mt19937 rng(static_cast<unsigned>(i));
    for (;;) {
      item it;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || (!work_.empty() && !hold.load()); });
        if (stop_) return;
        it = std::move(work_.front());
        work_.pop_front();
      }
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
      if (!it.frame.empty() && it.frame[0] == 'X') {
        it.c->no_response(it.seq);
      } else if (!it.frame.empty() && it.frame[0] == 'C') {
        it.c->close("asked to");
      } else if (!it.frame.empty() && it.frame[0] == 'B') {
        it.c->respond(it.seq, std::vector<uint8_t>(1 << 20, 'b'));
      } else {
        it.c->respond(it.seq, std::vector<uint8_t>(it.frame.begin(), it.frame.end()));
      }
    }
  }

 public:
  void release() {
    hold.store(false);
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<item> work_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

std::vector<uint8_t> numbered(int i) {
  std::string s = "req-" + std::to_string(i);
  return {s.begin(), s.end()};
}

TEST(TcpListener, PipelinedResponsesComeBackInRequestOrder) {
  EchoServer server;
  int fd = dial(server.listener->port());
  std::vector<uint8_t> all;
  for (int i = 0; i < 500; ++i) {
    auto f = framed(numbered(i));
    all.insert(all.end(), f.begin(), f.end());
  }
  send_all(fd, all);  // one write: many frames per read on the listener's side
  for (int i = 0; i < 500; ++i) {
    auto r = read_frame(fd);
    ASSERT_TRUE(r) << "response " << i;
    ASSERT_EQ(*r, numbered(i));
  }
  ::close(fd);
}

TEST(TcpListener, RequestsWithoutResponsesAreSkippedInOrder) {
  EchoServer server;
  int fd = dial(server.listener->port());
  for (int i = 0; i < 50; ++i) {
    auto b = numbered(i);
    if (i % 3 == 0) b[0] = 'X';  // no response to this one
    send_all(fd, framed(b));
  }
  for (int i = 0; i < 50; ++i) {
    if (i % 3 == 0) continue;
    auto r = read_frame(fd);
    ASSERT_TRUE(r);
    ASSERT_EQ(*r, numbered(i));
  }
  ::close(fd);
}

TEST(TcpListener, AFrameSentOneByteAtATimeIsServed) {
  EchoServer server;
  int fd = dial(server.listener->port());
  auto f = framed(numbered(7));
  for (uint8_t b : f) {
    send_all(fd, {b});
    std::this_thread::sleep_for(1ms);
  }
  auto r = read_frame(fd);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, numbered(7));
  ::close(fd);
}

TEST(TcpListener, LargeFramesInPiecesArriveWholeBetweenSmallOnes) {
  EchoServer server;
  int fd = dial(server.listener->port());
  std::mt19937 rng(7);
  std::vector<std::vector<uint8_t>> sent;
  std::vector<uint8_t> stream;
  for (int i = 0; i < 6; ++i) {
    size_t n = i % 2 == 0 ? 10 + rng() % 100 : (3u << 20) + rng() % 100'000;
    std::vector<uint8_t> body(n);
    for (auto& b : body) b = static_cast<uint8_t>(rng());
    body[0] = 'r';  // not one of the echo's commands
    auto f = framed(body);
    stream.insert(stream.end(), f.begin(), f.end());
    sent.push_back(std::move(body));
  }
  // Uneven pieces, so sizes and frames straddle the reads.
  std::thread writer([&] {
    size_t off = 0;
    while (off < stream.size()) {
      size_t n = std::min<size_t>(1 + rng() % 200'000, stream.size() - off);
      send_all(fd, {stream.begin() + off, stream.begin() + off + n});
      off += n;
    }
  });
  for (const auto& body : sent) {
    auto r = read_frame(fd, 30'000);
    ASSERT_TRUE(r);
    ASSERT_EQ(*r, body);
  }
  writer.join();
  ::close(fd);
}

TEST(TcpListener, OversizedOrNegativeSizesCloseOnlyThatConnectionBeforeAllocating) {
  ListenerOptions o;
  o.max_request_bytes = 1024;
  EchoServer server(o);
  int good = dial(server.listener->port());
  for (uint32_t size : {1025u, 0x7fffffffu, 0x80000000u, 0xffffffffu}) {
    int bad = dial(server.listener->port());
    uint8_t h[4] = {static_cast<uint8_t>(size >> 24), static_cast<uint8_t>(size >> 16),
                    static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size)};
    send_all(bad, {h, h + 4});
    EXPECT_TRUE(closed_by_peer(bad)) << "size " << size;
    ::close(bad);
    // Nothing was buffered for the declared size.
    EXPECT_LT(server.listener->stats().buffered_bytes, 1024u);
  }
  EXPECT_EQ(server.frames.load(), 0u);
  EXPECT_EQ(server.listener->stats().closed_bad_frame, 4u);
  send_all(good, framed(numbered(1)));
  auto r = read_frame(good);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, numbered(1));
  // At the limit is still allowed.
  std::vector<uint8_t> max(1024, 'm');
  send_all(good, framed(max));
  r = read_frame(good);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 1024u);
  ::close(good);
}

TEST(TcpListener, CloseFromTheHandlerDropsTheConnectionAndLaterFrames) {
  EchoServer server;
  int fd = dial(server.listener->port());
  auto c = numbered(0);
  c[0] = 'C';
  send_all(fd, framed(c));
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);
  EXPECT_TRUE(eventually([&] { return server.listener->stats().connections == 0; }));
}

TEST(TcpListener, IdleConnectionsAreClosedAfterTheirTimeout) {
  ListenerOptions o;
  o.max_idle_ms = 200;
  EchoServer server(o);
  int idle = dial(server.listener->port());
  int64_t start = now_ms();
  EXPECT_TRUE(closed_by_peer(idle, 5'000));
  EXPECT_GE(now_ms() - start, 150);
  EXPECT_EQ(server.listener->stats().closed_idle, 1u);
  ::close(idle);
}

TEST(TcpListener, ConnectionsPastMaxConnectionsAreRefused) {
  ListenerOptions o;
  o.max_connections = 2;
  EchoServer server(o);
  int a = dial(server.listener->port());
  int b = dial(server.listener->port());
  ASSERT_TRUE(eventually([&] { return server.listener->stats().connections == 2; }));
  int c = dial(server.listener->port());
  EXPECT_TRUE(closed_by_peer(c));
  EXPECT_EQ(server.listener->stats().refused, 1u);
  send_all(a, framed(numbered(1)));
  EXPECT_TRUE(read_frame(a));
  ::close(c);
  ::close(b);
  ::close(a);
}

TEST(TcpListener, AThousandIdleConnectionsDoNotSlowAnActiveOne) {
  // Both ends live in this process: 2,000 descriptors, past a default soft limit of 1,024.
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < 4096) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 4096);
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  ASSERT_GE(lim.rlim_cur, 2100u) << "the hard limit on open files is too low for this test";
  EchoServer server;
  std::vector<int> idle;
  for (int i = 0; i < 1000; ++i) idle.push_back(dial(server.listener->port()));
  ASSERT_TRUE(eventually([&] { return server.listener->stats().connections == 1000; }));
  int fd = dial(server.listener->port());
  int64_t start = now_ms();
  for (int i = 0; i < 200; ++i) {
    send_all(fd, framed(numbered(i)));
    auto r = read_frame(fd);
    ASSERT_TRUE(r);
    ASSERT_EQ(*r, numbered(i));
  }
  // 200 round trips, each with up to 2 ms of the echo's own delay: generous on a loaded box.
  EXPECT_LT(now_ms() - start, 5'000);
  ::close(fd);
  for (int i : idle) ::close(i);
}

TEST(TcpListener, AClientThatNeverReadsHoldsBoundedMemoryAndDoesNotStallOthers) {
  ListenerOptions o;
  o.max_pending_output_bytes = 4 << 20;
  o.max_in_flight = 16;
  EchoServer server(o);
  int hog = dial(server.listener->port());
  int small = 4096;
  ::setsockopt(hog, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  // Requests for 1 MiB responses, far more than it will ever read; sent from a thread, since
  // the listener stops reading them and the socket's send buffer fills.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    auto f = framed({'B'});
    for (int i = 0; i < 10'000 && !stop.load(); ++i) {
      pollfd pf{hog, POLLOUT, 0};
      while (!stop.load() && ::poll(&pf, 1, 20) == 0) {
      }
      if (stop.load()) break;
      if (::send(hog, f.data(), f.size(), MSG_NOSIGNAL | MSG_DONTWAIT) <= 0) continue;
    }
  });
  // The listener buffers at most its limit plus the responses in flight (16 MiB), never the
  // 10 GB asked for.
  ASSERT_TRUE(eventually([&] { return server.listener->stats().buffered_bytes >= (4u << 20); }));
  std::this_thread::sleep_for(300ms);
  EXPECT_LE(server.listener->stats().buffered_bytes, (4u << 20) + (17u << 20));
  EXPECT_LT(server.frames.load(), 200u);
  int fd = dial(server.listener->port());
  for (int i = 0; i < 50; ++i) {
    send_all(fd, framed(numbered(i)));
    auto r = read_frame(fd);
    ASSERT_TRUE(r);
    ASSERT_EQ(*r, numbered(i));
  }
  stop.store(true);
  writer.join();
  ::close(fd);
  ::close(hog);
  EXPECT_TRUE(eventually([&] { return server.listener->stats().buffered_bytes == 0; }));
}

// Resident memory of this process, from /proc/self/status.
size_t resident_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

TEST(TcpListener, DeclaredSizesThatNeverArriveHoldNoMemory) {
  // 200 clients each declare a 50 MiB request and send 10 bytes of it. Their buffers are
  // allocated for at most 2 MiB each and never written past what arrived, so the process
  // grows by far less than 200 x 2 MiB, let alone 200 x 50 MiB.
  ListenerOptions o;
  o.max_request_bytes = 64 << 20;
  EchoServer server(o);
  size_t before = resident_bytes();
  std::vector<int> stalled;
  for (int i = 0; i < 200; ++i) {
    int fd = dial(server.listener->port());
    uint32_t size = 50u << 20;
    std::vector<uint8_t> start = {static_cast<uint8_t>(size >> 24),
                                  static_cast<uint8_t>(size >> 16), static_cast<uint8_t>(size >> 8),
                                  static_cast<uint8_t>(size)};
    start.resize(14, 'p');
    send_all(fd, start);
    stalled.push_back(fd);
  }
  ASSERT_TRUE(eventually([&] { return server.listener->stats().buffered_bytes == 2000u; }));
  size_t grown = resident_bytes() - std::min(before, resident_bytes());
  // ASan's shadow of each buffer counts too (an eighth of it): still well under the bound.
  EXPECT_LT(grown, 128u << 20) << "resident memory grew by " << (grown >> 20) << " MiB";
  int fd = dial(server.listener->port());
  send_all(fd, framed(numbered(7)));
  auto r = read_frame(fd);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, numbered(7));
  ::close(fd);
  for (int s : stalled) ::close(s);
  EXPECT_TRUE(eventually([&] { return server.listener->stats().buffered_bytes == 0; }));
}

TEST(TcpListener, APortInUseIsAConflictNamingTheAddress) {
  EchoServer first;
  ListenerOptions o;
  o.port = first.listener->port();
  auto second = TcpListener::start(o, [](auto&&...) {});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.err().code, errc::conflict);
  EXPECT_NE(second.err().message.find(std::to_string(o.port)), std::string::npos);
}

TEST(TcpListener, ResponsesAfterTheConnectionClosedAreDropped) {
  EchoServer server;
  server.hold.store(true);
  int fd = dial(server.listener->port());
  for (int i = 0; i < 20; ++i) send_all(fd, framed(numbered(i)));
  ASSERT_TRUE(eventually([&] { return server.frames.load() == 20; }));
  ::close(fd);
  ASSERT_TRUE(eventually([&] { return server.listener->stats().connections == 0; }));
  server.release();  // answers to a connection that is gone: dropped, nothing buffered
  EXPECT_TRUE(eventually([&] { return server.listener->stats().buffered_bytes == 0; }));
}

}  // namespace
}  // namespace shoal::net
