#include "client/partitioner.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::client {
namespace {

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

using key_bytes = std::vector<uint8_t>;

constexpr std::array all_kinds = {
    partitioner_kind::random,
    partitioner_kind::consistent,
    partitioner_kind::consistent_random,
    partitioner_kind::murmur2,
    partitioner_kind::murmur2_random,
    partitioner_kind::fnv1a,
    partitioner_kind::fnv1a_random,
};

// ---------------------------------------------------------------------------------------------
// murmur2.tsv: comment lines (#), one header line naming the columns
// (key, murmur2_signed, p1, p3, ...: pN is the partition for N partitions), then one row per
// key. Keys are UTF-8 and may be empty.

struct murmur2_row {
  std::string key;
  int32_t hash = 0;
  std::vector<std::pair<int32_t, int32_t>> partitions;  // (partition_count, partition)
};

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) fields.push_back(field);
  if (!line.empty() && line.back() == '\t') fields.emplace_back();
  return fields;
}

// Reads every row of the file at `path`; fails the calling test on a malformed file.
std::vector<murmur2_row> read_murmur2_vectors(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::vector<murmur2_row> rows;
  std::vector<int32_t> counts;  // from the header, for the columns after the hash
  bool have_header = false;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("#")) continue;
    std::vector<std::string> f = split_tabs(line);
    if (!have_header) {
      EXPECT_GE(f.size(), 3u) << path << ":" << line_no << ": header";
      EXPECT_EQ(f[0], "key");
      EXPECT_EQ(f[1], "murmur2_signed");
      for (size_t i = 2; i < f.size(); ++i) {
        EXPECT_TRUE(f[i].starts_with("p")) << path << ": column " << f[i];
        counts.push_back(std::stoi(f[i].substr(1)));
      }
      have_header = true;
      continue;
    }
    if (line.empty()) continue;  // a trailing blank line; the empty key still has a tab
    EXPECT_EQ(f.size(), 2 + counts.size()) << path << ":" << line_no;
    if (f.size() != 2 + counts.size()) continue;
    murmur2_row row{f[0], static_cast<int32_t>(std::stol(f[1])), {}};
    for (size_t i = 0; i < counts.size(); ++i) {
      row.partitions.emplace_back(counts[i], std::stoi(f[2 + i]));
    }
    rows.push_back(std::move(row));
  }
  EXPECT_TRUE(have_header) << path << " has no header line";
  return rows;
}

void check_murmur2_vectors(const std::vector<murmur2_row>& rows) {
  Partitioner murmur(partitioner_kind::murmur2);
  Partitioner murmur_random(partitioner_kind::murmur2_random);
  for (const auto& row : rows) {
    SCOPED_TRACE("key \"" + row.key + "\"");
    EXPECT_EQ(murmur2(bytes(row.key)), row.hash);
    for (auto [count, partition] : row.partitions) {
      EXPECT_EQ(murmur2_partition(bytes(row.key), count), partition) << count << " partitions";
      EXPECT_EQ(murmur.partition(bytes(row.key), count), partition) << count << " partitions";
      EXPECT_EQ(murmur_random.partition(bytes(row.key), count), partition)
          << count << " partitions";
    }
  }
}

// The shared vectors (../shared/vectors/murmur2.tsv), kept byte for byte with the tests so a
// clone of the repository alone runs them.
TEST(Murmur2Vectors, VendoredCopy) {
  auto rows = read_murmur2_vectors(std::filesystem::path(SHOAL_TEST_DATA_DIR) / "murmur2.tsv");
  EXPECT_EQ(rows.size(), 26u);
  check_murmur2_vectors(rows);
}

// ---------------------------------------------------------------------------------------------
// murmur2 edge cases. Expected values were computed independently, with Java's own int
// arithmetic and with a Python transcription of Utils.murmur2.

TEST(Murmur2, EmptyKey) {
  EXPECT_EQ(murmur2({}), 275646681);  // 0x106e08d9, also librdkafka's value for NULL
  EXPECT_EQ(murmur2(bytes("")), 275646681);
}

TEST(Murmur2, TailOfOneTwoThreeBytes) {
  EXPECT_EQ(murmur2(bytes("a")), -1563381124);
  EXPECT_EQ(murmur2(bytes("ab")), 316155434);
  EXPECT_EQ(murmur2(bytes("abc")), 479470107);  // Kafka's UtilsTest
  // A whole block alone, then followed by tails of 1, 2 and 3 bytes, then two blocks.
  EXPECT_EQ(murmur2(bytes("1234")), -1614185708);
  EXPECT_EQ(murmur2(bytes("12345")), -1188365604);
  EXPECT_EQ(murmur2(bytes("123456")), -918490292);
  EXPECT_EQ(murmur2(bytes("1234567")), -605210426);
  EXPECT_EQ(murmur2(bytes("12345678")), 338742798);
}

// Java bytes are signed: a byte >= 0x80 must be masked with 0xff before shifting, or it
// smears ones over the neighbouring bytes. Keys that exercise both the block and the tail.
TEST(Murmur2, HighBytesDoNotSignExtend) {
  EXPECT_EQ(murmur2(key_bytes{0x00}), 375494588);
  EXPECT_EQ(murmur2(key_bytes{0xff}), -311467685);
  EXPECT_EQ(murmur2(key_bytes{0xff, 0x80}), -442788720);
  EXPECT_EQ(murmur2(key_bytes{0x80, 0xff, 0x7f}), -1765891516);
  EXPECT_EQ(murmur2(key_bytes{0x7f, 0x80}), -376099533);
  EXPECT_EQ(murmur2(key_bytes{0x01, 0x02, 0xff}), -310895875);
  EXPECT_EQ(murmur2(key_bytes{0xc0, 0xff, 0xee, 0x00, 0xa0, 0xb0, 0xc0}), 568670211);
  EXPECT_EQ(murmur2(key_bytes{0xff, 0xfe, 0xfd, 0xfc}), 2136149935);
  EXPECT_EQ(murmur2(key_bytes{0xff, 0x80, 0xfe, 0x7f, 0x01}), -1423649996);
  EXPECT_EQ(murmur2(key_bytes{0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87}), -1608452407);
  EXPECT_EQ(murmur2(bytes("\xc3\xa9t\xc3\xa9")), -2101193575);  // "été" in UTF-8
}

// librdkafka has separate aligned and unaligned loops; the hash must not depend on where the
// key sits in memory.
TEST(Murmur2, IndependentOfAlignment) {
  const std::string key = "PreAmbleWillBeRemoved,ThePrePartThatIs";
  std::vector<uint8_t> buffer(key.size() + 8);
  for (size_t shift = 0; shift < 8; ++shift) {
    std::copy(key.begin(), key.end(), buffer.begin() + shift);
    std::span<const uint8_t> at(buffer.data() + shift, key.size());
    EXPECT_EQ(murmur2(at), 2017611548) << "shift " << shift;
  }
}

TEST(Murmur2, Deterministic) {
  std::mt19937 gen(7);
  for (int i = 0; i < 100; ++i) {
    key_bytes key(gen() % 40);
    for (auto& b : key) b = static_cast<uint8_t>(gen());
    key_bytes copy = key;
    EXPECT_EQ(murmur2(key), murmur2(copy));
    EXPECT_EQ(murmur2_partition(key, 12), murmur2_partition(copy, 12));
  }
}

TEST(ToPositive, ClearsTheSignBitOnly) {
  EXPECT_EQ(to_positive(0), 0);
  EXPECT_EQ(to_positive(42), 42);
  EXPECT_EQ(to_positive(std::numeric_limits<int32_t>::max()), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(to_positive(-1), std::numeric_limits<int32_t>::max());  // not abs(-1)
  EXPECT_EQ(to_positive(std::numeric_limits<int32_t>::min()), 0);
  EXPECT_EQ(to_positive(-973932308), 1173551340);
}

// ---------------------------------------------------------------------------------------------
// consistent: zlib CRC-32 % count, the remainder taken unsigned. Expected values from Python's
// zlib.crc32.

TEST(Consistent, Crc32CheckValues) {
  // crc32("123456789") is CRC-32's catalogue check value 0xcbf43926.
  EXPECT_EQ(consistent_partition(bytes("123456789"), std::numeric_limits<int32_t>::max()),
            static_cast<int32_t>(0xcbf43926u % 0x7fffffffu));
  EXPECT_EQ(consistent_partition(bytes("123456789"), 10), 2);
  EXPECT_EQ(consistent_partition(bytes("123456789"), 50), 12);
}

TEST(Consistent, HandComputedPartitions) {
  struct tc {
    std::string_view key;
    std::array<int32_t, 5> partitions;  // for 3, 4, 7, 10, 50
  };
  const tc cases[] = {
      {"", {0, 0, 0, 0, 0}},
      {"a", {0, 3, 4, 7, 7}},         // crc 0xe8b7be43
      {"kafka", {2, 3, 6, 9, 49}},    // crc 0x5bbc7517
      {"foobar", {2, 1, 6, 9, 19}},   // crc 0x9ef61f95: negative as int32, so unsigned %
      {"user-42", {1, 3, 1, 5, 35}},  // crc 0x7d06b873
      {"\xff\x80\xfe\x7f\x01", {2, 3, 2, 7, 27}},  // crc 0x81e58ddf
  };
  const int32_t counts[] = {3, 4, 7, 10, 50};
  for (const auto& c : cases) {
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(consistent_partition(bytes(c.key), counts[i]), c.partitions[i])
          << "key \"" << c.key << "\", " << counts[i] << " partitions";
    }
  }
}

// ---------------------------------------------------------------------------------------------
// fnv1a: plain 32-bit FNV-1a, then librdkafka's Sarama-compatible absolute value.

TEST(Fnv1a, StandardVectors) {
  EXPECT_EQ(fnv1a({}), 0x811c9dc5u);
  EXPECT_EQ(fnv1a(bytes("a")), 0xe40c292cu);
  EXPECT_EQ(fnv1a(bytes("foobar")), 0xbf9cf968u);
}

// rd_fnv1a()'s values (the absolute value, from librdkafka's unit test, which took them from
// Go's hash/fnv). With INT32_MAX partitions the partition is that value itself.
TEST(Fnv1a, LibrdkafkaAbsoluteValues) {
  const std::pair<std::string_view, uint32_t> cases[] = {
      {"kafka", 0x0d33c4e1},
      {"giberish123456789", 0x77a58295},
      {"1234", 0x023bdd03},
      {"234", 0x2dea3cd2},
      {"34", 0x740fa83e},
      {"4", 0x310ca263},
      {"PreAmbleWillBeRemoved,ThePrePartThatIs", 0x65cbd69c},
      {"reAmbleWillBeRemoved,ThePrePartThatIs", 0x6e49c79a},
      {"eAmbleWillBeRemoved,ThePrePartThatIs", 0x69eed356},
      {"AmbleWillBeRemoved,ThePrePartThatIs", 0x6abcc023},
      {"", 0x7ee3623b},
  };
  for (auto [key, expected] : cases) {
    EXPECT_EQ(fnv1a_partition(bytes(key), std::numeric_limits<int32_t>::max()),
              static_cast<int32_t>(expected))
        << "key \"" << key << "\"";
  }
}

TEST(Fnv1a, HandComputedPartitions) {
  struct tc {
    std::string_view key;
    std::array<int32_t, 5> partitions;  // for 3, 4, 7, 10, 50
  };
  const tc cases[] = {
      {"", {0, 3, 2, 5, 35}},         // 0x811c9dc5 is negative: abs is 0x7ee3623b
      {"a", {0, 0, 6, 6, 26}},        // 0xe40c292c -> 0x1bf3d6d4
      {"foobar", {0, 0, 4, 6, 26}},   // 0xbf9cf968 -> 0x40630698
      {"kafka", {2, 1, 4, 5, 45}},    // 0x0d33c4e1, positive as int32
      {"user-42", {0, 3, 6, 9, 49}},  // 0x026073ab
  };
  const int32_t counts[] = {3, 4, 7, 10, 50};
  for (const auto& c : cases) {
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(fnv1a_partition(bytes(c.key), counts[i]), c.partitions[i])
          << "key \"" << c.key << "\", " << counts[i] << " partitions";
    }
  }
}

// A key whose FNV-1a is exactly 0x80000000: abs(INT32_MIN) overflows in int32. librdkafka's
// wrap-around leaves 0x80000000, taken as unsigned 2^31 for the remainder (so does Sarama).
TEST(Fnv1a, HashOfInt32MinStaysInRange) {
  const key_bytes key{0xf5, 0x34, 0x17, 0x7a, 0x01};
  ASSERT_EQ(fnv1a(key), 0x80000000u);
  EXPECT_EQ(fnv1a_partition(key, 3), 2);
  EXPECT_EQ(fnv1a_partition(key, 4), 0);
  EXPECT_EQ(fnv1a_partition(key, 7), 2);
  EXPECT_EQ(fnv1a_partition(key, 10), 8);
  EXPECT_EQ(fnv1a_partition(key, 50), 48);
  EXPECT_EQ(fnv1a_partition(key, std::numeric_limits<int32_t>::max()), 1);
}

// ---------------------------------------------------------------------------------------------
// The Partitioner: NULL and empty keys under every kind (the table in partitioner.h).

TEST(Partitioner, NullKeyUnderEveryKind) {
  const std::optional<std::span<const uint8_t>> null_key;
  for (int32_t count : {1, 3, 4, 7, 10, 50}) {
    SCOPED_TRACE(std::to_string(count) + " partitions");
    EXPECT_EQ(Partitioner(partitioner_kind::random).partition(null_key, count),
              use_sticky_partition);
    EXPECT_EQ(Partitioner(partitioner_kind::consistent_random).partition(null_key, count),
              use_sticky_partition);
    EXPECT_EQ(Partitioner(partitioner_kind::murmur2_random).partition(null_key, count),
              use_sticky_partition);
    EXPECT_EQ(Partitioner(partitioner_kind::fnv1a_random).partition(null_key, count),
              use_sticky_partition);
    // The kinds without "_random" hash a NULL key as the empty key: one fixed partition,
    // which is 0 only for consistent.
    EXPECT_EQ(Partitioner(partitioner_kind::consistent).partition(null_key, count), 0);
    EXPECT_EQ(Partitioner(partitioner_kind::murmur2).partition(null_key, count), 275646681 % count);
    EXPECT_EQ(Partitioner(partitioner_kind::fnv1a).partition(null_key, count),
              static_cast<int32_t>(0x7ee3623bu % static_cast<uint32_t>(count)));
  }
  // Spelled out for 10 partitions: murmur2 -> 1, fnv1a -> 5, consistent -> 0.
  EXPECT_EQ(Partitioner(partitioner_kind::murmur2).partition(null_key, 10), 1);
  EXPECT_EQ(Partitioner(partitioner_kind::fnv1a).partition(null_key, 10), 5);
}

TEST(Partitioner, EmptyKeyIsAKeyExceptUnderConsistentRandom) {
  const std::optional<std::span<const uint8_t>> empty_key = std::span<const uint8_t>{};
  const int32_t count = 10;
  EXPECT_EQ(Partitioner(partitioner_kind::consistent_random).partition(empty_key, count),
            use_sticky_partition);
  EXPECT_EQ(Partitioner(partitioner_kind::consistent).partition(empty_key, count), 0);
  EXPECT_EQ(Partitioner(partitioner_kind::murmur2).partition(empty_key, count), 1);
  EXPECT_EQ(Partitioner(partitioner_kind::murmur2_random).partition(empty_key, count), 1);
  EXPECT_EQ(Partitioner(partitioner_kind::fnv1a).partition(empty_key, count), 5);
  EXPECT_EQ(Partitioner(partitioner_kind::fnv1a_random).partition(empty_key, count), 5);
  int32_t p = Partitioner(partitioner_kind::random).partition(empty_key, count);
  EXPECT_GE(p, 0);
  EXPECT_LT(p, count);
}

TEST(Partitioner, KeyedRecordsFollowTheirHash) {
  for (std::string_view k : {"kafka", "foobar", "user-42", "\xff\x80\xfe\x7f\x01"}) {
    for (int32_t count : {1, 3, 10, 50}) {
      EXPECT_EQ(Partitioner(partitioner_kind::murmur2).partition(bytes(k), count),
                murmur2_partition(bytes(k), count));
      EXPECT_EQ(Partitioner(partitioner_kind::murmur2_random).partition(bytes(k), count),
                murmur2_partition(bytes(k), count));
      EXPECT_EQ(Partitioner(partitioner_kind::consistent).partition(bytes(k), count),
                consistent_partition(bytes(k), count));
      EXPECT_EQ(Partitioner(partitioner_kind::consistent_random).partition(bytes(k), count),
                consistent_partition(bytes(k), count));
      EXPECT_EQ(Partitioner(partitioner_kind::fnv1a).partition(bytes(k), count),
                fnv1a_partition(bytes(k), count));
      EXPECT_EQ(Partitioner(partitioner_kind::fnv1a_random).partition(bytes(k), count),
                fnv1a_partition(bytes(k), count));
    }
  }
}

TEST(Partitioner, OnePartitionIsAlwaysZeroForKeys) {
  for (auto kind : all_kinds) {
    Partitioner p(kind);
    EXPECT_EQ(p.partition(bytes("any"), 1), 0) << partitioner_name(kind);
  }
}

TEST(Partitioner, HashKindsAreDeterministicAcrossInstances) {
  for (auto kind : all_kinds) {
    if (kind == partitioner_kind::random) continue;
    Partitioner a(kind), b(kind);
    for (std::string_view k : {"", "a", "order:1001", "lkjh234lh9fiuh90y23oiuhsafujhadof229"}) {
      int32_t first = a.partition(bytes(k), 17);
      EXPECT_EQ(a.partition(bytes(k), 17), first) << partitioner_name(kind);
      EXPECT_EQ(b.partition(bytes(k), 17), first) << partitioner_name(kind);
    }
  }
}

TEST(Partitioner, RandomKindDrawsPerKeyedRecord) {
  Partitioner p(partitioner_kind::random, 42);
  std::set<int32_t> seen;
  for (int i = 0; i < 200; ++i) {
    int32_t partition = p.partition(bytes("same key"), 6);
    ASSERT_GE(partition, 0);
    ASSERT_LT(partition, 6);
    seen.insert(partition);
  }
  EXPECT_EQ(seen.size(), 6u);  // the key does not pin the partition
}

TEST(Partitioner, RandomKindIsReproducibleWithASeed) {
  Partitioner a(partitioner_kind::random, 1234), b(partitioner_kind::random, 1234);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(a.partition(bytes("k"), 1000), b.partition(bytes("k"), 1000));
  }
}

TEST(Partitioner, RejectsANonPositivePartitionCount) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Partitioner p(partitioner_kind::murmur2);
  EXPECT_DEATH(p.partition(bytes("k"), 0), "partition_count");
  EXPECT_DEATH(murmur2_partition(bytes("k"), -1), "partition_count");
}

// ---------------------------------------------------------------------------------------------
// Names.

TEST(ParsePartitioner, EveryLibrdkafkaName) {
  const std::map<std::string_view, partitioner_kind> names = {
      {"random", partitioner_kind::random},
      {"consistent", partitioner_kind::consistent},
      {"consistent_random", partitioner_kind::consistent_random},
      {"murmur2", partitioner_kind::murmur2},
      {"murmur2_random", partitioner_kind::murmur2_random},
      {"fnv1a", partitioner_kind::fnv1a},
      {"fnv1a_random", partitioner_kind::fnv1a_random},
  };
  for (auto [name, kind] : names) {
    EXPECT_EQ(parse_partitioner(name), kind) << name;
    EXPECT_EQ(partitioner_name(kind), name);
  }
  EXPECT_EQ(names.size(), all_kinds.size());
}

TEST(ParsePartitioner, RejectsOtherSpellings) {
  for (std::string_view bad : {"", "Murmur2", "murmur2 ", " murmur2", "murmur", "default", "sticky",
                               "crc32", "fnv1a-random", "org.apache.kafka"}) {
    EXPECT_EQ(parse_partitioner(bad), std::nullopt) << "\"" << bad << "\"";
  }
}

TEST(ParsePartitioner, DefaultIsTheJavaClientsRule) {
  EXPECT_EQ(partitioner_name(default_partitioner), "murmur2_random");  // the Java client's rule
}

// ---------------------------------------------------------------------------------------------
// Distribution: 10,000 random keys spread evenly. Pearson's chi-squared over 10 partitions has
// 9 degrees of freedom; 33.7 is its 0.9999 quantile. The keys are seeded, so this never flakes.

double chi_squared(const std::vector<int>& counts, int total) {
  const double expected = static_cast<double>(total) / static_cast<double>(counts.size());
  double chi2 = 0;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  return chi2;
}

TEST(Distribution, RandomKeysSpreadEvenly) {
  constexpr int n_keys = 10000;
  constexpr int32_t n_partitions = 10;
  std::mt19937 gen(2024);
  std::vector<key_bytes> keys(n_keys);
  for (auto& key : keys) {
    key.resize(1 + gen() % 32);
    for (auto& b : key) b = static_cast<uint8_t>(gen());
  }
  for (auto kind : all_kinds) {
    Partitioner p(kind, 99);
    std::vector<int> counts(n_partitions, 0);
    for (const auto& key : keys) {
      int32_t partition = p.partition(std::span<const uint8_t>(key), n_partitions);
      ASSERT_GE(partition, 0);
      ASSERT_LT(partition, n_partitions);
      ++counts[partition];
    }
    double chi2 = chi_squared(counts, n_keys);
    EXPECT_LT(chi2, 33.7) << partitioner_name(kind);
    for (int c : counts) EXPECT_GT(c, 850) << partitioner_name(kind);
  }
}

// Keys as producers really write them: short, similar strings.
TEST(Distribution, SequentialStringKeysSpreadEvenly) {
  constexpr int n_keys = 10000;
  constexpr int32_t n_partitions = 10;
  for (auto kind :
       {partitioner_kind::murmur2, partitioner_kind::consistent, partitioner_kind::fnv1a}) {
    Partitioner p(kind);
    std::vector<int> counts(n_partitions, 0);
    for (int i = 0; i < n_keys; ++i) {
      std::string key = "user-" + std::to_string(i);
      ++counts[p.partition(bytes(key), n_partitions)];
    }
    EXPECT_LT(chi_squared(counts, n_keys), 33.7) << partitioner_name(kind);
  }
}

}  // namespace
}  // namespace shoal::client
