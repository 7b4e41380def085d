#include "client/admin.h"

#include <thread>

#include "ipc/process.h"

namespace shoal::client {

result<std::unique_ptr<Admin>> Admin::create(const ClientConfig& config) {
  SHOAL_ASSIGN_OR_RETURN(auto cluster, ClusterClient::connect(config));
  return std::unique_ptr<Admin>(new Admin(std::move(cluster)));
}

result<int32_t> Admin::controller(int64_t timeout_ms) {
  SHOAL_ASSIGN_OR_RETURN(auto md,
                         cluster_->fetch_metadata(std::vector<std::string>{}, false, timeout_ms));
  return md.controller_id;
}

namespace {

// Whether every per-topic error says the request reached a broker that is not (or no longer)
// the controller, or the controller could not be reached: then the whole request is retried.
template <typename Resp>
bool should_retry(const result<Resp>& r) {
  if (!r) {
    return r.code() == errc::transport || r.code() == errc::timed_out ||
           r.code() == errc::not_controller || r.code() == errc::all_brokers_down;
  }
  bool any = false;
  bool all = true;
  auto check = [&](errc e) {
    any = true;
    all = all && e == errc::not_controller;
  };
  if constexpr (std::is_same_v<Resp, protocol::CreateTopicsResponse>) {
    for (const auto& t : r->topics) check(t.error);
  } else {
    for (const auto& t : r->responses) check(t.error);
  }
  return any && all;
}

}  // namespace

template <typename Req, typename Resp>
result<Resp> Admin::to_controller(const Req& req, int64_t timeout_ms) {
  int64_t deadline = ipc::monotonic_ms() + timeout_ms;
  result<Resp> last = make_error(errc::timed_out, "no controller answered");
  while (true) {
    int64_t left = deadline - ipc::monotonic_ms();
    if (left <= 0) return last;
    auto id = controller(left);
    if (id && *id >= 0) {
      last = cluster_->call<Req, Resp>(*id, req, left);
      if (!should_retry(last)) return last;
    } else if (!id) {
      last = id.err();
    }
    // The controller is moving (or not elected yet): look it up again shortly.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

result<protocol::CreateTopicsResponse> Admin::create_topics(
    const protocol::CreateTopicsRequest& req, int64_t timeout_ms) {
  return to_controller<protocol::CreateTopicsRequest, protocol::CreateTopicsResponse>(req,
                                                                                      timeout_ms);
}

result<protocol::DeleteTopicsResponse> Admin::delete_topics(
    const protocol::DeleteTopicsRequest& req, int64_t timeout_ms) {
  return to_controller<protocol::DeleteTopicsRequest, protocol::DeleteTopicsResponse>(req,
                                                                                      timeout_ms);
}

}  // namespace shoal::client
