// The request and response bodies of the APIs the first broker serves, modeled on Kafka's
// (same fields, Kafka's names in snake_case) and encoded by codec.h in the order each visit()
// lists. docs/protocol.md gives every field list; keep the two in step.
//
// Conventions: -1 is "none/unknown" for ids, epochs, offsets and timestamps, as in Kafka; each
// field's default is the value a handler that never sets it should send. Every top-level
// message declares `api` (its API key) and `name` (used in decode errors).
#pragma once

#include <cstdint>
#include <limits>
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
    // Shoal's extension: append only if the leader's log ends here (-1: unconditionally);
    // otherwise _CONFLICT. The schema registry's writers serialize through it.
    shoal::offset expected_log_end_offset{-1};

    template <typename V>
    void visit(V& v) {
      v(index);
      v(records);
      v(expected_log_end_offset);
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
    int64_t topic_id = 0;  // random per creation (Kafka's is a UUID); 0: unknown
    bool is_internal = false;
    std::vector<Partition> partitions;

    template <typename V>
    void visit(V& v) {
      v(error);
      v(error_message);
      v(name);
      v(topic_id);
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

// --- Consumer groups (Kafka's classic group protocol), served by a group's coordinator ---
//
// Every request naming a group goes to the broker that coordinates it (FindCoordinator; see
// docs/consumer-groups.md); any other broker answers NOT_COORDINATOR, and a coordinator still
// loading the group's partition answers COORDINATOR_LOAD_IN_PROGRESS. `member_id` is "" until
// the coordinator has given the member one; `group_instance_id` is null except for static
// members (KIP-345). The coordinator stores and forwards the metadata and assignment bytes;
// their format is the embedded protocol's (Kafka's ConsumerProtocol for protocol_type
// "consumer").

// ---- OffsetCommit (8) ----

struct OffsetCommitRequest {
  static constexpr api_key api = api_key::offset_commit;
  static constexpr std::string_view name = "OffsetCommitRequest";

  struct Partition {
    partition_id partition_index;
    shoal::offset committed_offset{-1};  // the next offset the group will consume
    shoal::leader_epoch committed_leader_epoch = no_leader_epoch;  // of the last consumed record
    std::optional<std::string> committed_metadata;  // the client's, kept with the offset

    template <typename V>
    void visit(V& v) {
      v(partition_index);
      v(committed_offset);
      v(committed_leader_epoch);
      v(committed_metadata);
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

  std::string group_id;
  // The generation the member belongs to; -1 with member_id "" for a commit from outside the
  // group (a standalone consumer or an admin client), which only an empty group accepts.
  int32_t generation_id_or_member_epoch = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(group_id);
    v(generation_id_or_member_epoch);
    v(member_id);
    v(group_instance_id);
    v(topics);
  }
  friend bool operator==(const OffsetCommitRequest&, const OffsetCommitRequest&) = default;
};

struct OffsetCommitResponse {
  static constexpr api_key api = api_key::offset_commit;
  static constexpr std::string_view name = "OffsetCommitResponse";

  struct Partition {
    partition_id partition_index;
    errc error = errc::none;

    template <typename V>
    void visit(V& v) {
      v(partition_index);
      v(error);
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

  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;  // group-wide errors are repeated on every partition, as in Kafka

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(topics);
  }
  friend bool operator==(const OffsetCommitResponse&, const OffsetCommitResponse&) = default;
};

// ---- OffsetFetch (9) ----

struct OffsetFetchRequest {
  static constexpr api_key api = api_key::offset_fetch;
  static constexpr std::string_view name = "OffsetFetchRequest";

  struct Topic {
    std::string name;
    std::vector<partition_id> partition_indexes;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(partition_indexes);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::string group_id;
  std::optional<std::vector<Topic>> topics;  // null: every partition the group committed
  // Answer UNSTABLE_OFFSET_COMMIT for a partition with a commit still being written instead of
  // its last stored offset.
  bool require_stable = false;

  template <typename V>
  void visit(V& v) {
    v(group_id);
    v(topics);
    v(require_stable);
  }
  friend bool operator==(const OffsetFetchRequest&, const OffsetFetchRequest&) = default;
};

struct OffsetFetchResponse {
  static constexpr api_key api = api_key::offset_fetch;
  static constexpr std::string_view name = "OffsetFetchResponse";

  struct Partition {
    partition_id partition_index;
    shoal::offset committed_offset{-1};  // -1: nothing committed
    shoal::leader_epoch committed_leader_epoch = no_leader_epoch;
    std::optional<std::string> metadata;
    errc error = errc::none;

    template <typename V>
    void visit(V& v) {
      v(partition_index);
      v(committed_offset);
      v(committed_leader_epoch);
      v(metadata);
      v(error);
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

  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;
  errc error = errc::none;  // the group's error (NOT_COORDINATOR, ...); then `topics` is empty

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(topics);
    v(error);
  }
  friend bool operator==(const OffsetFetchResponse&, const OffsetFetchResponse&) = default;
};

// ---- FindCoordinator (10) ----

// What FindCoordinatorRequest::key names (Kafka's CoordinatorType).
enum class coordinator_type : int8_t { group = 0, transaction = 1 };

// Any broker answers. A group's coordinator is the leader of the group's partition of
// __consumer_offsets. Shoal has no transactions, so a transaction key has no coordinator.
struct FindCoordinatorRequest {
  static constexpr api_key api = api_key::find_coordinator;
  static constexpr std::string_view name = "FindCoordinatorRequest";

  std::string key;  // the group id (or the transactional id)
  coordinator_type key_type = coordinator_type::group;

  template <typename V>
  void visit(V& v) {
    v(key);
    v(key_type);
  }
  friend bool operator==(const FindCoordinatorRequest&, const FindCoordinatorRequest&) = default;
};

struct FindCoordinatorResponse {
  static constexpr api_key api = api_key::find_coordinator;
  static constexpr std::string_view name = "FindCoordinatorResponse";

  int32_t throttle_time_ms = 0;
  errc error = errc::none;
  std::optional<std::string> error_message;
  // The coordinator; -1, "" and -1 with an error (COORDINATOR_NOT_AVAILABLE while the
  // partition has no leader).
  shoal::node_id node_id{-1};
  std::string host;
  int32_t port = -1;

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(error);
    v(error_message);
    v(node_id);
    v(host);
    v(port);
  }
  friend bool operator==(const FindCoordinatorResponse&, const FindCoordinatorResponse&) = default;
};

// ---- JoinGroup (11) ----

// A member (re)joins. A new member sends member_id "" and is answered MEMBER_ID_REQUIRED with
// its id in member_id, then joins again with it (KIP-394). The response waits until the
// rebalance completes; only the leader's lists the members.
struct JoinGroupRequest {
  static constexpr api_key api = api_key::join_group;
  static constexpr std::string_view name = "JoinGroupRequest";

  struct Protocol {
    std::string name;  // an assignor ("range", "cooperative-sticky", ...)
    bytes metadata;    // the member's subscription, as that protocol encodes it

    template <typename V>
    void visit(V& v) {
      v(name);
      v(metadata);
    }
    friend bool operator==(const Protocol&, const Protocol&) = default;
  };

  std::string group_id;
  int32_t session_timeout_ms = 45000;     // the consumer's session.timeout.ms default
  int32_t rebalance_timeout_ms = 300000;  // the consumer's max.poll.interval.ms default
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string protocol_type;          // "consumer" for consumers; every member must agree
  std::vector<Protocol> protocols;    // the member's choices, most preferred first
  std::optional<std::string> reason;  // why the member (re)joins, for the coordinator's log

  template <typename V>
  void visit(V& v) {
    v(group_id);
    v(session_timeout_ms);
    v(rebalance_timeout_ms);
    v(member_id);
    v(group_instance_id);
    v(protocol_type);
    v(protocols);
    v(reason);
  }
  friend bool operator==(const JoinGroupRequest&, const JoinGroupRequest&) = default;
};

struct JoinGroupResponse {
  static constexpr api_key api = api_key::join_group;
  static constexpr std::string_view name = "JoinGroupResponse";

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    bytes metadata;  // the member's metadata for the chosen protocol

    template <typename V>
    void visit(V& v) {
      v(member_id);
      v(group_instance_id);
      v(metadata);
    }
    friend bool operator==(const Member&, const Member&) = default;
  };

  int32_t throttle_time_ms = 0;
  errc error = errc::none;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;  // the protocol chosen for this generation
  std::string leader;                        // the leader's member id
  // The leader must not compute an assignment: a static leader rejoined and the coordinator
  // kept the current one (KIP-814).
  bool skip_assignment = false;
  std::string member_id;        // the receiver's own id
  std::vector<Member> members;  // the leader's response only; empty for the others

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(error);
    v(generation_id);
    v(protocol_type);
    v(protocol_name);
    v(leader);
    v(skip_assignment);
    v(member_id);
    v(members);
  }
  friend bool operator==(const JoinGroupResponse&, const JoinGroupResponse&) = default;
};

// ---- Heartbeat (12) ----

struct HeartbeatRequest {
  static constexpr api_key api = api_key::heartbeat;
  static constexpr std::string_view name = "HeartbeatRequest";

  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  // Shoal's extension: the coordinator may hold a healthy answer this long, and answers at once
  // when the group starts to rebalance (or the member is fenced), so members learn of a
  // rebalance in microseconds instead of at their next heartbeat. 0: answer now, as Kafka.
  int32_t max_wait_ms = 0;

  template <typename V>
  void visit(V& v) {
    v(group_id);
    v(generation_id);
    v(member_id);
    v(group_instance_id);
    v(max_wait_ms);
  }
  friend bool operator==(const HeartbeatRequest&, const HeartbeatRequest&) = default;
};

struct HeartbeatResponse {
  static constexpr api_key api = api_key::heartbeat;
  static constexpr std::string_view name = "HeartbeatResponse";

  int32_t throttle_time_ms = 0;
  errc error = errc::none;  // REBALANCE_IN_PROGRESS: rejoin

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(error);
  }
  friend bool operator==(const HeartbeatResponse&, const HeartbeatResponse&) = default;
};

// ---- LeaveGroup (13) ----

struct LeaveGroupRequest {
  static constexpr api_key api = api_key::leave_group;
  static constexpr std::string_view name = "LeaveGroupRequest";

  struct Member {
    std::string member_id;  // "" with a group_instance_id: that static member, whatever its id
    std::optional<std::string> group_instance_id;
    std::optional<std::string> reason;  // why it leaves, for the coordinator's log

    template <typename V>
    void visit(V& v) {
      v(member_id);
      v(group_instance_id);
      v(reason);
    }
    friend bool operator==(const Member&, const Member&) = default;
  };

  std::string group_id;
  std::vector<Member> members;  // a consumer sends itself; an admin client may send several

  template <typename V>
  void visit(V& v) {
    v(group_id);
    v(members);
  }
  friend bool operator==(const LeaveGroupRequest&, const LeaveGroupRequest&) = default;
};

struct LeaveGroupResponse {
  static constexpr api_key api = api_key::leave_group;
  static constexpr std::string_view name = "LeaveGroupResponse";

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    errc error = errc::none;

    template <typename V>
    void visit(V& v) {
      v(member_id);
      v(group_instance_id);
      v(error);
    }
    friend bool operator==(const Member&, const Member&) = default;
  };

  int32_t throttle_time_ms = 0;
  errc error = errc::none;  // the request's error; members carry their own
  std::vector<Member> members;

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(error);
    v(members);
  }
  friend bool operator==(const LeaveGroupResponse&, const LeaveGroupResponse&) = default;
};

// ---- SyncGroup (14) ----

// Every member sends one after JoinGroup; the leader's carries the assignment of every member.
// Each response waits for the leader's and gives the member its own assignment.
struct SyncGroupRequest {
  static constexpr api_key api = api_key::sync_group;
  static constexpr std::string_view name = "SyncGroupRequest";

  struct Assignment {
    std::string member_id;
    bytes assignment;  // as the chosen protocol encodes it

    template <typename V>
    void visit(V& v) {
      v(member_id);
      v(assignment);
    }
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };

  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  // From the JoinGroupResponse; when not null, the coordinator answers
  // INCONSISTENT_GROUP_PROTOCOL if they differ from the group's (KIP-559).
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::vector<Assignment> assignments;  // the leader's request only; empty for the others

  template <typename V>
  void visit(V& v) {
    v(group_id);
    v(generation_id);
    v(member_id);
    v(group_instance_id);
    v(protocol_type);
    v(protocol_name);
    v(assignments);
  }
  friend bool operator==(const SyncGroupRequest&, const SyncGroupRequest&) = default;
};

struct SyncGroupResponse {
  static constexpr api_key api = api_key::sync_group;
  static constexpr std::string_view name = "SyncGroupResponse";

  int32_t throttle_time_ms = 0;
  errc error = errc::none;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  bytes assignment;  // the receiver's own; empty on error

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(error);
    v(protocol_type);
    v(protocol_name);
    v(assignment);
  }
  friend bool operator==(const SyncGroupResponse&, const SyncGroupResponse&) = default;
};

// ---- DescribeGroups (15) ----

struct DescribeGroupsRequest {
  static constexpr api_key api = api_key::describe_groups;
  static constexpr std::string_view name = "DescribeGroupsRequest";

  std::vector<std::string> groups;  // group ids
  bool include_authorized_operations = false;

  template <typename V>
  void visit(V& v) {
    v(groups);
    v(include_authorized_operations);
  }
  friend bool operator==(const DescribeGroupsRequest&, const DescribeGroupsRequest&) = default;
};

struct DescribeGroupsResponse {
  static constexpr api_key api = api_key::describe_groups;
  static constexpr std::string_view name = "DescribeGroupsResponse";

  // Group::authorized_operations when they were not asked for (Kafka's INT32_MIN).
  static constexpr int32_t authorized_operations_omitted = std::numeric_limits<int32_t>::min();

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;    // from the member's last JoinGroup
    std::string client_host;  // likewise
    bytes member_metadata;    // for the group's protocol; Stable groups only
    bytes member_assignment;  // Stable groups only

    template <typename V>
    void visit(V& v) {
      v(member_id);
      v(group_instance_id);
      v(client_id);
      v(client_host);
      v(member_metadata);
      v(member_assignment);
    }
    friend bool operator==(const Member&, const Member&) = default;
  };
  struct Group {
    errc error = errc::none;
    std::optional<std::string> error_message;
    std::string group_id;
    std::string group_state;    // "Empty", "PreparingRebalance", "CompletingRebalance",
                                // "Stable" or "Dead" (also for an unknown group)
    std::string protocol_type;  // "" when the group has none
    std::string protocol_data;  // the chosen protocol's name; Stable groups only
    std::vector<Member> members;
    int32_t authorized_operations = authorized_operations_omitted;  // a bit per AclOperation

    template <typename V>
    void visit(V& v) {
      v(error);
      v(error_message);
      v(group_id);
      v(group_state);
      v(protocol_type);
      v(protocol_data);
      v(members);
      v(authorized_operations);
    }
    friend bool operator==(const Group&, const Group&) = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Group> groups;

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(groups);
  }
  friend bool operator==(const DescribeGroupsResponse&, const DescribeGroupsResponse&) = default;
};

// ---- ListGroups (16) ----

// Lists the groups of the receiving broker only; an admin client asks every broker.
struct ListGroupsRequest {
  static constexpr api_key api = api_key::list_groups;
  static constexpr std::string_view name = "ListGroupsRequest";

  std::vector<std::string> states_filter;  // group states ("Stable", ...); empty: any
  std::vector<std::string> types_filter;   // group types ("classic", ...); empty: any

  template <typename V>
  void visit(V& v) {
    v(states_filter);
    v(types_filter);
  }
  friend bool operator==(const ListGroupsRequest&, const ListGroupsRequest&) = default;
};

struct ListGroupsResponse {
  static constexpr api_key api = api_key::list_groups;
  static constexpr std::string_view name = "ListGroupsResponse";

  struct Group {
    std::string group_id;
    std::string protocol_type;
    std::string group_state;
    std::string group_type;  // "classic": the only kind of group here

    template <typename V>
    void visit(V& v) {
      v(group_id);
      v(protocol_type);
      v(group_state);
      v(group_type);
    }
    friend bool operator==(const Group&, const Group&) = default;
  };

  int32_t throttle_time_ms = 0;
  errc error = errc::none;
  std::vector<Group> groups;

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(error);
    v(groups);
  }
  friend bool operator==(const ListGroupsResponse&, const ListGroupsResponse&) = default;
};

// ---- DeleteGroups (42) ----

// Deletes empty groups and their committed offsets (NON_EMPTY_GROUP otherwise).
struct DeleteGroupsRequest {
  static constexpr api_key api = api_key::delete_groups;
  static constexpr std::string_view name = "DeleteGroupsRequest";

  std::vector<std::string> groups_names;  // group ids (Kafka's name)

  template <typename V>
  void visit(V& v) {
    v(groups_names);
  }
  friend bool operator==(const DeleteGroupsRequest&, const DeleteGroupsRequest&) = default;
};

struct DeleteGroupsResponse {
  static constexpr api_key api = api_key::delete_groups;
  static constexpr std::string_view name = "DeleteGroupsResponse";

  struct Result {
    std::string group_id;
    errc error = errc::none;

    template <typename V>
    void visit(V& v) {
      v(group_id);
      v(error);
    }
    friend bool operator==(const Result&, const Result&) = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Result> results;

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(results);
  }
  friend bool operator==(const DeleteGroupsResponse&, const DeleteGroupsResponse&) = default;
};

// ---- OffsetDelete (47) ----

// Deletes a group's committed offsets of some partitions (KIP-496). Refused per partition with
// GROUP_SUBSCRIBED_TO_TOPIC while a member of the group is subscribed to the topic.
struct OffsetDeleteRequest {
  static constexpr api_key api = api_key::offset_delete;
  static constexpr std::string_view name = "OffsetDeleteRequest";

  struct Partition {
    partition_id partition_index;

    template <typename V>
    void visit(V& v) {
      v(partition_index);
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

  std::string group_id;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(group_id);
    v(topics);
  }
  friend bool operator==(const OffsetDeleteRequest&, const OffsetDeleteRequest&) = default;
};

struct OffsetDeleteResponse {
  static constexpr api_key api = api_key::offset_delete;
  static constexpr std::string_view name = "OffsetDeleteResponse";

  struct Partition {
    partition_id partition_index;
    errc error = errc::none;

    template <typename V>
    void visit(V& v) {
      v(partition_index);
      v(error);
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

  errc error = errc::none;  // the group's error; then `topics` is empty
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(error);
    v(throttle_time_ms);
    v(topics);
  }
  friend bool operator==(const OffsetDeleteResponse&, const OffsetDeleteResponse&) = default;
};

}  // namespace shoal::protocol

namespace shoal::protocol {

// ---- CreatePartitions (37) ----

// Adds partitions to topics; sent to the controller. A partition count can only grow.
struct CreatePartitionsRequest {
  static constexpr api_key api = api_key::create_partitions;
  static constexpr std::string_view name = "CreatePartitionsRequest";

  struct Assignment {
    std::vector<node_id> broker_ids;  // the new partition's replicas, preferred leader first

    template <typename V>
    void visit(V& v) {
      v(broker_ids);
    }
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };
  struct Topic {
    std::string name;
    int32_t count = 0;  // the new total number of partitions
    // One per new partition; null: the controller assigns them.
    std::optional<std::vector<Assignment>> assignments;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(count);
      v(assignments);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Topic> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;

  template <typename V>
  void visit(V& v) {
    v(topics);
    v(timeout_ms);
    v(validate_only);
  }
  friend bool operator==(const CreatePartitionsRequest&, const CreatePartitionsRequest&) = default;
};

struct CreatePartitionsResponse {
  static constexpr api_key api = api_key::create_partitions;
  static constexpr std::string_view name = "CreatePartitionsResponse";

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

  int32_t throttle_time_ms = 0;
  std::vector<Result> results;

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(results);
  }
  friend bool operator==(const CreatePartitionsResponse&,
                         const CreatePartitionsResponse&) = default;
};

// ---- DescribeConfigs (32) and IncrementalAlterConfigs (44) ----

// Kafka's ConfigResource.Type.
enum class config_resource_type : int8_t {
  unknown = 0,
  any = 1,
  topic = 2,
  group = 3,
  broker = 4,
  broker_logger = 8
};
// Where a config's value comes from (Kafka's ConfigSource).
enum class config_source : int8_t {
  unknown = 0,
  dynamic_topic_config = 1,
  dynamic_broker_config = 2,
  dynamic_default_broker_config = 3,
  static_broker_config = 4,
  default_config = 5,
  dynamic_broker_logger_config = 6
};
// Kafka's ConfigDef.Type, as DescribeConfigs reports it.
enum class config_type : int8_t {
  unknown = 0,
  boolean = 1,
  string = 2,
  int_ = 3,
  short_ = 4,
  long_ = 5,
  double_ = 6,
  list = 7,
  class_ = 8,
  password = 9
};
// IncrementalAlterConfigs' operations (Kafka's AlterConfigOp.OpType).
enum class config_operation : int8_t { set = 0, del = 1, append = 2, subtract = 3 };

struct DescribeConfigsRequest {
  static constexpr api_key api = api_key::describe_configs;
  static constexpr std::string_view name = "DescribeConfigsRequest";

  struct Resource {
    config_resource_type resource_type = config_resource_type::topic;
    std::string resource_name;  // a topic, or a broker id ("" for the cluster-wide default)
    std::optional<std::vector<std::string>> configuration_keys;  // null: every key

    template <typename V>
    void visit(V& v) {
      v(resource_type);
      v(resource_name);
      v(configuration_keys);
    }
    friend bool operator==(const Resource&, const Resource&) = default;
  };

  std::vector<Resource> resources;
  bool include_synonyms = false;
  bool include_documentation = false;

  template <typename V>
  void visit(V& v) {
    v(resources);
    v(include_synonyms);
    v(include_documentation);
  }
  friend bool operator==(const DescribeConfigsRequest&, const DescribeConfigsRequest&) = default;
};

struct DescribeConfigsResponse {
  static constexpr api_key api = api_key::describe_configs;
  static constexpr std::string_view name = "DescribeConfigsResponse";

  struct Synonym {
    std::string name;
    std::optional<std::string> value;
    config_source source = config_source::unknown;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(value);
      v(source);
    }
    friend bool operator==(const Synonym&, const Synonym&) = default;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;  // null for a sensitive config
    bool read_only = false;
    config_source source = config_source::unknown;
    bool is_sensitive = false;
    std::vector<Synonym> synonyms;  // highest precedence first, the config itself included
    config_type type = config_type::unknown;
    std::optional<std::string> documentation;

    template <typename V>
    void visit(V& v) {
      v(name);
      v(value);
      v(read_only);
      v(source);
      v(is_sensitive);
      v(synonyms);
      v(type);
      v(documentation);
    }
    friend bool operator==(const Config&, const Config&) = default;
  };
  struct Result {
    errc error = errc::none;
    std::optional<std::string> error_message;
    config_resource_type resource_type = config_resource_type::topic;
    std::string resource_name;
    std::vector<Config> configs;

    template <typename V>
    void visit(V& v) {
      v(error);
      v(error_message);
      v(resource_type);
      v(resource_name);
      v(configs);
    }
    friend bool operator==(const Result&, const Result&) = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Result> results;

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(results);
  }
  friend bool operator==(const DescribeConfigsResponse&, const DescribeConfigsResponse&) = default;
};

// Changes some configs of resources, leaving the others as they are; sent to the controller.
struct IncrementalAlterConfigsRequest {
  static constexpr api_key api = api_key::incremental_alter_configs;
  static constexpr std::string_view name = "IncrementalAlterConfigsRequest";

  struct Config {
    std::string name;
    protocol::config_operation config_operation = protocol::config_operation::set;
    std::optional<std::string> value;  // null for DELETE

    template <typename V>
    void visit(V& v) {
      v(name);
      v(config_operation);
      v(value);
    }
    friend bool operator==(const Config&, const Config&) = default;
  };
  struct Resource {
    config_resource_type resource_type = config_resource_type::topic;
    std::string resource_name;
    std::vector<Config> configs;

    template <typename V>
    void visit(V& v) {
      v(resource_type);
      v(resource_name);
      v(configs);
    }
    friend bool operator==(const Resource&, const Resource&) = default;
  };

  std::vector<Resource> resources;
  bool validate_only = false;

  template <typename V>
  void visit(V& v) {
    v(resources);
    v(validate_only);
  }
  friend bool operator==(const IncrementalAlterConfigsRequest&,
                         const IncrementalAlterConfigsRequest&) = default;
};

struct IncrementalAlterConfigsResponse {
  static constexpr api_key api = api_key::incremental_alter_configs;
  static constexpr std::string_view name = "IncrementalAlterConfigsResponse";

  struct Result {
    errc error = errc::none;
    std::optional<std::string> error_message;
    config_resource_type resource_type = config_resource_type::topic;
    std::string resource_name;

    template <typename V>
    void visit(V& v) {
      v(error);
      v(error_message);
      v(resource_type);
      v(resource_name);
    }
    friend bool operator==(const Result&, const Result&) = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Result> responses;

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(responses);
  }
  friend bool operator==(const IncrementalAlterConfigsResponse&,
                         const IncrementalAlterConfigsResponse&) = default;
};

// ---- DeleteRecords (21) ----

// Moves partitions' log start offsets forward; sent to each partition's leader, which answers
// once the followers in the ISR have the new start too (as acks=all waits).
struct DeleteRecordsRequest {
  static constexpr api_key api = api_key::delete_records;
  static constexpr std::string_view name = "DeleteRecordsRequest";

  struct Partition {
    partition_id partition_index;
    shoal::offset offset{-1};  // records before this go; -1: up to the high watermark

    template <typename V>
    void visit(V& v) {
      v(partition_index);
      v(offset);
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
  int32_t timeout_ms = 0;

  template <typename V>
  void visit(V& v) {
    v(topics);
    v(timeout_ms);
  }
  friend bool operator==(const DeleteRecordsRequest&, const DeleteRecordsRequest&) = default;
};

struct DeleteRecordsResponse {
  static constexpr api_key api = api_key::delete_records;
  static constexpr std::string_view name = "DeleteRecordsResponse";

  struct Partition {
    partition_id partition_index;
    shoal::offset low_watermark{-1};  // the new log start offset
    errc error = errc::none;

    template <typename V>
    void visit(V& v) {
      v(partition_index);
      v(low_watermark);
      v(error);
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

  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(topics);
  }
  friend bool operator==(const DeleteRecordsResponse&, const DeleteRecordsResponse&) = default;
};

// ---- ElectLeaders (43) ----

enum class election_type : int8_t { preferred = 0, unclean = 1 };

// Elects leaders now; sent to the controller.
struct ElectLeadersRequest {
  static constexpr api_key api = api_key::elect_leaders;
  static constexpr std::string_view name = "ElectLeadersRequest";

  struct Topic {
    std::string topic;
    std::vector<partition_id> partitions;

    template <typename V>
    void visit(V& v) {
      v(topic);
      v(partitions);
    }
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  protocol::election_type election_type = protocol::election_type::preferred;
  std::optional<std::vector<Topic>> topic_partitions;  // null: every partition
  int32_t timeout_ms = 0;

  template <typename V>
  void visit(V& v) {
    v(election_type);
    v(topic_partitions);
    v(timeout_ms);
  }
  friend bool operator==(const ElectLeadersRequest&, const ElectLeadersRequest&) = default;
};

struct ElectLeadersResponse {
  static constexpr api_key api = api_key::elect_leaders;
  static constexpr std::string_view name = "ElectLeadersResponse";

  struct Partition {
    shoal::partition_id partition_id;
    errc error = errc::none;  // ELECTION_NOT_NEEDED when the leader is already right
    std::optional<std::string> error_message;

    template <typename V>
    void visit(V& v) {
      v(partition_id);
      v(error);
      v(error_message);
    }
    friend bool operator==(const Partition&, const Partition&) = default;
  };
  struct Result {
    std::string topic;
    std::vector<Partition> partition_result;

    template <typename V>
    void visit(V& v) {
      v(topic);
      v(partition_result);
    }
    friend bool operator==(const Result&, const Result&) = default;
  };

  int32_t throttle_time_ms = 0;
  errc error = errc::none;  // a request-level error (NOT_CONTROLLER, ...)
  std::vector<Result> replica_election_results;

  template <typename V>
  void visit(V& v) {
    v(throttle_time_ms);
    v(error);
    v(replica_election_results);
  }
  friend bool operator==(const ElectLeadersResponse&, const ElectLeadersResponse&) = default;
};

}  // namespace shoal::protocol
