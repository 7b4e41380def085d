// Everything a request handler may use, held by the Broker and lent to the handlers.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker_config.h"
#include "broker/partition_manager.h"
#include "broker/purgatory.h"
#include "client/cluster_client.h"
#include "cluster/controller.h"
#include "group/coordinator.h"

namespace shoal::broker {

// The cluster as this broker last saw it published by the controller.
struct ClusterView {
  cluster::PublishedImage published;
  cluster::MetadataImage image;
};

struct BrokerServices {
  const BrokerConfig& config;
  cluster::Controller& controller;
  PartitionManager& partitions;
  Purgatory& delayed;
  std::function<std::shared_ptr<const ClusterView>()> view;
  // Asks the controller (wherever it is) to create a topic with the broker's defaults; the
  // answer is not awaited (Metadata requests auto-create this way, as Kafka's brokers do).
  std::function<void(const std::string& topic)> request_topic_creation;
  // The consumer groups this broker coordinates.
  group::GroupCoordinator& groups;
  // Asks the controller to create __consumer_offsets (FindCoordinator does, as in Kafka).
  std::function<void()> request_offsets_topic;
  // The cluster's id, as Metadata and DescribeCluster give it (stable across restarts).
  std::string cluster_id;
  // Where clients reach a broker: the host and port of its advertised listener.
  std::function<std::pair<std::string, int32_t>(int32_t broker_id)> endpoint;
  // Runs a task on the request loop, from any thread (a forwarded request's answer that
  // must be handled here after all).
  std::function<void(std::function<void()>)> post;
  // The active controller's id (-1: none) as the cluster region says, and the broker's own
  // client, which reaches it: Kafka's clients send controller requests to any broker
  // (KIP-590), and a broker that is not the controller forwards them.
  std::function<int32_t()> controller_id;
  std::shared_ptr<client::ClusterClient> client;
};

}  // namespace shoal::broker
