// The four codecs of Kafka's RecordBatch v2, framed the way Kafka stores them (see
// docs/record-batch.md): gzip streams, Snappy in xerial framing, LZ4 frames, zstd frames.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace shoal::storage {

using bytes = std::vector<uint8_t>;
using bytes_view = std::span<const uint8_t>;

// Values are the codec bits of a batch's attributes.
enum class compression : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

inline constexpr int default_compression_level = -1;  // the codec's own default

std::string_view compression_name(compression c);
// Parses "none", "gzip", "snappy", "lz4", "zstd" (librdkafka and Kafka spell them alike).
std::optional<compression> parse_compression(std::string_view name);

// Appends the compressed form of `in` to `out`. `level` -1 picks the codec's default;
// other values are clamped to the codec's range (snappy has no levels).
status compress(compression c, int level, std::span<const uint8_t> in, std::vector<uint8_t>& out);

// Appends the decompressed form of `in` to `out`. Fails with CORRUPT_MESSAGE on malformed
// input or when the output would exceed `max_size` bytes (a guard against decompression bombs).
status decompress(compression c, std::span<const uint8_t> in, std::vector<uint8_t>& out,
                  size_t max_size);

}  // namespace shoal::storage
