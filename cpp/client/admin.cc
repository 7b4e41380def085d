#include "client/admin.h"

namespace shoal::client {

result<std::unique_ptr<Admin>> Admin::create(const ClientConfig& config) {
  SHOAL_ASSIGN_OR_RETURN(auto cluster, ClusterClient::connect(config));
  return std::unique_ptr<Admin>(new Admin(std::move(cluster)));
}

result<int32_t> Admin::controller(int64_t timeout_ms) {
  SHOAL_ASSIGN_OR_RETURN(auto md, cluster_->fetch_metadata(std::vector<std::string>{}, false, timeout_ms));
  return md.controller_id;
}

result<protocol::CreateTopicsResponse> Admin::create_topics(const protocol::CreateTopicsRequest& req,
                                                            int64_t timeout_ms) {
  SHOAL_ASSIGN_OR_RETURN(int32_t id, controller(timeout_ms));
  return cluster_->call<protocol::CreateTopicsRequest, protocol::CreateTopicsResponse>(id, req, timeout_ms);
}

result<protocol::DeleteTopicsResponse> Admin::delete_topics(const protocol::DeleteTopicsRequest& req,
                                                            int64_t timeout_ms) {
  SHOAL_ASSIGN_OR_RETURN(int32_t id, controller(timeout_ms));
  return cluster_->call<protocol::DeleteTopicsRequest, protocol::DeleteTopicsResponse>(id, req, timeout_ms);
}

}  // namespace shoal::client
