#include "broker/broker_config.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>

#include <fmt/format.h>

namespace shoal::broker {

namespace {

std::optional<int64_t> parse_long(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Sets a broker-only field; returns an error message or "".
using setter = std::function<std::string(BrokerConfig&, const std::string&)>;

setter long_field(int64_t BrokerConfig::*f, int64_t min) {
  return [=](BrokerConfig& c, const std::string& v) -> std::string {
    auto n = parse_long(v);
    if (!n || *n < min) return fmt::format("'{}' is not an integer >= {}", v, min);
    c.*f = *n;
    return "";
  };
}

template <typename T>
setter int_field(T BrokerConfig::*f, int64_t min, int64_t max) {
  return [=](BrokerConfig& c, const std::string& v) -> std::string {
    auto n = parse_long(v);
    if (!n || *n < min || *n > max)
      return fmt::format("'{}' is not an integer in [{}, {}]", v, min, max);
    c.*f = static_cast<T>(*n);
    return "";
  };
}

setter bool_field(bool BrokerConfig::*f) {
  return [=](BrokerConfig& c, const std::string& v) -> std::string {
    auto b = parse_bool(v);
    if (!b) return fmt::format("'{}' is not true or false", v);
    c.*f = *b;
    return "";
  };
}

// Kafka's listener form, NAME://host:port. Shoal serves one, in plaintext: SSL and SASL need
// certificates and credentials that a loopback cluster for learning does not have.
std::string parse_listener(const std::string& v, std::string* host, int32_t* port) {
  if (v.find(',') != std::string::npos) {
    return fmt::format("'{}' names several listeners; Shoal serves one", v);
  }
  auto sep = v.find("://");
  if (sep == std::string::npos) return fmt::format("'{}' is not of the form NAME://host:port", v);
  std::string name = v.substr(0, sep);
  if (name != "PLAINTEXT") {
    return fmt::format("'{}': only PLAINTEXT listeners are supported (not {})", v, name);
  }
  std::string rest = v.substr(sep + 3);
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return fmt::format("'{}' has no port", v);
  std::string h = rest.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto p = parse_long(rest.substr(colon + 1));
  if (!p || *p < 0 || *p > 65535) return fmt::format("'{}' has no valid port", v);
  *host = h;
  *port = static_cast<int32_t>(*p);
  return "";
}

struct entry {
  BrokerConfigDefinition def;
  setter set;        // broker-only keys; synonyms are applied through the topic config
  int64_t unit = 1;  // synonyms in minutes or hours: multiply to ms
};

const std::vector<entry>& table() {
  static const std::vector<entry> t = [] {
    std::vector<entry> v;
    auto add = [&](std::string name, std::string type, std::string dflt, std::string doc,
                   setter s) {
      v.push_back({{name, type, dflt, doc, ""}, std::move(s)});
    };
    auto syn = [&](std::string name, std::string topic_key, std::string dflt, std::string doc,
                   int64_t unit = 1) {
      v.push_back({{name, "", dflt, doc, topic_key}, nullptr, unit});
    };
    add("broker.id", "int", "", "this broker's id (the --id flag; if set here it must agree)",
        nullptr);
    add("node.id", "int", "", "synonym of broker.id", nullptr);
    add("log.dirs", "string", "<dir>/broker-<id>",
        "where this broker keeps its partitions' logs "
        "(one directory)",
        nullptr);
    add("log.dir", "string", "<dir>/broker-<id>", "synonym of log.dirs", nullptr);
    add("listeners", "string", "PLAINTEXT://127.0.0.1:0",
        "where the broker serves Kafka's wire protocol on TCP (port 0: a free port; host "
        "0.0.0.0: every interface)",
        [](BrokerConfig& c, const std::string& v) {
          return parse_listener(v, &c.listener_host, &c.listener_port);
        });
    add("advertised.listeners", "string", "",
        "the address Metadata gives clients for this broker (default: the listener's, "
        "127.0.0.1 for a wildcard host)",
        [](BrokerConfig& c, const std::string& v) {
          if (v.empty()) {  // unset: advertise the listener's own address
            c.advertised_host.clear();
            c.advertised_port = -1;
            return std::string();
          }
          std::string msg = parse_listener(v, &c.advertised_host, &c.advertised_port);
          if (msg.empty() && (c.advertised_host.empty() || c.advertised_host == "0.0.0.0" ||
                              c.advertised_port == 0)) {
            return fmt::format("'{}': an advertised listener needs a host and a port", v);
          }
          return msg;
        });
    add("socket.request.max.bytes", "int", "104857600",
        "the largest request frame; a larger one closes the connection",
        int_field(&BrokerConfig::socket_request_max_bytes, 1, INT32_MAX));
    add("max.connections", "int", "2147483647",
        "the most TCP connections the broker holds; more are closed at once",
        int_field(&BrokerConfig::max_connections, 0, INT32_MAX));
    add("connections.max.idle.ms", "long", "600000",
        "a TCP connection with no traffic this long is closed",
        long_field(&BrokerConfig::connections_max_idle_ms, 1));
    add("num.partitions", "int", "1", "partitions of an auto-created or default topic",
        int_field(&BrokerConfig::num_partitions, 1, 1'000'000));
    add("default.replication.factor", "int", "1",
        "replication factor of an auto-created topic, or when CreateTopics leaves it to the broker",
        int_field(&BrokerConfig::default_replication_factor, 1, 32767));
    add("auto.create.topics.enable", "boolean", "true",
        "create a topic when a client asks for metadata of a topic that does not exist",
        bool_field(&BrokerConfig::auto_create_topics_enable));
    add("delete.topic.enable", "boolean", "true", "whether DeleteTopics may delete topics",
        bool_field(&BrokerConfig::delete_topic_enable));
    add("log.retention.check.interval.ms", "long", "300000",
        "how often retention deletes old segments",
        long_field(&BrokerConfig::log_retention_check_interval_ms, 1));
    add("log.cleaner.enable", "boolean", "true", "run compaction for compacted topics",
        bool_field(&BrokerConfig::log_cleaner_enable));
    add("log.cleaner.backoff.ms", "long", "15000", "pause between compaction passes",
        long_field(&BrokerConfig::log_cleaner_backoff_ms, 0));
    add("log.flush.scheduler.interval.ms", "long", "1000", "how often flush.ms is checked",
        long_field(&BrokerConfig::log_flush_scheduler_interval_ms, 1));
    add("shm.session.timeout.ms", "long", "10000",
        "Shoal: a client whose shared-memory session is silent this long (dead or paused) loses it",
        long_field(&BrokerConfig::shm_session_timeout_ms, 100));
    add("broker.session.timeout.ms", "long", "9000",
        "a broker silent (dead or paused) this long loses its leaderships and ISR places",
        long_field(&BrokerConfig::broker_session_timeout_ms, 100));
    add("replica.lag.time.max.ms", "long", "30000",
        "a follower that has not caught up with its leader for this long leaves the ISR",
        long_field(&BrokerConfig::replica_lag_time_max_ms, 1));
    add("replica.fetch.wait.max.ms", "long", "500", "how long a follower's fetch waits for data",
        long_field(&BrokerConfig::replica_fetch_wait_max_ms, 0));
    add("replica.fetch.max.bytes", "int", "1048576", "bytes a follower fetches per partition",
        int_field(&BrokerConfig::replica_fetch_max_bytes, 1, INT32_MAX));
    add("replica.fetch.response.max.bytes", "int", "10485760",
        "bytes a follower fetches per request",
        int_field(&BrokerConfig::replica_fetch_response_max_bytes, 1, INT32_MAX));
    add("replica.fetch.backoff.ms", "long", "1000", "pause after a failed follower fetch",
        long_field(&BrokerConfig::replica_fetch_backoff_ms, 0));
    add("replica.socket.timeout.ms", "long", "30000", "timeout of a follower's fetch request",
        long_field(&BrokerConfig::replica_socket_timeout_ms, 1));
    add("auto.leader.rebalance.enable", "boolean", "true",
        "move leadership back to each partition's preferred replica when it is in sync",
        bool_field(&BrokerConfig::auto_leader_rebalance_enable));
    add("leader.imbalance.check.interval.seconds", "long", "300",
        "how often the controller moves leaderships back to preferred replicas",
        long_field(&BrokerConfig::leader_imbalance_check_interval_seconds, 1));
    add("controlled.shutdown.enable", "boolean", "true",
        "on SIGTERM, hand leaderships to other in-sync replicas before stopping",
        bool_field(&BrokerConfig::controlled_shutdown_enable));
    add("offsets.topic.num.partitions", "int", "10",
        "partitions of __consumer_offsets (Kafka's default is 50), fixed once it exists",
        int_field(&BrokerConfig::offsets_topic_num_partitions, 1, 1000));
    add("offsets.topic.replication.factor", "short", "3",
        "replication factor of __consumer_offsets (at most the brokers alive when created)",
        int_field(&BrokerConfig::offsets_topic_replication_factor, 1, 32767));
    add("offsets.commit.timeout.ms", "long", "5000",
        "how long an offset commit waits for every in-sync replica",
        long_field(&BrokerConfig::offsets_commit_timeout_ms, 1));
    add("group.min.session.timeout.ms", "int", "6000",
        "the smallest session.timeout.ms a consumer may ask for",
        int_field(&BrokerConfig::group_min_session_timeout_ms, 1, INT32_MAX));
    add("group.max.session.timeout.ms", "int", "1800000",
        "the largest session.timeout.ms a consumer may ask for",
        int_field(&BrokerConfig::group_max_session_timeout_ms, 1, INT32_MAX));
    add("group.initial.rebalance.delay.ms", "int", "0",
        "how long a new group's first rebalance waits for more members (Kafka: 3000)",
        long_field(&BrokerConfig::group_initial_rebalance_delay_ms, 0));
    add("group.max.size", "int", "2147483647", "the most members a group may have",
        int_field(&BrokerConfig::group_max_size, 1, INT32_MAX));
    syn("log.segment.bytes", "segment.bytes", "1073741824", "default segment.bytes");
    syn("log.roll.ms", "segment.ms", "", "default segment.ms (overrides log.roll.hours)");
    syn("log.roll.hours", "segment.ms", "168", "default segment.ms in hours", 3'600'000);
    syn("log.index.size.max.bytes", "segment.index.bytes", "10485760",
        "default segment.index.bytes");
    syn("log.index.interval.bytes", "index.interval.bytes", "4096", "default index.interval.bytes");
    syn("log.retention.ms", "retention.ms", "",
        "default retention.ms (overrides the minutes "
        "and hours forms)");
    syn("log.retention.minutes", "retention.ms", "", "default retention.ms in minutes", 60'000);
    syn("log.retention.hours", "retention.ms", "168", "default retention.ms in hours", 3'600'000);
    syn("log.retention.bytes", "retention.bytes", "-1", "default retention.bytes");
    syn("log.cleanup.policy", "cleanup.policy", "delete", "default cleanup.policy");
    syn("log.cleaner.delete.retention.ms", "delete.retention.ms", "86400000",
        "default delete.retention.ms");
    syn("log.cleaner.min.cleanable.ratio", "min.cleanable.dirty.ratio", "0.5",
        "default min.cleanable.dirty.ratio");
    syn("log.cleaner.min.compaction.lag.ms", "min.compaction.lag.ms", "0",
        "default min.compaction.lag.ms");
    syn("message.max.bytes", "max.message.bytes", "1048588", "default max.message.bytes");
    syn("log.flush.interval.messages", "flush.messages", "9223372036854775807",
        "default flush.messages");
    syn("log.flush.interval.ms", "flush.ms", "", "default flush.ms");
    syn("log.message.timestamp.type", "message.timestamp.type", "CreateTime",
        "default message.timestamp.type");
    syn("compression.type", "compression.type", "producer", "default compression.type");
    syn("min.insync.replicas", "min.insync.replicas", "1", "default min.insync.replicas");
    syn("unclean.leader.election.enable", "unclean.leader.election.enable", "false",
        "default unclean.leader.election.enable");
    return v;
  }();
  return t;
}

const entry* find(const std::string& key) {
  for (const auto& e : table()) {
    if (e.def.name == key) return &e;
  }
  return nullptr;
}

}  // namespace

result<BrokerConfig> BrokerConfig::from(const properties& props, const std::string& cluster,
                                        int32_t broker_id,
                                        const std::filesystem::path& cluster_dir) {
  BrokerConfig c;
  c.cluster = cluster;
  c.broker_id = broker_id;
  c.cluster_dir = cluster_dir;
  c.log_dir = cluster_dir / ("broker-" + std::to_string(broker_id));

  // Topic defaults: synonyms in increasing precedence (hours < minutes < ms), as Kafka.
  std::map<std::string, std::pair<int, std::string>> topic_props;  // key -> (precedence, value)
  for (const auto& [key, raw] : props) {
    std::string value = trim(raw);
    const entry* e = find(key);
    if (e == nullptr) {
      return make_error(errc::invalid_config, "unknown broker config '{}'", key);
    }
    if (key == "broker.id" || key == "node.id") {
      auto n = parse_long(value);
      if (!n || *n != broker_id) {
        return make_error(errc::invalid_config, "'{}' is {} but --id is {}", key, value, broker_id);
      }
      continue;
    }
    if (key == "log.dirs" || key == "log.dir") {
      if (value.empty() || value.find(',') != std::string::npos) {
        return make_error(errc::invalid_config,
                          "invalid value for '{}': '{}' (Shoal keeps one log directory per broker)",
                          key, value);
      }
      c.log_dir = value;
      continue;
    }
    if (e->set) {
      std::string msg = e->set(c, value);
      if (!msg.empty())
        return make_error(errc::invalid_config, "invalid value for '{}': {}", key, msg);
      continue;
    }
    std::string topic_value = value;
    int precedence = 2;
    if (e->unit != 1) {
      auto n = parse_long(value);
      if (!n)
        return make_error(errc::invalid_config, "invalid value for '{}': '{}' is not an integer",
                          key, value);
      // Kafka's hours and minutes keys are ints; anything larger would also overflow once
      // multiplied out to milliseconds and wrap to a tiny retention.
      if (*n > std::numeric_limits<int32_t>::max()) {
        return make_error(errc::invalid_config, "invalid value for '{}': {} is larger than {}", key,
                          *n, std::numeric_limits<int32_t>::max());
      }
      topic_value = std::to_string(*n < 0 ? -1 : *n * e->unit);
      precedence = e->unit == 60'000 ? 1 : 0;
    } else if (key == "log.retention.ms") {
      // As Kafka (KafkaConfig.logRetentionTimeMillis): any negative value means no time limit.
      if (auto n = parse_long(value); n && *n < 0) topic_value = "-1";
    }
    // Check the value on its own so the error names the broker key.
    if (auto check = cluster::TopicConfig{}.with({{e->def.topic_synonym, topic_value}}); !check) {
      std::string msg = check.err().message;
      size_t colon = msg.find(": ");
      return make_error(errc::invalid_config, "invalid value for '{}': {}", key,
                        colon == std::string::npos ? msg : msg.substr(colon + 2));
    }
    auto& slot = topic_props[e->def.topic_synonym];
    if (slot.second.empty() || precedence >= slot.first) slot = {precedence, topic_value};
  }
  std::map<std::string, std::string> overrides;
  for (const auto& [k, v] : topic_props) overrides[k] = v.second;
  SHOAL_ASSIGN_OR_RETURN(c.topic_defaults, cluster::TopicConfig{}.with(overrides));
  c.static_props = props;
  return c;
}

bool BrokerConfig::is_dynamic(const std::string& key) {
  const entry* e = find(key);
  return e != nullptr && !e->def.topic_synonym.empty() && e->unit == 1;
}

status BrokerConfig::validate_dynamic(const properties& dynamic) {
  std::string refused;
  for (const auto& [k, _] : dynamic) {
    if (find(k) == nullptr)
      return make_error(errc::invalid_config, "unknown broker config '{}'", k);
    if (!is_dynamic(k)) refused += (refused.empty() ? "" : ", ") + k;
  }
  if (!refused.empty()) {
    return make_error(errc::invalid_config,
                      "Cannot update these configs dynamically: {} (set them in the broker's "
                      "properties and restart it)",
                      refused);
  }
  // Values: checked as the properties file's would be.
  SHOAL_ASSIGN_OR_RETURN(auto checked, from(dynamic, "check", 0, "/"));
  (void)checked;
  return {};
}

result<cluster::TopicConfig> BrokerConfig::topic_defaults_with(
    const properties& cluster_dynamic, const properties& broker_dynamic) const {
  properties merged = static_props;
  for (const auto& layer : {cluster_dynamic, broker_dynamic}) {
    for (const auto& [k, v] : layer) merged[k] = v;
  }
  merged.erase("broker.id");
  merged.erase("node.id");
  SHOAL_ASSIGN_OR_RETURN(auto c, from(merged, cluster, broker_id, cluster_dir));
  return c.topic_defaults;
}

std::map<std::string, std::string> BrokerConfig::to_properties() const {
  std::map<std::string, std::string> m;
  m["broker.id"] = std::to_string(broker_id);
  m["node.id"] = std::to_string(broker_id);
  m["log.dirs"] = log_dir.string();
  m["log.dir"] = log_dir.string();
  m["num.partitions"] = std::to_string(num_partitions);
  m["default.replication.factor"] = std::to_string(default_replication_factor);
  m["auto.create.topics.enable"] = auto_create_topics_enable ? "true" : "false";
  m["delete.topic.enable"] = delete_topic_enable ? "true" : "false";
  m["log.retention.check.interval.ms"] = std::to_string(log_retention_check_interval_ms);
  m["log.cleaner.enable"] = log_cleaner_enable ? "true" : "false";
  m["log.cleaner.backoff.ms"] = std::to_string(log_cleaner_backoff_ms);
  m["log.flush.scheduler.interval.ms"] = std::to_string(log_flush_scheduler_interval_ms);
  m["shm.session.timeout.ms"] = std::to_string(shm_session_timeout_ms);
  auto listener = [](const std::string& h, int32_t p) {
    return fmt::format("PLAINTEXT://{}:{}", h.find(':') != std::string::npos ? "[" + h + "]" : h,
                       p);
  };
  m["listeners"] = listener(listener_host, listener_port);
  m["advertised.listeners"] =
      advertised_host.empty() ? "" : listener(advertised_host, advertised_port);
  m["socket.request.max.bytes"] = std::to_string(socket_request_max_bytes);
  m["max.connections"] = std::to_string(max_connections);
  m["connections.max.idle.ms"] = std::to_string(connections_max_idle_ms);
  m["broker.session.timeout.ms"] = std::to_string(broker_session_timeout_ms);
  m["replica.lag.time.max.ms"] = std::to_string(replica_lag_time_max_ms);
  m["replica.fetch.wait.max.ms"] = std::to_string(replica_fetch_wait_max_ms);
  m["replica.fetch.max.bytes"] = std::to_string(replica_fetch_max_bytes);
  m["replica.fetch.response.max.bytes"] = std::to_string(replica_fetch_response_max_bytes);
  m["replica.fetch.backoff.ms"] = std::to_string(replica_fetch_backoff_ms);
  m["replica.socket.timeout.ms"] = std::to_string(replica_socket_timeout_ms);
  m["auto.leader.rebalance.enable"] = auto_leader_rebalance_enable ? "true" : "false";
  m["leader.imbalance.check.interval.seconds"] =
      std::to_string(leader_imbalance_check_interval_seconds);
  m["controlled.shutdown.enable"] = controlled_shutdown_enable ? "true" : "false";
  m["offsets.topic.num.partitions"] = std::to_string(offsets_topic_num_partitions);
  m["offsets.topic.replication.factor"] = std::to_string(offsets_topic_replication_factor);
  m["offsets.commit.timeout.ms"] = std::to_string(offsets_commit_timeout_ms);
  m["group.min.session.timeout.ms"] = std::to_string(group_min_session_timeout_ms);
  m["group.max.session.timeout.ms"] = std::to_string(group_max_session_timeout_ms);
  m["group.initial.rebalance.delay.ms"] = std::to_string(group_initial_rebalance_delay_ms);
  m["group.max.size"] = std::to_string(group_max_size);
  for (const auto& e : table()) {
    if (e.def.topic_synonym.empty()) continue;
    std::string v = topic_defaults.get(e.def.topic_synonym);
    if (e.unit != 1) {
      // The coarse forms are rounded up to whole units, so they stay valid (log.roll.hours
      // must be >= 1) and read back to the same config: the exact *.ms form, printed too,
      // takes precedence over them.
      int64_t ms = std::stoll(v);
      v = std::to_string(ms < 0 ? -1 : (ms + e.unit - 1) / e.unit);
    }
    m[e.def.name] = v;
  }
  return m;
}

const std::vector<BrokerConfigDefinition>& broker_config_definitions() {
  static const std::vector<BrokerConfigDefinition> defs = [] {
    std::vector<BrokerConfigDefinition> d;
    for (const auto& e : table()) {
      auto def = e.def;
      if (def.type.empty()) def.type = e.unit != 1 ? "long" : "(as the topic key)";
      d.push_back(def);
    }
    return d;
  }();
  return defs;
}

}  // namespace shoal::broker
