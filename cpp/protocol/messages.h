// The request and response bodies of the APIs the first broker serves, modeled on Kafka's
// (same fields, Kafka's names in snake_case) and encoded by codec.h in the order each visit()
// lists. docs/protocol.md gives every field list; keep the two in step.
//
// Conventions: -1 is "none/unknown" for ids, epochs, offsets and timestamps, as in Kafka; each
// field's default is the value a handler that never sets it should send. Every top-level
// message declares `api` (its API key) and `name` (used in decode errors).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/errc.h"
#include "common/types.h"
#include "protocol/codec.h"
#include "protocol/header.h"

namespace shoal::protocol {

enum class isolation_level : int8_t { read_uncommitted = 0, read_committed = 1 };

// The body any API answers with when the request cannot be decoded or routed (malformed
// bytes, an unknown API key, an unsupported version). Sent with
// ResponseHeader::error_response = true.
struct ErrorResponse {
  static constexpr std::string_view name = "ErrorResponse";

  errc error = errc::unknown_server_error;
  std::optional<std::string> error_message;

  template <typename V>
  void visit(V& v) {
    v(error);
    v(error_message);
  }
  friend bool operator==(const ErrorResponse&, const ErrorResponse&) = default;
};

// A response frame carrying an ErrorResponse.
inline bytes encode_error_response(int32_t correlation_id, const ErrorResponse& body) {
  return encode_response(ResponseHeader{.correlation_id = correlation_id, .error_response = true},
                         body);
}

// ---- Produce (0) ----

struct ProduceRequest {
  static constexpr api_key api = api_key::produce;
  static constexpr std::string_view name = "ProduceRequest";

  struct Partition {
    partition_id index;
    bytes records;  // one or more RecordBatch v2, back to back (docs/record-batch.md)

    template <typename V>
    void visit(V& v) {
      v(index);
      v(records);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::optional<std::string> transactional_id;
  int16_t acks = -1;  // 0: no response, 1: the leader's append, -1: all of the ISR
  int32_t timeout_ms = 30000;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(transactional_id);
    v(acks);
    v(timeout_ms);
    v(topics);
  }
  friend bool operator==(const ProduceRequest&, const ProduceRequest&) = default;
};

struct ProduceResponse {
  static constexpr api_key api = api_key::produce;
  static constexpr std::string_view name = "ProduceResponse";

  struct Partition {
    partition_id index;
    errc error = errc::none;
    std::optional<std::string> error_message;
    shoal::offset base_offset{-1};
    timestamp_ms log_append_time_ms = no_timestamp;  // -1 when the topic uses CreateTime
    shoal::offset log_start_offset{-1};

    template <typename V>
    void visit(V& v) {
      v(index);
      v(error);
      v(error_message);
      v(base_offset);
      v(log_append_time_ms);
      v(log_start_offset);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Topic> topics;
  int32_t throttle_time_ms = 0;

  template <typename V>
  void visit(V& v) {
    v(topics);
    v(throttle_time_ms);
  }
  friend bool operator==(const ProduceResponse&, const ProduceResponse&) = default;
};

// ---- Fetch (1) ----

struct FetchRequest {
  static constexpr api_key api = api_key::fetch;
  static constexpr std::string_view name = "FetchRequest";

  struct Partition {
    partition_id partition;
    shoal::leader_epoch current_leader_epoch = no_leader_epoch;  // -1: unknown, not checked
    shoal::offset fetch_offset{0};
    shoal::leader_epoch last_fetched_epoch = no_leader_epoch;  // followers only; -1: none
    shoal::offset log_start_offset{-1};                        // followers only; -1: none
    int32_t partition_max_bytes = 1048576;

    template <typename V>
    void visit(V& v) {
      v(partition);
      v(current_leader_epoch);
      v(fetch_offset);
      v(last_fetched_epoch);
      v(log_start_offset);
      v(partition_max_bytes);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  node_id replica_id{-1};  // -1 for a consumer, the follower's broker id for a follower
  int32_t max_wait_ms = 500;
  int32_t min_bytes = 1;
  int32_t max_bytes = 52428800;
  protocol::isolation_level isolation_level = protocol::isolation_level::read_uncommitted;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(replica_id);
    v(max_wait_ms);
    v(min_bytes);
    v(max_bytes);
    v(isolation_level);
    v(topics);
  }
  friend bool operator==(const FetchRequest&, const FetchRequest&) = default;
};

struct FetchResponse {
  static constexpr api_key api = api_key::fetch;
  static constexpr std::string_view name = "FetchResponse";

  // Set when the follower's log diverges from the leader's (KIP-101/KIP-320): truncate to
  // end_offset, then fetch again.
  struct EpochEndOffset {
    shoal::leader_epoch epoch = no_leader_epoch;  // -1: no divergence
    shoal::offset end_offset{-1};

    template <typename V>
    void visit(V& v) {
      v(epoch);
      v(end_offset);
    }
    friend bool operator==(const EpochEndOffset&, const EpochEndOffset&) = default;
  };
  // The leader as this broker knows it, sent with NOT_LEADER_OR_FOLLOWER and
  // FENCED_LEADER_EPOCH so the client can retry without a metadata round trip.
  struct LeaderIdAndEpoch {
    node_id leader_id{-1};
    shoal::leader_epoch leader_epoch = no_leader_epoch;

    template <typename V>
    void visit(V& v) {
      v(leader_id);
      v(leader_epoch);
    }
    friend bool operator==(const LeaderIdAndEpoch&, const LeaderIdAndEpoch&) = default;
  };
  struct Partition {
    partition_id partition;
    errc error = errc::none;
    std::optional<std::string> error_message;
    shoal::offset high_watermark{-1};
    shoal::offset last_stable_offset{-1};
    shoal::offset log_start_offset{-1};
    EpochEndOffset diverging_epoch;
    LeaderIdAndEpoch current_leader;
    std::optional<bytes> records;  // RecordBatch v2 back to back; null on error

    template <typename V>
    void visit(V& v) {
      v(partition);
      v(error);
      v(error_message);
      v(high_watermark);
      v(last_stable_offset);
      v(log_start_offset);
      v(diverging_epoch);
      v(current_leader);
      v(records);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  errc error = errc::none;  // a whole-request error; partitions carry their own
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(error);
    v(throttle_time_ms);
    v(topics);
  }
  friend bool operator==(const FetchResponse&, const FetchResponse&) = default;
};

// ---- ListOffsets (2) ----

struct ListOffsetsRequest {
  static constexpr api_key api = api_key::list_offsets;
  static constexpr std::string_view name = "ListOffsetsRequest";

  // Special values of Partition::timestamp (Kafka's ListOffsetsRequest constants).
  static constexpr timestamp_ms latest_timestamp{-1};    // the log end offset
  static constexpr timestamp_ms earliest_timestamp{-2};  // the log start offset
  static constexpr timestamp_ms max_timestamp{-3};       // the record with the largest timestamp

  struct Partition {
    partition_id partition;
    shoal::leader_epoch current_leader_epoch = no_leader_epoch;
    // The first offset whose timestamp is >= this, or one of the special values above.
    timestamp_ms timestamp = latest_timestamp;

    template <typename V>
    void visit(V& v) {
      v(partition);
      v(current_leader_epoch);
      v(timestamp);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  node_id replica_id{-1};  // -1 for a consumer
  protocol::isolation_level isolation_level = protocol::isolation_level::read_uncommitted;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(replica_id);
    v(isolation_level);
    v(topics);
  }
  friend bool operator==(const ListOffsetsRequest&, const ListOffsetsRequest&) = default;
};

struct ListOffsetsResponse {
  static constexpr api_key api = api_key::list_offsets;
  static constexpr std::string_view name = "ListOffsetsResponse";

  struct Partition {
    partition_id partition;
    errc error = errc::none;
    std::optional<std::string> error_message;
    timestamp_ms timestamp = no_timestamp;  // of the record found; -1 for latest/earliest
    shoal::offset offset{-1};
    shoal::leader_epoch leader_epoch = no_leader_epoch;  // of the record found

    template <typename V>
    void visit(V& v) {
      v(partition);
      v(error);
      v(error_message);
      v(timestamp);
      v(offset);
      v(leader_epoch);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(topics);
  }
  friend bool operator==(const ListOffsetsResponse&, const ListOffsetsResponse&) = default;
};

// ---- Metadata (3) ----

struct MetadataRequest {
  static constexpr api_key api = api_key::metadata;
  static constexpr std::string_view name = "MetadataRequest";

  // null: every topic; empty: none (brokers and controller only).
  std::optional<std::vector<std::string>> topics;
  bool allow_auto_topic_creation = false;

  template <typename V>
  void visit(V& v) {
    v(topics);
    v(allow_auto_topic_creation);
  }
  friend bool operator==(const MetadataRequest&, const MetadataRequest&) = default;
};

struct MetadataResponse {
  static constexpr api_key api = api_key::metadata;
  static constexpr std::string_view name = "MetadataResponse";

  struct Broker {
    shoal::node_id node_id{-1};
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;

    template <typename V>
    void visit(V& v) {
      v(node_id);
      v(host);
      v(port);
      v(rack);
    }
    friend bool operator==(const Broker&, const Broker&) = default;
  };
  struct Partition {
    errc error = errc::none;
    partition_id partition_index;
    node_id leader_id{-1};
    shoal::leader_epoch leader_epoch = no_leader_epoch;
    std::vector<node_id> replica_nodes;
    std::vector<node_id> isr_nodes;
    std::vector<node_id> offline_replicas;

    template <typename V>
    void visit(V& v) {
      v(error);
      v(partition_index);
      v(leader_id);
      v(leader_epoch);
      v(replica_nodes);
      v(isr_nodes);
      v(offline_replicas);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    errc error = errc::none;
    std::optional<std::string> error_message;
    std::string name;
    bool is_internal = false;
    std::vector<Partition> partitions;

    template <typename V>
    void visit(V& v) {
      v(error);
      v(error_message);
      v(name);
      v(is_internal);
      v(partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Broker> brokers;
  std::optional<std::string> cluster_id;
  node_id controller_id{-1};
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(brokers);
    v(cluster_id);
    v(controller_id);
    v(topics);
  }
  friend bool operator==(const MetadataResponse&, const MetadataResponse&) = default;
};

// ---- CreateTopics (19) ----

struct CreateTopicsRequest {
  static constexpr api_key api = api_key::create_topics;
  static constexpr std::string_view name = "CreateTopicsRequest";

  struct Assignment {
    partition_id partition_index;
    std::vector<node_id> broker_ids;  // the replicas, preferred leader first

    template <typename V>
    void visit(V& v) {
      v(partition_index);
      v(broker_ids);
    }
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };
  struct Topic {
    std::string name;
    int32_t num_partitions = -1;      // -1: the broker's num.partitions
    int16_t replication_factor = -1;  // -1: the broker's default.replication.factor
    // Explicit replica placement; when not empty, num_partitions and replication_factor must
    // be -1 (as in Kafka).
    std::vector<Assignment> assignments;
    string_map configs;  // topic configs ("retention.ms" -> "3600000")

    template <typename V>
    void visit(V& v) {
      v(name);
      v(num_partitions);
      v(replication_factor);
      v(assignments);
      v(configs);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Topic> topics;
  int32_t timeout_ms = 60000;
  bool validate_only = false;

  template <typename V>
  void visit(V& v) {
    v(topics);
    v(timeout_ms);
    v(validate_only);
  }
  friend bool operator==(const CreateTopicsRequest&, const CreateTopicsRequest&) = default;
};

struct CreateTopicsResponse {
  static constexpr api_key api = api_key::create_topics;
  static constexpr std::string_view name = "CreateTopicsResponse";

  struct Topic {
    std::string name;
    errc error = errc::none;
    std::optional<std::string> error_message;
    int32_t num_partitions = -1;
    int16_t replication_factor = -1;
    string_map configs;  // the topic's resulting configs

    template <typename V>
    void visit(V& v) {
      v(name);
      v(error);
      v(error_message);
      v(num_partitions);
      v(replication_factor);
      v(configs);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(topics);
  }
  friend bool operator==(const CreateTopicsResponse&, const CreateTopicsResponse&) = default;
};

// ---- DeleteTopics (20) ----

struct DeleteTopicsRequest {
  static constexpr api_key api = api_key::delete_topics;
  static constexpr std::string_view name = "DeleteTopicsRequest";

  std::vector<std::string> topic_names;
  int32_t timeout_ms = 60000;

  template <typename V>
  void visit(V& v) {
    v(topic_names);
    v(timeout_ms);
  }
  friend bool operator==(const DeleteTopicsRequest&, const DeleteTopicsRequest&) = default;
};

struct DeleteTopicsResponse {
  static constexpr api_key api = api_key::delete_topics;
  static constexpr std::string_view name = "DeleteTopicsResponse";

  struct Result {
    std::string name;
    errc error = errc::none;
    std::optional<std::string> error_message;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(error);
      v(error_message);
    }
    friend bool operator==(const Result&, const Result&) = default;
  };

  std::vector<Result> responses;

  template <typename V>
  void visit(V& v) {
    v(responses);
  }
  friend bool operator==(const DeleteTopicsResponse&, const DeleteTopicsResponse&) = default;
};

// ---- ApiVersions (18) ----

struct ApiVersionsRequest {
  static constexpr api_key api = api_key::api_versions;
  static constexpr std::string_view name = "ApiVersionsRequest";

  template <typename V>
  void visit(V&) {}
  friend bool operator==(const ApiVersionsRequest&, const ApiVersionsRequest&) = default;
};

struct ApiVersionsResponse {
  static constexpr api_key api = api_key::api_versions;
  static constexpr std::string_view name = "ApiVersionsResponse";

  struct ApiVersion {
    protocol::api_key api_key = protocol::api_key::api_versions;
    int16_t min_version = protocol_version;
    int16_t max_version = protocol_version;

    template <typename V>
    void visit(V& v) {
      v(api_key);
      v(min_version);
      v(max_version);
    }
    friend bool operator==(const ApiVersion&, const ApiVersion&) = default;
  };

  errc error = errc::none;
  std::vector<ApiVersion> api_keys;

  template <typename V>
  void visit(V& v) {
    v(error);
    v(api_keys);
  }
  friend bool operator==(const ApiVersionsResponse&, const ApiVersionsResponse&) = default;
};

// ---- InitProducerId (22) ----

// An idempotent producer asks for its producer id and epoch. Shoal's controller hands the ids
// out (from blocks it records in the metadata journal, so none is ever given twice), so the
// request goes to the controller; other brokers answer NOT_CONTROLLER. A request naming the
// producer's current id and epoch asks for the next epoch of that id (KIP-360); without
// transactions there is no state to fence, so that is granted as long as the epoch fits, and
// a fresh id is given once it would not.
struct InitProducerIdRequest {
  static constexpr api_key api = api_key::init_producer_id;
  static constexpr std::string_view name = "InitProducerIdRequest";

  std::optional<std::string> transactional_id;  // must be null: no transactions here
  int32_t transaction_timeout_ms = -1;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;

  template <typename V>
  void visit(V& v) {
    v(transactional_id);
    v(transaction_timeout_ms);
    v(producer_id);
    v(producer_epoch);
  }
  friend bool operator==(const InitProducerIdRequest&, const InitProducerIdRequest&) = default;
};

struct InitProducerIdResponse {
  static constexpr api_key api = api_key::init_producer_id;
  static constexpr std::string_view name = "InitProducerIdResponse";

  int32_t throttle_time_ms = 0;
  errc error = errc::none;
  std::optional<std::string> error_message;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(error);
    v(error_message);
    v(producer_id);
    v(producer_epoch);
  }
  friend bool operator==(const InitProducerIdResponse&, const InitProducerIdResponse&) = default;
};

// --- Between brokers and the controller ---

// AlterPartition (KIP-497): a partition's leader asks the controller to change its ISR. The
// controller refuses a request from a stale leader epoch or partition epoch.
struct AlterPartitionRequest {
  static constexpr api_key api = api_key::alter_partition;
  static constexpr std::string_view name = "AlterPartitionRequest";

  struct Partition {
    partition_id partition_index;
    shoal::leader_epoch leader_epoch = no_leader_epoch;
    std::vector<node_id> new_isr;
    int32_t partition_epoch = 0;

    template <typename V>
    void visit(V& v) {
      v(partition_index);
      v(leader_epoch);
      v(new_isr);
      v(partition_epoch);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  node_id broker_id{-1};
  int64_t broker_epoch = -1;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(broker_id);
    v(broker_epoch);
    v(topics);
  }
  friend bool operator==(const AlterPartitionRequest&, const AlterPartitionRequest&) = default;
};

struct AlterPartitionResponse {
  static constexpr api_key api = api_key::alter_partition;
  static constexpr std::string_view name = "AlterPartitionResponse";

  struct Partition {
    partition_id partition_index;
    errc error = errc::none;
    node_id leader_id{-1};
    shoal::leader_epoch leader_epoch = no_leader_epoch;
    std::vector<node_id> isr;
    int32_t partition_epoch = 0;

    template <typename V>
    void visit(V& v) {
      v(partition_index);
      v(error);
      v(leader_id);
      v(leader_epoch);
      v(isr);
      v(partition_epoch);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  errc error = errc::none;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(error);
    v(topics);
  }
  friend bool operator==(const AlterPartitionResponse&, const AlterPartitionResponse&) = default;
};

// ControlledShutdown: a broker about to stop asks the controller to move its leaderships
// away and take it out of every ISR.
struct ControlledShutdownRequest {
  static constexpr api_key api = api_key::controlled_shutdown;
  static constexpr std::string_view name = "ControlledShutdownRequest";

  node_id broker_id{-1};
  int64_t broker_epoch = -1;

  template <typename V>
  void visit(V& v) {
    v(broker_id);
    v(broker_epoch);
  }
  friend bool operator==(const ControlledShutdownRequest&,
                         const ControlledShutdownRequest&) = default;
};

struct ControlledShutdownResponse {
  static constexpr api_key api = api_key::controlled_shutdown;
  static constexpr std::string_view name = "ControlledShutdownResponse";

  struct RemainingPartition {
    std::string topic_name;
    partition_id partition_index;

    template <typename V>
    void visit(V& v) {
      v(topic_name);
      v(partition_index);
    }
    friend bool operator==(const RemainingPartition&, const RemainingPartition&) = default;
  };

  errc error = errc::none;
  std::vector<RemainingPartition> remaining_partitions;

  template <typename V>
  void visit(V& v) {
    v(error);
    v(remaining_partitions);
  }
  friend bool operator==(const ControlledShutdownResponse&,
                         const ControlledShutdownResponse&) = default;
};

}  // namespace shoal::protocol
