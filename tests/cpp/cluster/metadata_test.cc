// MetadataImage::apply and the journal entry encoding: records that do not fit the image
// (unknown topic, stale topic id, partition out of range, duplicate create) change nothing, and
// entries from a deposed controller's older epoch are ignored.
#include "cluster/metadata.h"

#include <gtest/gtest.h>

namespace shoal::cluster {
namespace {

PartitionState partition_state(std::vector<int32_t> replicas) {
  PartitionState p;
  p.replicas = replicas;
  p.isr = replicas;
  p.leader = replicas.front();
  return p;
}

TopicState topic_state(const std::string& name, int64_t id, int partitions) {
  TopicState t;
  t.name = name;
  t.topic_id = id;
  for (int p = 0; p < partitions; ++p) t.partitions.push_back(partition_state({1, 2}));
  return t;
}

JournalEntry entry(MetadataRecord r, int32_t epoch = 0) {
  return JournalEntry{epoch, std::move(r)};
}

// An image holding topic "orders" (id 11, 3 partitions).
MetadataImage image_with_orders() {
  MetadataImage img;
  EXPECT_TRUE(img.apply(entry(CreateTopicRecord{topic_state("orders", 11, 3)})));
  return img;
}

// Applies `e`, expecting it to be refused and the image left exactly as it was.
void expect_refused(MetadataImage& img, const JournalEntry& e) {
  MetadataImage before = img;
  EXPECT_FALSE(img.apply(e));
  EXPECT_EQ(img.version, before.version);
  EXPECT_EQ(img.controller_id, before.controller_id);
  EXPECT_EQ(img.controller_epoch, before.controller_epoch);
  EXPECT_EQ(img.topics, before.topics);
}

TEST(JournalEntryCodec, EveryRecordKindRoundTrips) {
  TopicState t = topic_state("orders", 0x1234567890LL, 2);
  t.configs = {{"retention.ms", "1000"}, {"cleanup.policy", "compact,delete"}};
  PartitionState ps = partition_state({3, 1, 2});
  ps.isr = {3};
  ps.leader_epoch = 17;
  ps.partition_epoch = 99;
  std::vector<JournalEntry> entries = {
      entry(CreateTopicRecord{t}, 4),
      entry(DeleteTopicRecord{"orders", -5}, 4),
      entry(PartitionChangeRecord{"orders", 77, 2, ps}, 5),
      entry(AddPartitionsRecord{"orders", 77, {ps, partition_state({1})}}, 6),
      entry(TopicConfigRecord{"orders", 77, {{"segment.bytes", "4096"}}}, 7),
      entry(ControllerRecord{3, 8}, 8),
  };
  for (const auto& e : entries) {
    auto d = decode_entry(encode_entry(e));
    ASSERT_TRUE(d) << d.err().to_string();
    EXPECT_EQ(d->controller_epoch, e.controller_epoch);
    ASSERT_EQ(d->record.index(), e.record.index());
    // Re-encoding the decoded entry gives the same bytes.
    EXPECT_EQ(encode_entry(*d), encode_entry(e));
  }
  auto d = decode_entry(encode_entry(entries[0]));
  EXPECT_EQ(std::get<CreateTopicRecord>(d->record).topic, t);
  d = decode_entry(encode_entry(entries[2]));
  EXPECT_EQ(std::get<PartitionChangeRecord>(d->record).state, ps);
}

TEST(JournalEntryCodec, UnknownRecordTypeIsRefused) {
  bytes b = encode_entry(entry(ControllerRecord{1, 1}, 1));
  b[4] = 99;  // the type byte follows the int32 epoch
  auto d = decode_entry(b);
  ASSERT_FALSE(d);
  EXPECT_NE(d.err().message.find("99"), std::string::npos) << d.err().message;
}

TEST(JournalEntryCodec, TruncatedEntryIsRefused) {
  bytes b = encode_entry(entry(CreateTopicRecord{topic_state("orders", 1, 4)}));
  for (size_t n : {size_t{0}, size_t{3}, size_t{5}, b.size() / 2, b.size() - 1}) {
    auto d = decode_entry(bytes_view(b.data(), n));
    EXPECT_FALSE(d) << "decoded from " << n << " of " << b.size() << " bytes";
  }
}

TEST(MetadataImage, CreateAddsTopicAndBumpsVersion) {
  MetadataImage img = image_with_orders();
  EXPECT_EQ(img.version, 1);
  ASSERT_NE(img.topic("orders"), nullptr);
  EXPECT_EQ(img.topic("orders")->topic_id, 11);
  EXPECT_NE(img.partition("orders", 0), nullptr);
  EXPECT_NE(img.partition("orders", 2), nullptr);
  EXPECT_EQ(img.partition("orders", 3), nullptr);
  EXPECT_EQ(img.partition("orders", -1), nullptr);
  EXPECT_EQ(img.partition("nope", 0), nullptr);
}

TEST(MetadataImage, DuplicateCreateIsRefused) {
  MetadataImage img = image_with_orders();
  expect_refused(img, entry(CreateTopicRecord{topic_state("orders", 11, 3)}));
  expect_refused(img, entry(CreateTopicRecord{topic_state("orders", 12, 1)}));
  EXPECT_EQ(img.topic("orders")->partitions.size(), 3u);
}

TEST(MetadataImage, ChangesToUnknownTopicAreRefused) {
  MetadataImage img = image_with_orders();
  expect_refused(img, entry(DeleteTopicRecord{"payments", 11}));
  expect_refused(img, entry(PartitionChangeRecord{"payments", 11, 0, partition_state({1})}));
  expect_refused(img, entry(AddPartitionsRecord{"payments", 11, {partition_state({1})}}));
  expect_refused(img, entry(TopicConfigRecord{"payments", 11, {{"retention.ms", "1"}}}));
}

TEST(MetadataImage, ChangesWithStaleTopicIdAreRefused) {
  // A record about an earlier topic of the same name must not touch the re-created one.
  MetadataImage img = image_with_orders();
  expect_refused(img, entry(DeleteTopicRecord{"orders", 10}));
  expect_refused(img, entry(PartitionChangeRecord{"orders", 10, 0, partition_state({2})}));
  expect_refused(img, entry(AddPartitionsRecord{"orders", 10, {partition_state({1})}}));
  expect_refused(img, entry(TopicConfigRecord{"orders", 10, {{"retention.ms", "1"}}}));
  expect_refused(img, entry(DeleteTopicRecord{"orders", 0}));
}

TEST(MetadataImage, PartitionIndexOutOfRangeIsRefused) {
  MetadataImage img = image_with_orders();
  expect_refused(img, entry(PartitionChangeRecord{"orders", 11, 3, partition_state({2})}));
  expect_refused(img, entry(PartitionChangeRecord{"orders", 11, -1, partition_state({2})}));
  expect_refused(img, entry(PartitionChangeRecord{"orders", 11, INT32_MAX, partition_state({2})}));
  EXPECT_TRUE(img.apply(entry(PartitionChangeRecord{"orders", 11, 2, partition_state({2})})));
  EXPECT_EQ(img.partition("orders", 2)->leader, 2);
}

TEST(MetadataImage, AddedPartitionsBecomeAddressable) {
  MetadataImage img = image_with_orders();
  ASSERT_TRUE(img.apply(
      entry(AddPartitionsRecord{"orders", 11, {partition_state({3}), partition_state({4})}})));
  ASSERT_EQ(img.topic("orders")->partitions.size(), 5u);
  EXPECT_EQ(img.partition("orders", 3)->leader, 3);
  EXPECT_EQ(img.partition("orders", 4)->leader, 4);
  PartitionState ps = partition_state({4, 1});
  ps.leader_epoch = 1;
  EXPECT_TRUE(img.apply(entry(PartitionChangeRecord{"orders", 11, 4, ps})));
  EXPECT_EQ(*img.partition("orders", 4), ps);
  EXPECT_EQ(img.version, 3);
}

TEST(MetadataImage, TopicConfigRecordReplacesTheWholeSetOfOverrides) {
  MetadataImage img;
  TopicState t = topic_state("orders", 11, 1);
  t.configs = {{"retention.ms", "1000"}, {"segment.bytes", "4096"}};
  ASSERT_TRUE(img.apply(entry(CreateTopicRecord{t})));
  ASSERT_TRUE(img.apply(entry(TopicConfigRecord{"orders", 11, {{"cleanup.policy", "compact"}}})));
  EXPECT_EQ(img.topic("orders")->configs, (string_map{{"cleanup.policy", "compact"}}));
}

TEST(MetadataImage, DeleteThenCreateUnderTheSameNameIsANewTopic) {
  MetadataImage img = image_with_orders();
  ASSERT_TRUE(img.apply(entry(DeleteTopicRecord{"orders", 11})));
  EXPECT_EQ(img.topic("orders"), nullptr);
  expect_refused(img, entry(DeleteTopicRecord{"orders", 11}));
  ASSERT_TRUE(img.apply(entry(CreateTopicRecord{topic_state("orders", 12, 1)})));
  // Late records about the old topic do not apply to the new one.
  expect_refused(img, entry(PartitionChangeRecord{"orders", 11, 0, partition_state({2})}));
  EXPECT_EQ(img.topic("orders")->topic_id, 12);
  EXPECT_EQ(img.topic("orders")->partitions.size(), 1u);
}

TEST(MetadataImage, EntriesFromAnOlderControllerEpochAreIgnored) {
  MetadataImage img;
  ASSERT_TRUE(img.apply(entry(ControllerRecord{1, 1}, 1)));
  ASSERT_TRUE(img.apply(entry(ControllerRecord{2, 2}, 2)));
  EXPECT_EQ(img.controller_id, 2);
  EXPECT_EQ(img.controller_epoch, 2);
  ASSERT_TRUE(img.apply(entry(CreateTopicRecord{topic_state("orders", 11, 1)}, 2)));
  // The deposed controller (epoch 1) writes late: none of it counts.
  expect_refused(img, entry(CreateTopicRecord{topic_state("stale", 12, 1)}, 1));
  expect_refused(img, entry(DeleteTopicRecord{"orders", 11}, 1));
  expect_refused(img, entry(PartitionChangeRecord{"orders", 11, 0, partition_state({2})}, 1));
  expect_refused(img, entry(ControllerRecord{1, 1}, 1));
  expect_refused(img, entry(CreateTopicRecord{topic_state("epoch-zero", 13, 1)}, 0));
  // The same epoch and newer ones apply.
  EXPECT_TRUE(img.apply(entry(CreateTopicRecord{topic_state("same", 14, 1)}, 2)));
  EXPECT_TRUE(img.apply(entry(CreateTopicRecord{topic_state("newer", 15, 1)}, 3)));
  EXPECT_EQ(img.controller_epoch, 3);
  expect_refused(img, entry(CreateTopicRecord{topic_state("old-again", 16, 1)}, 2));
}

TEST(MetadataImage, ControllerRecordWithOlderEpochThanTheImageIsRefused) {
  MetadataImage img;
  ASSERT_TRUE(img.apply(entry(ControllerRecord{2, 5}, 5)));
  // Carried by an entry of the current epoch, but naming an older controller epoch.
  expect_refused(img, entry(ControllerRecord{1, 4}, 5));
  EXPECT_EQ(img.controller_id, 2);
}

TEST(MetadataImage, RefusedEntryDoesNotRaiseTheEpoch) {
  MetadataImage img = image_with_orders();
  // An entry from a newer epoch that does not fit must not fence out the current controller.
  expect_refused(img, entry(DeleteTopicRecord{"payments", 1}, 9));
  EXPECT_EQ(img.controller_epoch, 0);
  EXPECT_TRUE(img.apply(entry(CreateTopicRecord{topic_state("payments", 1, 1)}, 0)));
}

}  // namespace
}  // namespace shoal::cluster
