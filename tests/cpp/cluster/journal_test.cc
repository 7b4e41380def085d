// The controller's metadata journal: replay through reopen, and what a crash can leave at the
// tail (a torn frame, a flipped byte, garbage or zeros) being cut back to the last good frame.
#include "cluster/journal.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "storage/test_util.h"

namespace shoal::cluster {
namespace {

namespace fs = std::filesystem;
using storage::testing::TempDir;

PartitionState partition_state(std::vector<int32_t> replicas, int32_t leader_epoch = 0) {
  PartitionState p;
  p.replicas = replicas;
  p.isr = replicas;
  p.leader = replicas.empty() ? -1 : replicas.front();
  p.leader_epoch = leader_epoch;
  return p;
}

TopicState topic_state(const std::string& name, int64_t id, int partitions) {
  TopicState t;
  t.name = name;
  t.topic_id = id;
  for (int p = 0; p < partitions; ++p) {
    t.partitions.push_back(partition_state({p % 3 + 1, (p + 1) % 3 + 1}));
  }
  return t;
}

JournalEntry entry(int32_t epoch, MetadataRecord r) {
  return JournalEntry{epoch, std::move(r)};
}

std::unique_ptr<Journal> open_journal(const fs::path& path, MetadataImage& image) {
  auto j = Journal::open(path, image);
  EXPECT_TRUE(j) << j.err().to_string();
  return std::move(j).value();
}

// Appends `e` and applies it to `image`, as the controller does.
void record(Journal& j, MetadataImage& image, const JournalEntry& e) {
  ASSERT_TRUE(image.apply(e)) << "entry does not apply";
  auto st = j.append(e);
  ASSERT_TRUE(st) << st.err().to_string();
}

void expect_same_image(const MetadataImage& a, const MetadataImage& b) {
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.controller_id, b.controller_id);
  EXPECT_EQ(a.controller_epoch, b.controller_epoch);
  EXPECT_EQ(a.topics, b.topics);
}

int64_t size_on_disk(const fs::path& p) {
  return static_cast<int64_t>(fs::file_size(p));
}

void append_raw(const fs::path& p, const std::string& data) {
  std::ofstream f(p, std::ios::binary | std::ios::app);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

void flip_byte(const fs::path& p, int64_t pos) {
  std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(pos);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x40);
  f.seekp(pos);
  f.write(&c, 1);
}

// Writes `n` topics, one frame each, and returns the journal size after each frame
// (boundaries[i] is where frame i ends; boundaries[0] == 0 is the empty file).
std::vector<int64_t> write_topics(const fs::path& path, int n, MetadataImage& image) {
  auto j = open_journal(path, image);
  std::vector<int64_t> boundaries{size_on_disk(path)};
  for (int i = 0; i < n; ++i) {
    record(*j, image,
           entry(0, CreateTopicRecord{topic_state("t" + std::to_string(i), 100 + i, 2)}));
    boundaries.push_back(size_on_disk(path));
  }
  return boundaries;
}

TEST(Journal, OpenCreatesMissingDirectoriesAndAnEmptyJournal) {
  TempDir dir;
  fs::path path = dir / "a/b/cluster/metadata.log";
  MetadataImage image;
  auto j = open_journal(path, image);
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(size_on_disk(path), 0);
  EXPECT_EQ(image.version, 0);
  EXPECT_TRUE(image.topics.empty());
}

TEST(Journal, ManyRecordsOfEveryKindRoundTripThroughReopen) {
  TempDir dir;
  fs::path path = dir / "metadata.log";
  MetadataImage written;
  {
    auto j = open_journal(path, written);
    record(*j, written, entry(1, ControllerRecord{7, 1}));
    for (int i = 0; i < 200; ++i) {
      std::string name = "topic-" + std::to_string(i);
      TopicState t = topic_state(name, 1000 + i, 1 + i % 4);
      t.configs = {{"retention.ms", std::to_string(i * 1000)}, {"cleanup.policy", "compact"}};
      record(*j, written, entry(1, CreateTopicRecord{t}));
    }
    for (int i = 0; i < 200; i += 3) {
      std::string name = "topic-" + std::to_string(i);
      PartitionState ps = partition_state({3, 1}, /*leader_epoch=*/i);
      ps.isr = {3};
      ps.partition_epoch = i + 1;
      record(*j, written, entry(1, PartitionChangeRecord{name, 1000 + i, 0, ps}));
    }
    for (int i = 1; i < 200; i += 5) {
      std::string name = "topic-" + std::to_string(i);
      record(*j, written,
             entry(1, AddPartitionsRecord{
                          name, 1000 + i, {partition_state({2}), partition_state({1})}}));
    }
    for (int i = 2; i < 200; i += 7) {
      std::string name = "topic-" + std::to_string(i);
      record(*j, written, entry(1, TopicConfigRecord{name, 1000 + i, {{"segment.bytes", "1024"}}}));
    }
    for (int i = 4; i < 200; i += 11) {
      std::string name = "topic-" + std::to_string(i);
      record(*j, written, entry(1, DeleteTopicRecord{name, 1000 + i}));
    }
    // A topic re-created under a deleted name.
    record(*j, written, entry(1, CreateTopicRecord{topic_state("topic-4", 5555, 3)}));
    record(*j, written, entry(2, ControllerRecord{9, 2}));
  }
  ASSERT_EQ(written.version, 357);

  MetadataImage replayed;
  auto j = open_journal(path, replayed);
  expect_same_image(written, replayed);
  EXPECT_EQ(replayed.controller_id, 9);
  EXPECT_EQ(replayed.controller_epoch, 2);
  ASSERT_NE(replayed.topic("topic-4"), nullptr);
  EXPECT_EQ(replayed.topic("topic-4")->topic_id, 5555);
}

TEST(Journal, TornTailMidPayloadIsCutToLastCompleteFrame) {
  TempDir dir;
  fs::path path = dir / "metadata.log";
  MetadataImage full;
  auto b = write_topics(path, 10, full);
  // Cut the last frame in the middle of its payload.
  int64_t torn = b[9] + (b[10] - b[9]) / 2;
  fs::resize_file(path, static_cast<uintmax_t>(torn));

  MetadataImage image;
  auto j = open_journal(path, image);
  EXPECT_EQ(image.topics.size(), 9u);
  EXPECT_EQ(image.topic("t9"), nullptr);
  EXPECT_NE(image.topic("t8"), nullptr);
  EXPECT_EQ(image.version, 9);
  EXPECT_EQ(size_on_disk(path), b[9]);
  EXPECT_EQ(size_on_disk(path), b[9]);
}

TEST(Journal, TornTailMidFrameHeaderIsCutToLastCompleteFrame) {
  TempDir dir;
  fs::path path = dir / "metadata.log";
  MetadataImage full;
  auto b = write_topics(path, 5, full);
  for (int64_t extra : {1, 4, 7}) {  // inside the length, between length and CRC, inside the CRC
    fs::resize_file(path, static_cast<uintmax_t>(b[4] + extra));
    MetadataImage image;
    auto j = open_journal(path, image);
    EXPECT_EQ(image.topics.size(), 4u) << extra;
    EXPECT_EQ(size_on_disk(path), b[4]) << extra;
    // Put the frame back for the next round.
    MetadataImage again;
    auto j2 = open_journal(path, again);
    ASSERT_TRUE(j2->append(entry(0, CreateTopicRecord{topic_state("t4", 104, 2)})));
  }
}

TEST(Journal, TornTailThenAppendIsReplayedAfterTheGoodFrames) {
  TempDir dir;
  fs::path path = dir / "metadata.log";
  MetadataImage full;
  auto b = write_topics(path, 6, full);
  fs::resize_file(path, static_cast<uintmax_t>(b[6] - 3));
  {
    MetadataImage image;
    auto j = open_journal(path, image);
    ASSERT_EQ(image.topics.size(), 5u);
    record(*j, image, entry(0, CreateTopicRecord{topic_state("after-crash", 42, 1)}));
  }
  MetadataImage image;
  auto j = open_journal(path, image);
  EXPECT_EQ(image.topics.size(), 6u);
  EXPECT_EQ(image.topic("t5"), nullptr);
  ASSERT_NE(image.topic("after-crash"), nullptr);
  EXPECT_EQ(image.topic("after-crash")->topic_id, 42);
  EXPECT_EQ(image.version, 6);
}

TEST(Journal, FlippedByteInLastFramePayloadIsCut) {
  TempDir dir;
  fs::path path = dir / "metadata.log";
  MetadataImage full;
  auto b = write_topics(path, 8, full);
  flip_byte(path, b[7] + 8 + 5);  // in the payload of the last frame

  MetadataImage image;
  auto j = open_journal(path, image);
  EXPECT_EQ(image.topics.size(), 7u);
  EXPECT_EQ(image.topic("t7"), nullptr);
  EXPECT_EQ(size_on_disk(path), b[7]);
  EXPECT_EQ(size_on_disk(path), b[7]);

  record(*j, image, entry(0, CreateTopicRecord{topic_state("t7", 777, 1)}));
  MetadataImage reopened;
  auto j2 = open_journal(path, reopened);
  ASSERT_NE(reopened.topic("t7"), nullptr);
  EXPECT_EQ(reopened.topic("t7")->topic_id, 777);
  EXPECT_EQ(reopened.topics.size(), 8u);
}

TEST(Journal, FlippedByteInLastFrameCrcIsCut) {
  TempDir dir;
  fs::path path = dir / "metadata.log";
  MetadataImage full;
  auto b = write_topics(path, 3, full);
  flip_byte(path, b[2] + 5);  // in the stored CRC

  MetadataImage image;
  auto j = open_journal(path, image);
  EXPECT_EQ(image.topics.size(), 2u);
  EXPECT_EQ(size_on_disk(path), b[2]);
}

TEST(Journal, FlippedByteInLastFrameLengthIsCut) {
  TempDir dir;
  fs::path path = dir / "metadata.log";
  MetadataImage full;
  auto b = write_topics(path, 3, full);
  flip_byte(path, b[2] + 3);  // the low byte of the length: the frame now ends elsewhere

  MetadataImage image;
  auto j = open_journal(path, image);
  EXPECT_EQ(image.topics.size(), 2u);
  EXPECT_EQ(size_on_disk(path), b[2]);
}

TEST(Journal, GarbageAppendedIsCutAndAppendingAfterwardsWorks) {
  TempDir dir;
  fs::path path = dir / "metadata.log";
  MetadataImage full;
  auto b = write_topics(path, 4, full);
  append_raw(path, std::string("\xff\xff\xff\xff garbage after the last frame", 34));

  MetadataImage image;
  {
    auto j = open_journal(path, image);
    expect_same_image(full, image);
    EXPECT_EQ(size_on_disk(path), b[4]);
    record(*j, image, entry(0, DeleteTopicRecord{"t0", 100}));
  }
  MetadataImage reopened;
  auto j = open_journal(path, reopened);
  expect_same_image(image, reopened);
  EXPECT_EQ(reopened.topic("t0"), nullptr);
  EXPECT_EQ(reopened.topics.size(), 3u);
}

TEST(Journal, PlausibleFrameWithBadCrcAppendedIsCut) {
  TempDir dir;
  fs::path path = dir / "metadata.log";
  MetadataImage full;
  auto b = write_topics(path, 2, full);
  // A small length that fits in the file, a wrong CRC.
  append_raw(path, std::string("\x00\x00\x00\x04\x12\x34\x56\x78"
                               "abcd",
                               12));

  MetadataImage image;
  auto j = open_journal(path, image);
  expect_same_image(full, image);
  EXPECT_EQ(size_on_disk(path), b[2]);
}

TEST(Journal, ZeroFilledTailIsCut) {
  // A crash can leave a file extended with zeros. A zero header is a zero-length frame whose
  // CRC (of nothing) is zero, so only the payload's decoding can reject it.
  TempDir dir;
  fs::path path = dir / "metadata.log";
  MetadataImage full;
  auto b = write_topics(path, 3, full);
  append_raw(path, std::string(4096, '\0'));

  MetadataImage image;
  auto j = open_journal(path, image);
  expect_same_image(full, image);
  EXPECT_EQ(size_on_disk(path), b[3]);
  EXPECT_EQ(size_on_disk(path), b[3]);
}

TEST(Journal, CorruptFirstFrameLeavesAnEmptyJournal) {
  TempDir dir;
  fs::path path = dir / "metadata.log";
  MetadataImage full;
  write_topics(path, 1, full);
  flip_byte(path, 8 + 1);

  MetadataImage image;
  auto j = open_journal(path, image);
  EXPECT_TRUE(image.topics.empty());
  EXPECT_EQ(image.version, 0);
  EXPECT_EQ(size_on_disk(path), 0);
  record(*j, image, entry(0, CreateTopicRecord{topic_state("fresh", 1, 1)}));
  MetadataImage reopened;
  auto j2 = open_journal(path, reopened);
  EXPECT_EQ(reopened.topics.size(), 1u);
}

TEST(Journal, EntriesFromAnOlderControllerEpochAreIgnoredOnReplay) {
  TempDir dir;
  fs::path path = dir / "metadata.log";
  int64_t size_before = 0;
  {
    MetadataImage unused;
    auto j = open_journal(path, unused);
    // Written as two controllers would: controller 1 (epoch 1), then controller 2 (epoch 2),
    // then the deposed controller 1 writing late with its old epoch.
    ASSERT_TRUE(j->append(entry(1, ControllerRecord{1, 1})));
    ASSERT_TRUE(j->append(entry(1, CreateTopicRecord{topic_state("kept", 1, 1)})));
    ASSERT_TRUE(j->append(entry(2, ControllerRecord{2, 2})));
    ASSERT_TRUE(j->append(entry(2, CreateTopicRecord{topic_state("new", 2, 1)})));
    ASSERT_TRUE(j->append(entry(1, CreateTopicRecord{topic_state("stale", 3, 1)})));
    ASSERT_TRUE(j->append(entry(1, DeleteTopicRecord{"kept", 1})));
    ASSERT_TRUE(j->append(entry(1, DeleteTopicRecord{"new", 2})));
    ASSERT_TRUE(j->append(entry(1, ControllerRecord{1, 1})));
    ASSERT_TRUE(j->append(entry(2, CreateTopicRecord{topic_state("later", 4, 1)})));
    size_before = size_on_disk(path);
  }
  MetadataImage image;
  auto j = open_journal(path, image);
  EXPECT_EQ(image.controller_id, 2);
  EXPECT_EQ(image.controller_epoch, 2);
  EXPECT_NE(image.topic("kept"), nullptr);
  EXPECT_NE(image.topic("new"), nullptr);
  EXPECT_NE(image.topic("later"), nullptr);
  EXPECT_EQ(image.topic("stale"), nullptr);
  EXPECT_EQ(image.topics.size(), 3u);
  EXPECT_EQ(image.version, 5);  // the four stale entries count for nothing
  // Ignored entries are valid frames: nothing is cut.
  EXPECT_EQ(size_on_disk(path), size_before);
}

TEST(Journal, TwoWritersOnOneFileNeverOverwriteEachOther) {
  // Brokers share the journal: a deposed controller that writes late must add its record
  // after its successor's, not over it.
  TempDir dir;
  fs::path path = dir / "metadata.log";
  MetadataImage img1, img2;
  auto old_controller = open_journal(path, img1);
  ASSERT_TRUE(old_controller->append(entry(1, ControllerRecord{1, 1})));
  auto new_controller = open_journal(path, img2);
  EXPECT_EQ(img2.controller_id, 1);
  ASSERT_TRUE(new_controller->append(entry(2, ControllerRecord{2, 2})));
  ASSERT_TRUE(new_controller->append(entry(2, CreateTopicRecord{topic_state("orders", 5, 1)})));
  // The old controller, resuming, still writes with epoch 1.
  ASSERT_TRUE(old_controller->append(entry(1, DeleteTopicRecord{"orders", 5})));
  ASSERT_TRUE(new_controller->append(entry(2, CreateTopicRecord{topic_state("payments", 6, 1)})));

  MetadataImage image;
  auto j = open_journal(path, image);
  EXPECT_EQ(image.controller_id, 2);
  EXPECT_EQ(image.controller_epoch, 2);
  ASSERT_NE(image.topic("orders"), nullptr);
  EXPECT_EQ(image.topic("orders")->topic_id, 5);
  EXPECT_NE(image.topic("payments"), nullptr);
  EXPECT_EQ(image.version, 4);
}

}  // namespace
}  // namespace shoal::cluster
