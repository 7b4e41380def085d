// The controller: the one place that changes cluster metadata. It validates and performs
// topic creation and deletion (and, with several brokers, leader elections), records every
// change in its journal before anyone acts on it, and hands the new MetadataImage to its
// listeners.
//
// Thread safety: all methods are safe to call from any thread; changes are serialized.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/journal.h"
#include "cluster/metadata.h"
#include "cluster/topic_config.h"

namespace shoal::cluster {

struct ControllerOptions {
  int32_t broker_id = 0;
  std::filesystem::path journal_path;
  TopicConfig topic_defaults;
  int32_t default_partitions = 1;
  int16_t default_replication_factor = 1;
};

// What CreateTopics asks for, one topic.
struct NewTopicSpec {
  std::string name;
  int32_t num_partitions = -1;      // -1: the broker default
  int16_t replication_factor = -1;  // -1: the broker default
  std::vector<std::vector<int32_t>> assignment;  // per partition; empty: assign automatically
  string_map configs;
};

class Controller {
 public:
  using listener = std::function<void(std::shared_ptr<const MetadataImage>)>;

  static result<std::unique_ptr<Controller>> open(ControllerOptions opts);

  std::shared_ptr<const MetadataImage> image() const;
  // Called (on the changing thread) after every change, with the new image.
  void set_listener(listener l);

  // Validates and creates a topic on the given live brokers. With validate_only, validates
  // and returns what would be created. Errors carry Kafka's codes: INVALID_TOPIC_EXCEPTION,
  // TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
  // INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG, KAFKA_STORAGE_ERROR (journal).
  result<TopicState> create_topic(const NewTopicSpec& spec, const std::vector<int32_t>& live_brokers,
                                  bool validate_only = false);
  // UNKNOWN_TOPIC_OR_PART if there is no such topic.
  status delete_topic(const std::string& name);

  // The effective configuration of a topic (broker defaults + its overrides).
  result<TopicConfig> topic_config(const std::string& name) const;
  const TopicConfig& topic_defaults() const { return opts_.topic_defaults; }

 private:
  explicit Controller(ControllerOptions opts) : opts_(std::move(opts)) {}
  status commit_locked(const MetadataRecord& r);

  ControllerOptions opts_;
  mutable std::mutex mu_;
  MetadataImage image_;
  std::shared_ptr<const MetadataImage> published_;
  std::unique_ptr<Journal> journal_;
  listener listener_;
};

// Kafka's rack-unaware assignment: partition i's first replica is broker (start + i) % n, the
// others follow at a shift that changes every n partitions, so leaders and followers spread
// evenly. `start` and `shift` are random in Kafka; passed in here for testability.
std::vector<std::vector<int32_t>> assign_replicas(int32_t partitions, int16_t replication_factor,
                                                  const std::vector<int32_t>& brokers,
                                                  int32_t start, int32_t shift);

}  // namespace shoal::cluster
