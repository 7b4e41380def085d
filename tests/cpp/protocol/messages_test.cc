// Every message of messages.h: round trips with awkward values (nulls, empty arrays, extreme
// integers, unicode, multi-megabyte records), every truncation and trailing garbage refused,
// random and mutated bytes never crashing the decoder, and hand-written bytes that pin the
// encoding to docs/protocol.md.
#include "protocol/messages.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>

#include "storage/record_batch.h"

namespace shoal::protocol {
namespace {

constexpr int64_t i64_max = std::numeric_limits<int64_t>::max();
constexpr int64_t i64_min = std::numeric_limits<int64_t>::min();
constexpr int32_t i32_max = std::numeric_limits<int32_t>::max();

const std::string unicode_topic = "données-τοπικά-🐟";

// A real RecordBatch v2 of `n` records, so the records field carries what a producer sends.
bytes real_batch(int n, storage::compression codec = storage::compression::none) {
  storage::RecordBatchBuilder b(codec);
  for (int i = 0; i < n; ++i) {
    std::string k = "key-" + std::to_string(i);
    std::string v = "value-" + std::to_string(i) + "-ünïcode";
    b.append(1700000000000 + i, bytes_view(reinterpret_cast<const uint8_t*>(k.data()), k.size()),
             bytes_view(reinterpret_cast<const uint8_t*>(v.data()), v.size()));
  }
  return b.build().value();
}

bytes pattern(size_t n, uint32_t seed) {
  bytes out(n);
  std::mt19937 rng(seed);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// ---- samples: small enough to truncate at every byte, with every field set unusually ----

template <typename T>
std::vector<T> samples();

template <>
std::vector<ProduceRequest> samples() {
  ProduceRequest rich;
  rich.transactional_id = "txn-😀";
  rich.acks = -1;
  rich.timeout_ms = i32_max;
  rich.topics = {
      {.name = unicode_topic,
       .partitions = {{.index = partition_id(0), .records = real_batch(3)},
                      {.index = partition_id(i32_max),
                       .records = {},
                       .expected_log_end_offset = offset(i64_max)}}},
      {.name = "", .partitions = {}},
  };
  ProduceRequest acks0{.transactional_id = "", .acks = 0, .timeout_ms = -1, .topics = {}};
  return {ProduceRequest{}, rich, acks0};
}

template <>
std::vector<ProduceResponse> samples() {
  ProduceResponse rich;
  rich.throttle_time_ms = 100;
  rich.topics = {{.name = unicode_topic,
                  .partitions = {
                      {.index = partition_id(2),
                       .error = errc::none,
                       .base_offset = offset(i64_max),
                       .log_append_time_ms = timestamp_ms(1700000000123),
                       .log_start_offset = offset(0)},
                      {.index = partition_id(-1),
                       .error = errc::not_leader_or_follower,
                       .error_message = "Broker 2 is not the leader of données-τοπικά-🐟/5",
                       .base_offset = offset(-1),
                       .log_append_time_ms = no_timestamp,
                       .log_start_offset = offset(i64_min)},
                  }}};
  return {ProduceResponse{}, rich};
}

template <>
std::vector<FetchRequest> samples() {
  FetchRequest follower;
  follower.replica_id = node_id(3);
  follower.max_wait_ms = 500;
  follower.min_bytes = 1;
  follower.max_bytes = i32_max;
  follower.isolation_level = isolation_level::read_committed;
  follower.topics = {{.name = "orders",
                      .partitions = {{.partition = partition_id(0),
                                      .current_leader_epoch = leader_epoch(7),
                                      .fetch_offset = offset(i64_max),
                                      .last_fetched_epoch = leader_epoch(6),
                                      .log_start_offset = offset(12),
                                      .partition_max_bytes = 1 << 20},
                                     {}}},
                     {.name = unicode_topic, .partitions = {}}};
  FetchRequest consumer;
  consumer.topics = {{.name = "t", .partitions = {{.partition = partition_id(1)}}}};
  return {FetchRequest{}, follower, consumer};
}

template <>
std::vector<FetchResponse> samples() {
  FetchResponse rich;
  rich.error = errc::none;
  rich.throttle_time_ms = 0;
  rich.topics = {
      {.name = "orders",
       .partitions =
           {
               {.partition = partition_id(0),
                .high_watermark = offset(100),
                .last_stable_offset = offset(100),
                .log_start_offset = offset(0),
                .records = real_batch(5, storage::compression::lz4)},
               {.partition = partition_id(1),
                .error = errc::fenced_leader_epoch,
                .error_message = "leader epoch 4 is older than the current 5",
                .high_watermark = offset(-1),
                .diverging_epoch = {.epoch = leader_epoch(3), .end_offset = offset(i64_max)},
                .current_leader = {.leader_id = node_id(2), .leader_epoch = leader_epoch(5)},
                .records = std::nullopt},
               {.partition = partition_id(2), .records = bytes{}},
           }},
  };
  FetchResponse whole_error{.error = errc::unknown_server_error, .throttle_time_ms = -1};
  return {FetchResponse{}, rich, whole_error};
}

template <>
std::vector<ListOffsetsRequest> samples() {
  ListOffsetsRequest rich;
  rich.replica_id = node_id(-1);
  rich.isolation_level = isolation_level::read_committed;
  rich.topics = {
      {.name = unicode_topic,
       .partitions = {
           {.partition = partition_id(0), .timestamp = ListOffsetsRequest::earliest_timestamp},
           {.partition = partition_id(1),
            .current_leader_epoch = leader_epoch(9),
            .timestamp = ListOffsetsRequest::max_timestamp},
           {.partition = partition_id(2), .timestamp = timestamp_ms(i64_max)},
       }}};
  return {ListOffsetsRequest{}, rich};
}

template <>
std::vector<ListOffsetsResponse> samples() {
  ListOffsetsResponse rich;
  rich.topics = {{.name = "t",
                  .partitions =
                      {
                          {.partition = partition_id(0),
                           .timestamp = timestamp_ms(1700000000000),
                           .offset = offset(42),
                           .leader_epoch = leader_epoch(1)},
                          {.partition = partition_id(9),
                           .error = errc::unknown_topic_or_partition,
                           .error_message = "This server does not host this topic-partition."},
                      }},
                 {.name = unicode_topic, .partitions = {}}};
  return {ListOffsetsResponse{}, rich};
}

template <>
std::vector<MetadataRequest> samples() {
  return {
      MetadataRequest{},
      MetadataRequest{.topics = std::vector<std::string>{}, .allow_auto_topic_creation = true},
      MetadataRequest{.topics = std::vector<std::string>{"orders", unicode_topic, ""},
                      .allow_auto_topic_creation = false},
  };
}

template <>
std::vector<MetadataResponse> samples() {
  MetadataResponse rich;
  rich.brokers = {
      {.node_id = node_id(1), .host = "shm://demo", .port = 0, .rack = std::nullopt},
      {.node_id = node_id(2), .host = "localhost", .port = 9092, .rack = "rack-ä"},
  };
  rich.cluster_id = "demo-cluster";
  rich.controller_id = node_id(1);
  rich.topics = {
      {.error = errc::none,
       .name = "orders",
       .topic_id = 0x0123456789abcdefLL,
       .is_internal = false,
       .partitions = {{.error = errc::none,
                       .partition_index = partition_id(0),
                       .leader_id = node_id(1),
                       .leader_epoch = leader_epoch(3),
                       .replica_nodes = {node_id(1), node_id(2), node_id(3)},
                       .isr_nodes = {node_id(1), node_id(2)},
                       .offline_replicas = {node_id(3)}},
                      {.error = errc::leader_not_available,
                       .partition_index = partition_id(1),
                       .leader_id = node_id(-1)}}},
      {.error = errc::unknown_topic_or_partition,
       .error_message = "Unknown topic " + unicode_topic,
       .name = unicode_topic,
       .is_internal = true,
       .partitions = {}},
  };
  return {MetadataResponse{}, rich};
}

template <>
std::vector<CreateTopicsRequest> samples() {
  CreateTopicsRequest rich;
  rich.timeout_ms = 30000;
  rich.validate_only = true;
  rich.topics = {
      {.name = "orders",
       .num_partitions = 3,
       .replication_factor = 2,
       .assignments = {},
       .configs = {{"cleanup.policy", "compact"}, {"retention.ms", "-1"}, {"", ""}}},
      {.name = unicode_topic,
       .num_partitions = -1,
       .replication_factor = -1,
       .assignments = {{.partition_index = partition_id(0), .broker_ids = {node_id(1), node_id(2)}},
                       {.partition_index = partition_id(1), .broker_ids = {}}},
       .configs = {}},
  };
  return {CreateTopicsRequest{}, rich};
}

template <>
std::vector<CreateTopicsResponse> samples() {
  CreateTopicsResponse rich;
  rich.topics = {
      {.name = "orders",
       .error = errc::none,
       .num_partitions = 3,
       .replication_factor = 2,
       .configs = {{"min.insync.replicas", "1"}, {"segment.bytes", "1073741824"}}},
      {.name = unicode_topic,
       .error = errc::topic_already_exists,
       .error_message = "Topic '" + unicode_topic + "' already exists.",
       .num_partitions = -1,
       .replication_factor = -1},
  };
  return {CreateTopicsResponse{}, rich};
}

template <>
std::vector<DeleteTopicsRequest> samples() {
  return {DeleteTopicsRequest{},
          DeleteTopicsRequest{.topic_names = {"a", unicode_topic, ""}, .timeout_ms = 0}};
}

template <>
std::vector<DeleteTopicsResponse> samples() {
  return {DeleteTopicsResponse{},
          DeleteTopicsResponse{.responses = {
                                   {.name = "a", .error = errc::none},
                                   {.name = unicode_topic,
                                    .error = errc::unknown_topic_or_partition,
                                    .error_message = "gone"},
                               }}};
}

template <>
std::vector<ApiVersionsRequest> samples() {
  return {ApiVersionsRequest{}};
}

template <>
std::vector<ApiVersionsResponse> samples() {
  ApiVersionsResponse all;
  for (api_key k : all_api_keys()) all.api_keys.push_back({.api_key = k});
  ApiVersionsResponse odd{.error = errc::unsupported_version,
                          .api_keys = {{.api_key = static_cast<api_key>(-7),
                                        .min_version = std::numeric_limits<int16_t>::min(),
                                        .max_version = std::numeric_limits<int16_t>::max()}}};
  return {ApiVersionsResponse{}, all, odd};
}

template <>
std::vector<ErrorResponse> samples() {
  return {ErrorResponse{},
          ErrorResponse{.error = errc::invalid_request,
                        .error_message = "malformed ProduceRequest: ... at byte 3"},
          ErrorResponse{.error = static_cast<errc>(-32768), .error_message = ""}};
}

template <>
std::vector<InitProducerIdRequest> samples() {
  InitProducerIdRequest bump;
  bump.producer_id = 4000;
  bump.producer_epoch = 7;
  return {InitProducerIdRequest{}, bump};
}

template <>
std::vector<InitProducerIdResponse> samples() {
  InitProducerIdResponse ok;
  ok.producer_id = 1000;
  ok.producer_epoch = 0;
  InitProducerIdResponse refused;
  refused.error = errc::not_controller;
  refused.error_message = "broker 2 is not the controller";
  return {ok, refused};
}

// ---- consumer groups ----

// A consumer's subscription or assignment as the embedded protocol would carry it: opaque
// bytes here, with zero and 0xff bytes among them.
bytes group_blob(size_t n, uint32_t seed) {
  bytes b = pattern(n, seed);
  if (n > 2) {
    b[0] = 0x00;
    b[1] = 0xff;
  }
  return b;
}

template <>
std::vector<OffsetCommitRequest> samples() {
  OffsetCommitRequest member;
  member.group_id = "group-ü";
  member.generation_id_or_member_epoch = i32_max;
  member.member_id = "consumer-1-0123456789abcdef";
  member.group_instance_id = "instance-🐟";
  member.topics = {
      {.name = unicode_topic,
       .partitions = {{.partition_index = partition_id(0),
                       .committed_offset = offset(i64_max),
                       .committed_leader_epoch = leader_epoch(7),
                       .committed_metadata = "checkpoint ✓"},
                      {.partition_index = partition_id(i32_max),
                       .committed_offset = offset(0),
                       .committed_metadata = std::nullopt},
                      {.partition_index = partition_id(2), .committed_metadata = ""}}},
      {.name = "", .partitions = {}},
  };
  OffsetCommitRequest standalone{.group_id = "g",
                                 .topics = {{.name = "t",
                                             .partitions = {{.partition_index = partition_id(1),
                                                             .committed_offset = offset(42)}}}}};
  return {OffsetCommitRequest{}, member, standalone};
}

template <>
std::vector<OffsetCommitResponse> samples() {
  OffsetCommitResponse rich;
  rich.throttle_time_ms = i32_max;
  rich.topics = {
      {.name = unicode_topic,
       .partitions = {{.partition_index = partition_id(0), .error = errc::none},
                      {.partition_index = partition_id(1),
                       .error = errc::offset_metadata_too_large},
                      {.partition_index = partition_id(-1), .error = static_cast<errc>(-32768)}}},
      {.name = "empty", .partitions = {}}};
  return {OffsetCommitResponse{}, rich};
}

template <>
std::vector<OffsetFetchRequest> samples() {
  OffsetFetchRequest some;
  some.group_id = "group-ü";
  some.topics = std::vector<OffsetFetchRequest::Topic>{
      {.name = unicode_topic, .partition_indexes = {partition_id(0), partition_id(i32_max)}},
      {.name = "", .partition_indexes = {}},
  };
  some.require_stable = true;
  OffsetFetchRequest none{.group_id = "g", .topics = std::vector<OffsetFetchRequest::Topic>{}};
  OffsetFetchRequest all{.group_id = "g", .topics = std::nullopt, .require_stable = false};
  return {OffsetFetchRequest{}, some, none, all};
}

template <>
std::vector<OffsetFetchResponse> samples() {
  OffsetFetchResponse rich;
  rich.throttle_time_ms = 5;
  rich.topics = {
      {.name = unicode_topic,
       .partitions = {{.partition_index = partition_id(0),
                       .committed_offset = offset(i64_max),
                       .committed_leader_epoch = leader_epoch(3),
                       .metadata = "checkpoint ✓"},
                      {.partition_index = partition_id(1),
                       .committed_offset = offset(-1),
                       .metadata = std::nullopt},
                      {.partition_index = partition_id(2),
                       .metadata = "",
                       .error = errc::unstable_offset_commit}}},
  };
  OffsetFetchResponse group_error{.topics = {}, .error = errc::coordinator_load_in_progress};
  return {OffsetFetchResponse{}, rich, group_error};
}

template <>
std::vector<FindCoordinatorRequest> samples() {
  return {FindCoordinatorRequest{},
          FindCoordinatorRequest{.key = "group-ü", .key_type = coordinator_type::group},
          FindCoordinatorRequest{.key = "txn-😀", .key_type = coordinator_type::transaction},
          FindCoordinatorRequest{.key = "", .key_type = static_cast<coordinator_type>(-128)}};
}

template <>
std::vector<FindCoordinatorResponse> samples() {
  FindCoordinatorResponse found{
      .error = errc::none, .node_id = node_id(2), .host = "shm://demo", .port = 0};
  FindCoordinatorResponse unavailable{.throttle_time_ms = i32_max,
                                      .error = errc::coordinator_not_available,
                                      .error_message =
                                          "partition 7 of __consumer_offsets has "
                                          "no leader",
                                      .node_id = node_id(-1),
                                      .host = "",
                                      .port = -1};
  return {FindCoordinatorResponse{}, found, unavailable};
}

template <>
std::vector<JoinGroupRequest> samples() {
  JoinGroupRequest rich;
  rich.group_id = "group-ü";
  rich.session_timeout_ms = 10000;
  rich.rebalance_timeout_ms = i32_max;
  rich.member_id = "consumer-1-0123456789abcdef";
  rich.group_instance_id = "instance-🐟";
  rich.protocol_type = "consumer";
  rich.protocols = {{.name = "cooperative-sticky", .metadata = group_blob(40, 1)},
                    {.name = "range", .metadata = {}},
                    {.name = "", .metadata = group_blob(3, 2)}};
  rich.reason = "rebalance failed due to 'The group member needs to have a valid member id'";
  JoinGroupRequest first_join{.group_id = "g",
                              .member_id = "",
                              .group_instance_id = std::nullopt,
                              .protocol_type = "consumer",
                              .protocols = {{.name = "range", .metadata = group_blob(12, 3)}},
                              .reason = ""};
  return {JoinGroupRequest{}, rich, first_join};
}

template <>
std::vector<JoinGroupResponse> samples() {
  JoinGroupResponse leader;
  leader.generation_id = i32_max;
  leader.protocol_type = "consumer";
  leader.protocol_name = "cooperative-sticky";
  leader.leader = "consumer-1-a";
  leader.skip_assignment = true;
  leader.member_id = "consumer-1-a";
  leader.members = {
      {.member_id = "consumer-1-a",
       .group_instance_id = "instance-🐟",
       .metadata = group_blob(40, 4)},
      {.member_id = "consumer-2-b", .group_instance_id = std::nullopt, .metadata = {}},
  };
  JoinGroupResponse follower{.generation_id = 3,
                             .protocol_type = "consumer",
                             .protocol_name = "range",
                             .leader = "consumer-1-a",
                             .member_id = "consumer-2-b"};
  JoinGroupResponse id_required{.error = errc::member_id_required,
                                .generation_id = -1,
                                .protocol_type = std::nullopt,
                                .protocol_name = std::nullopt,
                                .leader = "",
                                .member_id = "consumer-3-c"};
  return {JoinGroupResponse{}, leader, follower, id_required};
}

template <>
std::vector<HeartbeatRequest> samples() {
  return {HeartbeatRequest{},
          HeartbeatRequest{.group_id = "group-ü",
                           .generation_id = i32_max,
                           .member_id = "consumer-1-a",
                           .group_instance_id = "instance-🐟",
                           .max_wait_ms = 3000},
          HeartbeatRequest{.group_id = "g", .generation_id = 0, .member_id = "m"}};
}

template <>
std::vector<HeartbeatResponse> samples() {
  return {HeartbeatResponse{},
          HeartbeatResponse{.throttle_time_ms = -1, .error = errc::rebalance_in_progress}};
}

template <>
std::vector<LeaveGroupRequest> samples() {
  LeaveGroupRequest admin;
  admin.group_id = "group-ü";
  admin.members = {
      {.member_id = "", .group_instance_id = "instance-🐟", .reason = "removed by admin"},
      {.member_id = "consumer-2-b", .group_instance_id = std::nullopt, .reason = std::nullopt},
      {.member_id = "consumer-3-c", .group_instance_id = "", .reason = ""},
  };
  LeaveGroupRequest consumer{
      .group_id = "g",
      .members = {{.member_id = "consumer-1-a", .reason = "the consumer is being closed"}}};
  return {LeaveGroupRequest{}, admin, consumer};
}

template <>
std::vector<LeaveGroupResponse> samples() {
  LeaveGroupResponse rich;
  rich.throttle_time_ms = 1;
  rich.members = {
      {.member_id = "consumer-1-a", .group_instance_id = "instance-🐟", .error = errc::none},
      {.member_id = "", .group_instance_id = "gone", .error = errc::unknown_member_id},
      {.member_id = "consumer-2-b", .group_instance_id = std::nullopt},
  };
  LeaveGroupResponse refused{.error = errc::not_coordinator};
  return {LeaveGroupResponse{}, rich, refused};
}

template <>
std::vector<SyncGroupRequest> samples() {
  SyncGroupRequest leader;
  leader.group_id = "group-ü";
  leader.generation_id = i32_max;
  leader.member_id = "consumer-1-a";
  leader.group_instance_id = "instance-🐟";
  leader.protocol_type = "consumer";
  leader.protocol_name = "cooperative-sticky";
  leader.assignments = {{.member_id = "consumer-1-a", .assignment = group_blob(30, 5)},
                        {.member_id = "consumer-2-b", .assignment = {}},
                        {.member_id = "", .assignment = group_blob(3, 6)}};
  SyncGroupRequest follower{.group_id = "g",
                            .generation_id = 3,
                            .member_id = "consumer-2-b",
                            .protocol_type = std::nullopt,
                            .protocol_name = ""};
  return {SyncGroupRequest{}, leader, follower};
}

template <>
std::vector<SyncGroupResponse> samples() {
  SyncGroupResponse ok{
      .protocol_type = "consumer", .protocol_name = "range", .assignment = group_blob(30, 7)};
  SyncGroupResponse refused{.throttle_time_ms = i32_max,
                            .error = errc::inconsistent_group_protocol,
                            .protocol_type = std::nullopt,
                            .protocol_name = "",
                            .assignment = {}};
  return {SyncGroupResponse{}, ok, refused};
}

template <>
std::vector<DescribeGroupsRequest> samples() {
  return {DescribeGroupsRequest{}, DescribeGroupsRequest{.groups = {"group-ü", "", "g"},
                                                         .include_authorized_operations = true}};
}

template <>
std::vector<DescribeGroupsResponse> samples() {
  DescribeGroupsResponse rich;
  rich.throttle_time_ms = 0;
  rich.groups = {
      {.group_id = "group-ü",
       .group_state = "Stable",
       .protocol_type = "consumer",
       .protocol_data = "cooperative-sticky",
       .members = {{.member_id = "consumer-1-a",
                    .group_instance_id = "instance-🐟",
                    .client_id = "consumer-1",
                    .client_host = "/127.0.0.1",
                    .member_metadata = group_blob(40, 8),
                    .member_assignment = group_blob(30, 9)},
                   {.member_id = "consumer-2-b",
                    .group_instance_id = std::nullopt,
                    .client_id = "",
                    .client_host = ""}},
       .authorized_operations = 0b1011'1000'0000},
      {.error = errc::group_id_not_found,
       .error_message = "Group g not found.",
       .group_id = "g",
       .group_state = "Dead",
       .authorized_operations = DescribeGroupsResponse::authorized_operations_omitted},
      {.error = errc::none, .error_message = "", .group_id = "", .authorized_operations = i32_max},
  };
  return {DescribeGroupsResponse{}, rich};
}

template <>
std::vector<ListGroupsRequest> samples() {
  return {ListGroupsRequest{},
          ListGroupsRequest{.states_filter = {"Stable", "Empty", ""}, .types_filter = {"classic"}}};
}

template <>
std::vector<ListGroupsResponse> samples() {
  ListGroupsResponse rich;
  rich.throttle_time_ms = 2;
  rich.groups = {
      {.group_id = "group-ü",
       .protocol_type = "consumer",
       .group_state = "Stable",
       .group_type = "classic"},
      {.group_id = "", .protocol_type = "", .group_state = "Empty", .group_type = ""},
  };
  ListGroupsResponse loading{.error = errc::coordinator_load_in_progress};
  return {ListGroupsResponse{}, rich, loading};
}

template <>
std::vector<DeleteGroupsRequest> samples() {
  return {DeleteGroupsRequest{}, DeleteGroupsRequest{.groups_names = {"group-ü", "", "g"}}};
}

template <>
std::vector<DeleteGroupsResponse> samples() {
  return {DeleteGroupsResponse{},
          DeleteGroupsResponse{.throttle_time_ms = i32_max,
                               .results = {{.group_id = "group-ü", .error = errc::none},
                                           {.group_id = "g", .error = errc::non_empty_group},
                                           {.group_id = "", .error = errc::invalid_group_id}}}};
}

template <>
std::vector<OffsetDeleteRequest> samples() {
  OffsetDeleteRequest rich;
  rich.group_id = "group-ü";
  rich.topics = {{.name = unicode_topic,
                  .partitions = {{.partition_index = partition_id(0)},
                                 {.partition_index = partition_id(i32_max)}}},
                 {.name = "", .partitions = {}}};
  return {OffsetDeleteRequest{}, rich};
}

template <>
std::vector<OffsetDeleteResponse> samples() {
  OffsetDeleteResponse rich;
  rich.throttle_time_ms = 3;
  rich.topics = {{.name = unicode_topic,
                  .partitions = {{.partition_index = partition_id(0), .error = errc::none},
                                 {.partition_index = partition_id(1),
                                  .error = errc::group_subscribed_to_topic}}}};
  OffsetDeleteResponse group_error{.error = errc::group_id_not_found, .throttle_time_ms = 0};
  return {OffsetDeleteResponse{}, rich, group_error};
}

template <>
std::vector<CreatePartitionsRequest> samples() {
  CreatePartitionsRequest rich;
  rich.topics = {{.name = unicode_topic,
                  .count = i32_max,
                  .assignments =
                      std::vector<CreatePartitionsRequest::Assignment>{
                          {.broker_ids = {node_id(1), node_id(2)}}, {.broker_ids = {}}}},
                 {.name = "", .count = 0, .assignments = std::nullopt}};
  rich.timeout_ms = 30'000;
  rich.validate_only = true;
  return {CreatePartitionsRequest{}, rich};
}

template <>
std::vector<CreatePartitionsResponse> samples() {
  return {CreatePartitionsResponse{},
          CreatePartitionsResponse{
              .throttle_time_ms = 1,
              .results = {{.name = unicode_topic, .error = errc::none, .error_message = {}},
                          {.name = "t",
                           .error = errc::invalid_partitions,
                           .error_message = "Topic currently has 3 partitions"}}}};
}

template <>
std::vector<DescribeConfigsRequest> samples() {
  DescribeConfigsRequest rich;
  rich.resources = {{.resource_type = config_resource_type::topic,
                     .resource_name = unicode_topic,
                     .configuration_keys = std::vector<std::string>{"retention.ms", ""}},
                    {.resource_type = config_resource_type::broker,
                     .resource_name = "",
                     .configuration_keys = std::nullopt}};
  rich.include_synonyms = true;
  rich.include_documentation = true;
  return {DescribeConfigsRequest{}, rich};
}

template <>
std::vector<DescribeConfigsResponse> samples() {
  DescribeConfigsResponse rich;
  rich.throttle_time_ms = 7;
  DescribeConfigsResponse::Config c{.name = "retention.ms",
                                    .value = "1000",
                                    .read_only = false,
                                    .source = config_source::dynamic_topic_config,
                                    .is_sensitive = false,
                                    .synonyms = {{.name = "retention.ms",
                                                  .value = "1000",
                                                  .source = config_source::dynamic_topic_config},
                                                 {.name = "log.retention.ms",
                                                  .value = std::nullopt,
                                                  .source = config_source::default_config}},
                                    .type = config_type::long_,
                                    .documentation = "How long to keep records."};
  rich.results = {{.error = errc::none,
                   .error_message = {},
                   .resource_type = config_resource_type::topic,
                   .resource_name = unicode_topic,
                   .configs = {c, DescribeConfigsResponse::Config{}}},
                  {.error = errc::unknown_topic_or_partition,
                   .error_message = "no such topic",
                   .resource_type = config_resource_type::topic,
                   .resource_name = "gone",
                   .configs = {}}};
  return {DescribeConfigsResponse{}, rich};
}

template <>
std::vector<IncrementalAlterConfigsRequest> samples() {
  IncrementalAlterConfigsRequest rich;
  rich.resources = {
      {.resource_type = config_resource_type::topic,
       .resource_name = unicode_topic,
       .configs = {{.name = "retention.ms",
                    .config_operation = config_operation::set,
                    .value = "1"},
                   {.name = "cleanup.policy",
                    .config_operation = config_operation::del,
                    .value = std::nullopt}}},
      {.resource_type = config_resource_type::broker, .resource_name = "1", .configs = {}}};
  rich.validate_only = true;
  return {IncrementalAlterConfigsRequest{}, rich};
}

template <>
std::vector<IncrementalAlterConfigsResponse> samples() {
  return {
      IncrementalAlterConfigsResponse{},
      IncrementalAlterConfigsResponse{.throttle_time_ms = 0,
                                      .responses = {{.error = errc::invalid_config,
                                                     .error_message = "retention.ms: not a number",
                                                     .resource_type = config_resource_type::topic,
                                                     .resource_name = unicode_topic}}}};
}

template <>
std::vector<DeleteRecordsRequest> samples() {
  DeleteRecordsRequest rich;
  rich.topics = {{.name = unicode_topic,
                  .partitions = {{.partition_index = partition_id(0), .offset = offset(i64_max)},
                                 {.partition_index = partition_id(3), .offset = offset(-1)}}}};
  rich.timeout_ms = i32_max;
  return {DeleteRecordsRequest{}, rich};
}

template <>
std::vector<DeleteRecordsResponse> samples() {
  DeleteRecordsResponse rich;
  rich.topics = {
      {.name = unicode_topic,
       .partitions = {
           {.partition_index = partition_id(0), .low_watermark = offset(42), .error = errc::none},
           {.partition_index = partition_id(1),
            .low_watermark = offset(-1),
            .error = errc::offset_out_of_range}}}};
  return {DeleteRecordsResponse{}, rich};
}

template <>
std::vector<ElectLeadersRequest> samples() {
  ElectLeadersRequest rich;
  rich.election_type = election_type::unclean;
  rich.topic_partitions = std::vector<ElectLeadersRequest::Topic>{
      {.topic = unicode_topic, .partitions = {partition_id(0), partition_id(i32_max)}}};
  rich.timeout_ms = 5;
  return {ElectLeadersRequest{}, rich};
}

template <>
std::vector<ElectLeadersResponse> samples() {
  ElectLeadersResponse rich;
  rich.replica_election_results = {
      {.topic = unicode_topic,
       .partition_result = {
           {.partition_id = partition_id(0), .error = errc::none, .error_message = {}},
           {.partition_id = partition_id(1),
            .error = errc::election_not_needed,
            .error_message = "Leader election not needed for topic partition"}}}};
  ElectLeadersResponse refused{.throttle_time_ms = 0, .error = errc::not_controller};
  return {ElectLeadersResponse{}, rich, refused};
}

// ---- typed tests over every message ----

template <typename T>
class Messages : public ::testing::Test {};

using MessageTypes = ::testing::Types<
    ProduceRequest, ProduceResponse, FetchRequest, FetchResponse, ListOffsetsRequest,
    ListOffsetsResponse, MetadataRequest, MetadataResponse, CreateTopicsRequest,
    CreateTopicsResponse, DeleteTopicsRequest, DeleteTopicsResponse, ApiVersionsRequest,
    ApiVersionsResponse, ErrorResponse, InitProducerIdRequest, InitProducerIdResponse,
    OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse,
    FindCoordinatorRequest, FindCoordinatorResponse, JoinGroupRequest, JoinGroupResponse,
    HeartbeatRequest, HeartbeatResponse, LeaveGroupRequest, LeaveGroupResponse, SyncGroupRequest,
    SyncGroupResponse, DescribeGroupsRequest, DescribeGroupsResponse, ListGroupsRequest,
    ListGroupsResponse, DeleteGroupsRequest, DeleteGroupsResponse, OffsetDeleteRequest,
    OffsetDeleteResponse, CreatePartitionsRequest, CreatePartitionsResponse, DescribeConfigsRequest,
    DescribeConfigsResponse, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
    DeleteRecordsRequest, DeleteRecordsResponse, ElectLeadersRequest, ElectLeadersResponse>;

struct MessageName {
  template <typename T>
  static std::string GetName(int) {
    return std::string(T::name);
  }
};
TYPED_TEST_SUITE(Messages, MessageTypes, MessageName);

// A seed per message type, so each type's fuzz inputs differ but every run is the same.
template <typename T>
uint64_t seed_for() {
  uint64_t h = 1469598103934665603ull;
  for (char c : T::name) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

// Decoding arbitrary bytes must end in a value or INVALID_REQUEST. A value must survive
// another round trip (the decoder accepted only what the encoder can express).
template <typename T>
bool check_decode_of_arbitrary_bytes(bytes_view input) {
  auto r = decode<T>(input);
  if (!r) {
    EXPECT_EQ(r.err().code, errc::invalid_request) << r.err().message;
    EXPECT_NE(r.err().message.find("malformed"), std::string::npos) << r.err().message;
    return false;
  }
  bytes again = encode(*r);
  EXPECT_EQ(again.size(), input.size());
  auto r2 = decode<T>(again);
  EXPECT_TRUE(r2);
  if (r2) {
    EXPECT_TRUE(*r2 == *r);
  }
  return true;
}

TYPED_TEST(Messages, RoundTrip) {
  for (const TypeParam& m : samples<TypeParam>()) {
    bytes b = encode(m);
    EXPECT_EQ(b.size(), encoded_size(m));
    auto r = decode<TypeParam>(b);
    ASSERT_TRUE(r) << r.err().to_string();
    EXPECT_TRUE(*r == m);
    EXPECT_EQ(encode(*r), b);
  }
}

TYPED_TEST(Messages, EveryTruncationFails) {
  for (const TypeParam& m : samples<TypeParam>()) {
    bytes b = encode(m);
    for (size_t n = 0; n < b.size(); ++n) {
      auto r = decode<TypeParam>(bytes_view(b).first(n));
      ASSERT_FALSE(r) << "a prefix of " << n << " of " << b.size() << " bytes decoded";
      ASSERT_EQ(r.err().code, errc::invalid_request);
      ASSERT_NE(r.err().message.find("malformed " + std::string(TypeParam::name)),
                std::string::npos)
          << r.err().message;
    }
  }
}

TYPED_TEST(Messages, TrailingBytesFail) {
  for (const TypeParam& m : samples<TypeParam>()) {
    for (size_t extra : {size_t{1}, size_t{2}, size_t{7}, size_t{1000}}) {
      bytes b = encode(m);
      const size_t size = b.size();
      b.resize(size + extra, 0);
      auto r = decode<TypeParam>(b);
      ASSERT_FALSE(r);
      EXPECT_EQ(r.err().code, errc::invalid_request);
      EXPECT_EQ(r.err().message, fmt::format("malformed {}: {} trailing bytes after the end of "
                                             "the message at byte {}",
                                             TypeParam::name, extra, size));
    }
  }
}

TYPED_TEST(Messages, RandomBytesNeverCrash) {
  std::mt19937_64 rng(seed_for<TypeParam>());
  // Zero and 0xff bytes are common so that lengths, counts and nulls come out small or -1
  // often enough for the decoder to get past the first field.
  auto next_byte = [&] {
    switch (rng() % 4) {
      case 0:
        return uint8_t{0};
      case 1:
        return uint8_t{0xff};
      default:
        return static_cast<uint8_t>(rng());
    }
  };
  int decoded = 0;
  for (int i = 0; i < 10000; ++i) {
    const size_t len = (i % 2 == 0) ? rng() % 32 : rng() % 512;
    bytes input(len);
    for (auto& b : input) b = next_byte();
    decoded += check_decode_of_arbitrary_bytes<TypeParam>(input);
  }
  this->RecordProperty("decoded", decoded);
}

TYPED_TEST(Messages, MutatedMessagesNeverCrash) {
  std::mt19937_64 rng(seed_for<TypeParam>() ^ 0x5eed);
  const auto ms = samples<TypeParam>();
  int decoded = 0;
  for (int i = 0; i < 10000; ++i) {
    bytes input = encode(ms[rng() % ms.size()]);
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = input.empty() ? 0 : rng() % input.size();
      switch (rng() % 4) {
        case 0:  // overwrite a byte
          if (!input.empty()) input[at] = static_cast<uint8_t>(rng());
          break;
        case 1:  // flip a bit
          if (!input.empty()) input[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 2:  // insert a byte
          input.insert(input.begin() + static_cast<ptrdiff_t>(at), static_cast<uint8_t>(rng()));
          break;
        default:  // delete a byte
          if (!input.empty()) input.erase(input.begin() + static_cast<ptrdiff_t>(at));
          break;
      }
    }
    decoded += check_decode_of_arbitrary_bytes<TypeParam>(input);
  }
  this->RecordProperty("decoded", decoded);
}

// A nested struct decodes on its own too; its field `name` is not taken for a message name.
TEST(NestedStructs, DecodeOnTheirOwn) {
  ProduceRequest::Topic t{.name = "orders", .partitions = {{.index = partition_id(1)}}};
  auto r = decode<ProduceRequest::Topic>(encode(t));
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_TRUE(*r == t);
  auto bad = decode<ProduceRequest::Topic>(bytes{0x00});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.err().message, "malformed message: string needs 2 bytes, 1 left at byte 0");
}

// ---- large payloads ----

TEST(LargeMessages, MultiMegabyteProduceRequestRoundTrips) {
  ProduceRequest req;
  req.acks = 1;
  req.topics = {{.name = "big",
                 .partitions = {{.index = partition_id(0), .records = pattern(8 << 20, 1)},
                                {.index = partition_id(1), .records = pattern(3 << 20, 2)}}}};
  bytes b = encode(req);
  EXPECT_EQ(b.size(), encoded_size(req));
  EXPECT_GT(b.size(), size_t{11} << 20);
  auto r = decode<ProduceRequest>(b);
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_TRUE(*r == req);
  // The records' length prefix is checked against what is left, not trusted.
  auto cut = decode<ProduceRequest>(bytes_view(b).first(b.size() - 1));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.err().code, errc::invalid_request);
}

TEST(LargeMessages, MultiMegabyteFetchResponseRoundTrips) {
  FetchResponse resp;
  resp.topics = {{.name = unicode_topic,
                  .partitions = {{.partition = partition_id(0),
                                  .high_watermark = offset(1000000),
                                  .records = pattern(5 << 20, 3)}}}};
  auto r = decode<FetchResponse>(encode(resp));
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_TRUE(*r == resp);
}

TEST(LargeMessages, RealBatchesSurviveUnchanged) {
  bytes batch = real_batch(100, storage::compression::zstd);
  ProduceRequest req{.topics = {{.name = "t", .partitions = {{.records = batch}}}}};
  auto r = decode<ProduceRequest>(encode(req));
  ASSERT_TRUE(r);
  const bytes& got = r->topics.at(0).partitions.at(0).records;
  EXPECT_EQ(got, batch);
  auto size = storage::validate_batch(got);
  ASSERT_TRUE(size) << size.err().to_string();
  EXPECT_EQ(*size, got.size());
}

// ---- the encoding, pinned by bytes written from the grammar in docs/protocol.md ----

TEST(PinnedBytes, DeleteTopicsRequest) {
  DeleteTopicsRequest req{.topic_names = {"a", "bc"}, .timeout_ms = 1000};
  const bytes expected = {
      0x00, 0x00, 0x00, 0x02,  // topic_names: array of 2
      0x00, 0x01, 'a',         //   "a"
      0x00, 0x02, 'b',  'c',   //   "bc"
      0x00, 0x00, 0x03, 0xe8,  // timeout_ms 1000
  };
  EXPECT_EQ(encode(req), expected);
  EXPECT_TRUE(*decode<DeleteTopicsRequest>(expected) == req);
}

TEST(PinnedBytes, ProduceResponse) {
  ProduceResponse resp{.topics = {{.name = "t",
                                   .partitions = {{.index = partition_id(1),
                                                   .error = errc::not_leader_or_follower,
                                                   .error_message = std::nullopt,
                                                   .base_offset = offset(5),
                                                   .log_append_time_ms = no_timestamp,
                                                   .log_start_offset = offset(0)}}}},
                       .throttle_time_ms = 0};
  const bytes expected = {
      0x00, 0x00, 0x00, 0x01,                          // topics: array of 1
      0x00, 0x01, 't',                                 //   name "t"
      0x00, 0x00, 0x00, 0x01,                          //   partitions: array of 1
      0x00, 0x00, 0x00, 0x01,                          //     index 1
      0x00, 0x06,                                      //     error NOT_LEADER_OR_FOLLOWER (6)
      0xff, 0xff,                                      //     error_message null
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  //     base_offset 5
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  //     log_append_time_ms -1
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //     log_start_offset 0
      0x00, 0x00, 0x00, 0x00,                          // throttle_time_ms 0
  };
  EXPECT_EQ(encode(resp), expected);
  EXPECT_TRUE(*decode<ProduceResponse>(expected) == resp);
}

TEST(PinnedBytes, MetadataRequestNullVersusEmptyTopics) {
  EXPECT_EQ(encode(MetadataRequest{.topics = std::nullopt}), (bytes{0xff, 0xff, 0xff, 0xff, 0x00}));
  EXPECT_EQ(encode(MetadataRequest{.topics = std::vector<std::string>{}}),
            (bytes{0x00, 0x00, 0x00, 0x00, 0x00}));
}

TEST(PinnedBytes, ApiVersionsRequestIsEmpty) {
  EXPECT_TRUE(encode(ApiVersionsRequest{}).empty());
  EXPECT_TRUE(decode<ApiVersionsRequest>(bytes{}));
  EXPECT_FALSE(decode<ApiVersionsRequest>(bytes{0}));
}

TEST(PinnedBytes, OffsetFetchRequestNullVersusEmptyTopics) {
  const bytes all = {
      0x00, 0x01, 'g',         // group_id "g"
      0xff, 0xff, 0xff, 0xff,  // topics null: every committed partition
      0x01,                    // require_stable
  };
  OffsetFetchRequest req{.group_id = "g", .topics = std::nullopt, .require_stable = true};
  EXPECT_EQ(encode(req), all);
  EXPECT_TRUE(*decode<OffsetFetchRequest>(all) == req);
  req.topics = std::vector<OffsetFetchRequest::Topic>{};
  EXPECT_EQ(encode(req), (bytes{0x00, 0x01, 'g', 0x00, 0x00, 0x00, 0x00, 0x01}));
}

TEST(PinnedBytes, FindCoordinatorRequestKeyTypeIsOneByte) {
  FindCoordinatorRequest req{.key = "g", .key_type = coordinator_type::transaction};
  const bytes expected = {
      0x00, 0x01, 'g',  // key "g"
      0x01,             // key_type int8: transaction
  };
  EXPECT_EQ(encode(req), expected);
  EXPECT_TRUE(*decode<FindCoordinatorRequest>(expected) == req);
}

TEST(PinnedBytes, HeartbeatRequestStaticMemberNull) {
  HeartbeatRequest req{.group_id = "g", .generation_id = 5, .member_id = "m"};
  const bytes expected = {
      0x00, 0x01, 'g',         // group_id "g"
      0x00, 0x00, 0x00, 0x05,  // generation_id 5
      0x00, 0x01, 'm',         // member_id "m"
      0xff, 0xff,              // group_instance_id null
      0x00, 0x00, 0x00, 0x00,  // max_wait_ms 0: answer at once
  };
  EXPECT_EQ(encode(req), expected);
  EXPECT_TRUE(*decode<HeartbeatRequest>(expected) == req);
}

TEST(PinnedBytes, DescribeGroupsResponseOmittedAuthorizedOperations) {
  DescribeGroupsResponse resp{.groups = {{.group_id = "g", .group_state = "Dead"}}};
  const bytes expected = {
      0x00, 0x00, 0x00, 0x00,            // throttle_time_ms 0
      0x00, 0x00, 0x00, 0x01,            // groups: array of 1
      0x00, 0x00,                        //   error NONE
      0xff, 0xff,                        //   error_message null
      0x00, 0x01, 'g',                   //   group_id "g"
      0x00, 0x04, 'D',  'e',  'a', 'd',  //   group_state "Dead"
      0x00, 0x00,                        //   protocol_type ""
      0x00, 0x00,                        //   protocol_data ""
      0x00, 0x00, 0x00, 0x00,            //   members: array of 0
      0x80, 0x00, 0x00, 0x00,            //   authorized_operations INT32_MIN
  };
  EXPECT_EQ(encode(resp), expected);
  EXPECT_TRUE(*decode<DescribeGroupsResponse>(expected) == resp);
}

}  // namespace
}  // namespace shoal::protocol
