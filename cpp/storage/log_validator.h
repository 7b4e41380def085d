// Checks the batches a producer (leader append) or a leader (follower append) hands to the
// log, before anything is written: Kafka's LogValidator. Nothing is appended unless every
// batch passes.
#pragma once

#include <span>
#include <vector>

#include "common/result.h"
#include "storage/log_config.h"
#include "storage/log_segment.h"

namespace shoal::storage {

struct ValidatedBatches {
  // The batches to write: the caller's bytes (patched in place), or `storage` when the log
  // recompressed them for compression.type.
  std::span<uint8_t> data;
  // One entry per batch. For a leader append, base/last are relative (0-based) until the log
  // assigns offsets.
  std::vector<BatchMeta> meta;
  int32_t records = 0;
};

// Leader append: structure, CRC, size limits, records well-formed with offset deltas 0..n-1,
// keys present on compacted logs, no control batches from clients; recompresses when
// compression.type names a codec other than the batch's.
result<ValidatedBatches> validate_for_leader(std::span<uint8_t> in, const LogConfig& cfg,
                                             bytes& storage);

// Follower append: structure, CRC, and offsets that increase from `log_end`.
result<ValidatedBatches> validate_for_follower(bytes_view in, offset log_end);

}  // namespace shoal::storage
