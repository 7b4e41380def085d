// Followers copying their leaders (Kafka's ReplicaFetcherThread): one thread per leader this
// broker follows, sending Fetch requests as replica `self`. Each response's batches are
// appended as they are (keeping their offsets), the leader's high watermark is taken up to
// the follower's log end, and a diverging epoch in the answer (KIP-101/KIP-320) makes the
// follower cut its log where it stopped agreeing with the leader.
//
// Thread safety: set_assignment() and stop() are safe from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/broker_config.h"
#include "broker/partition.h"
#include "client/cluster_client.h"

namespace shoal::broker {

class ReplicaFetcherManager {
 public:
  ReplicaFetcherManager(const BrokerConfig& config, std::shared_ptr<client::ClusterClient> cluster);
  ~ReplicaFetcherManager();

  // The partitions to follow, by leader; threads start and stop to match.
  void set_assignment(std::map<int32_t, std::vector<std::shared_ptr<Partition>>> assignment);
  void stop();

 private:
  struct Fetcher {
    int32_t leader;
    std::vector<std::shared_ptr<Partition>> partitions;  // guarded by mu_
    bool stopping = false;
    std::thread thread;
  };
  void run(Fetcher* f);

  const BrokerConfig& config_;
  std::shared_ptr<client::ClusterClient> cluster_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int32_t, std::unique_ptr<Fetcher>> fetchers_;
  // Fetchers told to stop but perhaps still waiting on a request to a dead or paused leader;
  // joined by stop() (never by set_assignment(), which runs on the broker's request thread).
  std::vector<std::unique_ptr<Fetcher>> retired_;
};

}  // namespace shoal::broker
