// The admin client: topic creation and deletion sent to the controller (found through
// metadata, as Kafka's admin client finds it), consumer-group calls sent to each group's
// coordinator, offsets from partition leaders, and cluster metadata.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "client/client_config.h"
#include "client/cluster_client.h"

namespace shoal::client {

class Admin {
 public:
  static result<std::unique_ptr<Admin>> create(const ClientConfig& config);

  result<protocol::CreateTopicsResponse> create_topics(const protocol::CreateTopicsRequest& req,
                                                       int64_t timeout_ms);
  result<protocol::DeleteTopicsResponse> delete_topics(const protocol::DeleteTopicsRequest& req,
                                                       int64_t timeout_ms);
  // Sent to the controller.
  result<protocol::CreatePartitionsResponse> create_partitions(
      const protocol::CreatePartitionsRequest& req, int64_t timeout_ms);
  result<protocol::IncrementalAlterConfigsResponse> incremental_alter_configs(
      const protocol::IncrementalAlterConfigsRequest& req, int64_t timeout_ms);
  result<protocol::ElectLeadersResponse> elect_leaders(const protocol::ElectLeadersRequest& req,
                                                       int64_t timeout_ms);
  // One resource's configs: a broker's from that broker, a topic's from any broker.
  result<protocol::DescribeConfigsResponse::DescribeConfigsResult> describe_configs(
      const protocol::DescribeConfigsRequest::DescribeConfigsResource& resource, bool synonyms,
      bool documentation, int64_t timeout_ms);
  // DeleteRecords to each partition's leader, retried on leader changes (as list_offsets).
  result<protocol::DeleteRecordsResponse> delete_records(const protocol::DeleteRecordsRequest& req,
                                                         int64_t timeout_ms);

  // Group calls, each sent to the group's coordinator (found with FindCoordinator and looked
  // up again while it moves or loads the group's offsets), as Kafka's admin client sends them.
  result<protocol::DescribeGroupsResponse::DescribedGroup> describe_group(const std::string& group,
                                                                          int64_t timeout_ms);
  // A group's committed offsets (nullopt topics: every partition the group committed), in the
  // shape of OffsetFetch version 8 whatever version the coordinator speaks.
  using TopicsAsked = std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>>;
  result<protocol::OffsetFetchResponse::OffsetFetchResponseGroup> offset_fetch(
      const std::string& group, const TopicsAsked& topics, bool require_stable, int64_t timeout_ms);
  // A commit from outside the group (generation -1), which only an empty group accepts.
  result<protocol::OffsetCommitResponse> offset_commit(const protocol::OffsetCommitRequest& req,
                                                       int64_t timeout_ms);
  result<errc> delete_group(const std::string& group, int64_t timeout_ms);
  // The coordinator's broker id.
  result<int32_t> coordinator(const std::string& group, int64_t timeout_ms);

  // Every group of every live broker (each broker lists the groups it coordinates). A broker
  // that does not answer is reported in `failed` with its error; the rest are still listed.
  std::vector<protocol::ListGroupsResponse::ListedGroup> list_groups(
      const protocol::ListGroupsRequest& req, int64_t timeout_ms,
      std::vector<std::pair<int32_t, error>>* failed);

  // ListOffsets for any partitions: split by leader, retried on leader changes, merged back
  // into one response in the order asked. A partition that still fails at the deadline keeps
  // its error.
  result<protocol::ListOffsetsResponse> list_offsets(const protocol::ListOffsetsRequest& req,
                                                     int64_t timeout_ms);

  // Appends records (key, value or null) to one partition with acks=all, only if the
  // leader's log ends at `expected_end` (-1: unconditionally), retried on leader changes.
  // Returns the partition's answer: error _CONFLICT when the log end differs, so a writer
  // that read the log to `expected_end` knows nobody appended since (the schema registry's
  // writers serialize through it). A retry of an append that did land also gets _CONFLICT.
  result<protocol::ProduceResponse::PartitionProduceResponse> append_if_log_end(
      const std::string& topic, int32_t partition, int64_t expected_end,
      const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
      int64_t timeout_ms);

  std::shared_ptr<ClusterClient> cluster() const { return cluster_; }
  void close() { cluster_->close(); }

 private:
  explicit Admin(std::shared_ptr<ClusterClient> c) : cluster_(std::move(c)) {}
  // The controller's id, from a metadata request.
  result<int32_t> controller(int64_t timeout_ms);
  // Sends to the controller, following it if it moves, until timeout_ms.
  template <typename Req, typename Resp>
  result<Resp> to_controller(const Req& req, int64_t timeout_ms);
  // Sends each partition's part of `req` to its leader, retried on leader changes until every
  // partition has a final answer or timeout_ms; the answers merged in the order asked.
  template <typename Req, typename Resp>
  result<Resp> to_leaders(const Req& req, int64_t timeout_ms);
  // Sends to the group's coordinator until `retry` says the answer is final or timeout_ms.
  template <typename Req, typename Resp>
  result<Resp> to_coordinator(const std::string& group, const Req& req, int64_t timeout_ms,
                              const std::function<bool(const Resp&)>& retry);
  std::shared_ptr<ClusterClient> cluster_;
};

}  // namespace shoal::client
