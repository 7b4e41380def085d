// Everything a request handler may use, held by the Broker and lent to the handlers.
#pragma once

#include <functional>
#include <vector>

#include "broker/broker_config.h"
#include "broker/fetch_purgatory.h"
#include "broker/partition_manager.h"
#include "cluster/controller.h"
#include "ipc/cluster_region.h"

namespace shoal::broker {

struct BrokerServices {
  const BrokerConfig& config;
  cluster::Controller& controller;
  PartitionManager& partitions;
  FetchPurgatory& fetches;
  // The ids of the brokers that are up (this one included).
  std::function<std::vector<int32_t>()> live_brokers;
  int32_t controller_id() const { return config.broker_id; }
};

}  // namespace shoal::broker
