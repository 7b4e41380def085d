#include "broker/broker.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "broker/handlers/handlers.h"
#include "common/logger.h"
#include "ipc/process.h"

namespace shoal::broker {

namespace {
spdlog::logger& log() { return logger("broker"); }
}  // namespace

Broker::Broker(BrokerConfig config) : config_(std::move(config)) {}

Broker::~Broker() {
  stop();
  if (maintenance_.joinable()) maintenance_.join();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

result<std::unique_ptr<Broker>> Broker::create(BrokerConfig config) {
  auto b = std::unique_ptr<Broker>(new Broker(std::move(config)));
  const BrokerConfig& c = b->config_;
  std::error_code ec;
  std::filesystem::create_directories(c.log_dir, ec);
  if (ec) {
    return make_error(errc::fs, "cannot create log directory {}: {}", c.log_dir.string(),
                      ec.message());
  }
  ::chmod(c.log_dir.c_str(), 0700);
  // One broker per log directory: the kernel drops this lock if we die.
  std::string lock_path = (c.log_dir / ".lock").string();
  b->lock_fd_ = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (b->lock_fd_ < 0 || ::flock(b->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return make_error(errc::conflict,
                      "log directory {} is in use by another broker (lock {} is held)",
                      c.log_dir.string(), lock_path);
  }
  log().info("broker {} of cluster '{}' starting: log directory {}", c.broker_id, c.cluster,
             c.log_dir.string());

  cluster::ControllerOptions copts;
  copts.broker_id = c.broker_id;
  copts.journal_path = c.cluster_dir / "cluster" / "metadata.log";
  copts.topic_defaults = c.topic_defaults;
  copts.default_partitions = c.num_partitions;
  copts.default_replication_factor = c.default_replication_factor;
  SHOAL_ASSIGN_OR_RETURN(b->controller_, cluster::Controller::open(copts));

  b->partitions_ = std::make_unique<PartitionManager>(b->config_);
  SHOAL_TRY(b->partitions_->apply(*b->controller_->image()));
  b->controller_->set_listener([pm = b->partitions_.get()](auto image) {
    auto st = pm->apply(*image);
    if (!st) log().error("applying metadata version {} failed: {}", image->version, st.err().message);
  });

  SHOAL_ASSIGN_OR_RETURN(b->cluster_,
                         ipc::ClusterRegion::join(c.cluster, c.cluster_dir.string(), c.broker_id));
  ipc::ServerOptions sopts;
  sopts.cluster = c.cluster;
  sopts.broker_id = c.broker_id;
  sopts.session_timeout_ms = c.shm_session_timeout_ms;
  SHOAL_ASSIGN_OR_RETURN(b->server_, ipc::Server::create(sopts));
  b->services_ = std::unique_ptr<BrokerServices>(new BrokerServices{
      b->config_, *b->controller_, *b->partitions_, b->fetches_,
      [raw = b.get()] { return raw->live_brokers(); }});
  b->cluster_->publish(ipc::broker_state::running, b->server_->inbox_name(),
                       b->server_->incarnation());
  log().info("broker {} of cluster '{}' is up: {} topic(s), {} local partition(s)", c.broker_id,
             c.cluster, b->controller_->image()->topics.size(), b->partitions_->all().size());
  return b;
}

std::vector<int32_t> Broker::live_brokers() const {
  std::vector<int32_t> ids;
  for (const auto& b : cluster_->brokers(10'000)) {
    if (b.alive || b.id == config_.broker_id) ids.push_back(b.id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

void Broker::stop() {
  if (stopping_.exchange(true)) return;
  if (server_) server_->stop();
  maintenance_cv_.notify_all();
}

void Broker::maintenance_loop() {
  int64_t now = ipc::monotonic_ms();
  int64_t next_retention = now + config_.log_retention_check_interval_ms;
  int64_t next_flush = now + config_.log_flush_scheduler_interval_ms;
  int64_t next_clean = now + config_.log_cleaner_backoff_ms;
  std::unique_lock lock(maintenance_mu_);
  while (!stopping_.load()) {
    maintenance_cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (stopping_.load()) break;
    now = ipc::monotonic_ms();
    if (now >= next_retention) {
      int n = partitions_->run_retention();
      if (n > 0) log().info("retention deleted {} segment(s)", n);
      next_retention = now + config_.log_retention_check_interval_ms;
    }
    if (now >= next_flush) {
      partitions_->run_flush();
      next_flush = now + config_.log_flush_scheduler_interval_ms;
    }
    if (config_.log_cleaner_enable && now >= next_clean) {
      partitions_->run_cleaner();
      next_clean = now + config_.log_cleaner_backoff_ms;
    }
  }
}

int Broker::run() {
  maintenance_ = std::thread([this] { maintenance_loop(); });
  int64_t last_beat = 0;
  server_->run(
      [this](const std::shared_ptr<ipc::ServerSession>& session, uint64_t corr,
             ipc::bytes_view payload) {
        RequestContext ctx;
        ctx.client_pid = session->client_pid();
        ctx.max_response_bytes = session->max_response_bytes();
        ctx.send = [session, corr](protocol::bytes b) { session->respond(corr, b); };
        dispatch(*services_, std::move(ctx), payload);
      },
      [this, &last_beat] {
        int64_t now = ipc::monotonic_ms();
        fetches_.expire(now);
        if (now - last_beat >= 100) {
          cluster_->heartbeat();
          last_beat = now;
        }
      });
  log().info("broker {} stopping", config_.broker_id);
  cluster_->publish(ipc::broker_state::stopping, server_->inbox_name(), server_->incarnation());
  fetches_.flush_all();
  stopping_.store(true);
  maintenance_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  int code = 0;
  if (!partitions_->close_all()) code = 1;
  server_.reset();  // releases sessions and removes the inbox
  cluster_->leave();
  log().info("broker {} stopped{}", config_.broker_id, code == 0 ? " cleanly" : " with errors");
  return code;
}

}  // namespace shoal::broker
