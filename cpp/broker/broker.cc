#include "broker/broker.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <set>

#include "broker/handlers/handlers.h"
#include "common/clock.h"
#include "common/logger.h"
#include "ipc/process.h"

namespace shoal::broker {

namespace {
spdlog::logger& log() {
  return logger("broker");
}
}  // namespace

// The cluster's id, made once per cluster directory and kept in meta.properties beside the
// journal, as Kafka's KRaft brokers keep theirs: the same id after every restart, another for
// another directory. The first broker to start writes it; link() makes that atomic, so brokers
// starting together agree.
result<std::string> load_cluster_id(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto path = dir / "meta.properties";
  auto read = [&]() -> std::optional<std::string> {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("cluster.id=", 0) == 0) return line.substr(11);
    }
    return std::nullopt;
  };
  if (auto id = read()) return *id;
  std::random_device rd;
  protocol::uuid u{(uint64_t{rd()} << 32) | rd(), (uint64_t{rd()} << 32) | rd()};
  // Kafka's ids never start with '-' in text (a command-line option would be read).
  if ((u.hi >> 58) == 62) u.hi ^= uint64_t{1} << 58;
  auto tmp = dir / fmt::format("meta.properties.{}.tmp", ::getpid());
  {
    std::ofstream out(tmp);
    out << "# Written by the first broker of this cluster directory: the cluster's id.\n"
        << "cluster.id=" << u.to_string() << "\n";
    if (!out) return make_error(errc::fs, "cannot write {}", tmp.string());
  }
  ::link(tmp.c_str(), path.c_str());  // fails if another broker was first: its id stands
  std::filesystem::remove(tmp, ec);
  if (auto id = read()) return *id;
  return make_error(errc::fs, "cannot read the cluster id from {}", path.string());
}

std::pair<std::string, int32_t> Broker::endpoint(int32_t id) const {
  for (const auto& b : region_->brokers(10'000)) {
    if (b.id == id && !b.advertised_host.empty()) return {b.advertised_host, b.advertised_port};
  }
  // A broker without a listener (it has not published one yet) has no address to give.
  return {"", -1};
}

Broker::Broker(BrokerConfig config) : config_(std::move(config)) {}

Broker::~Broker() {
  stop();
  if (maintenance_.joinable()) maintenance_.join();
  if (controller_thread_.joinable()) controller_thread_.join();
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

  SHOAL_ASSIGN_OR_RETURN(b->region_,
                         ipc::ClusterRegion::join(c.cluster, c.cluster_dir.string(), c.broker_id));
  cluster::ControllerOptions copts;
  copts.broker_id = c.broker_id;
  copts.journal_path = c.cluster_dir / "cluster" / "metadata.log";
  copts.topic_defaults = c.topic_defaults;
  copts.default_partitions = c.num_partitions;
  copts.default_replication_factor = c.default_replication_factor;
  copts.broker_session_timeout_ms = c.broker_session_timeout_ms;
  copts.auto_leader_rebalance_enable = c.auto_leader_rebalance_enable;
  copts.leader_imbalance_check_interval_ms = c.leader_imbalance_check_interval_seconds * 1000;
  b->controller_ = std::make_unique<cluster::Controller>(copts, b->region_.get());
  b->partitions_ = std::make_unique<PartitionManager>(b->config_);

  ipc::ServerOptions sopts;
  sopts.cluster = c.cluster;
  sopts.broker_id = c.broker_id;
  sopts.session_timeout_ms = c.shm_session_timeout_ms;
  SHOAL_ASSIGN_OR_RETURN(b->server_, ipc::Server::create(sopts));

  client::ClientConfig cc;
  cc.cluster = c.cluster;
  cc.client_id = "broker-" + std::to_string(c.broker_id);
  cc.request_timeout_ms = c.replica_socket_timeout_ms;
  cc.socket_timeout_ms = 2'000;
  SHOAL_ASSIGN_OR_RETURN(b->client_, client::ClusterClient::connect(cc));
  b->fetchers_ = std::make_unique<ReplicaFetcherManager>(b->config_, b->client_);

  b->offsets_store_ =
      std::make_unique<OffsetsStore>(*b->partitions_, b->delayed_, c.offsets_commit_timeout_ms);
  group::CoordinatorOptions gopts;
  gopts.offsets_partitions = c.offsets_topic_num_partitions;
  gopts.timeouts.initial_rebalance_delay_ms = c.group_initial_rebalance_delay_ms;
  gopts.timeouts.min_session_timeout_ms = c.group_min_session_timeout_ms;
  gopts.timeouts.max_session_timeout_ms = c.group_max_session_timeout_ms;
  gopts.timeouts.max_size = c.group_max_size;
  b->groups_ = std::make_unique<group::GroupCoordinator>(gopts, b->offsets_store_.get());

  SHOAL_ASSIGN_OR_RETURN(std::string cluster_id, load_cluster_id(c.cluster_dir / "cluster"));
  Broker* raw = b.get();
  b->services_ = std::unique_ptr<BrokerServices>(new BrokerServices{
      b->config_, *b->controller_, *b->partitions_, b->delayed_, [raw] { return raw->view(); },
      [raw](const std::string& topic) {
        int32_t id = raw->region_->controller().id;
        if (id < 0) return;
        protocol::CreateTopicsRequest req;
        auto& t = req.topics.emplace_back();
        t.name = topic;
        t.num_partitions = -1;
        t.replication_factor = -1;
        (void)raw->client_->send<protocol::CreateTopicsRequest, protocol::CreateTopicsResponse>(
            id, req, 5'000, [](result<protocol::CreateTopicsResponse>) {});
      },
      *b->groups_,
      [raw] {
        int32_t id = raw->region_->controller().id;
        if (id < 0) return;
        const BrokerConfig& c = raw->config_;
        auto v = raw->view();
        int16_t live = static_cast<int16_t>(std::max<size_t>(v->published.live_brokers.size(), 1));
        protocol::CreateTopicsRequest req;
        auto& t = req.topics.emplace_back();
        t.name = std::string(group::offsets_topic);
        t.num_partitions = c.offsets_topic_num_partitions;
        t.replication_factor = std::min(c.offsets_topic_replication_factor, live);
        for (auto [k, v] :
             {std::pair{"cleanup.policy", "compact"}, std::pair{"segment.bytes", "104857600"},
              std::pair{"compression.type", "producer"}}) {
          auto& cfg = t.configs.emplace_back();
          cfg.name = k;
          cfg.value = v;
        }
        (void)raw->client_->send<protocol::CreateTopicsRequest, protocol::CreateTopicsResponse>(
            id, req, 5'000, [](result<protocol::CreateTopicsResponse>) {});
      },
      cluster_id, [raw](int32_t id) { return raw->endpoint(id); },
      [raw](std::function<void()> task) { raw->server_->post(std::move(task)); },
      [raw] { return raw->region_->controller().id; }, b->client_});
  b->view_ = std::make_shared<ClusterView>();

  // Kafka's wire protocol on TCP. The listener's thread only frames bytes; every request is
  // posted to the loop that serves the shared-memory sessions, so the handlers run on one
  // thread whichever way a request came.
  net::ListenerOptions lopts;
  lopts.host = c.listener_host;
  lopts.port = c.listener_port;
  lopts.max_request_bytes = c.socket_request_max_bytes;
  lopts.max_connections = c.max_connections;
  lopts.max_idle_ms = c.connections_max_idle_ms;
  lopts.name = fmt::format("broker {} listener", c.broker_id);
  ipc::Server* server = b->server_.get();
  auto listener = net::TcpListener::start(lopts, [raw, server](
                                                     const std::shared_ptr<net::Connection>& conn,
                                                     uint64_t seq, net::frame_bytes frame) {
    server->post([raw, conn, seq, frame = std::move(frame)] { raw->serve_tcp(conn, seq, frame); });
  });
  if (!listener) {
    return make_error(listener.err().code, "broker {} cannot serve listeners={}: {}", c.broker_id,
                      c.to_properties()["listeners"], listener.err().message);
  }
  b->listener_ = std::move(*listener);
  std::string advertised_host = c.advertised_host;
  int32_t advertised_port = c.advertised_port;
  if (advertised_host.empty()) {
    // A wildcard bind is reachable on loopback; Kafka would advertise the canonical host
    // name, which on a laptop is often not resolvable.
    advertised_host =
        (c.listener_host.empty() || c.listener_host == "0.0.0.0" || c.listener_host == "::")
            ? "127.0.0.1"
            : c.listener_host;
    advertised_port = b->listener_->port();
  }
  b->region_->set_advertised_listener(advertised_host, advertised_port);
  log().info("broker {} serves Kafka's protocol on {}:{} (advertised as {}:{})", c.broker_id,
             c.listener_host.empty() ? "0.0.0.0" : c.listener_host, b->listener_->port(),
             advertised_host, advertised_port);
  b->region_->publish(ipc::broker_state::running, b->server_->inbox_name(),
                      b->server_->incarnation());
  log().info("broker {} of cluster '{}' is up", c.broker_id, c.cluster);
  return b;
}

std::shared_ptr<const ClusterView> Broker::view() const {
  std::lock_guard lock(view_mu_);
  return view_;
}

void Broker::stop() {
  if (stop_requested_.exchange(true)) return;
  maintenance_cv_.notify_all();
}

void Broker::poll_image() {
  auto got = region_->read_image(applied_version_);
  if (!got) return;
  auto pub = protocol::decode<cluster::PublishedImage>(got->second, 0);
  if (!pub) {
    log().error("cannot decode metadata image version {}: {}", got->first, pub.err().message);
    applied_version_ = got->first;
    return;
  }
  auto v = std::make_shared<ClusterView>();
  v->published = std::move(pub).value();
  v->image.version = v->published.metadata_version;
  v->image.controller_id = v->published.controller_id;
  v->image.controller_epoch = v->published.controller_epoch;
  for (auto& t : v->published.topics) v->image.topics[t.name] = t;
  for (auto& b : v->published.broker_configs) v->image.broker_configs[b.broker_id] = b.configs;
  apply_dynamic_configs(v->image);
  auto following = partitions_->apply(v->image, ipc::monotonic_ms());
  if (!following) {
    log().error("applying metadata image {} failed: {}", got->first, following.err().message);
  } else if (!stopping_) {
    fetchers_->set_assignment(std::move(following).value());
  }
  applied_version_ = got->first;
  {
    std::lock_guard lock(view_mu_);
    view_ = v;
  }
  // Leaderships may have moved: waiting produces and fetches answer now.
  delayed_.wake_all();
  sync_group_coordinator();
}

void Broker::apply_dynamic_configs(const cluster::MetadataImage& image) {
  auto layer = [&](int32_t id) {
    auto it = image.broker_configs.find(id);
    return it == image.broker_configs.end() ? cluster::string_map{} : it->second;
  };
  cluster::string_map cluster_wide = layer(-1);
  cluster::string_map mine = layer(config_.broker_id);
  if (cluster_wide == dynamic_cluster_ && mine == dynamic_mine_) return;
  auto defaults = config_.topic_defaults_with(cluster_wide, mine);
  if (!defaults) {
    // validate_dynamic() checked them before they were journaled; a value this broker's
    // static properties make invalid in combination keeps the previous defaults.
    log().error("dynamic broker configs not applied: {}", defaults.err().message);
    return;
  }
  dynamic_cluster_ = std::move(cluster_wide);
  dynamic_mine_ = std::move(mine);
  partitions_->set_topic_defaults(*defaults);
  // The controller validates topic configs and elects against the cluster-wide defaults.
  auto cluster_defaults = config_.topic_defaults_with(dynamic_cluster_, {});
  if (cluster_defaults) controller_->set_topic_defaults(*cluster_defaults);
  log().info("dynamic broker configs applied ({} cluster-wide, {} for this broker)",
             dynamic_cluster_.size(), dynamic_mine_.size());
}

void Broker::wake_held_heartbeats() {
  uint64_t changes = group::Group::state_changes();
  if (changes == seen_group_changes_) return;
  seen_group_changes_ = changes;
  delayed_.wake(std::string(held_heartbeats_key), 0);
}

void Broker::sync_group_coordinator() {
  std::set<int32_t> owned = groups_->owned_partitions();
  std::set<int32_t> leading;
  for (int32_t p = 0; p < config_.offsets_topic_num_partitions; ++p) {
    auto part = partitions_->get(std::string(group::offsets_topic), p);
    if (part && part->is_leader()) leading.insert(p);
  }
  for (int32_t p : owned) {
    if (!leading.count(p)) groups_->unload(p);
  }
  for (int32_t p : leading) {
    if (owned.count(p)) continue;
    auto part = partitions_->get(std::string(group::offsets_topic), p);
    groups_->begin_loading(p);
    auto records = OffsetsStore::read_all(*part);
    if (!records) {
      // The partition stays "loading" (clients retry) until a later image retries the load.
      log().error("{}: cannot load the consumer groups: {}", part->name(), records.err().message);
      groups_->unload(p);
      continue;
    }
    groups_->finish_loading(p, *records, monotonic_ms());
  }
}

void Broker::controller_loop() {
  while (!stopping_.load()) {
    controller_->tick();
    std::unique_lock lock(maintenance_mu_);
    maintenance_cv_.wait_for(lock, std::chrono::milliseconds(20));
  }
}

void Broker::propose_isr_changes(int64_t now) {
  auto v = view();
  protocol::AlterPartitionRequest req;
  req.broker_id = node_id(config_.broker_id);
  std::map<std::pair<std::string, int32_t>, std::shared_ptr<Partition>> asked;
  for (auto& p : partitions_->all()) {
    auto isr = p->isr_change(now, config_.replica_lag_time_max_ms, v->published.live_brokers);
    if (!isr) continue;
    auto st = p->state();
    log().info("{} asking the controller to change the ISR [{}] -> [{}]", p->name(),
               fmt::join(st.isr, ","), fmt::join(*isr, ","));
    auto t = std::find_if(req.topics.begin(), req.topics.end(),
                          [&](const auto& x) { return x.topic_name == p->topic(); });
    if (t == req.topics.end()) {
      req.topics.emplace_back().topic_name = p->topic();
      t = req.topics.end() - 1;
    }
    auto& ap = t->partitions.emplace_back();
    ap.partition_index = partition_id(p->index());
    ap.leader_epoch = leader_epoch(st.leader_epoch);
    for (int32_t r : *isr) ap.new_isr.push_back(node_id(r));
    ap.partition_epoch = st.partition_epoch;
    asked[{p->topic(), p->index()}] = p;
  }
  if (asked.empty()) return;
  result<protocol::AlterPartitionResponse> resp = make_error(errc::not_controller, "no controller");
  if (controller_->active()) {
    resp = controller_->alter_partition(req);
  } else {
    int32_t id = region_->controller().id;
    if (id >= 0) {
      resp = client_->call<protocol::AlterPartitionRequest, protocol::AlterPartitionResponse>(
          id, req, 5'000);
    }
  }
  for (auto& [key, p] : asked) {
    std::optional<cluster::PartitionState> committed;
    if (resp && resp->error_code != errc::none) {
      log().info("{} ISR change refused: {}", p->name(), errc_name(resp->error_code));
    } else if (resp) {
      for (const auto& t : resp->topics) {
        if (t.topic_name != key.first) continue;
        for (const auto& rp : t.partitions) {
          if (rp.partition_index() != key.second) continue;
          if (rp.error_code == errc::none) {
            cluster::PartitionState s = p->state();
            s.isr.clear();
            for (auto r : rp.isr) s.isr.push_back(r());
            s.partition_epoch = rp.partition_epoch;
            committed = s;
          } else {
            log().info("{} ISR change refused: {}", p->name(), errc_name(rp.error_code));
          }
        }
      }
    }
    p->isr_change_done(committed);
    delayed_.wake(key.first, key.second);
  }
}

void Broker::recover_offline_partitions(int64_t now) {
  auto offline = partitions_->offline();
  region_->set_storage_failed(!offline.empty());
  if (offline.empty()) return;
  auto v = view();
  bool all = true;
  for (auto& p : offline) all = partitions_->reopen(p, v->image, now) && all;
  if (all) {
    log().info("every log is back online; broker {} may lead and follow again", config_.broker_id);
    region_->set_storage_failed(false);
    applied_version_ = 0;  // re-apply the current image to the reopened partitions
  }
}

void Broker::controlled_shutdown() {
  if (!config_.controlled_shutdown_enable) return;
  int64_t start = ipc::monotonic_ms();
  int64_t deadline = start + 10'000;
  size_t leading = 0;
  for (auto& p : partitions_->all()) leading += p->is_leader() ? 1 : 0;
  log().info("controlled shutdown: asking the controller to move {} leadership(s) away", leading);
  while (ipc::monotonic_ms() < deadline) {
    result<protocol::ControlledShutdownResponse> resp =
        make_error(errc::not_controller, "no controller");
    if (controller_->active()) {
      resp = controller_->controlled_shutdown(config_.broker_id);
    } else {
      int32_t id = region_->controller().id;
      if (id >= 0) {
        protocol::ControlledShutdownRequest req;
        req.broker_id = node_id(config_.broker_id);
        resp = client_->call<protocol::ControlledShutdownRequest,
                             protocol::ControlledShutdownResponse>(id, req, 2'000);
      }
    }
    if (resp && resp->error_code == errc::none) {
      if (!resp->remaining_partitions.empty()) {
        log().info("controlled shutdown: {} partition(s) have no other in-sync replica to lead",
                   resp->remaining_partitions.size());
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Wait for the image that moves our leaderships (our own loop applies it meanwhile).
  int64_t wait_until = ipc::monotonic_ms() + 2'000;
  while (ipc::monotonic_ms() < wait_until) {
    bool leads = false;
    for (auto& p : partitions_->all()) {
      if (p->is_leader() && p->state().isr.size() > 1) leads = true;
    }
    if (!leads) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  log().info("controlled shutdown: done in {} ms", ipc::monotonic_ms() - start);
  controller_->resign();
}

void Broker::maintenance_loop() {
  int64_t now = ipc::monotonic_ms();
  int64_t next_retention = now + config_.log_retention_check_interval_ms;
  int64_t next_flush = now + config_.log_flush_scheduler_interval_ms;
  int64_t next_clean = now + config_.log_cleaner_backoff_ms;
  int64_t next_recover = now;
  while (true) {
    {
      std::unique_lock lock(maintenance_mu_);
      maintenance_cv_.wait_for(lock, std::chrono::milliseconds(50));
    }
    if (stop_requested_.load()) {
      controlled_shutdown();
      stopping_.store(true);
      maintenance_cv_.notify_all();
      server_->stop();
      return;
    }
    now = ipc::monotonic_ms();
    propose_isr_changes(now);
    if (now >= next_recover) {
      recover_offline_partitions(now);
      next_recover = now + 1'000;
    }
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

void Broker::serve_tcp(const std::shared_ptr<net::Connection>& conn, uint64_t seq,
                       const net::frame_bytes& frame) {
  // A frame that came after one the broker could not parse is not served (Kafka closes the
  // connection and reads no further).
  if (conn->closed()) return;
  RequestContext ctx;
  ctx.client_host = "/" + conn->peer_host();
  // TCP carries any size; Kafka's clients bound responses by their fetch.max.bytes.
  ctx.max_response_bytes = static_cast<size_t>(INT32_MAX);
  ctx.send = [conn, seq](protocol::bytes b) { conn->respond(seq, std::move(b)); };
  ctx.no_response = [conn, seq] { conn->no_response(seq); };
  ctx.close = [conn](const std::string& why) { conn->close(why); };
  poll_image();
  dispatch(*services_, std::move(ctx), protocol::bytes_view(frame.data(), frame.size()));
  wake_held_heartbeats();
}

int Broker::run() {
  maintenance_ = std::thread([this] { maintenance_loop(); });
  controller_thread_ = std::thread([this] { controller_loop(); });
  int64_t last_beat = 0;
  server_->run(
      [this](const std::shared_ptr<ipc::ServerSession>& session, uint64_t corr,
             ipc::bytes_view payload) {
        RequestContext ctx;
        // Kafka records a member's address ("/127.0.0.1"); a shared-memory client has none,
        // and its process id says more on one host. No space, so tools' columns stay split-able.
        ctx.client_host = "/pid:" + std::to_string(session->client_pid());
        ctx.max_response_bytes = session->max_response_bytes();
        ctx.send = [session, corr](protocol::bytes b) { session->respond(corr, b); };
        ctx.no_response = [] {};
        ctx.close = [session](const std::string& why) { session->drop(why); };
        // The newest image first (one atomic load when nothing changed): a client that was
        // just told a topic was created or deleted must see that in any broker's metadata.
        poll_image();
        dispatch(*services_, std::move(ctx), payload);
        wake_held_heartbeats();
      },
      [this, &last_beat] {
        int64_t now = ipc::monotonic_ms();
        poll_image();
        delayed_.expire(now);
        groups_->tick(monotonic_ms());
        wake_held_heartbeats();
        if (now - last_beat >= 50) {
          region_->heartbeat();
          last_beat = now;
        }
      });
  log().info("broker {} stopping", config_.broker_id);
  stopping_.store(true);
  maintenance_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  if (controller_thread_.joinable()) controller_thread_.join();
  region_->publish(ipc::broker_state::stopping, server_->inbox_name(), server_->incarnation());
  fetchers_->stop();
  delayed_.flush_all();
  if (listener_) listener_->stop();  // after the delayed answers went out
  int code = 0;
  if (!partitions_->close_all()) code = 1;
  server_.reset();  // releases sessions and removes the inbox
  client_->close();
  region_->leave();
  log().info("broker {} stopped{}", config_.broker_id, code == 0 ? " cleanly" : " with errors");
  return code;
}

}  // namespace shoal::broker
