// A broker process: one log directory, the shared-memory inbox its clients talk to, the
// request handlers, the controller (this broker is its cluster's controller while there is
// one broker), and the background work (retention, flush policy, compaction).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <memory>
#include <thread>

#include "broker/broker_config.h"
#include "broker/fetch_purgatory.h"
#include "broker/partition_manager.h"
#include "broker/services.h"
#include "cluster/controller.h"
#include "ipc/cluster_region.h"
#include "ipc/server.h"

namespace shoal::broker {

class Broker {
 public:
  // Locks the log directory, opens the metadata journal and every partition (recovering
  // what a crash left), creates the inbox and registers in the cluster region.
  static result<std::unique_ptr<Broker>> create(BrokerConfig config);
  ~Broker();

  // Serves requests until stop(). Then answers waiting fetches, flushes and closes every log
  // with its clean-shutdown marker, and leaves the cluster region. Returns 0, or 1 if
  // something could not be closed cleanly.
  int run();
  // Thread-safe; run() returns soon after.
  void stop();

 private:
  explicit Broker(BrokerConfig config);
  void maintenance_loop();
  std::vector<int32_t> live_brokers() const;

  BrokerConfig config_;
  int lock_fd_ = -1;
  std::unique_ptr<cluster::Controller> controller_;
  std::unique_ptr<PartitionManager> partitions_;
  FetchPurgatory fetches_;
  std::unique_ptr<ipc::Server> server_;
  std::unique_ptr<ipc::ClusterRegion> cluster_;
  std::unique_ptr<BrokerServices> services_;
  std::atomic<bool> stopping_{false};
  std::thread maintenance_;
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
};

}  // namespace shoal::broker
