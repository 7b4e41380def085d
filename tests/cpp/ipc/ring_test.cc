#include "ipc/ring.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace shoal::ipc {
namespace {

struct RingMemory {
  std::vector<uint8_t> mem;
  explicit RingMemory(uint64_t cap) : mem(Ring::footprint(cap)) {
    Ring::initialize(mem.data(), cap);
  }
  Ring attach() { return Ring::attach(mem.data(), mem.size()).value(); }
};

bool write_msg(Ring& r, uint64_t corr, const std::vector<uint8_t>& payload) {
  uint8_t* dst = r.try_reserve(payload.size());
  if (dst == nullptr) return false;
  if (!payload.empty()) std::memcpy(dst, payload.data(), payload.size());
  r.commit(message_type::request, corr, payload.size());
  return true;
}

TEST(Ring, MessagesComeOutInOrderAcrossWrapAround) {
  RingMemory m(4096);
  Ring producer = m.attach(), consumer = m.attach();
  std::mt19937 rng(1);
  uint64_t written = 0, read = 0;
  for (int round = 0; round < 2000; ++round) {
    while (true) {
      std::vector<uint8_t> p(rng() % 700);
      for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(written + i);
      if (!write_msg(producer, written, p)) break;
      ++written;
    }
    int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      auto msg = consumer.peek();
      ASSERT_TRUE(msg);
      if (!msg->has_value()) break;
      ASSERT_EQ((*msg)->correlation_id, read);
      for (size_t j = 0; j < (*msg)->payload.size(); ++j) {
        ASSERT_EQ((*msg)->payload[j], static_cast<uint8_t>(read + j));
      }
      consumer.consume(**msg);
      ++read;
    }
  }
  EXPECT_GT(read, 1000u);
}

TEST(Ring, LargestMessageFitsAndLargerIsRefusedByTheCaller) {
  RingMemory m(4096);
  Ring r = m.attach();
  EXPECT_EQ(r.max_payload(), 2048u - 16u);
  std::vector<uint8_t> big(r.max_payload(), 7);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(write_msg(r, i, big)) << i;
    auto msg = r.peek();
    ASSERT_TRUE(msg && msg->has_value());
    EXPECT_EQ((*msg)->payload.size(), big.size());
    r.consume(**msg);
  }
}

TEST(Ring, FullRingRefusesUntilTheConsumerFreesSpace) {
  RingMemory m(4096);
  Ring r = m.attach();
  std::vector<uint8_t> p(1000);
  int n = 0;
  while (write_msg(r, n, p)) ++n;
  EXPECT_EQ(n, 4);
  EXPECT_FALSE(r.wait_for_space(1000, 10));  // times out: nobody consumes
  auto msg = r.peek();
  ASSERT_TRUE(msg && msg->has_value());
  r.consume(**msg);
  EXPECT_TRUE(write_msg(r, n, p));
}

TEST(Ring, ThreadsWithFutexWakeups) {
  RingMemory m(1 << 16);
  Ring producer = m.attach(), consumer = m.attach();
  constexpr uint64_t total = 200'000;
  std::thread t([&] {
    std::vector<uint8_t> p(40);
    for (uint64_t i = 0; i < total; ++i) {
      std::memcpy(p.data(), &i, 8);
      while (!write_msg(producer, i, p)) producer.wait_for_space(p.size(), 100);
      producer.wake_consumer();
    }
  });
  uint64_t expect = 0;
  while (expect < total) {
    auto msg = consumer.peek();
    ASSERT_TRUE(msg);
    if (!msg->has_value()) {
      consumer.wait_for_data(100);
      continue;
    }
    uint64_t v;
    std::memcpy(&v, (*msg)->payload.data(), 8);
    ASSERT_EQ(v, expect);
    if (consumer.consume(**msg)) consumer.wake_producer();
    ++expect;
  }
  t.join();
}

TEST(Ring, ConsumerRejectsCorruptContents) {
  RingMemory m(4096);
  Ring r = m.attach();
  std::vector<uint8_t> p(100);
  ASSERT_TRUE(write_msg(r, 1, p));
  // A hostile or broken producer writes an impossible length.
  auto* mh = reinterpret_cast<MessageHeader*>(m.mem.data() + sizeof(RingHeader));
  mh->length = 1u << 30;
  auto msg = r.peek();
  EXPECT_FALSE(msg);
  // And impossible positions.
  RingMemory m2(4096);
  Ring r2 = m2.attach();
  reinterpret_cast<RingHeader*>(m2.mem.data())->tail.store(1u << 20);
  EXPECT_FALSE(r2.peek());
}

TEST(Ring, AttachRejectsBadHeaders) {
  std::vector<uint8_t> mem(Ring::footprint(4096));
  Ring::initialize(mem.data(), 4096);
  EXPECT_FALSE(Ring::attach(mem.data(), mem.size() - 1));
  reinterpret_cast<RingHeader*>(mem.data())->capacity = 5000;
  EXPECT_FALSE(Ring::attach(mem.data(), mem.size()));
}

}  // namespace
}  // namespace shoal::ipc
