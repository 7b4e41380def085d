#include "client/assignor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::client {
namespace {

// ---------------------------------------------------------------------------------------------
// Helpers

// Builds bytes field by field, in Kafka's classic encoding, independently of the codec.
class ByteBuilder {
 public:
  ByteBuilder& i16(int16_t v) { return be(static_cast<uint16_t>(v), 2); }
  ByteBuilder& i32(int32_t v) { return be(static_cast<uint32_t>(v), 4); }
  ByteBuilder& str(std::string_view s) {
    i16(static_cast<int16_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
    return *this;
  }
  ByteBuilder& raw(std::initializer_list<uint8_t> b) {
    out_.insert(out_.end(), b.begin(), b.end());
    return *this;
  }
  bytes build() const { return out_; }

 private:
  ByteBuilder& be(uint32_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  bytes out_;
};

bytes to_bytes(std::string_view s) {
  return bytes(s.begin(), s.end());
}

TopicPartition tp(std::string topic, int32_t partition) {
  return TopicPartition{std::move(topic), partition};
}

MemberSubscription member(std::string id, std::vector<std::string> topics,
                          std::vector<TopicPartition> owned = {}, int32_t generation = -1) {
  MemberSubscription m;
  m.member_id = std::move(id);
  std::sort(topics.begin(), topics.end());
  m.topics = std::move(topics);
  std::sort(owned.begin(), owned.end());
  m.owned_partitions = std::move(owned);
  m.generation = generation;
  return m;
}

MemberSubscription static_member(std::string id, std::string instance,
                                 std::vector<std::string> topics) {
  MemberSubscription m = member(std::move(id), std::move(topics));
  m.group_instance_id = std::move(instance);
  return m;
}

std::set<TopicPartition> as_set(const std::vector<TopicPartition>& v) {
  return {v.begin(), v.end()};
}

bool subscribes(const MemberSubscription& m, const std::string& topic) {
  return std::find(m.topics.begin(), m.topics.end(), topic) != m.topics.end();
}

// Every partition of every topic someone subscribes to is assigned exactly once, to a member
// subscribed to it; nothing else is assigned; every member has a sorted entry.
void expect_valid(const std::map<std::string, int32_t>& partitions,
                  const std::vector<MemberSubscription>& members, const Assignment& a,
                  bool complete = true) {
  std::map<std::string, const MemberSubscription*> by_id;
  for (const auto& m : members) by_id.emplace(m.member_id, &m);
  ASSERT_EQ(a.size(), by_id.size());
  std::map<TopicPartition, std::string> owner;
  for (const auto& [id, list] : a) {
    ASSERT_TRUE(by_id.contains(id)) << id;
    EXPECT_TRUE(std::is_sorted(list.begin(), list.end())) << id;
    for (const auto& p : list) {
      EXPECT_TRUE(subscribes(*by_id[id], p.topic))
          << id << " got " << p.topic << "-" << p.partition;
      auto it = partitions.find(p.topic);
      ASSERT_NE(it, partitions.end()) << p.topic;
      EXPECT_GE(p.partition, 0);
      EXPECT_LT(p.partition, it->second);
      EXPECT_TRUE(owner.emplace(p, id).second) << p.topic << "-" << p.partition << " twice";
    }
  }
  if (!complete) return;
  for (const auto& [topic, n] : partitions) {
    const bool wanted = std::any_of(members.begin(), members.end(),
                                    [&](const auto& m) { return subscribes(m, topic); });
    for (int32_t p = 0; p < n; ++p) {
      EXPECT_EQ(owner.contains(tp(topic, p)), wanted) << topic << "-" << p;
    }
  }
}

// Java's isBalanced(): no partition could move to another member subscribed to its topic that
// has at least two partitions fewer.
void expect_sticky_balanced(const std::vector<MemberSubscription>& members, const Assignment& a) {
  for (const auto& from : members) {
    for (const auto& to : members) {
      const auto& src = a.at(from.member_id);
      const auto& dst = a.at(to.member_id);
      if (src.size() < dst.size() + 2) continue;
      for (const auto& p : src) {
        EXPECT_FALSE(subscribes(to, p.topic))
            << from.member_id << " (" << src.size() << ") could give " << p.topic << "-"
            << p.partition << " to " << to.member_id << " (" << dst.size() << ")";
      }
    }
  }
}

// The previous owner by the rule the assignor documents, computed independently:
// std::nullopt = none, "" = contested.
std::map<TopicPartition, std::string> previous_owners(
    const std::vector<MemberSubscription>& members) {
  std::map<TopicPartition, std::pair<int32_t, std::vector<std::string>>> claims;
  for (const auto& m : members) {
    for (const auto& p : as_set(m.owned_partitions)) {
      auto& [gen, who] =
          claims.try_emplace(p, m.generation, std::vector<std::string>{}).first->second;
      if (m.generation > gen) {
        gen = m.generation;
        who.clear();
      }
      if (m.generation == gen) who.push_back(m.member_id);
    }
  }
  std::map<TopicPartition, std::string> out;
  for (const auto& [p, c] : claims) out[p] = c.second.size() == 1 ? c.second[0] : "";
  return out;
}

// No member is given a partition another member may still hold.
void expect_cooperative(const std::vector<MemberSubscription>& members, const Assignment& a) {
  const auto prev = previous_owners(members);
  for (const auto& [id, list] : a) {
    for (const auto& p : list) {
      auto it = prev.find(p);
      if (it == prev.end()) continue;
      EXPECT_EQ(it->second, id) << p.topic << "-" << p.partition << " given to " << id << " while "
                                << (it->second.empty() ? "contested" : it->second) << " holds it";
    }
  }
}

const std::map<std::string, int32_t> two_topics_of_3 = {{"t0", 3}, {"t1", 3}};

// ---------------------------------------------------------------------------------------------
// ConsumerProtocolSubscription / ConsumerProtocolAssignment

ConsumerProtocolSubscription full_subscription(int16_t version) {
  ConsumerProtocolSubscription s;
  s.version = version;
  s.topics = {"orders", "payments"};
  s.user_data = to_bytes("ud");
  s.owned_partitions = {{"orders", {0, 2}}, {"payments", {1}}};
  s.generation_id = 42;
  s.rack_id = "rack-a";
  return s;
}

// What a decoder of `version` sees of full_subscription: the fields that version has.
ConsumerProtocolSubscription as_seen_at(ConsumerProtocolSubscription s, int16_t version) {
  s.version = version;
  if (version < 1) s.owned_partitions.clear();
  if (version < 2) s.generation_id = -1;
  if (version < 3) s.rack_id.reset();
  return s;
}

TEST(AssignorProtocol, SubscriptionRoundTripEveryVersion) {
  for (int16_t v = 0; v <= consumer_protocol_version; ++v) {
    SCOPED_TRACE(v);
    const auto encoded = encode_subscription(full_subscription(v));
    auto decoded = decode_subscription(encoded);
    ASSERT_TRUE(decoded) << decoded.err().to_string();
    EXPECT_EQ(*decoded, as_seen_at(full_subscription(v), v));
    EXPECT_EQ(encode_subscription(*decoded), encoded);
  }
}

TEST(AssignorProtocol, SubscriptionNullsAndEmptiesRoundTrip) {
  ConsumerProtocolSubscription s;
  s.user_data = bytes{};  // librdkafka sends empty user data, not null
  auto d = decode_subscription(encode_subscription(s));
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, s);
  s.user_data.reset();
  s.rack_id = "";
  d = decode_subscription(encode_subscription(s));
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, s);
}

TEST(AssignorProtocol, SubscriptionV1MatchesKafkaBytes) {
  // Version 1 as Kafka's generated writer lays it out: owned partitions, no generation.
  const bytes kafka = ByteBuilder()
                          .i16(1)
                          .i32(2)
                          .str("t0")
                          .str("t1")
                          .i32(-1)  // user_data null
                          .i32(1)   // owned_partitions
                          .str("t0")
                          .i32(2)
                          .i32(0)
                          .i32(2)
                          .build();
  ConsumerProtocolSubscription s;
  s.version = 1;
  s.topics = {"t0", "t1"};
  s.owned_partitions = {{"t0", {0, 2}}};
  EXPECT_EQ(encode_subscription(s), kafka);
  auto d = decode_subscription(kafka);
  ASSERT_TRUE(d) << d.err().to_string();
  EXPECT_EQ(*d, s);
}

TEST(AssignorProtocol, SubscriptionV3AsLibrdkafkaWritesIt) {
  // rd_kafka_consumer_protocol_member_metadata_new(): version 3, empty (not null) user data,
  // an empty owned list, the generation, a null rack.
  const bytes rdkafka = ByteBuilder()
                            .i16(3)
                            .i32(1)
                            .str("orders")
                            .i32(0)   // user_data, empty
                            .i32(0)   // owned_partitions
                            .i32(5)   // generation_id
                            .i16(-1)  // rack_id null
                            .build();
  auto d = decode_subscription(rdkafka);
  ASSERT_TRUE(d) << d.err().to_string();
  EXPECT_EQ(d->version, 3);
  EXPECT_EQ(d->topics, std::vector<std::string>{"orders"});
  EXPECT_EQ(d->user_data, bytes{});
  EXPECT_TRUE(d->owned_partitions.empty());
  EXPECT_EQ(d->generation_id, 5);
  EXPECT_FALSE(d->rack_id);
  EXPECT_EQ(encode_subscription(*d), rdkafka);
}

TEST(AssignorProtocol, SubscriptionV0IgnoresLaterFields) {
  // A v0 decoder stops after user_data, so whatever follows is ignored, as in Kafka.
  const bytes v0 = ByteBuilder().i16(0).i32(1).str("t").i32(-1).i32(1).str("t").build();
  auto d = decode_subscription(v0);
  ASSERT_TRUE(d) << d.err().to_string();
  EXPECT_EQ(d->version, 0);
  EXPECT_EQ(d->topics, std::vector<std::string>{"t"});
  EXPECT_FALSE(d->user_data);
  EXPECT_TRUE(d->owned_partitions.empty());
  EXPECT_EQ(d->generation_id, -1);
}

TEST(AssignorProtocol, SubscriptionNewerVersionReadAsNewestKnown) {
  // A future version 9 with one more field appended: read as version 3, the rest ignored.
  bytes future = encode_subscription(full_subscription(3));
  future[0] = 0;
  future[1] = 9;
  const bytes extra = ByteBuilder().str("future-field").i32(77).build();
  future.insert(future.end(), extra.begin(), extra.end());
  auto d = decode_subscription(future);
  ASSERT_TRUE(d) << d.err().to_string();
  EXPECT_EQ(d->version, 9);
  EXPECT_EQ(*d, as_seen_at(full_subscription(3), 9));
  // Re-encoding writes the newest version Shoal knows.
  EXPECT_EQ(encode_subscription(*d), encode_subscription(full_subscription(3)));
}

TEST(AssignorProtocol, AssignmentRoundTripEveryVersion) {
  ConsumerProtocolAssignment a;
  a.assigned_partitions = {{"t0", {0, 1}}, {"t1", {2}}};
  a.user_data = to_bytes("x");
  for (int16_t v = 0; v <= consumer_protocol_version; ++v) {
    SCOPED_TRACE(v);
    a.version = v;
    auto d = decode_assignment(encode_assignment(a));
    ASSERT_TRUE(d) << d.err().to_string();
    EXPECT_EQ(*d, a);
  }
}

TEST(AssignorProtocol, AssignmentMatchesKafkaBytes) {
  const bytes kafka = ByteBuilder()
                          .i16(3)
                          .i32(2)
                          .str("t0")
                          .i32(2)
                          .i32(0)
                          .i32(1)
                          .str("t1")
                          .i32(1)
                          .i32(2)
                          .i32(-1)  // user_data null
                          .build();
  ConsumerProtocolAssignment a;
  a.assigned_partitions = {{"t0", {0, 1}}, {"t1", {2}}};
  EXPECT_EQ(encode_assignment(a), kafka);
  auto d = decode_assignment(kafka);
  ASSERT_TRUE(d) << d.err().to_string();
  EXPECT_EQ(*d, a);
  EXPECT_EQ(flatten(d->assigned_partitions),
            (std::vector<TopicPartition>{tp("t0", 0), tp("t0", 1), tp("t1", 2)}));

  // Version 0 from an old Java client, and a future version with a trailing field.
  const bytes v0 = ByteBuilder().i16(0).i32(1).str("t").i32(1).i32(4).i32(2).raw({7, 8}).build();
  d = decode_assignment(v0);
  ASSERT_TRUE(d) << d.err().to_string();
  EXPECT_EQ(d->version, 0);
  EXPECT_EQ(flatten(d->assigned_partitions), std::vector<TopicPartition>{tp("t", 4)});
  EXPECT_EQ(d->user_data, (bytes{7, 8}));
  bytes v5 = v0;
  v5[1] = 5;
  v5.push_back(0xAB);
  d = decode_assignment(v5);
  ASSERT_TRUE(d) << d.err().to_string();
  EXPECT_EQ(d->version, 5);
  EXPECT_EQ(d->user_data, (bytes{7, 8}));
}

TEST(AssignorProtocol, EveryTruncationRefused) {
  const bytes sub = encode_subscription(full_subscription(3));
  for (size_t n = 0; n < sub.size(); ++n) {
    auto d = decode_subscription(bytes_view(sub.data(), n));
    ASSERT_FALSE(d) << "prefix of " << n << " bytes accepted";
    EXPECT_EQ(d.code(), errc::invalid_request);
    EXPECT_NE(d.err().message.find("malformed ConsumerProtocolSubscription"), std::string::npos)
        << d.err().message;
  }
  ConsumerProtocolAssignment a;
  a.assigned_partitions = {{"t0", {0, 1}}};
  a.user_data = to_bytes("ud");
  const bytes asg = encode_assignment(a);
  for (size_t n = 0; n < asg.size(); ++n) {
    auto d = decode_assignment(bytes_view(asg.data(), n));
    ASSERT_FALSE(d) << "prefix of " << n << " bytes accepted";
    EXPECT_EQ(d.code(), errc::invalid_request);
    EXPECT_NE(d.err().message.find("malformed ConsumerProtocolAssignment"), std::string::npos);
  }
}

TEST(AssignorProtocol, MalformedSubscriptionsRefused) {
  const std::vector<std::pair<std::string, bytes>> cases = {
      {"negative version", ByteBuilder().i16(-1).i32(0).i32(-1).build()},
      {"null topics array", ByteBuilder().i16(0).i32(-1).i32(-1).build()},
      {"negative topics count", ByteBuilder().i16(0).i32(-7).i32(-1).build()},
      {"huge topics count", ByteBuilder().i16(0).i32(0x7fffffff).str("t").i32(-1).build()},
      {"null topic name", ByteBuilder().i16(0).i32(1).i16(-1).i32(-1).build()},
      {"topic name past the end", ByteBuilder().i16(0).i32(1).i16(50).raw({'t'}).build()},
      {"user_data length -2", ByteBuilder().i16(0).i32(0).i32(-2).build()},
      {"user_data past the end", ByteBuilder().i16(0).i32(0).i32(10).raw({1, 2}).build()},
      {"null owned array", ByteBuilder().i16(1).i32(0).i32(-1).i32(-1).build()},
      {"owned partitions truncated",
       ByteBuilder().i16(1).i32(0).i32(-1).i32(1).str("t").i32(3).i32(0).build()},
      {"null owned partitions",
       ByteBuilder().i16(1).i32(0).i32(-1).i32(1).str("t").i32(-1).build()},
      {"generation truncated", ByteBuilder().i16(2).i32(0).i32(-1).i32(0).raw({0, 0}).build()},
      {"rack length -2", ByteBuilder().i16(3).i32(0).i32(-1).i32(0).i32(1).i16(-2).build()},
      {"rack past the end", ByteBuilder().i16(3).i32(0).i32(-1).i32(0).i32(1).i16(9).build()},
  };
  for (const auto& [what, data] : cases) {
    auto d = decode_subscription(data);
    EXPECT_FALSE(d) << what;
    if (!d) {
      EXPECT_EQ(d.code(), errc::invalid_request) << what;
    }
  }
  auto a = decode_assignment(ByteBuilder().i16(0).i32(0x40000000).build());
  EXPECT_EQ(a.code(), errc::invalid_request);
  a = decode_assignment(ByteBuilder().i16(-3).i32(0).i32(-1).build());
  EXPECT_EQ(a.code(), errc::invalid_request);
}

TEST(AssignorProtocol, RandomCorruptionNeverCrashes) {
  std::mt19937 rng(7);
  const bytes sub = encode_subscription(full_subscription(3));
  ConsumerProtocolAssignment asg;
  asg.assigned_partitions = {{"orders", {0, 1, 5}}, {"payments", {3}}};
  asg.user_data = to_bytes("abc");
  const bytes assignment = encode_assignment(asg);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    bytes s = i % 2 ? sub : assignment;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) s[rng() % s.size()] = static_cast<uint8_t>(rng());
    if (rng() % 4 == 0) s.resize(rng() % (s.size() + 1));
    if (i % 2) {
      auto d = decode_subscription(s);
      if (d) {
        ++accepted;
        auto again = decode_subscription(encode_subscription(*d));
        ASSERT_TRUE(again);
        EXPECT_EQ(again->topics, d->topics);
      } else {
        EXPECT_EQ(d.code(), errc::invalid_request);
      }
    } else {
      auto d = decode_assignment(s);
      if (d) {
        ++accepted;
      } else {
        EXPECT_EQ(d.code(), errc::invalid_request);
      }
    }
  }
  EXPECT_GT(accepted, 0);  // some corruptions only change values
}

TEST(AssignorProtocol, MemberSubscriptionConversions) {
  ConsumerProtocolSubscription s;
  s.version = 2;
  s.topics = {"b", "a", "b"};
  s.owned_partitions = {{"b", {3, 1}}, {"a", {0}}, {"b", {1}}};
  s.generation_id = 8;
  s.rack_id = "";
  const auto m = to_member_subscription("m-1", "i-1", s);
  EXPECT_EQ(m.member_id, "m-1");
  EXPECT_EQ(m.group_instance_id, "i-1");
  EXPECT_EQ(m.topics, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(m.owned_partitions, (std::vector<TopicPartition>{tp("a", 0), tp("b", 1), tp("b", 3)}));
  EXPECT_EQ(m.generation, 8);
  EXPECT_FALSE(m.rack_id);  // empty rack = none, as in Kafka

  const auto back = to_protocol_subscription(m);
  EXPECT_EQ(back.version, consumer_protocol_version);
  EXPECT_EQ(back.topics, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(back.owned_partitions, (std::vector<TopicPartitions>{{"a", {0}}, {"b", {1, 3}}}));
  EXPECT_EQ(back.generation_id, 8);
  auto decoded = decode_subscription(encode_subscription(back));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(to_member_subscription("m-1", "i-1", *decoded), m);
}

// ---------------------------------------------------------------------------------------------
// partition.assignment.strategy

std::vector<std::string> names(const std::vector<std::unique_ptr<Assignor>>& v) {
  std::vector<std::string> out;
  for (const auto& a : v) out.emplace_back(a->name());
  return out;
}

TEST(AssignorStrategy, MakeAssignor) {
  for (std::string_view n : {"range", "roundrobin", "cooperative-sticky"}) {
    auto a = make_assignor(n);
    ASSERT_TRUE(a) << n;
    EXPECT_EQ(a->name(), n);
    EXPECT_EQ(a->cooperative(), n == "cooperative-sticky");
  }
  EXPECT_FALSE(make_assignor("sticky"));
  EXPECT_FALSE(make_assignor("Range"));
  EXPECT_FALSE(make_assignor(""));
}

TEST(AssignorStrategy, ParsesListsAsLibrdkafka) {
  auto r = parse_assignment_strategy("range,roundrobin");  // librdkafka's default
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_EQ(names(*r), (std::vector<std::string>{"range", "roundrobin"}));
  r = parse_assignment_strategy(" roundrobin , , range,roundrobin,");
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_EQ(names(*r), (std::vector<std::string>{"roundrobin", "range"}));
  r = parse_assignment_strategy("cooperative-sticky");
  ASSERT_TRUE(r);
  EXPECT_EQ(names(*r), std::vector<std::string>{"cooperative-sticky"});
}

TEST(AssignorStrategy, RefusesUnknownMixedAndEmpty) {
  auto r = parse_assignment_strategy("range,sticky");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::invalid_arg);
  EXPECT_NE(r.err().message.find("Unsupported partition.assignment.strategy: sticky"),
            std::string::npos)
      << r.err().message;

  r = parse_assignment_strategy("range,cooperative-sticky");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::invalid_arg);
  EXPECT_NE(r.err().message.find("must have the same protocol type"), std::string::npos)
      << r.err().message;
  EXPECT_NE(r.err().message.find("range eager, cooperative-sticky cooperative"), std::string::npos)
      << r.err().message;

  for (std::string_view empty : {"", " ", ",,", " , "}) {
    r = parse_assignment_strategy(empty);
    ASSERT_FALSE(r) << "'" << empty << "'";
    EXPECT_EQ(r.code(), errc::invalid_arg);
  }
}

// ---------------------------------------------------------------------------------------------
// range

TEST(AssignorRange, JavadocExample) {
  const auto a = RangeAssignor().assign(two_topics_of_3,
                                        {member("C0", {"t0", "t1"}), member("C1", {"t0", "t1"})});
  EXPECT_EQ(a.at("C0"),
            (std::vector<TopicPartition>{tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)}));
  EXPECT_EQ(a.at("C1"), (std::vector<TopicPartition>{tp("t0", 2), tp("t1", 2)}));
}

TEST(AssignorRange, StaticMembersOrderedByInstanceId) {
  // Javadoc: after a rolling bounce C0 -> C3 and C1 -> C2, instance ids keep the assignment.
  const auto a = RangeAssignor().assign(two_topics_of_3, {static_member("C3", "I0", {"t0", "t1"}),
                                                          static_member("C2", "I1", {"t0", "t1"})});
  EXPECT_EQ(a.at("C3"),
            (std::vector<TopicPartition>{tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)}));
  EXPECT_EQ(a.at("C2"), (std::vector<TopicPartition>{tp("t0", 2), tp("t1", 2)}));
  // Static members come before dynamic ones whatever their ids.
  const auto b =
      RangeAssignor().assign({{"t", 3}}, {member("a", {"t"}), static_member("z", "I9", {"t"})});
  EXPECT_EQ(b.at("z"), (std::vector<TopicPartition>{tp("t", 0), tp("t", 1)}));
  EXPECT_EQ(b.at("a"), (std::vector<TopicPartition>{tp("t", 2)}));
}

TEST(AssignorRange, DifferentSubscriptions) {
  const auto a = RangeAssignor().assign({{"t0", 3}, {"t1", 2}},
                                        {member("C0", {"t0"}), member("C1", {"t0", "t1"})});
  EXPECT_EQ(a.at("C0"), (std::vector<TopicPartition>{tp("t0", 0), tp("t0", 1)}));
  EXPECT_EQ(a.at("C1"), (std::vector<TopicPartition>{tp("t0", 2), tp("t1", 0), tp("t1", 1)}));
}

TEST(AssignorRange, MoreMembersThanPartitions) {
  const auto a = RangeAssignor().assign(
      {{"t", 2}}, {member("C0", {"t"}), member("C1", {"t"}), member("C2", {"t"})});
  EXPECT_EQ(a.at("C0"), std::vector<TopicPartition>{tp("t", 0)});
  EXPECT_EQ(a.at("C1"), std::vector<TopicPartition>{tp("t", 1)});
  ASSERT_TRUE(a.contains("C2"));
  EXPECT_TRUE(a.at("C2").empty());
}

// ---------------------------------------------------------------------------------------------
// roundrobin

TEST(AssignorRoundRobin, JavadocExample) {
  const auto a = RoundRobinAssignor().assign(
      two_topics_of_3, {member("C0", {"t0", "t1"}), member("C1", {"t0", "t1"})});
  EXPECT_EQ(a.at("C0"), (std::vector<TopicPartition>{tp("t0", 0), tp("t0", 2), tp("t1", 1)}));
  EXPECT_EQ(a.at("C1"), (std::vector<TopicPartition>{tp("t0", 1), tp("t1", 0), tp("t1", 2)}));
}

TEST(AssignorRoundRobin, JavadocDifferentSubscriptions) {
  const auto a = RoundRobinAssignor().assign(
      {{"t0", 1}, {"t1", 2}, {"t2", 3}},
      {member("C0", {"t0"}), member("C1", {"t0", "t1"}), member("C2", {"t0", "t1", "t2"})});
  EXPECT_EQ(a.at("C0"), std::vector<TopicPartition>{tp("t0", 0)});
  EXPECT_EQ(a.at("C1"), std::vector<TopicPartition>{tp("t1", 0)});
  EXPECT_EQ(a.at("C2"),
            (std::vector<TopicPartition>{tp("t1", 1), tp("t2", 0), tp("t2", 1), tp("t2", 2)}));
}

TEST(AssignorRoundRobin, JavadocStaticMembers) {
  // Member ids C5, C3, C4 after a bounce; instance ids I0, I1, I2 keep the order.
  const auto a =
      RoundRobinAssignor().assign(two_topics_of_3, {static_member("C5", "I0", {"t0", "t1"}),
                                                    static_member("C3", "I1", {"t0", "t1"}),
                                                    static_member("C4", "I2", {"t0", "t1"})});
  EXPECT_EQ(a.at("C5"), (std::vector<TopicPartition>{tp("t0", 0), tp("t1", 0)}));
  EXPECT_EQ(a.at("C3"), (std::vector<TopicPartition>{tp("t0", 1), tp("t1", 1)}));
  EXPECT_EQ(a.at("C4"), (std::vector<TopicPartition>{tp("t0", 2), tp("t1", 2)}));
}

TEST(AssignorRoundRobin, MoreMembersThanPartitions) {
  const auto a = RoundRobinAssignor().assign(
      {{"t", 2}}, {member("C2", {"t"}), member("C0", {"t"}), member("C1", {"t"})});
  EXPECT_EQ(a.at("C0"), std::vector<TopicPartition>{tp("t", 0)});
  EXPECT_EQ(a.at("C1"), std::vector<TopicPartition>{tp("t", 1)});
  EXPECT_TRUE(a.at("C2").empty());
}

// ---------------------------------------------------------------------------------------------
// All assignors: edge cases and random shapes

std::vector<std::unique_ptr<Assignor>> all_assignors() {
  std::vector<std::unique_ptr<Assignor>> v;
  v.push_back(std::make_unique<RangeAssignor>());
  v.push_back(std::make_unique<RoundRobinAssignor>());
  v.push_back(std::make_unique<CooperativeStickyAssignor>());
  return v;
}

TEST(AssignorAll, EdgeCases) {
  for (const auto& assignor : all_assignors()) {
    SCOPED_TRACE(std::string(assignor->name()));
    EXPECT_TRUE(assignor->assign(two_topics_of_3, {}).empty());

    // Unknown topics, topics with no partitions, a member subscribed to nothing, a repeated
    // member id (ignored after its first entry), and a topic nobody wants.
    const std::map<std::string, int32_t> partitions = {
        {"empty", 0}, {"t", 2}, {"unwanted", 4}, {"negative", -1}};
    std::vector<MemberSubscription> members = {member("A", {"t", "missing", "empty", "negative"}),
                                               member("B", {}), member("A", {"unwanted"})};
    const auto a = assignor->assign(partitions, members);
    EXPECT_EQ(a.size(), 2u);
    EXPECT_EQ(a.at("A"), (std::vector<TopicPartition>{tp("t", 0), tp("t", 1)}));
    EXPECT_TRUE(a.at("B").empty());

    // No partitions at all.
    const auto none = assignor->assign({}, {member("A", {"t"}), member("B", {"t"})});
    EXPECT_EQ(none.size(), 2u);
    EXPECT_TRUE(none.at("A").empty());
    EXPECT_TRUE(none.at("B").empty());
  }
}

struct Shape {
  std::map<std::string, int32_t> partitions;
  std::vector<MemberSubscription> members;
  bool identical = true;  // every member subscribes to the same topics
};

Shape random_shape(std::mt19937& rng, bool identical) {
  Shape s;
  s.identical = identical;
  const int topics = 1 + static_cast<int>(rng() % 6);
  std::vector<std::string> names;
  for (int t = 0; t < topics; ++t) {
    names.push_back("t" + std::to_string(t));
    s.partitions[names.back()] = static_cast<int32_t>(rng() % 13);
  }
  const int members = 1 + static_cast<int>(rng() % 9);
  std::vector<std::string> common;
  for (const auto& n : names) {
    if (rng() % 3 != 0) common.push_back(n);
  }
  if (rng() % 5 == 0) common.push_back("missing");
  for (int m = 0; m < members; ++m) {
    std::vector<std::string> subs = common;
    if (!identical) {
      subs.clear();
      for (const auto& n : names) {
        if (rng() % 2) subs.push_back(n);
      }
    }
    auto ms = member("m" + std::to_string(rng() % 1000) + "-" + std::to_string(m), subs);
    if (rng() % 4 == 0) ms.group_instance_id = "i" + std::to_string(rng() % 100);
    s.members.push_back(std::move(ms));
  }
  return s;
}

TEST(AssignorAll, RandomShapesPropertyTest) {
  std::mt19937 rng(2024);
  for (int iter = 0; iter < 600; ++iter) {
    const Shape s = random_shape(rng, iter % 2 == 0);
    SCOPED_TRACE(iter);
    auto shuffled = s.members;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (const auto& assignor : all_assignors()) {
      SCOPED_TRACE(std::string(assignor->name()));
      const auto a = assignor->assign(s.partitions, s.members);
      expect_valid(s.partitions, s.members, a);
      EXPECT_EQ(assignor->assign(s.partitions, shuffled), a) << "depends on member order";
      if (s.identical) {
        size_t lo = SIZE_MAX, hi = 0;
        for (const auto& [id, list] : a) {
          lo = std::min(lo, list.size());
          hi = std::max(hi, list.size());
        }
        if (assignor->name() != "range") {
          EXPECT_LE(hi - lo, 1u);
        }
      }
      if (assignor->name() == "range") {
        // Per topic: counts within one, the extra ones to the first members in member order.
        auto sorted = s.members;
        std::sort(sorted.begin(), sorted.end(), member_order_less);
        for (const auto& [topic, n] : s.partitions) {
          int32_t prev = INT32_MAX;
          for (const auto& m : sorted) {
            if (!subscribes(m, topic)) continue;
            const auto c = static_cast<int32_t>(
                std::count_if(a.at(m.member_id).begin(), a.at(m.member_id).end(),
                              [&](const auto& p) { return p.topic == topic; }));
            EXPECT_LE(c, prev);
            if (prev != INT32_MAX) {
              EXPECT_GE(c, prev - 1);
            }
            prev = c;
          }
        }
      }
      if (assignor->name() == "cooperative-sticky") expect_sticky_balanced(s.members, a);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// cooperative-sticky

// One rebalance as the group would run it: every member reports what it owns (its last
// assignment) in generation `generation`.
std::vector<MemberSubscription> with_owned(std::vector<MemberSubscription> members,
                                           const Assignment& last, int32_t generation) {
  for (auto& m : members) {
    auto it = last.find(m.member_id);
    m.owned_partitions = it == last.end() ? std::vector<TopicPartition>{} : it->second;
    m.generation = generation;
  }
  return members;
}

TEST(AssignorCooperativeSticky, FreshGroupNothingHeldBack) {
  const CooperativeStickyAssignor cs;
  const std::vector<MemberSubscription> members = {member("C0", {"t0", "t1"}),
                                                   member("C1", {"t0", "t1"})};
  const auto plan = cs.plan(two_topics_of_3, members);
  EXPECT_TRUE(plan.transferring.empty());
  EXPECT_EQ(plan.assignment, plan.target);
  expect_valid(two_topics_of_3, members, plan.assignment);
  EXPECT_EQ(plan.assignment.at("C0").size(), 3u);
  EXPECT_EQ(plan.assignment.at("C1").size(), 3u);
}

TEST(AssignorCooperativeSticky, KeepsOwnedPartitionsWhenBalanced) {
  // An unusual but balanced ownership is kept as it is.
  const std::vector<MemberSubscription> members = {
      member("C0", {"t0", "t1"}, {tp("t0", 0), tp("t0", 1), tp("t0", 2)}, 3),
      member("C1", {"t0", "t1"}, {tp("t1", 0), tp("t1", 1), tp("t1", 2)}, 3)};
  const auto a = CooperativeStickyAssignor().assign(two_topics_of_3, members);
  EXPECT_EQ(a.at("C0"), members[0].owned_partitions);
  EXPECT_EQ(a.at("C1"), members[1].owned_partitions);
}

TEST(AssignorCooperativeSticky, MemberJoinsTwoRebalances) {
  const CooperativeStickyAssignor cs;
  const Assignment before = {{"C0", {tp("t0", 0), tp("t0", 1), tp("t0", 2)}},
                             {"C1", {tp("t1", 0), tp("t1", 1), tp("t1", 2)}}};
  const std::vector<MemberSubscription> group = {
      member("C0", {"t0", "t1"}), member("C1", {"t0", "t1"}), member("C2", {"t0", "t1"})};

  // First rebalance: C2 joins. C0 and C1 each give up one partition, but C2 gets nothing
  // yet: C0 and C1 must revoke first.
  const auto first_in = with_owned(group, before, 4);
  const auto first = cs.plan(two_topics_of_3, first_in);
  expect_cooperative(first_in, first.assignment);
  expect_valid(two_topics_of_3, group, first.target);
  for (const auto& id : {"C0", "C1"}) {
    EXPECT_EQ(first.assignment.at(id).size(), 2u) << id;
    for (const auto& p : first.assignment.at(id)) {
      EXPECT_TRUE(as_set(before.at(id)).contains(p)) << id << " got a partition it did not own";
    }
  }
  EXPECT_TRUE(first.assignment.at("C2").empty());
  EXPECT_EQ(first.transferring.size(), 2u);
  EXPECT_EQ(as_set(first.target.at("C2")), as_set(first.transferring));

  // Follow-up rebalance: C0 and C1 revoked, C2 now gets both; nobody loses anything.
  const auto second_in = with_owned(group, first.assignment, 5);
  const auto second = cs.plan(two_topics_of_3, second_in);
  EXPECT_TRUE(second.transferring.empty());
  EXPECT_EQ(second.assignment, first.target);
  expect_valid(two_topics_of_3, group, second.assignment);
}

TEST(AssignorCooperativeSticky, MemberLeavesOthersKeepEverything) {
  const CooperativeStickyAssignor cs;
  const std::map<std::string, int32_t> partitions = {{"t0", 4}, {"t1", 5}};
  std::vector<MemberSubscription> group = {member("C0", {"t0", "t1"}), member("C1", {"t0", "t1"}),
                                           member("C2", {"t0", "t1"})};
  const auto start = cs.assign(partitions, group);
  group.erase(group.begin() + 1);  // C1 leaves
  const auto in = with_owned(group, start, 2);
  const auto plan = cs.plan(partitions, in);
  EXPECT_TRUE(plan.transferring.empty());  // C1 is gone: its partitions are free
  expect_valid(partitions, group, plan.assignment);
  for (const auto& id : {"C0", "C2"}) {
    for (const auto& p : start.at(id)) {
      EXPECT_TRUE(as_set(plan.assignment.at(id)).contains(p)) << id << " lost a partition";
    }
  }
  EXPECT_LE(std::max(plan.assignment.at("C0").size(), plan.assignment.at("C2").size()) -
                std::min(plan.assignment.at("C0").size(), plan.assignment.at("C2").size()),
            1u);
}

TEST(AssignorCooperativeSticky, UnsubscribedTopicRevokedBeforeMoving) {
  const CooperativeStickyAssignor cs;
  // C0 owned t1-0 but no longer subscribes to t1: C1 may take it only after C0 revokes it.
  const std::vector<MemberSubscription> members = {
      member("C0", {"t0"}, {tp("t0", 0), tp("t1", 0)}, 7),
      member("C1", {"t0", "t1"}, {tp("t0", 1)}, 7)};
  const std::map<std::string, int32_t> partitions = {{"t0", 2}, {"t1", 1}};
  const auto plan = cs.plan(partitions, members);
  EXPECT_EQ(plan.target.at("C1"), (std::vector<TopicPartition>{tp("t0", 1), tp("t1", 0)}));
  EXPECT_EQ(plan.assignment.at("C0"), std::vector<TopicPartition>{tp("t0", 0)});
  EXPECT_EQ(plan.assignment.at("C1"), std::vector<TopicPartition>{tp("t0", 1)});
  EXPECT_EQ(plan.transferring, std::vector<TopicPartition>{tp("t1", 0)});
  const auto next = cs.plan(partitions, with_owned(members, plan.assignment, 8));
  EXPECT_EQ(next.assignment, plan.target);
}

TEST(AssignorCooperativeSticky, HighestGenerationClaimWins) {
  const CooperativeStickyAssignor cs;
  const std::map<std::string, int32_t> partitions = {{"t", 2}};
  // C1's claim on t-0 is stale (generation 4 < 5): C0 keeps t-0 and C1 is given t-1.
  const std::vector<MemberSubscription> members = {member("C0", {"t"}, {tp("t", 0)}, 5),
                                                   member("C1", {"t"}, {tp("t", 0)}, 4)};
  const auto plan = cs.plan(partitions, members);
  EXPECT_EQ(plan.assignment.at("C0"), std::vector<TopicPartition>{tp("t", 0)});
  EXPECT_EQ(plan.assignment.at("C1"), std::vector<TopicPartition>{tp("t", 1)});
  EXPECT_TRUE(plan.transferring.empty());

  // A generation carried in user data (Kafka 2.4-3.3 Java members) counts the same way.
  auto old_java = member("C0", {"t"}, {tp("t", 0)}, -1);
  old_java.user_data = ByteBuilder().i32(9).build();
  const auto by_user_data = cs.plan(partitions, {old_java, member("C1", {"t"}, {tp("t", 0)}, 8)});
  EXPECT_EQ(by_user_data.assignment.at("C0"), std::vector<TopicPartition>{tp("t", 0)});
}

TEST(AssignorCooperativeSticky, SameGenerationClaimsHeldBackOneRound) {
  const CooperativeStickyAssignor cs;
  const std::map<std::string, int32_t> partitions = {{"t", 2}};
  const std::vector<MemberSubscription> members = {member("C0", {"t"}, {tp("t", 0)}, 5),
                                                   member("C1", {"t"}, {tp("t", 0)}, 5)};
  const auto plan = cs.plan(partitions, members);
  EXPECT_EQ(plan.transferring, std::vector<TopicPartition>{tp("t", 0)});
  for (const auto& [id, list] : plan.assignment) {
    EXPECT_FALSE(as_set(list).contains(tp("t", 0))) << id;
  }
  expect_cooperative(members, plan.assignment);
  const auto next = cs.plan(partitions, with_owned(members, plan.assignment, 6));
  EXPECT_TRUE(next.transferring.empty());
  expect_valid(partitions, members, next.assignment);
}

TEST(AssignorCooperativeSticky, StickyAcrossJoinsAndLeaves) {
  // Identical subscriptions: a join or leave moves only the partitions balance requires.
  const CooperativeStickyAssignor cs;
  const std::map<std::string, int32_t> partitions = {{"a", 7}, {"b", 5}, {"c", 11}};
  const std::vector<std::string> topics = {"a", "b", "c"};
  std::vector<MemberSubscription> group;
  for (int i = 0; i < 4; ++i) group.push_back(member("C" + std::to_string(i), topics));
  Assignment owned = cs.assign(partitions, group);
  int32_t gen = 1;
  for (int step = 0; step < 6; ++step) {
    const bool join = step % 2 == 0;
    if (join) {
      group.push_back(member("N" + std::to_string(step), topics));
    } else {
      group.erase(group.begin());
    }
    const auto in = with_owned(group, owned, ++gen);
    const auto plan = cs.plan(partitions, in);
    expect_valid(partitions, group, plan.target);
    expect_sticky_balanced(group, plan.target);
    expect_cooperative(in, plan.assignment);
    // The number of partitions that change owner is the least balance allows.
    const size_t total = 23, n = group.size();
    size_t must_move = 0;
    std::vector<size_t> counts;
    for (const auto& m : group) {
      counts.push_back(owned.contains(m.member_id) ? owned.at(m.member_id).size() : 0);
    }
    std::sort(counts.rbegin(), counts.rend());
    size_t unowned = total;
    for (size_t c : counts) unowned -= c;
    for (size_t i = 0; i < n; ++i) {
      const size_t quota = total / n + (i < total % n ? 1 : 0);
      if (counts[i] > quota) must_move += counts[i] - quota;
    }
    size_t moved = 0;
    for (const auto& m : group) {
      if (!owned.contains(m.member_id)) continue;
      for (const auto& p : owned.at(m.member_id)) {
        if (!as_set(plan.target.at(m.member_id)).contains(p)) ++moved;
      }
    }
    EXPECT_EQ(moved, must_move) << "step " << step << ", " << unowned << " unowned";
    // Follow-up: completes the moves without taking anything away.
    const auto next = cs.plan(partitions, with_owned(group, plan.assignment, ++gen));
    EXPECT_TRUE(next.transferring.empty());
    for (const auto& m : group) {
      for (const auto& p : plan.assignment.at(m.member_id)) {
        EXPECT_TRUE(as_set(next.assignment.at(m.member_id)).contains(p));
      }
    }
    owned = next.assignment;
  }
}

TEST(AssignorCooperativeSticky, RandomRebalancesNeverDoubleOwn) {
  // A group through many rebalances with members joining, leaving and changing subscriptions.
  // Invariants: the assignment never hands a partition to a member while another holds it;
  // targets are valid and balanced; without changes, the group settles (nothing held back,
  // nothing revoked) by the second follow-up rebalance (by the first one with identical
  // subscriptions, see StickyAcrossJoinsAndLeaves).
  std::mt19937 rng(99);
  const CooperativeStickyAssignor cs;
  int settle_rounds_max = 0;
  for (int run = 0; run < 60; ++run) {
    SCOPED_TRACE(run);
    Shape s = random_shape(rng, run % 3 == 0);
    Assignment owned;
    int32_t gen = 0;
    int next_id = 0;
    for (int step = 0; step < 12; ++step) {
      // Change the group a little.
      const int change = static_cast<int>(rng() % 4);
      if (change == 0 || s.members.empty()) {
        std::vector<std::string> subs;
        for (const auto& [t, n] : s.partitions) {
          if (rng() % 2) subs.push_back(t);
        }
        s.members.push_back(member("new" + std::to_string(next_id++), subs));
      } else if (change == 1 && s.members.size() > 1) {
        s.members.erase(s.members.begin() + static_cast<long>(rng() % s.members.size()));
      } else if (change == 2) {
        auto& m = s.members[rng() % s.members.size()];
        m.topics.clear();
        for (const auto& [t, n] : s.partitions) {
          if (rng() % 2) m.topics.push_back(t);
        }
      }
      // Rebalance until settled.
      for (int round = 0;; ++round) {
        ASSERT_LT(round, 6) << "does not settle";
        const auto in = with_owned(s.members, owned, ++gen);
        const auto plan = cs.plan(s.partitions, in);
        expect_valid(s.partitions, s.members, plan.target);
        expect_valid(s.partitions, s.members, plan.assignment, /*complete=*/false);
        expect_sticky_balanced(s.members, plan.target);
        expect_cooperative(in, plan.assignment);
        bool revoked = false;
        for (const auto& m : s.members) {
          auto it = owned.find(m.member_id);
          if (it == owned.end()) continue;
          for (const auto& p : it->second) {
            if (!as_set(plan.assignment.at(m.member_id)).contains(p)) revoked = true;
          }
        }
        owned = plan.assignment;
        if (plan.transferring.empty() && !revoked) {
          settle_rounds_max = std::max(settle_rounds_max, round);
          break;
        }
      }
    }
  }
  EXPECT_LE(settle_rounds_max, 2);
}

TEST(AssignorCooperativeSticky, LargeGroupIsFast) {
  // 2000 partitions, 50 members, one of which owned everything: balanced in one pass.
  const CooperativeStickyAssignor cs;
  std::map<std::string, int32_t> partitions;
  std::vector<std::string> topics;
  for (int t = 0; t < 20; ++t) {
    topics.push_back("topic-" + std::to_string(t));
    partitions[topics.back()] = 100;
  }
  std::vector<MemberSubscription> members;
  std::vector<TopicPartition> all;
  for (const auto& [t, n] : partitions) {
    for (int32_t p = 0; p < n; ++p) all.push_back(tp(t, p));
  }
  for (int m = 0; m < 50; ++m) {
    members.push_back(
        member("m" + std::to_string(m), topics, m == 0 ? all : std::vector<TopicPartition>{}, 1));
  }
  const auto plan = cs.plan(partitions, members);
  expect_valid(partitions, members, plan.target);
  expect_sticky_balanced(members, plan.target);
  EXPECT_EQ(plan.assignment.at("m0").size(), 40u);
  EXPECT_EQ(plan.transferring.size(), 1960u);
}

}  // namespace
}  // namespace shoal::client
