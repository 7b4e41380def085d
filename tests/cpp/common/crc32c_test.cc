#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

namespace shoal {
namespace {

// Check values from RFC 3720 (iSCSI), appendix B.4, and the CRC catalogue's "123456789".
TEST(Crc32c, StandardCheckValue) {
  std::string s = "123456789";
  EXPECT_EQ(crc32c(s.data(), s.size()), 0xE3069283u);
}

TEST(Crc32c, Rfc3720Vectors) {
  std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xFF), inc(32), dec(32);
  std::iota(inc.begin(), inc.end(), 0);
  for (int i = 0; i < 32; ++i) dec[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c(inc), 0x46DD794Eu);
  EXPECT_EQ(crc32c(dec), 0x113FDB5Cu);
}

TEST(Crc32c, EmptyIsZero) {
  EXPECT_EQ(crc32c(nullptr, 0), 0u);
}

TEST(Crc32c, ExtendEqualsWholeAtEverySplitAndAlignment) {
  std::vector<uint8_t> data(300);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 31 + 7);
  for (size_t start = 0; start < 9; ++start) {
    const uint8_t* p = data.data() + start;
    size_t n = data.size() - start;
    uint32_t whole = crc32c(p, n);
    for (size_t split = 0; split <= n; split += 13) {
      EXPECT_EQ(crc32c_extend(crc32c(p, split), p + split, n - split), whole)
          << "start " << start << " split " << split;
    }
  }
}

// Bit-at-a-time CRC-32C straight from the definition, to check the fast paths against.
uint32_t reference_crc32c(const uint8_t* p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0);
  }
  return crc ^ 0xFFFFFFFFu;
}

TEST(Crc32c, LargeBuffersMatchTheDefinition) {
  // Sizes around the three-stream block boundaries (3 x 1024 and 3 x 256 bytes).
  std::vector<uint8_t> data(40000);
  uint32_t x = 12345;
  for (auto& b : data) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  for (size_t n : {767u, 768u, 769u, 3071u, 3072u, 3073u, 3072u + 768u + 7u, 11033u, 39990u}) {
    for (size_t start : {0u, 1u, 5u}) {
      EXPECT_EQ(crc32c(data.data() + start, n), reference_crc32c(data.data() + start, n))
          << "n=" << n << " start=" << start;
    }
  }
}

}  // namespace
}  // namespace shoal
