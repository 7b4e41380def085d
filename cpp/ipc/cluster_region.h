// The cluster region (/dev/shm/shoal.<cluster>.cluster): which brokers of a cluster are up,
// with their pids and heartbeats. Brokers register in it; clients read it to find brokers
// from nothing but the cluster's name (bootstrap.servers = shm://NAME).
//
// Each broker writes only its own slot. The region is created (or replaced when stale) by a
// starting broker under a file lock in the cluster directory, so two brokers starting at once
// agree on one region.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "ipc/layout.h"
#include "ipc/process.h"
#include "ipc/shm.h"

namespace shoal::ipc {

struct BrokerInfo {
  int32_t id = -1;
  int32_t pid = 0;
  broker_state state = broker_state::empty;
  bool alive = false;              // running, with a live process and a fresh heartbeat
  int64_t heartbeat_age_ms = 0;
  uint64_t inbox_incarnation = 0;
};

class ClusterRegion {
 public:
  // Broker side: attaches to (or creates) the cluster's region and claims the slot of
  // `broker_id`. `cluster_dir` holds the lock file and is recorded in the region: a broker
  // started with another directory for the same cluster name is refused while the cluster runs.
  static result<std::unique_ptr<ClusterRegion>> join(const std::string& cluster,
                                                     const std::string& cluster_dir,
                                                     int32_t broker_id, unsigned mode = 0600);
  // Client side: maps an existing region, waiting up to timeout_ms for it to appear.
  static result<std::unique_ptr<ClusterRegion>> open(const std::string& cluster, int64_t timeout_ms);

  ~ClusterRegion();

  // --- broker side ---
  void publish(broker_state state, const std::string& inbox_name, uint64_t inbox_incarnation);
  void heartbeat();
  // Marks the slot empty (a clean stop).
  void leave();

  // --- both ---
  // Brokers with a slot, alive or not. A broker is alive if it says it is running, its
  // process lives (where that can be checked), and its heartbeat is younger than stale_ms.
  std::vector<BrokerInfo> brokers(int64_t stale_ms) const;
  const std::string& cluster() const { return cluster_; }
  std::string cluster_dir() const;

 private:
  ClusterHeader* header() const { return region_.as<ClusterHeader>(); }
  std::string cluster_;
  SharedRegion region_;
  int slot_ = -1;
};

}  // namespace shoal::ipc
