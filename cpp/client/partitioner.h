// Partitioners: which partition of a topic a produced record goes to, chosen from its key
// exactly as librdkafka (and so confluent-kafka-python) chooses it, under librdkafka's
// `partitioner` config names. A keyed record lands on the same partition as it would from a
// librdkafka or Java producer, so data written through Shoal keeps its per-key order when it
// moves to a real cluster.
//
// Hashes and the rule each partitioner follows (librdkafka src/rdkafka_msg.c, rdmurmur2.c,
// rdfnv1a.c, rdcrc32.h; Java clients/.../common/utils/Utils.java):
//   murmur2      Java's Utils.murmur2 (MurmurHash2, seed 0x9747b28c, little-endian blocks),
//                partition = Utils.toPositive(hash) % count: the Java producer's rule for keys.
//   consistent   zlib's CRC-32 of the key, partition = crc % count (unsigned).
//   fnv1a        32-bit FNV-1a of the key, then librdkafka's Sarama-compatible absolute value
//                of the hash read as int32, partition = that % count (unsigned). This is
//                Sarama's NewHashPartitioner, not its NewReferenceHashPartitioner.
//
// Keys that are NULL (std::nullopt) or empty, per librdkafka's producer (the partitioner
// functions plus the sticky-partitioning dispatch in rd_kafka_msg_partitioner()):
//
//   kind               NULL key       empty key      other keys
//   random             sticky         random         random (uniform, a new draw per record)
//   consistent         partition 0    partition 0    crc32 % count
//   consistent_random  sticky         sticky         crc32 % count     (librdkafka's default)
//   murmur2            murmur2("")    murmur2("")    murmur2
//   murmur2_random     sticky         murmur2("")    murmur2           (Java's rule; Shoal's
//   default) fnv1a              fnv1a("")      fnv1a("")      fnv1a fnv1a_random       sticky
//   fnv1a("")      fnv1a
//
// "sticky" is use_sticky_partition (-1, librdkafka's RD_KAFKA_PARTITION_UA): the partitioner
// chooses nothing and the producer picks the partition itself with KIP-480 sticky
// partitioning (one partition per topic until sticky.partitioning.linger.ms passes; with that
// set to 0, a fresh random partition per record, which is what librdkafka does then). The
// "single partition" of a NULL key under murmur2 and fnv1a is the hash of the empty key modulo
// the count (for murmur2, 275646681 % count: partition 1 of 10): only under consistent
// (crc32("") == 0) is it partition 0 whatever the count.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string_view>

namespace shoal::client {

// Returned by Partitioner::partition when the producer must choose the partition itself with
// sticky partitioning (KIP-480). Same value as librdkafka's RD_KAFKA_PARTITION_UA.
inline constexpr int32_t use_sticky_partition = -1;

// Java's Utils.murmur2: MurmurHash2 of `key` as Java's signed int.
int32_t murmur2(std::span<const uint8_t> key);

// Java's Utils.toPositive: clears the sign bit (not an absolute value: -1 becomes 0x7fffffff).
constexpr int32_t to_positive(int32_t v) {
  return v & 0x7fffffff;
}

// 32-bit FNV-1a (offset basis 0x811c9dc5, prime 0x01000193), without librdkafka's final
// absolute value (fnv1a_partition applies it).
uint32_t fnv1a(std::span<const uint8_t> key);

// The partition a key maps to under each hash. The empty key is a key like any other here;
// what a NULL key does is the Partitioner's business.
// REQUIRES: partition_count > 0. All return a value in [0, partition_count).
int32_t murmur2_partition(std::span<const uint8_t> key, int32_t partition_count);
int32_t consistent_partition(std::span<const uint8_t> key, int32_t partition_count);
int32_t fnv1a_partition(std::span<const uint8_t> key, int32_t partition_count);

// librdkafka's `partitioner` values.
enum class partitioner_kind {
  random,
  consistent,
  consistent_random,
  murmur2,
  murmur2_random,
  fnv1a,
  fnv1a_random,
};

// Shoal's default is murmur2_random, not librdkafka's consistent_random: a keyed record lands
// in the partition the Java client (and Kafka Streams, and Connect) would pick, so data
// produced from Python and from the JVM agree on where each key lives.
inline constexpr partitioner_kind default_partitioner = partitioner_kind::murmur2_random;

// The kind named by a `partitioner` config value, or nullopt if it names none. Exact,
// case-sensitive match, as librdkafka validates it.
std::optional<partitioner_kind> parse_partitioner(std::string_view name);

// The config value that names `kind`: parse_partitioner(partitioner_name(k)) == k.
std::string_view partitioner_name(partitioner_kind kind);

// Chooses a record's partition from its key under one partitioner kind; see the table at the
// top of this file.
//
// Thread safety: thread-compatible. partition() on one instance needs external
// synchronization when kind() is random, whose per-instance RNG it advances; the other kinds
// keep no state and may be called concurrently.
class Partitioner {
 public:
  // Seeds the RNG (random kind only) from std::random_device.
  explicit Partitioner(partitioner_kind kind);
  // Seeds the RNG (random kind only) from `seed`, for reproducible tests.
  Partitioner(partitioner_kind kind, uint64_t seed);

  partitioner_kind kind() const { return kind_; }

  // The partition for a record with `key` (nullopt for a NULL key) in a topic of
  // `partition_count` partitions: a value in [0, partition_count), or use_sticky_partition.
  // REQUIRES: partition_count > 0 (with no partitions known yet the producer holds the record
  // back, as librdkafka does, rather than asking).
  int32_t partition(std::optional<std::span<const uint8_t>> key, int32_t partition_count);

 private:
  int32_t random_partition(int32_t partition_count);

  partitioner_kind kind_;
  std::optional<std::mt19937> rng_;  // engaged only for partitioner_kind::random
};

}  // namespace shoal::client
