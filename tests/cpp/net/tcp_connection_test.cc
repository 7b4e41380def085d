// The client's TCP connection on its own, against the broker's listener (or a raw socket where
// the server must misbehave): responses reach their own requests when pipelined, large ones
// arrive whole, timeouts fail only their request, and a server that goes away fails what is
// pending at once, never leaving a caller waiting.
#include "net/tcp_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "net/tcp_listener.h"

namespace shoal::net {
namespace {

using namespace std::chrono_literals;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <typename F>
bool eventually(F cond, int64_t ms = 10'000) {
  int64_t deadline = now_ms() + ms;
  while (!cond()) {
    if (now_ms() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// A request frame as the cluster client writes it: api key, version, correlation id, then
// `body` (the header's client id is not needed here).
std::vector<uint8_t> request(int32_t corr, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> f = {0, 3, 0, 12};
  for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<uint8_t>(corr >> shift));
  f.insert(f.end(), body.begin(), body.end());
  return f;
}

// The response an echo server gives: the correlation id, then the request's body.
std::vector<uint8_t> echo(const frame_bytes& req) {
  return std::vector<uint8_t>(req.begin() + 4, req.end());
}

std::vector<uint8_t> bytes_of(std::span<const uint8_t> s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// Waits for the outcome of one send.
struct Outcome {
  std::promise<result<std::vector<uint8_t>>> p;
  std::future<result<std::vector<uint8_t>>> f = p.get_future();
  Transport::callback cb() {
    return [this](result<std::span<const uint8_t>> r) {
      if (r) {
        p.set_value(bytes_of(*r));
      } else {
        p.set_value(std::move(r).err());
      }
    };
  }
  result<std::vector<uint8_t>> get(int64_t ms = 10'000) {
    if (f.wait_for(std::chrono::milliseconds(ms)) != std::future_status::ready) {
      return make_error(errc::fail, "no outcome within {} ms", ms);
    }
    return f.get();
  }
};

std::unique_ptr<TcpListener> listen(frame_handler h) {
  auto l = TcpListener::start(ListenerOptions{}, std::move(h));
  EXPECT_TRUE(l) << l.err().message;
  return std::move(l).value();
}

std::shared_ptr<TcpConnection> dial(int port, TcpConnectionOptions opts = {}) {
  auto c = TcpConnection::open("127.0.0.1", port, 7, opts);
  EXPECT_TRUE(c) << c.err().message;
  return std::move(c).value();
}

TEST(TcpConnection, PipelinedRequestsAnsweredOutOfOrderReachTheirOwnCallbacks) {
  // The handler answers from other threads in a random order; the listener puts the answers
  // back in request order, and each must reach the callback of its own request.
  std::mutex mu;
  std::vector<std::thread> answering;
  std::mt19937 rng(7);
  auto l = listen([&](const std::shared_ptr<Connection>& c, uint64_t seq, frame_bytes f) {
    std::lock_guard lock(mu);
    int delay = static_cast<int>(rng() % 5);
    answering.emplace_back([c, seq, f = std::move(f), delay] {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      c->respond(seq, echo(f));
    });
  });
  auto conn = dial(l->port());
  constexpr int n = 300;
  std::vector<Outcome> outcomes(n);
  for (int i = 0; i < n; ++i) {
    std::vector<uint8_t> body(static_cast<size_t>(i % 50), static_cast<uint8_t>(i));
    ASSERT_TRUE(conn->send(request(1000 + i, body), 10'000, outcomes[i].cb()));
  }
  for (int i = 0; i < n; ++i) {
    auto r = outcomes[i].get();
    ASSERT_TRUE(r) << r.err().message;
    std::vector<uint8_t> want = {0, 0, static_cast<uint8_t>((1000 + i) >> 8),
                                 static_cast<uint8_t>(1000 + i)};
    want.insert(want.end(), static_cast<size_t>(i % 50), static_cast<uint8_t>(i));
    EXPECT_EQ(*r, want) << "request " << i;
  }
  conn->close();
  std::lock_guard lock(mu);
  for (auto& t : answering) t.join();
}

TEST(TcpConnection, LargeRequestsAndResponsesArriveWhole) {
  auto l = listen([](const std::shared_ptr<Connection>& c, uint64_t seq, frame_bytes f) {
    c->respond(seq, echo(f));
  });
  auto conn = dial(l->port());
  for (size_t size : {size_t{1}, size_t{300'000}, size_t{8'000'000}, size_t{10}}) {
    std::vector<uint8_t> body(size);
    for (size_t i = 0; i < size; ++i) body[i] = static_cast<uint8_t>(i * 31 + size);
    Outcome o;
    ASSERT_TRUE(conn->send(request(5, body), 30'000, o.cb()));
    auto r = o.get(30'000);
    ASSERT_TRUE(r) << r.err().message;
    ASSERT_EQ(r->size(), 4 + size);
    EXPECT_TRUE(std::equal(body.begin(), body.end(), r->begin() + 4));
  }
}

TEST(TcpConnection, ATimedOutRequestFailsAloneAndItsLateAnswerIsDropped) {
  std::mutex mu;
  std::vector<std::pair<std::shared_ptr<Connection>, std::pair<uint64_t, frame_bytes>>> held;
  auto l = listen([&](const std::shared_ptr<Connection>& c, uint64_t seq, frame_bytes f) {
    std::lock_guard lock(mu);
    held.push_back({c, {seq, std::move(f)}});
  });
  auto conn = dial(l->port());
  Outcome slow;
  int64_t start = now_ms();
  ASSERT_TRUE(conn->send(request(1, {1}), 200, slow.cb()));
  auto r = slow.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::timed_out);
  EXPECT_LT(now_ms() - start, 2'000);
  EXPECT_FALSE(conn->broken());
  // The late answer, then a new request's: only the new one's callback runs, with its own.
  Outcome next;
  ASSERT_TRUE(conn->send(request(2, {2}), 10'000, next.cb()));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return held.size() == 2;
  }));
  {
    std::lock_guard lock(mu);
    for (auto& [c, req] : held) c->respond(req.first, echo(req.second));
  }
  auto n = next.get();
  ASSERT_TRUE(n) << n.err().message;
  EXPECT_EQ(*n, (std::vector<uint8_t>{0, 0, 0, 2, 2}));
}

TEST(TcpConnection, AServerThatClosesFailsEveryPendingRequestAtOnce) {
  std::atomic<int> seen{0};
  std::shared_ptr<Connection> server_side;
  std::mutex mu;
  auto l = listen([&](const std::shared_ptr<Connection>& c, uint64_t, frame_bytes) {
    std::lock_guard lock(mu);
    server_side = c;
    ++seen;
  });
  auto conn = dial(l->port());
  std::vector<Outcome> pending(5);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(conn->send(request(i, {}), 60'000, pending[i].cb()));
  ASSERT_TRUE(eventually([&] { return seen.load() >= 1; }));
  int64_t start = now_ms();
  {
    std::lock_guard lock(mu);
    server_side->close("test");
  }
  for (auto& p : pending) {
    auto r = p.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::transport) << r.err().message;
  }
  EXPECT_LT(now_ms() - start, 2'000);
  EXPECT_TRUE(conn->broken());
  auto st = conn->send(request(9, {}), 1'000, [](result<std::span<const uint8_t>>) {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.code(), errc::transport);
}

TEST(TcpConnection, MarkBrokenFailsPendingRequestsAndLaterSends) {
  auto l = listen([](const std::shared_ptr<Connection>&, uint64_t, frame_bytes) {});
  auto conn = dial(l->port());
  Outcome o;
  ASSERT_TRUE(conn->send(request(1, {}), 60'000, o.cb()));
  conn->mark_broken("the controller fenced it");
  auto r = o.get(2'000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::transport);
  EXPECT_NE(r.err().message.find("fenced"), std::string::npos) << r.err().message;
  EXPECT_FALSE(conn->send(request(2, {}), 1'000, o.cb()));
}

TEST(TcpConnection, RequestsWithoutACallbackLeaveNothingPending) {
  auto l = listen([](const std::shared_ptr<Connection>& c, uint64_t seq, frame_bytes f) {
    if (f.size() > 8 && f[8] == 0) return c->no_response(seq);  // "acks=0"
    c->respond(seq, echo(f));
  });
  auto conn = dial(l->port());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(conn->send(request(i, {0}), 1'000, nullptr));
  Outcome o;
  ASSERT_TRUE(conn->send(request(500, {1}), 10'000, o.cb()));
  auto r = o.get();
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(*r, (std::vector<uint8_t>{0, 0, 1, 0xf4, 1}));
}

TEST(TcpConnection, OversizedAndHeaderlessRequestsAreRefusedBeforeSending) {
  auto l = listen([](const std::shared_ptr<Connection>& c, uint64_t seq, frame_bytes f) {
    c->respond(seq, echo(f));
  });
  TcpConnectionOptions opts;
  opts.max_request_bytes = 1000;
  auto conn = dial(l->port(), opts);
  auto big = conn->send(request(1, std::vector<uint8_t>(1000)), 1'000, nullptr);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.code(), errc::message_too_large);
  auto tiny = conn->send(std::vector<uint8_t>{1, 2, 3}, 1'000, nullptr);
  ASSERT_FALSE(tiny);
  EXPECT_EQ(tiny.code(), errc::invalid_arg);
  Outcome o;  // the stream is intact
  ASSERT_TRUE(conn->send(request(2, {7}), 10'000, o.cb()));
  ASSERT_TRUE(o.get());
}

TEST(TcpConnection, ClosingOrDroppingItFromItsOwnCallbackIsSafe) {
  auto l = listen([](const std::shared_ptr<Connection>& c, uint64_t seq, frame_bytes f) {
    c->respond(seq, echo(f));
  });
  for (int round = 0; round < 20; ++round) {
    auto conn = dial(l->port());
    std::promise<void> done;
    auto holder = std::make_shared<std::shared_ptr<TcpConnection>>(conn);
    ASSERT_TRUE(conn->send(request(1, {}), 10'000, [holder, &done, round](auto) {
      if (round % 2 == 0) (*holder)->close();
      holder->reset();  // the last reference goes on the receiver thread
      done.set_value();
    }));
    conn.reset();
    ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  }
}

TEST(TcpConnection, ARefusedConnectionNamesTheAddress) {
  int port;
  {
    auto l = listen([](const std::shared_ptr<Connection>&, uint64_t, frame_bytes) {});
    port = l->port();
  }
  auto c = TcpConnection::open("127.0.0.1", port, 3);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.code(), errc::transport);
  EXPECT_NE(c.err().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << c.err().message;
  auto unknown = TcpConnection::open("no-such-host.invalid", 9092, -2);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.code(), errc::transport);
}

TEST(TcpConnection, AnImpossibleResponseSizeBreaksTheConnection) {
  // A raw server that answers with a size no response can have.
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(lfd, 1), 0);
  socklen_t len = sizeof(a);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  std::thread server([lfd] {
    int fd = ::accept(lfd, nullptr, nullptr);
    uint8_t buf[64];
    [[maybe_unused]] auto r = ::recv(fd, buf, sizeof(buf), 0);
    const uint8_t bad[8] = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1};
    [[maybe_unused]] auto w = ::send(fd, bad, sizeof(bad), MSG_NOSIGNAL);
    std::this_thread::sleep_for(500ms);
    ::close(fd);
  });
  TcpConnectionOptions opts;
  opts.max_response_bytes = 1 << 20;
  auto conn = dial(ntohs(a.sin_port), opts);
  Outcome o;
  ASSERT_TRUE(conn->send(request(1, {}), 10'000, o.cb()));
  auto r = o.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::transport);
  EXPECT_TRUE(conn->broken());
  server.join();
  ::close(lfd);
}

}  // namespace
}  // namespace shoal::net
