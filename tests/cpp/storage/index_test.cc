#include "storage/index.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace shoal::storage {
namespace {

TEST(OffsetIndex, LookupFindsFloorEntry) {
  OffsetIndex idx(offset(100), 8 * 10);
  EXPECT_EQ(idx.lookup(offset(150)).position, 0);
  idx.append(offset(110), 500);
  idx.append(offset(120), 900);
  EXPECT_EQ(idx.lookup(offset(105)).position, 0);
  EXPECT_EQ(idx.lookup(offset(110)).position, 500);
  EXPECT_EQ(idx.lookup(offset(119)).position, 500);
  EXPECT_EQ(idx.lookup(offset(1000)).position, 900);
  idx.truncate_to(offset(120));
  EXPECT_EQ(idx.entries(), 1u);
  EXPECT_EQ(idx.lookup(offset(1000)).position, 500);
}

TEST(OffsetIndex, FullAtCapacity) {
  OffsetIndex idx(offset(0), 8 * 2);
  EXPECT_EQ(idx.max_entries(), 2u);
  idx.append(offset(1), 10);
  EXPECT_FALSE(idx.full());
  idx.append(offset(2), 20);
  EXPECT_TRUE(idx.full());
}

TEST(OffsetIndex, WritesLoadsAndRejectsGarbage) {
  testing::TempDir dir;
  auto f = Env::posix()->open(dir / "x.index", {.create = true});
  ASSERT_TRUE(f);
  OffsetIndex idx(offset(1000), 1 << 16);
  idx.append(offset(1001), 40);
  idx.append(offset(1005), 4000);
  ASSERT_TRUE(idx.write_to(**f));
  OffsetIndex loaded(offset(1000), 1 << 16);
  ASSERT_TRUE(loaded.load(**f, 5000));
  EXPECT_EQ(loaded.entries(), 2u);
  EXPECT_EQ(loaded.lookup(offset(1006)).position, 4000);
  // A log shorter than an entry's position means the index is stale.
  EXPECT_FALSE(loaded.load(**f, 1000));
  // Truncating then appending rewrites the tail of the file, not just the end.
  idx.truncate_to(offset(1002));
  idx.append(offset(1003), 77);
  ASSERT_TRUE(idx.write_to(**f));
  ASSERT_TRUE(loaded.load(**f, 5000));
  EXPECT_EQ(loaded.lookup(offset(1004)).position, 77);
  EXPECT_EQ(*(*f)->size(), 16);
  // Half an entry.
  ASSERT_TRUE((*f)->truncate(12));
  EXPECT_FALSE(loaded.load(**f, 5000));
}

TEST(TimeIndex, KeepsOnlyIncreasingTimestamps) {
  TimeIndex idx(offset(0), 12 * 10);
  idx.maybe_append(100, offset(5));
  idx.maybe_append(90, offset(7));  // not larger: ignored
  idx.maybe_append(200, offset(9));
  EXPECT_EQ(idx.entries(), 2u);
  EXPECT_EQ(idx.lookup_before(100).off, offset(0));  // nothing strictly below 100
  EXPECT_EQ(idx.lookup_before(101).off, offset(5));
  EXPECT_EQ(idx.lookup_before(10000).off, offset(9));
}

}  // namespace
}  // namespace shoal::storage
