// The broker's configuration: Kafka's defaults, the log.retention.{hours,minutes,ms} and
// log.roll.{hours,ms} synonyms and their precedence, errors that name the broker key, and
// to_properties covering and round-tripping every defined key.
#include "broker/broker_config.h"

#include <gtest/gtest.h>

namespace shoal::broker {
namespace {

namespace fs = std::filesystem;

result<BrokerConfig> make(const properties& props, int32_t id = 1) {
  return BrokerConfig::from(props, "demo", id, "/data/demo");
}

BrokerConfig make_ok(const properties& props, int32_t id = 1) {
  auto c = make(props, id);
  EXPECT_TRUE(c) << c.err().to_string();
  return std::move(c).value();
}

TEST(BrokerConfig, ListenersDefaultToALoopbackPortOfTheKernelsChoice) {
  BrokerConfig c = make_ok({});
  EXPECT_EQ(c.listener_host, "127.0.0.1");
  EXPECT_EQ(c.listener_port, 0);
  EXPECT_EQ(c.advertised_host, "");
  EXPECT_EQ(c.socket_request_max_bytes, 104857600);
  EXPECT_EQ(c.connections_max_idle_ms, 600000);
  EXPECT_EQ(c.to_properties()["listeners"], "PLAINTEXT://127.0.0.1:0");
}

TEST(BrokerConfig, ListenersTakeKafkasFormAndRefuseWhatShoalCannotServe) {
  BrokerConfig c = make_ok({{"listeners", "PLAINTEXT://0.0.0.0:9092"},
                            {"advertised.listeners", "PLAINTEXT://broker1.example:19092"}});
  EXPECT_EQ(c.listener_host, "0.0.0.0");
  EXPECT_EQ(c.listener_port, 9092);
  EXPECT_EQ(c.advertised_host, "broker1.example");
  EXPECT_EQ(c.advertised_port, 19092);
  EXPECT_EQ(make_ok({{"listeners", "PLAINTEXT://[::1]:9092"}}).listener_host, "::1");
  for (const char* bad :
       {"SSL://127.0.0.1:9093", "PLAINTEXT://a:1,PLAINTEXT://b:2", "127.0.0.1:9092",
        "PLAINTEXT://127.0.0.1", "PLAINTEXT://h:65536", "PLAINTEXT://h:x"}) {
    auto r = make({{"listeners", bad}});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.err().code, errc::invalid_config);
    EXPECT_NE(r.err().message.find("listeners"), std::string::npos) << r.err().message;
  }
  // An advertised address must be one a client can dial.
  EXPECT_FALSE(make({{"advertised.listeners", "PLAINTEXT://0.0.0.0:9092"}}));
  EXPECT_FALSE(make({{"advertised.listeners", "PLAINTEXT://h:0"}}));
}

TEST(BrokerConfig, DefaultsEqualKafkas) {
  BrokerConfig c = make_ok({});
  EXPECT_EQ(c.cluster, "demo");
  EXPECT_EQ(c.broker_id, 1);
  EXPECT_EQ(c.cluster_dir, fs::path("/data/demo"));
  EXPECT_EQ(c.log_dir, fs::path("/data/demo/broker-1"));
  EXPECT_EQ(c.num_partitions, 1);
  EXPECT_EQ(c.default_replication_factor, 1);
  EXPECT_TRUE(c.auto_create_topics_enable);
  EXPECT_TRUE(c.delete_topic_enable);
  EXPECT_EQ(c.log_retention_check_interval_ms, 300000);
  EXPECT_TRUE(c.log_cleaner_enable);
  EXPECT_EQ(c.log_cleaner_backoff_ms, 15000);

  const auto& t = c.topic_defaults;
  EXPECT_EQ(t.log.retention_ms, 604800000);  // log.retention.hours=168
  EXPECT_EQ(t.log.segment_ms, 604800000);    // log.roll.hours=168
  EXPECT_EQ(t.log.segment_bytes, 1073741824);
  EXPECT_EQ(t.log.segment_index_bytes, 10485760);
  EXPECT_EQ(t.log.index_interval_bytes, 4096);
  EXPECT_EQ(t.log.retention_bytes, -1);
  EXPECT_TRUE(t.log.cleanup_delete);
  EXPECT_FALSE(t.log.cleanup_compact);
  EXPECT_EQ(t.log.delete_retention_ms, 86400000);
  EXPECT_DOUBLE_EQ(t.log.min_cleanable_dirty_ratio, 0.5);
  EXPECT_EQ(t.log.min_compaction_lag_ms, 0);
  EXPECT_EQ(t.log.max_message_bytes, 1048588);  // message.max.bytes
  EXPECT_EQ(t.log.flush_messages, INT64_MAX);
  EXPECT_EQ(t.log.message_timestamp_type, storage::timestamp_type::create_time);
  EXPECT_FALSE(t.log.compression_type.has_value());  // producer
  EXPECT_EQ(t.min_insync_replicas, 1);
  EXPECT_FALSE(t.unclean_leader_election_enable);

  auto p = c.to_properties();
  std::map<std::string, std::string> kafka = {
      {"num.partitions", "1"},
      {"default.replication.factor", "1"},
      {"auto.create.topics.enable", "true"},
      {"delete.topic.enable", "true"},
      {"log.retention.hours", "168"},
      {"log.retention.ms", "604800000"},
      {"log.retention.bytes", "-1"},
      {"log.retention.check.interval.ms", "300000"},
      {"log.roll.hours", "168"},
      {"log.segment.bytes", "1073741824"},
      {"log.index.size.max.bytes", "10485760"},
      {"log.index.interval.bytes", "4096"},
      {"log.cleanup.policy", "delete"},
      {"log.cleaner.enable", "true"},
      {"log.cleaner.backoff.ms", "15000"},
      {"log.cleaner.delete.retention.ms", "86400000"},
      {"log.cleaner.min.cleanable.ratio", "0.5"},
      {"log.cleaner.min.compaction.lag.ms", "0"},
      {"message.max.bytes", "1048588"},
      {"log.flush.interval.messages", "9223372036854775807"},
      {"log.message.timestamp.type", "CreateTime"},
      {"compression.type", "producer"},
      {"min.insync.replicas", "1"},
      {"unclean.leader.election.enable", "false"},
      {"broker.id", "1"},
      {"node.id", "1"},
      {"broker.session.timeout.ms", "9000"},
      {"replica.lag.time.max.ms", "30000"},
      {"replica.fetch.wait.max.ms", "500"},
      {"replica.fetch.max.bytes", "1048576"},
      {"replica.fetch.response.max.bytes", "10485760"},
      {"replica.fetch.backoff.ms", "1000"},
      {"replica.socket.timeout.ms", "30000"},
      {"auto.leader.rebalance.enable", "true"},
      {"leader.imbalance.check.interval.seconds", "300"},
      {"controlled.shutdown.enable", "true"},
  };
  for (const auto& [k, v] : kafka) {
    ASSERT_TRUE(p.count(k)) << k;
    EXPECT_EQ(p.at(k), v) << k;
  }
}

TEST(BrokerConfig, RetentionHoursAloneSetRetentionMs) {
  EXPECT_EQ(make_ok({{"log.retention.hours", "1"}}).topic_defaults.log.retention_ms, 3600000);
  EXPECT_EQ(make_ok({{"log.retention.hours", "24"}}).topic_defaults.log.retention_ms, 86400000);
  EXPECT_EQ(make_ok({{"log.retention.hours", "0"}}).topic_defaults.log.retention_ms, 0);
}

TEST(BrokerConfig, RetentionMinutesOverrideHours) {
  auto c = make_ok({{"log.retention.hours", "5"}, {"log.retention.minutes", "3"}});
  EXPECT_EQ(c.topic_defaults.log.retention_ms, 180000);
  EXPECT_EQ(make_ok({{"log.retention.minutes", "10"}}).topic_defaults.log.retention_ms, 600000);
}

TEST(BrokerConfig, RetentionMsOverridesMinutesAndHours) {
  auto c = make_ok(
      {{"log.retention.hours", "5"}, {"log.retention.minutes", "3"}, {"log.retention.ms", "1234"}});
  EXPECT_EQ(c.topic_defaults.log.retention_ms, 1234);
  EXPECT_EQ(make_ok({{"log.retention.hours", "5"}, {"log.retention.ms", "77"}})
                .topic_defaults.log.retention_ms,
            77);
  EXPECT_EQ(make_ok({{"log.retention.minutes", "5"}, {"log.retention.ms", "77"}})
                .topic_defaults.log.retention_ms,
            77);
}

TEST(BrokerConfig, NegativeRetentionMeansForever) {
  EXPECT_EQ(make_ok({{"log.retention.hours", "-1"}}).topic_defaults.log.retention_ms, -1);
  EXPECT_EQ(make_ok({{"log.retention.minutes", "-1"}}).topic_defaults.log.retention_ms, -1);
  EXPECT_EQ(make_ok({{"log.retention.ms", "-1"}}).topic_defaults.log.retention_ms, -1);
  // The higher-precedence form wins in both directions.
  EXPECT_EQ(make_ok({{"log.retention.hours", "5"}, {"log.retention.minutes", "-1"}})
                .topic_defaults.log.retention_ms,
            -1);
  EXPECT_EQ(make_ok({{"log.retention.hours", "-1"}, {"log.retention.ms", "5000"}})
                .topic_defaults.log.retention_ms,
            5000);
  // Kafka turns any negative hours or minutes into -1 (LogConfig: "if (millis < 0) return -1").
  EXPECT_EQ(make_ok({{"log.retention.hours", "-5"}}).topic_defaults.log.retention_ms, -1);
  // Every form prints -1, not -1/3600000 rounded.
  auto p = make_ok({{"log.retention.hours", "-1"}}).to_properties();
  EXPECT_EQ(p.at("log.retention.hours"), "-1");
  EXPECT_EQ(p.at("log.retention.minutes"), "-1");
  EXPECT_EQ(p.at("log.retention.ms"), "-1");
}

TEST(BrokerConfig, AnyNegativeRetentionMsMeansForeverAsInKafka) {
  // Kafka defines log.retention.ms without a validator and KafkaConfig.logRetentionTimeMillis
  // maps every negative value of any of the three forms to -1.
  auto c = make({{"log.retention.ms", "-2"}});
  ASSERT_TRUE(c) << c.err().to_string();
  EXPECT_EQ(c->topic_defaults.log.retention_ms, -1);
}

TEST(BrokerConfig, HoursAndMinutesThatOverflowMillisecondsAreRefused) {
  // Multiplied out to milliseconds these exceed INT64_MAX. They must be refused (Kafka's
  // hours and minutes are INTs), not wrap around to a tiny value that deletes data early.
  struct Case {
    std::string key, value;
    int64_t wrapped_ms;  // what a wrapping multiplication gives
  } cases[] = {
      {"log.retention.hours", "5124095576031", 2048384},   // 34 minutes of retention
      {"log.retention.minutes", "307445734561826", 8384},  // 8 seconds of retention
      {"log.roll.hours", "5124095576031", 2048384},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key + "=" + c.value);
    auto r = make({{c.key, c.value}});
    if (r) {
      ADD_FAILURE() << "accepted with retention.ms=" << r->topic_defaults.log.retention_ms
                    << " segment.ms=" << r->topic_defaults.log.segment_ms
                    << " (wrapped: " << c.wrapped_ms << ")";
      continue;
    }
    EXPECT_EQ(r.code(), errc::invalid_config);
    EXPECT_NE(r.err().message.find("'" + c.key + "'"), std::string::npos) << r.err().message;
  }
}

TEST(BrokerConfig, LogRollHoursAndMs) {
  EXPECT_EQ(make_ok({{"log.roll.hours", "2"}}).topic_defaults.log.segment_ms, 7200000);
  EXPECT_EQ(make_ok({{"log.roll.ms", "1000"}}).topic_defaults.log.segment_ms, 1000);
  EXPECT_EQ(
      make_ok({{"log.roll.hours", "2"}, {"log.roll.ms", "1000"}}).topic_defaults.log.segment_ms,
      1000);
  auto p = make_ok({{"log.roll.hours", "2"}}).to_properties();
  EXPECT_EQ(p.at("log.roll.hours"), "2");
  EXPECT_EQ(p.at("log.roll.ms"), "7200000");
}

TEST(BrokerConfig, RetentionSynonymsDoNotTouchRoll) {
  auto c = make_ok({{"log.retention.hours", "1"}});
  EXPECT_EQ(c.topic_defaults.log.segment_ms, 604800000);
  auto d = make_ok({{"log.roll.hours", "1"}});
  EXPECT_EQ(d.topic_defaults.log.retention_ms, 604800000);
}

TEST(BrokerConfig, MessageMaxBytesSetsMaxMessageBytes) {
  auto c = make_ok({{"message.max.bytes", "2000000"}});
  EXPECT_EQ(c.topic_defaults.log.max_message_bytes, 2000000);
  EXPECT_EQ(c.topic_defaults.get("max.message.bytes"), "2000000");
  EXPECT_EQ(c.to_properties().at("message.max.bytes"), "2000000");
}

TEST(BrokerConfig, TopicLevelSynonymsSetTopicDefaults) {
  auto c = make_ok({{"log.segment.bytes", "1048576"},
                    {"log.cleanup.policy", "compact"},
                    {"log.retention.bytes", "5000000"},
                    {"compression.type", "zstd"},
                    {"min.insync.replicas", "2"},
                    {"unclean.leader.election.enable", "true"},
                    {"log.message.timestamp.type", "LogAppendTime"},
                    {"log.cleaner.min.cleanable.ratio", "0.25"}});
  const auto& t = c.topic_defaults;
  EXPECT_EQ(t.log.segment_bytes, 1048576);
  EXPECT_TRUE(t.log.cleanup_compact);
  EXPECT_FALSE(t.log.cleanup_delete);
  EXPECT_EQ(t.log.retention_bytes, 5000000);
  EXPECT_EQ(t.log.compression_type, storage::compression::zstd);
  EXPECT_EQ(t.min_insync_replicas, 2);
  EXPECT_TRUE(t.unclean_leader_election_enable);
  EXPECT_EQ(t.log.message_timestamp_type, storage::timestamp_type::log_append_time);
  EXPECT_DOUBLE_EQ(t.log.min_cleanable_dirty_ratio, 0.25);
}

TEST(BrokerConfig, BrokerOnlyKeysAndTrimmedValues) {
  auto c = make_ok({{"num.partitions", " 6 "},
                    {"default.replication.factor", "3"},
                    {"auto.create.topics.enable", "FALSE"},
                    {"delete.topic.enable", "false"},
                    {"log.retention.check.interval.ms", "1000"},
                    {"log.cleaner.enable", "false"},
                    {"log.cleaner.backoff.ms", "0"},
                    {"log.flush.scheduler.interval.ms", "500"},
                    {"shm.session.timeout.ms", "2500"}});
  EXPECT_EQ(c.num_partitions, 6);
  EXPECT_EQ(c.default_replication_factor, 3);
  EXPECT_FALSE(c.auto_create_topics_enable);
  EXPECT_FALSE(c.delete_topic_enable);
  EXPECT_EQ(c.log_retention_check_interval_ms, 1000);
  EXPECT_FALSE(c.log_cleaner_enable);
  EXPECT_EQ(c.log_cleaner_backoff_ms, 0);
  EXPECT_EQ(c.log_flush_scheduler_interval_ms, 500);
  EXPECT_EQ(c.shm_session_timeout_ms, 2500);
}

TEST(BrokerConfig, BrokerIdAndNodeIdMustEqualTheIdFlag) {
  EXPECT_TRUE(make({{"broker.id", "3"}}, 3));
  EXPECT_TRUE(make({{"node.id", "3"}, {"broker.id", "3"}}, 3));
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"broker.id", "4"}, {"node.id", "4"}, {"broker.id", "abc"}, {"node.id", ""}}) {
    auto r = make({{key, value}}, 3);
    ASSERT_FALSE(r) << key << "=" << value;
    EXPECT_EQ(r.code(), errc::invalid_config);
    EXPECT_NE(r.err().message.find("'" + key + "'"), std::string::npos) << r.err().message;
  }
}

TEST(BrokerConfig, LogDirsIsOneDirectory) {
  EXPECT_EQ(make_ok({{"log.dirs", "/var/shoal/b1"}}).log_dir, fs::path("/var/shoal/b1"));
  EXPECT_EQ(make_ok({{"log.dir", "/var/shoal/b2"}}).log_dir, fs::path("/var/shoal/b2"));
  EXPECT_EQ(make_ok({{"log.dirs", " /var/shoal/b3 "}}).log_dir, fs::path("/var/shoal/b3"));
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"log.dirs", "/a,/b"}, {"log.dirs", ""}, {"log.dir", "/a,/b"}, {"log.dirs", "  "}}) {
    auto r = make({{key, value}});
    ASSERT_FALSE(r) << key << "=" << value;
    EXPECT_EQ(r.code(), errc::invalid_config);
    EXPECT_NE(r.err().message.find("'" + key + "'"), std::string::npos) << r.err().message;
  }
}

TEST(BrokerConfig, UnknownKeyIsInvalidConfigNamingIt) {
  for (std::string key : {"log.retention.hour", "retention.ms", "foo", "", "Num.Partitions"}) {
    auto r = make({{key, "1"}});
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.code(), errc::invalid_config);
    EXPECT_NE(r.err().message.find("'" + key + "'"), std::string::npos) << r.err().message;
  }
}

TEST(BrokerConfig, EveryInvalidValueNamesTheBrokerKey) {
  struct Case {
    std::string key, value, topic_key;
  } cases[] = {
      {"num.partitions", "0", ""},
      {"num.partitions", "abc", ""},
      {"num.partitions", "1.5", ""},
      {"default.replication.factor", "0", ""},
      {"default.replication.factor", "40000", ""},
      {"auto.create.topics.enable", "yes", ""},
      {"delete.topic.enable", "1", ""},
      {"log.retention.check.interval.ms", "0", ""},
      {"log.cleaner.enable", "", ""},
      {"log.cleaner.backoff.ms", "-1", ""},
      {"log.flush.scheduler.interval.ms", "0", ""},
      {"shm.session.timeout.ms", "99", ""},
      {"log.retention.hours", "abc", "retention.ms"},
      {"log.retention.hours", "1.5", "retention.ms"},
      {"log.retention.minutes", "", "retention.ms"},
      {"log.retention.ms", "abc", "retention.ms"},
      {"log.roll.hours", "0", "segment.ms"},
      {"log.roll.hours", "-1", "segment.ms"},
      {"log.roll.ms", "0", "segment.ms"},
      {"log.segment.bytes", "10", "segment.bytes"},
      {"log.index.size.max.bytes", "1", "segment.index.bytes"},
      {"log.retention.bytes", "-2", "retention.bytes"},
      {"log.cleanup.policy", "erase", "cleanup.policy"},
      {"log.cleaner.delete.retention.ms", "-1", "delete.retention.ms"},
      {"log.cleaner.min.cleanable.ratio", "2", "min.cleanable.dirty.ratio"},
      {"message.max.bytes", "-5", "max.message.bytes"},
      {"message.max.bytes", "lots", "max.message.bytes"},
      {"log.flush.interval.messages", "0", "flush.messages"},
      {"log.message.timestamp.type", "Now", "message.timestamp.type"},
      {"compression.type", "brotli", "compression.type"},
      {"min.insync.replicas", "0", "min.insync.replicas"},
      {"unclean.leader.election.enable", "maybe", "unclean.leader.election.enable"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key + "=" + c.value);
    auto r = make({{c.key, c.value}});
    ASSERT_FALSE(r) << "accepted";
    EXPECT_EQ(r.code(), errc::invalid_config);
    const std::string& m = r.err().message;
    EXPECT_NE(m.find("'" + c.key + "'"), std::string::npos) << m;
    // A synonym's error is about the broker key the user wrote, not the topic key behind it.
    if (!c.topic_key.empty() && c.topic_key != c.key) {
      EXPECT_EQ(m.find("'" + c.topic_key + "'"), std::string::npos) << m;
    }
  }
}

TEST(BrokerConfig, ToPropertiesContainsEveryDefinedKey) {
  BrokerConfig c = make_ok({});
  auto p = c.to_properties();
  const auto& defs = broker_config_definitions();
  ASSERT_FALSE(defs.empty());
  for (const auto& d : defs) {
    ASSERT_TRUE(p.count(d.name)) << d.name;
    EXPECT_FALSE(d.doc.empty()) << d.name;
    EXPECT_FALSE(d.type.empty()) << d.name;
    // Where the definition states a concrete default, a fresh broker shows it.
    if (!d.default_value.empty() && d.default_value.find('<') == std::string::npos) {
      EXPECT_EQ(p.at(d.name), d.default_value) << d.name;
    }
  }
  // Nothing undefined either.
  EXPECT_EQ(p.size(), defs.size());
}

TEST(BrokerConfig, DefinedKeysAreAcceptedByFrom) {
  // Feeding a fresh broker's own properties back is accepted and changes nothing.
  BrokerConfig c = make_ok({});
  auto again = make(c.to_properties());
  ASSERT_TRUE(again) << again.err().to_string();
  EXPECT_EQ(again->to_properties(), c.to_properties());
}

TEST(BrokerConfig, ToPropertiesRoundTripsNonDefaultValues) {
  BrokerConfig c = make_ok({{"log.dirs", "/var/shoal/x"},
                            {"num.partitions", "12"},
                            {"default.replication.factor", "2"},
                            {"auto.create.topics.enable", "false"},
                            {"log.retention.minutes", "90"},
                            {"log.roll.hours", "2"},
                            {"log.segment.bytes", "2097152"},
                            {"message.max.bytes", "500000"},
                            {"log.cleanup.policy", "compact,delete"},
                            {"compression.type", "lz4"},
                            {"min.insync.replicas", "2"},
                            {"shm.session.timeout.ms", "3000"}},
                           7);
  auto p = c.to_properties();
  EXPECT_EQ(p.at("log.retention.ms"), "5400000");
  EXPECT_EQ(p.at("log.retention.minutes"), "90");
  // Whole hours, rounded up (to_properties): the exact ms form takes precedence on reading.
  EXPECT_EQ(p.at("log.retention.hours"), "2");
  EXPECT_EQ(p.at("broker.id"), "7");
  EXPECT_EQ(p.at("log.dirs"), "/var/shoal/x");

  auto again = make(p, 7);
  ASSERT_TRUE(again) << again.err().to_string();
  EXPECT_EQ(again->to_properties(), p);
  EXPECT_EQ(again->topic_defaults.log.retention_ms, 5400000);
  EXPECT_EQ(again->topic_defaults.log.segment_ms, 7200000);
  EXPECT_EQ(again->log_dir, fs::path("/var/shoal/x"));
}

TEST(BrokerConfig, ToPropertiesWithSubHourRollRoundTrips) {
  // segment.ms below an hour must not print log.roll.hours as 0, a value from() refuses on
  // its own even though log.roll.ms, printed alongside, takes precedence over it.
  BrokerConfig c = make_ok({{"log.roll.ms", "600000"}});
  auto p = c.to_properties();
  EXPECT_EQ(p.at("log.roll.ms"), "600000");
  EXPECT_EQ(p.at("log.roll.hours"), "1");
  auto again = make(p);
  ASSERT_TRUE(again) << again.err().to_string();
  EXPECT_EQ(again->topic_defaults.log.segment_ms, 600000);
  EXPECT_EQ(again->to_properties(), p);
}

}  // namespace
}  // namespace shoal::broker
