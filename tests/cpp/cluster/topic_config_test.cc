// Topic configuration overrides and Kafka's topic-name rules: legal characters, the 249
// character limit, "." and "..", '.'/'_' collisions and internal topics.
#include "cluster/topic_config.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace shoal::cluster {
namespace {

TEST(TopicName, LegalNamesAreAccepted) {
  for (const std::string& name :
       {std::string("a"), std::string("orders"), std::string("Orders-2024_v1.0"),
        std::string("..."), std::string(".a"), std::string("a.."), std::string("_"),
        std::string("-"), std::string("__consumer_offsets"), std::string("0123456789"),
        std::string("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"),
        std::string(249, 'x')}) {
    auto st = validate_topic_name(name);
    EXPECT_TRUE(st) << name << ": " << st.err().to_string();
  }
}

TEST(TopicName, EmptyNameIsInvalid) {
  auto st = validate_topic_name("");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.code(), errc::invalid_topic_exception);
}

TEST(TopicName, DotAndDotDotAreInvalid) {
  for (std::string name : {".", ".."}) {
    auto st = validate_topic_name(name);
    ASSERT_FALSE(st) << name;
    EXPECT_EQ(st.code(), errc::invalid_topic_exception);
  }
}

TEST(TopicName, MaxLength249IsLegal250IsNot) {
  EXPECT_TRUE(validate_topic_name(std::string(249, 'a')));
  auto st = validate_topic_name(std::string(250, 'a'));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.code(), errc::invalid_topic_exception);
  EXPECT_NE(st.err().message.find("249"), std::string::npos) << st.err().message;
  EXPECT_FALSE(validate_topic_name(std::string(10000, 'a')));
  // The length is checked before the characters: a long illegal name is reported as too long.
  auto both = validate_topic_name(std::string(250, '*'));
  ASSERT_FALSE(both);
  EXPECT_NE(both.err().message.find("249"), std::string::npos) << both.err().message;
}

TEST(TopicName, IllegalCharactersAreInvalid) {
  for (const std::string& name :
       {std::string("has space"), std::string("a/b"), std::string("a\\b"), std::string("a:b"),
        std::string("a,b"), std::string("a*"), std::string("a+b"), std::string("a#b"),
        std::string("tab\t"), std::string("new\nline"), std::string("caf\xc3\xa9"),
        std::string("nul\0byte", 8), std::string("a@b"), std::string("a=b"), std::string("'q'"),
        std::string(" leading"), std::string("trailing ")}) {
    auto st = validate_topic_name(name);
    ASSERT_FALSE(st) << name;
    EXPECT_EQ(st.code(), errc::invalid_topic_exception) << name;
    EXPECT_NE(st.err().message.find("ASCII alphanumerics, '.', '_' and '-'"), std::string::npos)
        << st.err().message;
  }
}

TEST(TopicName, ErrorsSayWhichRuleTheNameBreaks) {
  struct Case {
    std::string name, mentions;
  } cases[] = {
      {"", "empty"},    {".", "'.'"},
      {"..", "'..'"},   {std::string(250, 'a'), "249"},
      {"a b", "'a b'"}, {"caf\xc3\xa9", "ASCII alphanumerics"},
  };
  for (const auto& c : cases) {
    auto st = validate_topic_name(c.name);
    ASSERT_FALSE(st) << c.name;
    EXPECT_EQ(st.code(), errc::invalid_topic_exception) << c.name;
    EXPECT_NE(st.err().message.find(c.mentions), std::string::npos) << st.err().message;
  }
}

TEST(TopicName, DotAndUnderscoreCollide) {
  EXPECT_TRUE(topic_names_collide("a.b", "a_b"));
  EXPECT_TRUE(topic_names_collide("a_b", "a.b"));
  EXPECT_TRUE(topic_names_collide("metrics.cpu_load", "metrics_cpu.load"));
  EXPECT_TRUE(topic_names_collide("...", "___"));
  EXPECT_TRUE(topic_names_collide(".", "_"));
}

TEST(TopicName, IdenticalNamesDoNotCollide) {
  // The same name is TOPIC_ALREADY_EXISTS, not a collision.
  EXPECT_FALSE(topic_names_collide("a.b", "a.b"));
  EXPECT_FALSE(topic_names_collide("a_b", "a_b"));
  EXPECT_FALSE(topic_names_collide("", ""));
}

TEST(TopicName, OtherDifferencesDoNotCollide) {
  EXPECT_FALSE(topic_names_collide("a.b", "a.bc"));  // different lengths
  EXPECT_FALSE(topic_names_collide("a.b", "a__b"));
  EXPECT_FALSE(topic_names_collide("a.b", "a-b"));  // '-' is not a collision character
  EXPECT_FALSE(topic_names_collide("a.b", "A_b"));  // case matters
  EXPECT_FALSE(topic_names_collide("a.b", "b_a"));
  EXPECT_FALSE(topic_names_collide("a.b.c", "a_b_d"));
}

TEST(TopicName, InternalTopics) {
  EXPECT_TRUE(is_internal_topic("__consumer_offsets"));
  EXPECT_TRUE(is_internal_topic("__transaction_state"));
  EXPECT_FALSE(is_internal_topic("__consumer_offsets2"));
  EXPECT_FALSE(is_internal_topic("_consumer_offsets"));
  EXPECT_FALSE(is_internal_topic("__my_topic"));
  EXPECT_FALSE(is_internal_topic("orders"));
}

TEST(TopicConfig, KafkaDefaults) {
  TopicConfig c;
  EXPECT_EQ(c.get("min.insync.replicas"), "1");
  EXPECT_EQ(c.get("unclean.leader.election.enable"), "false");
  EXPECT_EQ(c.get("retention.ms"), "604800000");
  auto props = c.to_properties();
  EXPECT_EQ(props.at("min.insync.replicas"), "1");
  EXPECT_EQ(props.at("unclean.leader.election.enable"), "false");
  EXPECT_EQ(props.at("cleanup.policy"), "delete");
}

TEST(TopicConfig, MinInsyncReplicasParsing) {
  struct Ok {
    std::string value;
    int32_t expected;
  } ok[] = {{"1", 1}, {"2", 2}, {" 3 ", 3}, {"\t4", 4}, {"2147483647", INT32_MAX}};
  for (const auto& c : ok) {
    auto r = TopicConfig{}.with({{"min.insync.replicas", c.value}});
    ASSERT_TRUE(r) << "'" << c.value << "': " << r.err().to_string();
    EXPECT_EQ(r->min_insync_replicas, c.expected);
    EXPECT_EQ(r->get("min.insync.replicas"), std::to_string(c.expected));
  }
  for (std::string bad :
       {"0", "-1", "", " ", "abc", "1.5", "2x", "2147483648", "99999999999999999999", "0x2"}) {
    auto r = TopicConfig{}.with({{"min.insync.replicas", bad}});
    ASSERT_FALSE(r) << "'" << bad << "' accepted";
    EXPECT_EQ(r.code(), errc::invalid_config);
    EXPECT_NE(r.err().message.find("'min.insync.replicas'"), std::string::npos) << r.err().message;
  }
}

TEST(TopicConfig, UncleanLeaderElectionEnableParsing) {
  struct Ok {
    std::string value;
    bool expected;
  } ok[] = {{"true", true}, {"false", false}, {"TRUE", true}, {"False", false}, {" true ", true}};
  for (const auto& c : ok) {
    auto r = TopicConfig{}.with({{"unclean.leader.election.enable", c.value}});
    ASSERT_TRUE(r) << "'" << c.value << "': " << r.err().to_string();
    EXPECT_EQ(r->unclean_leader_election_enable, c.expected);
    EXPECT_EQ(r->get("unclean.leader.election.enable"), c.expected ? "true" : "false");
  }
  for (std::string bad : {"yes", "no", "1", "0", "", "truee", "t"}) {
    auto r = TopicConfig{}.with({{"unclean.leader.election.enable", bad}});
    ASSERT_FALSE(r) << "'" << bad << "' accepted";
    EXPECT_EQ(r.code(), errc::invalid_config);
    EXPECT_NE(r.err().message.find("'unclean.leader.election.enable'"), std::string::npos)
        << r.err().message;
  }
}

TEST(TopicConfig, LogKeysPassThroughAndUnknownKeysNameTheKey) {
  auto r = TopicConfig{}.with(
      {{"retention.ms", "1000"}, {"min.insync.replicas", "2"}, {"cleanup.policy", "compact"}});
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_EQ(r->log.retention_ms, 1000);
  EXPECT_TRUE(r->log.cleanup_compact);
  EXPECT_EQ(r->min_insync_replicas, 2);

  auto unknown = TopicConfig{}.with({{"min.insync.replica", "2"}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.code(), errc::invalid_config);
  EXPECT_NE(unknown.err().message.find("'min.insync.replica'"), std::string::npos);
}

TEST(TopicConfig, OverridesApplyOnTopOfDefaultsWithoutChangingThem) {
  auto defaults = TopicConfig{}.with({{"min.insync.replicas", "2"}, {"retention.ms", "5000"}});
  ASSERT_TRUE(defaults);
  auto topic = defaults->with({{"retention.ms", "7000"}});
  ASSERT_TRUE(topic);
  EXPECT_EQ(topic->min_insync_replicas, 2);
  EXPECT_EQ(topic->log.retention_ms, 7000);
  EXPECT_EQ(defaults->log.retention_ms, 5000);
  // A bad override fails as a whole.
  auto bad = defaults->with({{"retention.ms", "1"}, {"min.insync.replicas", "0"}});
  EXPECT_FALSE(bad);
}

TEST(TopicConfig, DefinitionsCoverEveryKeyWithItsDefault) {
  TopicConfig c;
  auto defs = topic_config_definitions();
  EXPECT_TRUE(std::is_sorted(defs.begin(), defs.end(),
                             [](const auto& a, const auto& b) { return a.name < b.name; }));
  auto props = c.to_properties();
  EXPECT_EQ(defs.size(), props.size());
  for (const auto& d : defs) {
    EXPECT_EQ(c.get(d.name), d.default_value) << d.name;
    EXPECT_TRUE(props.count(d.name)) << d.name;
    EXPECT_FALSE(d.doc.empty()) << d.name;
  }
  bool has_min_isr = std::any_of(defs.begin(), defs.end(),
                                 [](const auto& d) { return d.name == "min.insync.replicas"; });
  EXPECT_TRUE(has_min_isr);
}

}  // namespace
}  // namespace shoal::cluster
