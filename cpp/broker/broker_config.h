// The broker's configuration: Kafka's broker property names and defaults where they apply,
// read from a server.properties-style file plus --override key=value pairs. The topic-level
// defaults (log.retention.ms and its kin) become the TopicConfig every new topic starts
// from. The table in broker_config.cc defines every key once: parsing, validation, and the
// README's configuration reference.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cluster/topic_config.h"
#include "common/properties.h"
#include "common/result.h"
#include "storage/log_config.h"

namespace shoal::broker {

struct BrokerConfig {
  std::string cluster;
  int32_t broker_id = 0;
  std::filesystem::path cluster_dir;  // --dir: shared by the cluster's brokers
  std::filesystem::path log_dir;      // log.dirs (default <cluster_dir>/broker-<id>)

  int32_t num_partitions = 1;                         // num.partitions
  int16_t default_replication_factor = 1;             // default.replication.factor
  bool auto_create_topics_enable = true;              // auto.create.topics.enable
  bool delete_topic_enable = true;                    // delete.topic.enable
  int64_t log_retention_check_interval_ms = 300'000;  // log.retention.check.interval.ms
  bool log_cleaner_enable = true;                     // log.cleaner.enable
  int64_t log_cleaner_backoff_ms = 15'000;            // log.cleaner.backoff.ms
  int64_t log_flush_scheduler_interval_ms = 1'000;    // log.flush.scheduler.interval.ms
  // Shoal-specific: a client whose shared-memory session has been silent this long (dead or
  // paused) loses it.
  int64_t shm_session_timeout_ms = 10'000;  // shm.session.timeout.ms

  // The TCP listener (Kafka's wire protocol). One PLAINTEXT listener: host "" or 0.0.0.0 binds
  // every interface, port 0 a free port.
  std::string listener_host = "127.0.0.1";  // listeners
  int32_t listener_port = 0;
  std::string advertised_host;  // advertised.listeners ("": the bound one)
  int32_t advertised_port = -1;
  int32_t socket_request_max_bytes = 104'857'600;  // socket.request.max.bytes
  int32_t max_connections = INT32_MAX;             // max.connections
  int64_t connections_max_idle_ms = 600'000;       // connections.max.idle.ms

  // Replication and the controller.
  int64_t broker_session_timeout_ms = 9'000;              // broker.session.timeout.ms
  int64_t replica_lag_time_max_ms = 30'000;               // replica.lag.time.max.ms
  int64_t replica_fetch_wait_max_ms = 500;                // replica.fetch.wait.max.ms
  int32_t replica_fetch_max_bytes = 1'048'576;            // replica.fetch.max.bytes
  int32_t replica_fetch_response_max_bytes = 10'485'760;  // replica.fetch.response.max.bytes
  int64_t replica_fetch_backoff_ms = 1'000;               // replica.fetch.backoff.ms
  int64_t replica_socket_timeout_ms = 30'000;             // replica.socket.timeout.ms
  bool auto_leader_rebalance_enable = true;               // auto.leader.rebalance.enable
  int64_t leader_imbalance_check_interval_seconds = 300;  // leader.imbalance.check.interval.seconds
  bool controlled_shutdown_enable = true;                 // controlled.shutdown.enable

  // Consumer groups (docs/consumer-groups.md).
  int32_t offsets_topic_num_partitions = 10;         // offsets.topic.num.partitions
  int16_t offsets_topic_replication_factor = 3;      // offsets.topic.replication.factor
  int64_t offsets_commit_timeout_ms = 5'000;         // offsets.commit.timeout.ms
  int32_t group_min_session_timeout_ms = 6'000;      // group.min.session.timeout.ms
  int32_t group_max_session_timeout_ms = 1'800'000;  // group.max.session.timeout.ms
  int64_t group_initial_rebalance_delay_ms = 0;      // group.initial.rebalance.delay.ms
  int32_t group_max_size = INT32_MAX;                // group.max.size

  // Defaults of every topic-level setting (from log.segment.bytes, log.retention.ms, ...).
  cluster::TopicConfig topic_defaults;

  // Builds the configuration from properties (a file's contents merged with overrides).
  // Unknown keys and invalid values fail with INVALID_CONFIG naming the key.
  static result<BrokerConfig> from(const properties& props, const std::string& cluster,
                                   int32_t broker_id, const std::filesystem::path& cluster_dir);

  // The effective value of every key, as Kafka prints them (DescribeConfigs on a broker).
  std::map<std::string, std::string> to_properties() const;

  // The properties this configuration was built from (the file plus overrides).
  properties static_props;

  // Dynamic broker configs (IncrementalAlterConfigs on a broker resource): the keys that set
  // topic defaults (log.retention.ms, log.segment.bytes, min.insync.replicas, ...), in their
  // exact-unit form. Others need a restart: INVALID_CONFIG naming them, as Kafka's "Cannot
  // update these configs dynamically".
  static status validate_dynamic(const properties& dynamic);
  static bool is_dynamic(const std::string& key);
  // The topic defaults with dynamic configs over the static ones (precedence: this broker's
  // dynamic configs, then the cluster-wide ones, then the properties, then Kafka's defaults).
  result<cluster::TopicConfig> topic_defaults_with(const properties& cluster_dynamic,
                                                   const properties& broker_dynamic) const;
};

struct BrokerConfigDefinition {
  std::string name;
  std::string type;
  std::string default_value;
  std::string doc;
  std::string topic_synonym;  // the topic-level key this sets the default of, if any
};

const std::vector<BrokerConfigDefinition>& broker_config_definitions();

}  // namespace shoal::broker
