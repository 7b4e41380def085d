// The admin client: topic creation and deletion sent to the controller (found through
// metadata, as Kafka's admin client finds it), and cluster metadata.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <memory>

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
  std::shared_ptr<ClusterClient> cluster() const { return cluster_; }
  void close() { cluster_->close(); }

 private:
  explicit Admin(std::shared_ptr<ClusterClient> c) : cluster_(std::move(c)) {}
  // The controller's id, from a metadata request.
  result<int32_t> controller(int64_t timeout_ms);
  // Sends to the controller, following it if it moves, until timeout_ms.
  template <typename Req, typename Resp>
  result<Resp> to_controller(const Req& req, int64_t timeout_ms);
  std::shared_ptr<ClusterClient> cluster_;
};

}  // namespace shoal::client
