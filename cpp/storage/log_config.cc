#include "storage/log_config.h"

#include <charconv>
#include <functional>

namespace shoal::storage {
namespace {

std::optional<int64_t> parse_long(std::string_view s) {
  int64_t v = 0;
  auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || s.empty()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) {
  double v = 0;
  auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || s.empty()) return std::nullopt;
  return v;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// A setter returns an error message, or "" on success.
using setter = std::function<std::string(LogConfig&, const std::string&)>;
using getter = std::function<std::string(const LogConfig&)>;

struct entry {
  ConfigDefinition def;
  setter set;
  getter get;
};

template <typename T>
setter integer(T LogConfig::*field, int64_t min, int64_t max) {
  return [=](LogConfig& c, const std::string& v) -> std::string {
    auto n = parse_long(trim(v));
    if (!n) return fmt::format("'{}' is not an integer", v);
    if (*n < min || *n > max) return fmt::format("{} is outside [{}, {}]", *n, min, max);
    c.*field = static_cast<T>(*n);
    return "";
  };
}

template <typename T>
getter print(T LogConfig::*field) {
  return [=](const LogConfig& c) { return fmt::format("{}", c.*field); };
}

const std::vector<entry>& entries() {
  static const std::vector<entry> table = [] {
    std::vector<entry> t;
    t.push_back({{"cleanup.policy", "list", "delete", "[delete, compact]",
                  "delete: drop old segments by retention.ms/retention.bytes; compact: keep the "
                  "latest record per key; both: compact, then drop by retention"},
                 [](LogConfig& c, const std::string& v) -> std::string {
                   bool del = false, compact = false;
                   size_t start = 0;
                   while (start <= v.size()) {
                     size_t comma = v.find(',', start);
                     std::string item = trim(v.substr(
                         start, comma == std::string::npos ? std::string::npos : comma - start));
                     if (item == "delete") {
                       del = true;
                     } else if (item == "compact") {
                       compact = true;
                     } else {
                       return fmt::format("'{}' is not one of delete, compact", item);
                     }
                     if (comma == std::string::npos) break;
                     start = comma + 1;
                   }
                   c.cleanup_delete = del;
                   c.cleanup_compact = compact;
                   return "";
                 },
                 [](const LogConfig& c) -> std::string {
                   if (c.cleanup_compact && c.cleanup_delete) return "compact,delete";
                   return c.cleanup_compact ? "compact" : "delete";
                 }});
    t.push_back({{"compression.type", "string", "producer",
                  "[uncompressed, zstd, lz4, snappy, gzip, producer]",
                  "codec batches are stored with; 'producer' keeps the producer's codec, any "
                  "other value makes the leader recompress"},
                 [](LogConfig& c, const std::string& v) -> std::string {
                   std::string s = trim(v);
                   if (s == "producer") {
                     c.compression_type.reset();
                     return "";
                   }
                   if (s == "uncompressed") {
                     c.compression_type = compression::none;
                     return "";
                   }
                   auto codec = parse_compression(s);
                   if (!codec || *codec == compression::none) {
                     return fmt::format(
                         "'{}' is not one of uncompressed, zstd, lz4, snappy, gzip, producer", s);
                   }
                   c.compression_type = codec;
                   return "";
                 },
                 [](const LogConfig& c) -> std::string {
                   if (!c.compression_type) return "producer";
                   if (*c.compression_type == compression::none) return "uncompressed";
                   return std::string(compression_name(*c.compression_type));
                 }});
    t.push_back({{"delete.retention.ms", "long", "86400000", "[0,...]",
                  "how long a tombstone (null value) stays in a compacted log after the cleaner "
                  "first keeps it (its KIP-534 delete horizon), so consumers can see the delete"},
                 integer(&LogConfig::delete_retention_ms, 0, no_limit),
                 print(&LogConfig::delete_retention_ms)});
    t.push_back({{"flush.messages", "long", "9223372036854775807", "[1,...]",
                  "fsync after this many records; by default the OS decides, as replication "
                  "provides durability"},
                 integer(&LogConfig::flush_messages, 1, no_limit),
                 print(&LogConfig::flush_messages)});
    t.push_back({{"flush.ms", "long", "9223372036854775807", "[0,...]",
                  "fsync when the oldest unflushed record is older than this"},
                 integer(&LogConfig::flush_ms, 0, no_limit),
                 print(&LogConfig::flush_ms)});
    t.push_back({{"index.interval.bytes", "int", "4096", "[0,...]",
                  "bytes of log between two offset-index entries"},
                 integer(&LogConfig::index_interval_bytes, 0, INT32_MAX),
                 print(&LogConfig::index_interval_bytes)});
    t.push_back(
        {{"max.message.bytes", "int", "1048588", "[0,...]", "largest record batch the log accepts"},
         integer(&LogConfig::max_message_bytes, 0, INT32_MAX),
         print(&LogConfig::max_message_bytes)});
    t.push_back({{"message.timestamp.type", "string", "CreateTime", "[CreateTime, LogAppendTime]",
                  "CreateTime keeps the producer's timestamps; LogAppendTime stamps each batch "
                  "with the broker's clock"},
                 [](LogConfig& c, const std::string& v) -> std::string {
                   std::string s = trim(v);
                   if (s == "CreateTime") {
                     c.message_timestamp_type = timestamp_type::create_time;
                   } else if (s == "LogAppendTime") {
                     c.message_timestamp_type = timestamp_type::log_append_time;
                   } else {
                     return fmt::format("'{}' is not one of CreateTime, LogAppendTime", s);
                   }
                   return "";
                 },
                 [](const LogConfig& c) -> std::string {
                   return c.message_timestamp_type == timestamp_type::create_time ? "CreateTime"
                                                                                  : "LogAppendTime";
                 }});
    t.push_back(
        {{"min.cleanable.dirty.ratio", "double", "0.5", "[0,...,1]",
          "compact when the uncompacted part is at least this share of the log"},
         [](LogConfig& c, const std::string& v) -> std::string {
           auto d = parse_double(trim(v));
           if (!d) return fmt::format("'{}' is not a number", v);
           if (*d < 0 || *d > 1) return fmt::format("{} is outside [0, 1]", *d);
           c.min_cleanable_dirty_ratio = *d;
           return "";
         },
         [](const LogConfig& c) { return fmt::format("{}", c.min_cleanable_dirty_ratio); }});
    t.push_back({{"min.compaction.lag.ms", "long", "0", "[0,...]",
                  "records younger than this are never compacted"},
                 integer(&LogConfig::min_compaction_lag_ms, 0, no_limit),
                 print(&LogConfig::min_compaction_lag_ms)});
    t.push_back({{"retention.bytes", "long", "-1", "[-1,...]",
                  "delete the oldest segments while the log is larger than this (-1: no limit)"},
                 integer(&LogConfig::retention_bytes, -1, no_limit),
                 print(&LogConfig::retention_bytes)});
    t.push_back({{"retention.ms", "long", "604800000", "[-1,...]",
                  "delete segments whose newest record is older than this (-1: keep forever)"},
                 integer(&LogConfig::retention_ms, -1, no_limit),
                 print(&LogConfig::retention_ms)});
    t.push_back({{"segment.bytes", "int", "1073741824", "[14,...]",
                  "roll to a new segment file when the active one reaches this size"},
                 integer(&LogConfig::segment_bytes, 14, INT32_MAX),
                 print(&LogConfig::segment_bytes)});
    t.push_back({{"segment.index.bytes", "int", "10485760", "[4,...]",
                  "maximum size of a segment's offset index; a full index rolls the segment"},
                 integer(&LogConfig::segment_index_bytes, 4, INT32_MAX),
                 print(&LogConfig::segment_index_bytes)});
    t.push_back({{"segment.ms", "long", "604800000", "[1,...]",
                  "roll to a new segment when the active one's first record is this old"},
                 integer(&LogConfig::segment_ms, 1, no_limit),
                 print(&LogConfig::segment_ms)});
    return t;
  }();
  return table;
}

}  // namespace

result<LogConfig> LogConfig::with(const std::map<std::string, std::string>& props) const {
  LogConfig c = *this;
  for (const auto& [key, value] : props) {
    const entry* found = nullptr;
    for (const auto& e : entries()) {
      if (e.def.name == key) found = &e;
    }
    if (found == nullptr) {
      return make_error(errc::invalid_config, "unknown topic config '{}'", key);
    }
    std::string msg = found->set(c, value);
    if (!msg.empty()) {
      return make_error(errc::invalid_config, "invalid value for '{}': {} (valid: {})", key, msg,
                        found->def.valid_values);
    }
  }
  return c;
}

std::string LogConfig::get(const std::string& key) const {
  for (const auto& e : entries()) {
    if (e.def.name == key) return e.get(*this);
  }
  return {};
}

std::map<std::string, std::string> LogConfig::to_properties() const {
  std::map<std::string, std::string> m;
  for (const auto& e : entries()) m[e.def.name] = e.get(*this);
  return m;
}

const std::vector<ConfigDefinition>& log_config_definitions() {
  static const std::vector<ConfigDefinition> defs = [] {
    std::vector<ConfigDefinition> d;
    for (const auto& e : entries()) d.push_back(e.def);
    return d;
  }();
  return defs;
}

}  // namespace shoal::storage
