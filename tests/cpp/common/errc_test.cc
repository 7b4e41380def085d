#include "common/errc.h"

#include <gtest/gtest.h>

#include <string_view>

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

TEST(Errc, DescriptionsAreLibrdkafkaErr2str) {
  EXPECT_EQ(errc_description(errc::unknown_topic_or_partition),
            "Broker: Unknown topic or partition");
  EXPECT_EQ(errc_description(errc::message_too_large), "Broker: Message size too large");
  EXPECT_EQ(errc_description(errc::not_leader_or_follower), "Broker: Not leader for partition");
  EXPECT_EQ(errc_description(errc::timed_out), "Local: Timed out");
  EXPECT_EQ(errc_description(errc::queue_full), "Local: Queue full");
  EXPECT_EQ(errc_description(errc::msg_timed_out), "Local: Message timed out");
  EXPECT_EQ(errc_description(errc::transport), "Local: Broker transport failure");
  EXPECT_EQ(errc_description(errc::none), "Success");
  EXPECT_EQ(errc_description(errc::unknown_server_error), "Unknown broker error");
}

// librdkafka labels _PARTITION_EOF "Broker:" although the client raises it.
TEST(Errc, PartitionEofDescriptionSaysBroker) {
  EXPECT_EQ(errc_description(errc::partition_eof), "Broker: No more messages");
}

// Every listed code has a text in librdkafka's style: "Local: ..." for the client's negative
// codes, "Broker: ..." for Kafka's codes (except UNKNOWN and NO_ERROR).
TEST(Errc, EveryCodeHasADescriptionInLibrdkafkaStyle){
#define SHOAL_ERRC_CHECK(en, code, name, retriable, description)                           \
  {                                                                                        \
    std::string_view d = errc_description(errc::en);                                       \
    EXPECT_EQ(d, description) << name;                                                     \
    EXPECT_FALSE(d.empty()) << name;                                                       \
    EXPECT_FALSE(d.ends_with('.')) << name << ": librdkafka's texts have no final period"; \
    if (code > 0) {                                                                        \
      EXPECT_TRUE(d.starts_with("Broker: ")) << name << ": " << d;                         \
    } else if (code < -1 && code != -191) {                                                \
      EXPECT_TRUE(d.starts_with("Local: ")) << name << ": " << d;                          \
    }                                                                                      \
  }
    SHOAL_ERRC_LIST(SHOAL_ERRC_CHECK)
#undef SHOAL_ERRC_CHECK
}

TEST(Errc, CodesLibrdkafkaLacksGetBrokerStyleText) {
  EXPECT_EQ(errc_name(errc::snapshot_not_found), "SNAPSHOT_NOT_FOUND");
  EXPECT_EQ(errc_description(errc::snapshot_not_found), "Broker: Requested snapshot was not found");
  EXPECT_EQ(errc_description(errc::new_leader_elected),
            "Broker: The partition state was updated but the leader has changed");
}

TEST(Errc, UnlistedCodeDescribesAsUnknown) {
  EXPECT_EQ(errc_description(static_cast<errc>(9999)), "Unknown broker error");
  EXPECT_EQ(errc_name(static_cast<errc>(9999)), "UNKNOWN");
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
