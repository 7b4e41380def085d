// Per-partition log settings, with Kafka's topic-config names and defaults. The table of
// definitions in log_config.cc is the single source: parsing, validation, describe-configs
// and the README's configuration reference all read it.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "storage/compression.h"
#include "storage/record_batch.h"

namespace shoal::storage {

inline constexpr int64_t no_limit = std::numeric_limits<int64_t>::max();

struct LogConfig {
  int32_t segment_bytes = 1 << 30;                   // segment.bytes
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;       // segment.ms
  int32_t segment_index_bytes = 10 << 20;            // segment.index.bytes
  int32_t index_interval_bytes = 4096;               // index.interval.bytes
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;     // retention.ms (-1: forever)
  int64_t retention_bytes = -1;                      // retention.bytes (-1: no limit)
  bool cleanup_delete = true;                        // cleanup.policy contains delete
  bool cleanup_compact = false;                      // cleanup.policy contains compact
  int64_t delete_retention_ms = 24LL * 3600 * 1000;  // delete.retention.ms
  double min_cleanable_dirty_ratio = 0.5;            // min.cleanable.dirty.ratio
  int64_t min_compaction_lag_ms = 0;                 // min.compaction.lag.ms
  int32_t max_message_bytes = 1048588;               // max.message.bytes
  int64_t flush_messages = no_limit;                 // flush.messages
  int64_t flush_ms = no_limit;                       // flush.ms
  timestamp_type message_timestamp_type = timestamp_type::create_time;  // message.timestamp.type
  // compression.type: nullopt is "producer" (keep the producer's codec).
  std::optional<compression> compression_type;

  // Applies `props` (Kafka names) on top of this config. Unknown keys and invalid values fail
  // with INVALID_CONFIG and a message naming the key.
  result<LogConfig> with(const std::map<std::string, std::string>& props) const;
  // The value of `key` as Kafka prints it ("delete", "604800000", ...).
  std::string get(const std::string& key) const;
  std::map<std::string, std::string> to_properties() const;
};

struct ConfigDefinition {
  std::string name;
  std::string type;           // "int", "long", "double", "string", "list"
  std::string default_value;  // as Kafka prints it
  std::string valid_values;   // human-readable, for docs
  std::string doc;
};

// Every topic-level log setting, in a stable order.
const std::vector<ConfigDefinition>& log_config_definitions();

}  // namespace shoal::storage
