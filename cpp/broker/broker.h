// A broker process: one log directory, the shared-memory inbox its clients talk to, the
// request handlers, a controller (active on one broker of the cluster at a time), replica
// fetchers for the partitions it follows, and the background work (ISR changes, retention,
// flush policy, compaction, recovering from I/O errors).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "broker/broker_config.h"
#include "broker/offsets_store.h"
#include "broker/partition_manager.h"
#include "broker/purgatory.h"
#include "broker/replica_fetcher.h"
#include "broker/services.h"
#include "client/cluster_client.h"
#include "cluster/controller.h"
#include "ipc/cluster_region.h"
#include "ipc/server.h"
#include "net/tcp_listener.h"

namespace shoal::broker {

class Broker {
 public:
  // Locks the log directory, joins the cluster region, creates the inbox and the controller.
  // Partitions are opened (and recovered) when the first metadata image arrives.
  static result<std::unique_ptr<Broker>> create(BrokerConfig config);
  ~Broker();

  // Serves requests until stop(). On stop: a controlled shutdown (leaderships handed to other
  // in-sync replicas), then waiting fetches and produces are answered, every log is flushed
  // and closed with its clean-shutdown marker, and the broker leaves the cluster region.
  // Returns 0, or 1 if something could not be closed cleanly.
  int run();
  // Thread-safe; run() returns soon after.
  void stop();

 private:
  explicit Broker(BrokerConfig config);
  void maintenance_loop();
  void controller_loop();
  void poll_image();
  // Loads or unloads consumer groups as this broker's leaderships of __consumer_offsets
  // partitions change.
  void sync_group_coordinator();
  // A group changed state: held heartbeats (HeartbeatRequest::max_wait_ms) answer now if
  // theirs is one of them.
  void wake_held_heartbeats();
  // Applies the image's dynamic broker configs (cluster-wide, then this broker's) to the
  // topic defaults of the partitions and the controller, when they changed.
  void apply_dynamic_configs(const cluster::MetadataImage& image);
  void propose_isr_changes(int64_t now);
  void recover_offline_partitions(int64_t now);
  void controlled_shutdown();
  std::shared_ptr<const ClusterView> view() const;
  // Serves one request that came by TCP (on the loop thread, like the shared-memory ones).
  void serve_tcp(const std::shared_ptr<net::Connection>& conn, uint64_t seq,
                 const net::frame_bytes& frame);
  // The advertised listener of broker `id`, as its slot in the cluster region says.
  std::pair<std::string, int32_t> endpoint(int32_t id) const;

  BrokerConfig config_;
  int lock_fd_ = -1;
  std::unique_ptr<ipc::ClusterRegion> region_;
  std::unique_ptr<cluster::Controller> controller_;
  std::unique_ptr<PartitionManager> partitions_;
  std::shared_ptr<client::ClusterClient> client_;
  std::unique_ptr<ReplicaFetcherManager> fetchers_;
  Purgatory delayed_;
  std::unique_ptr<ipc::Server> server_;
  // After server_: destroyed first, so nothing is posted to a server that is gone.
  std::unique_ptr<net::TcpListener> listener_;
  std::unique_ptr<BrokerServices> services_;
  std::unique_ptr<OffsetsStore> offsets_store_;
  std::unique_ptr<group::GroupCoordinator> groups_;

  mutable std::mutex view_mu_;
  std::shared_ptr<const ClusterView> view_;
  uint64_t applied_version_ = 0;
  uint64_t seen_group_changes_ = 0;      // group::Group::state_changes() as last handled
  cluster::string_map dynamic_cluster_;  // the dynamic configs last applied
  cluster::string_map dynamic_mine_;

  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stopping_{false};
  std::thread maintenance_;
  std::thread controller_thread_;
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
};

}  // namespace shoal::broker
