#include "common/errc.h"

#include <gtest/gtest.h>

#include "common/result.h"

namespace shoal {
namespace {

TEST(Errc, KafkaAndLibrdkafkaNumbering) {
  EXPECT_EQ(static_cast<int>(errc::unknown_topic_or_partition), 3);
  EXPECT_EQ(errc_name(errc::unknown_topic_or_partition), "UNKNOWN_TOPIC_OR_PART");
  EXPECT_EQ(static_cast<int>(errc::message_too_large), 10);
  EXPECT_EQ(errc_name(errc::message_too_large), "MSG_SIZE_TOO_LARGE");
  EXPECT_EQ(static_cast<int>(errc::not_enough_replicas), 19);
  EXPECT_EQ(static_cast<int>(errc::kafka_storage_error), 56);
  EXPECT_EQ(static_cast<int>(errc::partition_eof), -191);
  EXPECT_EQ(errc_name(errc::partition_eof), "_PARTITION_EOF");
  EXPECT_EQ(static_cast<int>(errc::queue_full), -184);
  EXPECT_EQ(static_cast<int>(errc::timed_out), -185);
}

TEST(Errc, RetriableFollowsKafka) {
  EXPECT_TRUE(errc_retriable(errc::not_leader_or_follower));
  EXPECT_TRUE(errc_retriable(errc::not_enough_replicas));
  EXPECT_TRUE(errc_retriable(errc::corrupt_message));
  EXPECT_FALSE(errc_retriable(errc::message_too_large));
  EXPECT_FALSE(errc_retriable(errc::offset_out_of_range));
}

TEST(Errc, KnownCodes) {
  EXPECT_TRUE(errc_known(0));
  EXPECT_TRUE(errc_known(-191));
  EXPECT_FALSE(errc_known(9999));
}

TEST(Result, CarriesValueOrError) {
  result<int> ok = 5;
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 5);
  result<int> bad = make_error(errc::invalid_config, "bad key '{}'", "x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.code(), errc::invalid_config);
  EXPECT_EQ(bad.err().to_string(), "INVALID_CONFIG: bad key 'x'");
}

}  // namespace
}  // namespace shoal
