// Client configuration with librdkafka's property names, aliases and defaults (the names
// confluent-kafka-python passes through), so a config dict written for Kafka works here.
// bootstrap.servers is shm://NAME (brokers on this host, over shared memory) or a list of
// host:port (Kafka's wire protocol over TCP, to Shoal's listeners or any Kafka cluster). The
// table in client_config.cc defines every key once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/partitioner.h"
#include "common/result.h"
#include "storage/compression.h"

namespace shoal::client {

enum class client_kind { producer, consumer, admin };

struct HostPort {
  std::string host;
  int32_t port = 0;
  bool operator==(const HostPort&) const = default;
};

// bootstrap.servers, parsed: exactly one of the two is set.
struct Bootstrap {
  std::string cluster;              // shm://NAME
  std::vector<HostPort> addresses;  // host:port,host:port,...
};

struct ClientConfig {
  std::string cluster;              // from bootstrap.servers = shm://NAME
  std::vector<HostPort> addresses;  // from bootstrap.servers = host:port,...; TCP when set
  int64_t socket_connection_setup_timeout_ms = 30'000;  // socket.connection.setup.timeout.ms
  std::string client_id = "rdkafka";
  int64_t request_timeout_ms = 30'000;    // request.timeout.ms
  int64_t metadata_max_age_ms = 900'000;  // metadata.max.age.ms
  int64_t socket_timeout_ms = 60'000;     // socket.timeout.ms (admin and metadata calls)
  int64_t retry_backoff_ms = 100;         // retry.backoff.ms
  int64_t retry_backoff_max_ms = 1'000;   // retry.backoff.max.ms

  // Producer.
  int16_t acks = -1;                               // acks / request.required.acks
  int64_t linger_ms = 5;                           // linger.ms / queue.buffering.max.ms
  int32_t batch_num_messages = 10'000;             // batch.num.messages
  int32_t batch_size = 1'000'000;                  // batch.size
  int32_t queue_buffering_max_messages = 100'000;  // queue.buffering.max.messages
  int64_t queue_buffering_max_kbytes = 1'048'576;  // queue.buffering.max.kbytes
  int32_t message_max_bytes = 1'000'000;           // message.max.bytes
  int64_t message_timeout_ms = 300'000;            // delivery.timeout.ms / message.timeout.ms
  int32_t retries = INT32_MAX;                     // retries / message.send.max.retries
  int32_t max_in_flight = 1'000'000;               // max.in.flight.requests.per.connection
  bool enable_idempotence = false;                 // enable.idempotence
  int32_t test_lose_produce_responses = 0;         // test.lose.produce.responses (tests only)
  storage::compression compression = storage::compression::none;  // compression.type
  int compression_level = -1;                                     // compression.level
  partitioner_kind partitioner = default_partitioner;             // partitioner
  int64_t sticky_linger_ms = 10;                                  // sticky.partitioning.linger.ms

  // Consumer.
  std::string group_id;                          // group.id
  std::optional<std::string> group_instance_id;  // group.instance.id (static membership)
  int32_t session_timeout_ms = 45'000;           // session.timeout.ms
  int32_t heartbeat_interval_ms = 3'000;         // heartbeat.interval.ms
  int32_t max_poll_interval_ms = 300'000;        // max.poll.interval.ms
  std::string partition_assignment_strategy = "range,roundrobin";  // partition.assignment.strategy
  bool enable_auto_commit = true;                                  // enable.auto.commit
  int32_t auto_commit_interval_ms = 5'000;                         // auto.commit.interval.ms
  bool enable_auto_offset_store = true;                            // enable.auto.offset.store
  int32_t topic_metadata_refresh_interval_ms = 300'000;  // topic.metadata.refresh.interval.ms
  std::string auto_offset_reset = "largest";             // auto.offset.reset (normalized)
  int64_t fetch_wait_max_ms = 500;                       // fetch.wait.max.ms
  int32_t fetch_min_bytes = 1;                           // fetch.min.bytes
  int32_t fetch_max_bytes = 52'428'800;                  // fetch.max.bytes
  int32_t max_partition_fetch_bytes = 1'048'576;         // max.partition.fetch.bytes
  int32_t queued_min_messages = 100'000;                 // queued.min.messages
  int64_t queued_max_messages_kbytes = 65'536;           // queued.max.messages.kbytes
  bool enable_partition_eof = false;                     // enable.partition.eof
  bool check_crcs = false;                               // check.crcs
  std::string isolation_level = "read_committed";        // isolation.level

  // Everything as given (after alias resolution), for properties this struct does not model.
  std::map<std::string, std::string> raw;
};

// Parses a configuration. Unknown properties, bad values and a bootstrap.servers that is
// neither shm://NAME nor a host:port list fail with _INVALID_ARG and a message naming the
// property. Socket tuning properties (socket.keepalive.enable, ...) are accepted and ignored.
result<ClientConfig> parse_client_config(const std::map<std::string, std::string>& props,
                                         client_kind kind);

// Every property the clients take, in the table's order, for the configuration reference
// (docs/configuration.md, generated by `python -m shoal.cli.config_reference`).
struct ClientConfigDefinition {
  std::string name;
  std::string alias_of;  // empty for a canonical name
  bool producer = false, consumer = false, admin = false;
  std::string default_value;  // as a value of this property would be written
  std::string valid_values;
  std::string doc;       // one line; empty for an alias
  bool ignored = false;  // accepted for compatibility with networked Kafka, no effect
};
std::vector<ClientConfigDefinition> client_config_definitions();

// Parses bootstrap.servers as librdkafka does: "shm://NAME", or a comma-separated list of
// host:port, host (port 9092), [IPv6]:port, each maybe prefixed PLAINTEXT://. The error says
// which entry is wrong and what is expected.
result<Bootstrap> parse_bootstrap_servers(const std::string& value);

}  // namespace shoal::client
