// The partitions this broker holds: their logs on disk under log.dirs (one directory per
// partition, <topic>-<partition>, as Kafka names them), kept in step with the metadata
// image, and the background work on them: retention, flush policy, compaction.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "broker/broker_config.h"
#include "broker/partition.h"
#include "cluster/metadata.h"

namespace shoal::broker {

class PartitionManager {
 public:
  explicit PartitionManager(const BrokerConfig& config);

  // Makes the local partitions match `image`: opens (recovering if needed) the logs of the
  // partitions this broker is a replica of, updates their state and config, closes and
  // deletes those of topics that are gone. Directories left by deleted topics (or by an
  // earlier topic of the same name) are removed.
  // Returns the partitions this broker now follows, by leader.
  result<std::map<int32_t, std::vector<std::shared_ptr<Partition>>>> apply(
      const cluster::MetadataImage& image, int64_t now_ms);
  // Partitions whose log went offline after an I/O error.
  std::vector<std::shared_ptr<Partition>> offline() const;
  // Reopens an offline partition's log (recovering it) in a fresh Partition with the same
  // state; true if it is usable again.
  bool reopen(const std::shared_ptr<Partition>& p, const cluster::MetadataImage& image,
              int64_t now_ms);

  // The topic defaults with the dynamic broker configs applied; the next apply() gives every
  // partition its config from them.
  void set_topic_defaults(const cluster::TopicConfig& defaults);
  cluster::TopicConfig topic_defaults() const;

  std::shared_ptr<Partition> get(const std::string& topic, int32_t partition) const;
  std::vector<std::shared_ptr<Partition>> all() const;

  // Retention and flush policy for every partition; returns segments deleted.
  int run_retention();
  void run_flush();
  void run_cleaner();

  // Flushes and closes every log with its clean-shutdown marker.
  status close_all();

 private:
  std::filesystem::path partition_dir(const std::string& topic, int32_t p) const;

  const BrokerConfig& config_;
  mutable std::shared_mutex mu_;
  cluster::TopicConfig topic_defaults_;  // guarded by mu_
  std::map<std::pair<std::string, int32_t>, std::shared_ptr<Partition>> partitions_;
};

}  // namespace shoal::broker
