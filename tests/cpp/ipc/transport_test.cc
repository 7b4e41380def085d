// The shared-memory transport end to end: a Server loop and Connections, in threads of this
// process or in forked processes that get SIGKILLed and SIGSTOPped.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "ipc/connection.h"
#include "ipc/process.h"
#include "ipc/server.h"

namespace shoal::ipc {
namespace {

using namespace std::chrono_literals;

// The pid alone is not unique enough: pids wrap (pid_max is often 32768), and a region left in
// /dev/shm by a killed server of an earlier run with the same pid would pass for this run's.
std::string unique_cluster() {
  static const uint32_t nonce = std::random_device{}();
  static std::atomic<int> n{0};
  return "t" + std::to_string(::getpid()) + "r" + std::to_string(nonce) + "x" +
         std::to_string(n.fetch_add(1));
}

bytes_view view(const std::string& s) {
  return bytes_view(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// A server running an echo loop on a thread of this process.
struct EchoServer {
  std::unique_ptr<Server> server;
  std::thread loop;
  std::atomic<int> handled{0};
  explicit EchoServer(ServerOptions o) {
    auto s = Server::create(o);
    EXPECT_TRUE(s) << s.err().to_string();
    server = std::move(s).value();
    loop = std::thread([this] {
      server->run(
          [this](const std::shared_ptr<ServerSession>& session, uint64_t corr, bytes_view p) {
            handled.fetch_add(1);
            session->respond(corr, p);
          },
          [] {});
    });
  }
  ~EchoServer() {
    server->stop();
    loop.join();
  }
};

// Waits up to `limit` for `cond`.
template <typename F>
bool eventually(F cond, std::chrono::milliseconds limit = 5000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

// Runs a server whose handler never answers in a child process; returns its pid once the
// inbox is ready.
pid_t fork_silent_server(const std::string& cluster, int32_t id) {
  pid_t pid = ::fork();
  if (pid == 0) {
    // Dies with the test: a failed assertion must not leave it holding ctest's output pipe.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    auto s = Server::create(ServerOptions{cluster, id});
    if (!s) ::_exit(2);
    (*s)->run([](const std::shared_ptr<ServerSession>&, uint64_t, bytes_view) {}, [] {});
    ::_exit(0);
  }
  std::string name = region_name(cluster, "broker-" + std::to_string(id));
  eventually([&] {
    auto r = SharedRegion::open(name);
    return r && r->as<InboxHeader>()->region.magic.load() == inbox_magic;
  });
  return pid;
}

void reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

TEST(Transport, ManyClientsAtOnceEachGetTheirOwnAnswers) {
  std::string cluster = unique_cluster();
  EchoServer srv(ServerOptions{cluster, 1});
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      auto conn = Connection::open(cluster, 1, ConnectionOptions{1 << 16, 1 << 16});
      ASSERT_TRUE(conn) << conn.err().to_string();
      for (int i = 0; i < 2000; ++i) {
        std::string msg = "client " + std::to_string(c) + " request " + std::to_string(i);
        auto r = (*conn)->call(view(msg), 5000);
        ASSERT_TRUE(r) << r.err().to_string();
        ASSERT_EQ(std::string(r->begin(), r->end()), msg);
        ok.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 8000);
  EXPECT_TRUE(eventually([&] { return srv.server->session_count() == 0; }));
}

TEST(Transport, PipelinedRequestsAnswerInOrder) {
  std::string cluster = unique_cluster();
  EchoServer srv(ServerOptions{cluster, 1});
  auto conn = Connection::open(cluster, 1).value();
  std::mutex mu;
  std::vector<int> order;
  std::atomic<int> done{0};
  for (int i = 0; i < 5000; ++i) {
    std::string msg = std::to_string(i);
    ASSERT_TRUE(conn->send(view(msg), 5000, [&, i](result<bytes_view> r) {
      ASSERT_TRUE(r);
      std::lock_guard lock(mu);
      order.push_back(i);
      done.fetch_add(1);
    }));
  }
  ASSERT_TRUE(eventually([&] { return done.load() == 5000; }));
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(order[i], i);
}

// The response ring holds two answers at a time, so the broker must queue the rest and send
// them as the client frees space; the client's reads have to wake it (producer_waiting), or
// each stall lasts until the broker's next idle tick.
TEST(Transport, AnswersQueuedBehindAFullResponseRingFlowAsTheClientReads) {
  std::string cluster = unique_cluster();
  EchoServer srv(ServerOptions{cluster, 1});
  auto conn = Connection::open(cluster, 1, ConnectionOptions{1 << 16, 4096}).value();
  const std::string payload(1500, 'x');
  constexpr int n = 3000;
  std::atomic<int> done{0}, bad{0};
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(conn->send(view(payload), 10000, [&](result<bytes_view> r) {
      if (!r || r->size() != payload.size()) bad.fetch_add(1);
      done.fetch_add(1);
    }));
  }
  ASSERT_TRUE(eventually([&] { return done.load() == n; }, 20000ms)) << done.load();
  EXPECT_EQ(bad.load(), 0);
  // 3000 stalls of even one idle tick each would take minutes.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
}

TEST(Transport, LargestMessagesBothWays) {
  std::string cluster = unique_cluster();
  EchoServer srv(ServerOptions{cluster, 1});
  auto conn = Connection::open(cluster, 1, ConnectionOptions{1 << 20, 1 << 20}).value();
  std::string big(conn->max_request_bytes(), 'x');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>(i);
  for (int i = 0; i < 20; ++i) {
    auto r = conn->call(view(big), 5000);
    ASSERT_TRUE(r) << r.err().to_string();
    ASSERT_EQ(std::string(r->begin(), r->end()), big);
  }
  std::string too_big(conn->max_request_bytes() + 1, 'y');
  auto st = conn->send(view(too_big), 1000, [](result<bytes_view>) {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.code(), errc::message_too_large);
}

TEST(Transport, RegionsAreReadableByTheOwnerOnly) {
  std::string cluster = unique_cluster();
  EchoServer srv(ServerOptions{cluster, 1});
  auto conn = Connection::open(cluster, 1).value();
  ASSERT_TRUE(conn->call(view("hi"), 5000));
  int checked = 0;
  for (const auto& name : SharedRegion::list(region_name(cluster, ""))) {
    struct stat st;
    ASSERT_EQ(::stat(("/dev/shm/" + name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 2);  // the inbox and the session
}

TEST(Transport, SecondBrokerWithTheSameIdIsRefused) {
  std::string cluster = unique_cluster();
  EchoServer srv(ServerOptions{cluster, 3});
  auto again = Server::create(ServerOptions{cluster, 3});
  ASSERT_FALSE(again);
  EXPECT_NE(again.err().message.find("already running"), std::string::npos);
}

TEST(Transport, InboxLeftByAKilledBrokerIsReplaced) {
  std::string cluster = unique_cluster();
  pid_t pid = fork_silent_server(cluster, 1);
  reap(pid);
  ASSERT_TRUE(SharedRegion::open(region_name(cluster, "broker-1")));  // left behind
  EchoServer srv(ServerOptions{cluster, 1});
  auto conn = Connection::open(cluster, 1).value();
  EXPECT_TRUE(conn->call(view("ok"), 5000));
}

TEST(Transport, ClientKilledMidRequestIsReclaimedAndOthersCarryOn) {
  std::string cluster = unique_cluster();
  EchoServer srv(ServerOptions{cluster, 1});
  auto other = Connection::open(cluster, 1).value();
  for (int round = 0; round < 5; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      auto conn = Connection::open(cluster, 1);
      if (!conn) ::_exit(2);
      char c = 1;
      (void)!::write(fds[1], &c, 1);
      std::string payload(10000, 'z');
      while (true) (void)(*conn)->send(view(payload), 60000, [](result<bytes_view>) {});
    }
    char c;
    ASSERT_EQ(::read(fds[0], &c, 1), 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + round * 7));
    reap(pid);
    ::close(fds[0]);
    ::close(fds[1]);
    // The other client is served throughout.
    ASSERT_TRUE(other->call(view("still here"), 5000));
    // The dead client's session and its memory go away.
    ASSERT_TRUE(eventually([&] { return srv.server->session_count() == 1; }));
    std::string prefix = region_name(cluster, "session-" + std::to_string(pid) + "-");
    ASSERT_TRUE(eventually([&] { return SharedRegion::list(prefix).empty(); }));
  }
}

TEST(Transport, BrokerKilledFailsWaitingRequestsFast) {
  std::string cluster = unique_cluster();
  pid_t pid = fork_silent_server(cluster, 1);
  auto conn = Connection::open(cluster, 1).value();
  std::promise<result<std::vector<uint8_t>>> p;
  auto f = p.get_future();
  ASSERT_TRUE(conn->send(view("never answered"), 30000, [&](result<bytes_view> r) {
    if (r) {
      p.set_value(std::vector<uint8_t>());
    } else {
      p.set_value(std::move(r).err());
    }
  }));
  auto t0 = std::chrono::steady_clock::now();
  reap(pid);
  ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
  auto r = f.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::transport);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_TRUE(conn->broken());
  EXPECT_FALSE(conn->send(view("x"), 100, [](result<bytes_view>) {}));
}

// A client forgets a broker that died from the callback that tells it so, dropping the last
// reference to the connection on the connection's own receiver thread. That destroyed the
// connection there, whose destructor joined the thread it ran on: std::terminate ("Resource
// deadlock avoided"), which took down brokers whose fetcher lost its leader.
TEST(Transport, DroppingTheLastReferenceFromItsOwnCallbackIsSafe) {
  for (bool broker_dies : {true, false}) {
    std::string cluster = unique_cluster();
    pid_t pid = fork_silent_server(cluster, 1);
    std::shared_ptr<Connection> conn = Connection::open(cluster, 1).value();
    std::mutex mu;
    std::promise<errc> failed;
    auto f = failed.get_future();
    // The callback owns the only reference once `conn` is reset below.
    auto holder = std::make_shared<std::shared_ptr<Connection>>(conn);
    ASSERT_TRUE(conn->send(view("never answered"), broker_dies ? 30000 : 200,
                           [holder, &mu, &failed](result<bytes_view> r) {
                             std::lock_guard lock(mu);
                             holder->reset();  // the last reference, on the receiver thread
                             failed.set_value(r ? errc::none : r.code());
                           }));
    std::weak_ptr<Connection> watch = conn;
    conn.reset();
    if (broker_dies) reap(pid);
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(f.get(), broker_dies ? errc::transport : errc::timed_out);
    EXPECT_TRUE(eventually([&] { return watch.expired(); }));
    if (!broker_dies) reap(pid);
  }
}

TEST(Transport, PausedBrokerTimesOutThenCountsAsGone) {
  std::string cluster = unique_cluster();
  pid_t pid = fork_silent_server(cluster, 1);
  ConnectionOptions opts;
  opts.broker_timeout_ms = 1000;
  auto conn = Connection::open(cluster, 1, opts).value();
  ::kill(pid, SIGSTOP);
  auto t0 = std::chrono::steady_clock::now();
  auto r = conn->call(view("hello?"), 300);
  auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::timed_out);
  EXPECT_GE(waited, 290ms);
  EXPECT_LT(waited, 1000ms);
  EXPECT_TRUE(eventually([&] { return conn->broken(); }, 3000ms));
  ::kill(pid, SIGCONT);
  reap(pid);
}

TEST(Transport, FullInboxGivesQueueFullWithinTheTimeout) {
  std::string cluster = unique_cluster();
  pid_t pid = fork_silent_server(cluster, 1);
  ::kill(pid, SIGSTOP);  // nobody reads the requests
  ConnectionOptions opts;
  opts.request_ring_bytes = 1 << 16;
  opts.broker_timeout_ms = 60000;
  auto conn = Connection::open(cluster, 1, opts).value();
  std::string payload(10000, 'q');
  status st;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100 && st; ++i)
    st = conn->send(view(payload), 200, [](result<bytes_view>) {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.code(), errc::queue_full);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  ::kill(pid, SIGCONT);
  reap(pid);
}

TEST(Transport, IdleServerDoesNotSpin) {
  std::string cluster = unique_cluster();
  EchoServer srv(ServerOptions{cluster, 1});
  auto conn = Connection::open(cluster, 1).value();
  ASSERT_TRUE(conn->call(view("warm up"), 5000));
  struct rusage before, after;
  ::getrusage(RUSAGE_SELF, &before);
  std::this_thread::sleep_for(1s);
  ::getrusage(RUSAGE_SELF, &after);
  auto cpu_us = [](const struct rusage& u) {
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1'000'000L + u.ru_utime.tv_usec +
           u.ru_stime.tv_usec;
  };
  // Server loop and client receiver both sleep on futexes, waking every few ms for timers.
  EXPECT_LT(cpu_us(after) - cpu_us(before), 100'000);
}

}  // namespace
}  // namespace shoal::ipc
