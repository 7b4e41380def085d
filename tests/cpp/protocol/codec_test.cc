// Kafka's wire primitives (protocol/codec.h).
#include "protocol/codec.h"

#include <gtest/gtest.h>

namespace shoal::protocol {
namespace {

TEST(Uuid, TextFormIsKafkasBase64) {
  uuid u{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  EXPECT_EQ(u.to_string().size(), 22u);
  EXPECT_EQ(uuid::parse(u.to_string()), u);
}

}  // namespace
}  // namespace shoal::protocol
