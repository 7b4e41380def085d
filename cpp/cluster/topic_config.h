// A topic's configuration: its log settings plus the replication settings Kafka keeps per
// topic. Defaults come from the broker's configuration (log.* and friends); a topic stores
// only its overrides, as Kafka does.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "storage/log_config.h"

namespace shoal::cluster {

struct TopicConfig {
  storage::LogConfig log;
  int32_t min_insync_replicas = 1;              // min.insync.replicas
  bool unclean_leader_election_enable = false;  // unclean.leader.election.enable

  // Applies topic-level overrides (Kafka names). Unknown keys or bad values: INVALID_CONFIG
  // naming the key.
  result<TopicConfig> with(const std::map<std::string, std::string>& overrides) const;
  std::string get(const std::string& key) const;
  std::map<std::string, std::string> to_properties() const;
};

// Every topic-level key with its type, default (as a fresh broker has it) and doc.
std::vector<storage::ConfigDefinition> topic_config_definitions();

// Kafka's topic-name rule: [a-zA-Z0-9._-], 1 to 249 characters, not "." or "..".
// INVALID_TOPIC_EXCEPTION otherwise, with a message naming the rule the name breaks.
status validate_topic_name(const std::string& name);
// Whether two names collide once '.' and '_' are treated alike (Kafka refuses such pairs).
bool topic_names_collide(const std::string& a, const std::string& b);
// Kafka's internal topics (__consumer_offsets, __transaction_state): Metadata marks them.
bool is_internal_topic(const std::string& name);

}  // namespace shoal::cluster
