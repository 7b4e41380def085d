// The cluster region (/dev/shm/shoal.<cluster>.cluster): which brokers of a cluster are up,
// with their pids and heartbeats. Brokers register in it; clients read it to find brokers
// from nothing but the cluster's name (bootstrap.servers = shm://NAME).
//
// Each broker writes only its own slot. The region is created (or replaced when stale) by a
// starting broker under a file lock in the cluster directory, so two brokers starting at once
// agree on one region.
#pragma once

#include <memory>
#include <optional>
#include <span>
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
  bool alive = false;  // running, with a live process and a fresh heartbeat
  // What this process can tell of the broker's process: `unknown` when the broker runs in
  // another pid namespace (another container), where only its heartbeat tells.
  liveness process = liveness::unknown;
  bool storage_failed = false;
  int64_t heartbeat_age_ms = 0;
  uint64_t inbox_incarnation = 0;
  std::string advertised_host;  // the Kafka listener clients reach it at; "" for none
  int32_t advertised_port = 0;
};

class ClusterRegion {
 public:
  // Broker side: attaches to (or creates) the cluster's region and claims the slot of
  // `broker_id`. `cluster_dir` holds the lock file and is recorded in the region: a broker
  // started with another directory for the same cluster name is refused while the cluster runs;
  // once none of its brokers runs, that other directory's region is replaced by a new one.
  static result<std::unique_ptr<ClusterRegion>> join(const std::string& cluster,
                                                     const std::string& cluster_dir,
                                                     int32_t broker_id, unsigned mode = 0600);
  // Client side: maps an existing region, waiting up to timeout_ms for it to appear.
  static result<std::unique_ptr<ClusterRegion>> open(const std::string& cluster,
                                                     int64_t timeout_ms);

  // Removes the region of a cluster none of whose brokers' processes exists any more (they
  // were killed, so no clean stop removed it). Returns true if it removed it, false if there
  // is no such region or a broker process still exists (running, paused or starting).
  static result<bool> remove_if_abandoned(const std::string& cluster);

  ~ClusterRegion();

  // --- broker side ---
  void publish(broker_state state, const std::string& inbox_name, uint64_t inbox_incarnation);
  // Records the broker's advertised Kafka listener; call before publish(running).
  void set_advertised_listener(const std::string& host, int32_t port);
  void heartbeat();
  // Marks the slot empty (a clean stop).
  void leave();

  // Marks this broker unfit to lead (a log is offline) or fit again.
  void set_storage_failed(bool failed);

  // --- controller election ---
  struct ControllerInfo {
    int32_t id = -1;  // -1: none
    int32_t epoch = 0;
    int64_t heartbeat_age_ms = 0;
    uint64_t word = 0;
  };
  ControllerInfo controller() const;
  // Claims the controller role if the word is still `seen` (what controller() returned).
  // Returns the new epoch, or nullopt if another broker got there first.
  std::optional<int32_t> try_claim_controller(uint64_t seen, int32_t self);
  // Whether `self` still holds the role at `epoch`.
  bool is_controller(int32_t self, int32_t epoch) const;
  void controller_heartbeat();
  // Gives the role up (keeping the epoch), if still held.
  void resign_controller(int32_t self, int32_t epoch);
  // Moves the held role from epoch `from` up to `to` (a controller whose journal already
  // saw epoch `to - 1`, because this region was recreated). False if no longer held.
  bool raise_controller_epoch(int32_t self, int32_t from, int32_t to);

  // --- the published metadata image ---
  // Publishes `data` as `version` if `self` still is the controller at `epoch`. Returns false
  // when deposed (nothing is published) or the image is too large.
  bool publish_image(std::span<const uint8_t> data, uint64_t version, int32_t self, int32_t epoch);
  // The current image if its version is not `known`; nullopt when unchanged or unreadable.
  std::optional<std::pair<uint64_t, std::vector<uint8_t>>> read_image(uint64_t known) const;
  uint64_t image_version() const;
  // Whether the current image's bytes match their CRC (a deposed controller writing late
  // can spoil the buffer; the controller then publishes again).
  bool current_image_intact() const;

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
