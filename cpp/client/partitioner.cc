#include "client/partitioner.h"

#include <zlib.h>

#include "common/assert.h"

namespace shoal::client {

namespace {

// MurmurHash2's mixing constants, as Java's Utils.murmur2 and librdkafka's rd_murmur2 use them.
constexpr uint32_t murmur2_seed = 0x9747b28c;
constexpr uint32_t murmur2_m = 0x5bd1e995;
constexpr int murmur2_r = 24;

constexpr uint32_t fnv1a_offset_basis = 0x811c9dc5;
constexpr uint32_t fnv1a_prime = 0x01000193;

// Java's int arithmetic wraps modulo 2^32 and `>>>` shifts in zeros: uint32_t does both
// without undefined behaviour, so the hashes are computed unsigned and reinterpreted at the end.
constexpr int32_t as_signed(uint32_t v) {
  return static_cast<int32_t>(v);  // modular since C++20
}

// Bytes are read as unsigned (Java masks each with 0xff), so keys with bytes >= 0x80 do not
// sign-extend into the neighbouring bytes.
uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

uint32_t crc32_of(std::span<const uint8_t> key) {
  uLong crc = ::crc32_z(0L, Z_NULL, 0);
  if (!key.empty()) crc = ::crc32_z(crc, key.data(), key.size());
  return static_cast<uint32_t>(crc);
}

void check_count(int32_t partition_count) {
  SHOAL_ASSERT(partition_count > 0, "partition_count must be positive, got {}", partition_count);
}

}  // namespace

int32_t murmur2(std::span<const uint8_t> key) {
  // Java hashes the length as an int; keys are far below 2 GiB, and librdkafka truncates the
  // same way.
  const size_t length = key.size();
  uint32_t h = murmur2_seed ^ static_cast<uint32_t>(length);

  const size_t blocks = length / 4;
  for (size_t i = 0; i < blocks; ++i) {
    uint32_t k = load_le32(key.data() + 4 * i);
    k *= murmur2_m;
    k ^= k >> murmur2_r;
    k *= murmur2_m;
    h *= murmur2_m;
    h ^= k;
  }

  // The 1 to 3 bytes after the last whole block, highest first, then one multiply.
  const uint8_t* tail = key.data() + 4 * blocks;
  switch (length % 4) {
    case 3:
      h ^= static_cast<uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= tail[0];
      h *= murmur2_m;
      break;
    default:
      break;
  }

  h ^= h >> 13;
  h *= murmur2_m;
  h ^= h >> 15;
  return as_signed(h);
}

uint32_t fnv1a(std::span<const uint8_t> key) {
  uint32_t h = fnv1a_offset_basis;
  for (uint8_t b : key) {
    h ^= b;
    h *= fnv1a_prime;
  }
  return h;
}

int32_t murmur2_partition(std::span<const uint8_t> key, int32_t partition_count) {
  check_count(partition_count);
  return to_positive(murmur2(key)) % partition_count;
}

int32_t consistent_partition(std::span<const uint8_t> key, int32_t partition_count) {
  check_count(partition_count);
  // Unsigned remainder, as librdkafka computes rd_crc32(...) % partition_cnt.
  return static_cast<int32_t>(crc32_of(key) % static_cast<uint32_t>(partition_count));
}

int32_t fnv1a_partition(std::span<const uint8_t> key, int32_t partition_count) {
  check_count(partition_count);
  // librdkafka (for Sarama compatibility) reads the hash as int32 and negates it when
  // negative. Negating in uint32_t gives 0x80000000 for INT32_MIN, as two's-complement
  // wrap-around does in librdkafka; the remainder is then taken unsigned.
  uint32_t h = fnv1a(key);
  if (as_signed(h) < 0) h = 0u - h;
  return static_cast<int32_t>(h % static_cast<uint32_t>(partition_count));
}

namespace {

struct named_kind {
  std::string_view name;
  partitioner_kind kind;
};

constexpr named_kind kinds[] = {
    {"random", partitioner_kind::random},
    {"consistent", partitioner_kind::consistent},
    {"consistent_random", partitioner_kind::consistent_random},
    {"murmur2", partitioner_kind::murmur2},
    {"murmur2_random", partitioner_kind::murmur2_random},
    {"fnv1a", partitioner_kind::fnv1a},
    {"fnv1a_random", partitioner_kind::fnv1a_random},
};

}  // namespace

std::optional<partitioner_kind> parse_partitioner(std::string_view name) {
  for (const auto& k : kinds) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

std::string_view partitioner_name(partitioner_kind kind) {
  for (const auto& k : kinds) {
    if (k.kind == kind) return k.name;
  }
  SHOAL_ASSERT(false, "unknown partitioner_kind {}", static_cast<int>(kind));
  return {};
}

Partitioner::Partitioner(partitioner_kind kind) : kind_(kind) {
  if (kind_ == partitioner_kind::random) {
    std::random_device rd;
    rng_.emplace(rd());
  }
}

Partitioner::Partitioner(partitioner_kind kind, uint64_t seed) : kind_(kind) {
  if (kind_ == partitioner_kind::random) {
    std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
    rng_.emplace(seq);
  }
}

int32_t Partitioner::random_partition(int32_t partition_count) {
  std::uniform_int_distribution<int32_t> pick(0, partition_count - 1);
  return pick(*rng_);
}

int32_t Partitioner::partition(std::optional<std::span<const uint8_t>> key,
                               int32_t partition_count) {
  check_count(partition_count);
  // A NULL key is hashed as the empty key by the kinds without "_random": librdkafka passes
  // (NULL, 0) to the same hash, which sees no bytes.
  const std::span<const uint8_t> bytes = key.value_or(std::span<const uint8_t>{});
  switch (kind_) {
    case partitioner_kind::random:
      // librdkafka sends NULL-key records through sticky partitioning even under `random`,
      // and gives each keyed record (empty keys included) its own random draw.
      if (!key) return use_sticky_partition;
      return random_partition(partition_count);
    case partitioner_kind::consistent:
      return consistent_partition(bytes, partition_count);
    case partitioner_kind::consistent_random:
      // The only kind for which an empty key counts as no key.
      if (bytes.empty()) return use_sticky_partition;
      return consistent_partition(bytes, partition_count);
    case partitioner_kind::murmur2:
      return murmur2_partition(bytes, partition_count);
    case partitioner_kind::murmur2_random:
      if (!key) return use_sticky_partition;
      return murmur2_partition(bytes, partition_count);
    case partitioner_kind::fnv1a:
      return fnv1a_partition(bytes, partition_count);
    case partitioner_kind::fnv1a_random:
      if (!key) return use_sticky_partition;
      return fnv1a_partition(bytes, partition_count);
  }
  SHOAL_ASSERT(false, "unknown partitioner_kind {}", static_cast<int>(kind_));
  return use_sticky_partition;
}

}  // namespace shoal::client
