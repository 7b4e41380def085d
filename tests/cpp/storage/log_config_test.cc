#include "storage/log_config.h"

#include <gtest/gtest.h>

namespace shoal::storage {
namespace {

TEST(LogConfig, KafkaDefaults) {
  LogConfig c;
  EXPECT_EQ(c.get("segment.bytes"), "1073741824");
  EXPECT_EQ(c.get("retention.ms"), "604800000");
  EXPECT_EQ(c.get("cleanup.policy"), "delete");
  EXPECT_EQ(c.get("max.message.bytes"), "1048588");
  EXPECT_EQ(c.get("compression.type"), "producer");
  EXPECT_EQ(c.get("message.timestamp.type"), "CreateTime");
  EXPECT_EQ(c.get("flush.messages"), "9223372036854775807");
}

TEST(LogConfig, AppliesKafkaNamedProperties) {
  auto c = LogConfig{}.with({{"cleanup.policy", "compact,delete"},
                             {"retention.bytes", "1000"},
                             {"compression.type", "lz4"},
                             {"min.cleanable.dirty.ratio", "0.25"},
                             {"message.timestamp.type", "LogAppendTime"}});
  ASSERT_TRUE(c) << c.err().to_string();
  EXPECT_TRUE(c->cleanup_compact);
  EXPECT_TRUE(c->cleanup_delete);
  EXPECT_EQ(c->retention_bytes, 1000);
  EXPECT_EQ(c->compression_type, compression::lz4);
  EXPECT_DOUBLE_EQ(c->min_cleanable_dirty_ratio, 0.25);
  EXPECT_EQ(c->message_timestamp_type, timestamp_type::log_append_time);
  EXPECT_EQ(c->get("cleanup.policy"), "compact,delete");
}

TEST(LogConfig, RefusesUnknownKeysAndBadValuesNamingTheKey) {
  struct Case {
    std::string key, value;
  } cases[] = {{"retention.msx", "1"},
               {"segment.bytes", "10"},
               {"segment.bytes", "abc"},
               {"cleanup.policy", "erase"},
               {"compression.type", "brotli"},
               {"min.cleanable.dirty.ratio", "1.5"},
               {"retention.ms", "-2"},
               {"message.timestamp.type", "Now"},
               {"max.message.bytes", "99999999999"}};
  for (const auto& c : cases) {
    auto r = LogConfig{}.with({{c.key, c.value}});
    ASSERT_FALSE(r) << c.key << "=" << c.value;
    EXPECT_EQ(r.code(), errc::invalid_config);
    EXPECT_NE(r.err().message.find("'" + c.key + "'"), std::string::npos) << r.err().message;
  }
}

TEST(LogConfig, DefinitionsCoverEveryKey) {
  LogConfig c;
  for (const auto& d : log_config_definitions()) {
    EXPECT_EQ(c.get(d.name), d.default_value) << d.name;
    EXPECT_FALSE(d.doc.empty());
  }
}

}  // namespace
}  // namespace shoal::storage
