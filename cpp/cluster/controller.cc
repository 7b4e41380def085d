#include "cluster/controller.h"

#include <algorithm>
#include <random>

#include "common/logger.h"
#include "ipc/process.h"

namespace shoal::cluster {

namespace {

spdlog::logger& log() {
  return logger("cluster");
}

bool contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string list(const std::vector<int32_t>& v) {
  return fmt::format("[{}]", fmt::join(v, ","));
}

}  // namespace

std::vector<std::vector<int32_t>> assign_replicas(int32_t partitions, int16_t replication_factor,
                                                  const std::vector<int32_t>& brokers,
                                                  int32_t start, int32_t shift) {
  std::vector<std::vector<int32_t>> out;
  int32_t n = static_cast<int32_t>(brokers.size());
  for (int32_t p = 0; p < partitions; ++p) {
    if (p > 0 && p % n == 0) ++shift;
    int32_t first = (p + start) % n;
    std::vector<int32_t> replicas{brokers[static_cast<size_t>(first)]};
    for (int32_t j = 0; j < replication_factor - 1; ++j) {
      int32_t idx = (first + 1 + (shift + j) % (n - 1)) % n;
      replicas.push_back(brokers[static_cast<size_t>(idx)]);
    }
    out.push_back(std::move(replicas));
  }
  return out;
}

Controller::Controller(ControllerOptions opts, ipc::ClusterRegion* region)
    : opts_(std::move(opts)),
      region_(region),
      published_image_(std::make_shared<MetadataImage>()) {}

Controller::~Controller() = default;

bool Controller::active() const {
  std::lock_guard lock(mu_);
  return active_;
}

int32_t Controller::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

std::shared_ptr<const MetadataImage> Controller::image() const {
  std::lock_guard lock(mu_);
  return published_image_;
}

status Controller::check_active_locked() const {
  if (!active_ || !region_->is_controller(opts_.broker_id, epoch_)) {
    auto c = region_->controller();
    return make_error(errc::not_controller,
                      "broker {} is not the controller (the controller is {})", opts_.broker_id,
                      c.id);
  }
  return {};
}

// --- election and liveness ---

void Controller::tick() {
  std::lock_guard lock(mu_);
  auto c = region_->controller();
  if (active_) {
    if (!region_->is_controller(opts_.broker_id, epoch_)) {
      step_down_locked("another broker took over as controller");
      return;
    }
    region_->controller_heartbeat();
    reconcile_locked();
    if (!region_->current_image_intact()) publish_locked();
    return;
  }
  // A live controller keeps its heartbeat fresh and its process alive.
  bool controller_alive = false;
  if (c.id >= 0 && c.heartbeat_age_ms < opts_.broker_session_timeout_ms) {
    for (const auto& b : region_->brokers(opts_.broker_session_timeout_ms)) {
      if (b.id == c.id && b.alive) controller_alive = true;
    }
  }
  if (controller_alive || ipc::monotonic_ms() < takeover_backoff_until_ms_) return;
  auto won = region_->try_claim_controller(c.word, opts_.broker_id);
  if (won) become_active_locked(*won);
}

void Controller::become_active_locked(int32_t epoch) {
  // The journal may have grown since this broker last read it: replay it whole.
  MetadataImage image;
  auto journal = Journal::open(opts_.journal_path, image);
  if (!journal) {
    log().error("broker {} cannot become controller: {}", opts_.broker_id, journal.err().message);
    region_->resign_controller(opts_.broker_id, epoch);
    takeover_backoff_until_ms_ = ipc::monotonic_ms() + 1'000;
    return;
  }
  // Epochs must grow across the cluster's whole life, but the shared-memory word starts over
  // when the region is recreated (every broker had stopped). The journal remembers.
  if (image.controller_epoch >= epoch) {
    int32_t raised = image.controller_epoch + 1;
    if (!region_->raise_controller_epoch(opts_.broker_id, epoch, raised)) return;
    epoch = raised;
  }
  journal_ = std::move(journal).value();
  image_ = std::move(image);
  epoch_ = epoch;
  active_ = true;
  publish_seq_ = 0;
  live_.clear();
  shutting_down_.clear();
  last_rebalance_ms_ = ipc::monotonic_ms();
  auto st = commit_locked({ControllerRecord{opts_.broker_id, epoch}});
  if (!st) {
    log().error("broker {} cannot take over as controller: {}", opts_.broker_id, st.err().message);
    // Let another broker try at once rather than after the session timeout.
    region_->resign_controller(opts_.broker_id, epoch);
    takeover_backoff_until_ms_ = ipc::monotonic_ms() + 1'000;
    step_down_locked("the metadata journal cannot be written");
    return;
  }
  log().info("broker {} is the controller (epoch {}); {} topic(s)", opts_.broker_id, epoch,
             image_.topics.size());
  reconcile_locked();
}

void Controller::step_down_locked(const char* why) {
  if (!active_) return;
  log().info("broker {} is no longer the controller (epoch {}): {}", opts_.broker_id, epoch_, why);
  active_ = false;
  producer_id_next_ = producer_id_end_ = 0;  // the rest of the block is never handed out
  journal_.reset();
  live_.clear();
  published_image_ = std::make_shared<MetadataImage>();
}

void Controller::resign() {
  std::lock_guard lock(mu_);
  if (!active_) return;
  region_->resign_controller(opts_.broker_id, epoch_);
  step_down_locked("resigned");
}

bool Controller::eligible_locked(int32_t broker) const {
  auto it = live_.find(broker);
  if (it == live_.end()) return false;
  return !shutting_down_.count({broker, it->second});
}

std::set<int32_t> Controller::observe_brokers_locked() {
  std::set<int32_t> gone;
  std::map<int32_t, uint64_t> now_live;
  for (const auto& b : region_->brokers(opts_.broker_session_timeout_ms)) {
    if (b.alive && !b.storage_failed) now_live[b.id] = b.inbox_incarnation;
  }
  for (const auto& [id, inc] : live_) {
    auto it = now_live.find(id);
    // A restarted broker (new incarnation) lost its place too: it rejoins ISRs by catching up.
    if (it == now_live.end() || it->second != inc) gone.insert(id);
  }
  bool changed = now_live != live_;
  for (int32_t id : gone) {
    log().info("controller: broker {} is {}", id,
               now_live.count(id) ? "back as a new incarnation" : "gone (dead, paused or failed)");
  }
  for (const auto& [id, inc] : now_live) {
    if (!live_.count(id)) log().info("controller: broker {} is up", id);
  }
  live_ = std::move(now_live);
  if (changed) publish_locked();
  return gone;
}

int32_t Controller::elect_locked(PartitionState& ps, const std::string& topic, int32_t partition,
                                 const std::set<int32_t>& excluded) {
  for (int32_t r : ps.replicas) {
    if (contains(ps.isr, r) && eligible_locked(r) && !excluded.count(r)) return r;
  }
  auto cfg =
      opts_.topic_defaults.with(image_.topic(topic) ? image_.topic(topic)->configs : string_map{});
  if (cfg && cfg->unclean_leader_election_enable) {
    for (int32_t r : ps.replicas) {
      if (eligible_locked(r) && !excluded.count(r)) {
        log().warn(
            "controller: UNCLEAN leader election for {}/{}: no in-sync replica of {} is "
            "alive, broker {} leads although it is not in sync; records it lacks are lost",
            topic, partition, list(ps.isr), r);
        ps.isr = {r};
        return r;
      }
    }
  }
  return -1;
}

void Controller::reconcile_locked() {
  std::set<int32_t> gone = observe_brokers_locked();
  int64_t now = ipc::monotonic_ms();
  bool rebalance = opts_.auto_leader_rebalance_enable &&
                   now - last_rebalance_ms_ >= opts_.leader_imbalance_check_interval_ms;
  if (rebalance) last_rebalance_ms_ = now;
  std::vector<MetadataRecord> records;
  for (const auto& [name, t] : image_.topics) {
    for (size_t i = 0; i < t.partitions.size(); ++i) {
      PartitionState ps = t.partitions[i];
      const PartitionState before = ps;
      int32_t p = static_cast<int32_t>(i);
      // Fence brokers that died, restarted, failed their storage or are shutting down out of
      // the ISR. If none is left, the last leader (or first member) stays alone: it is the one
      // replica known to hold every committed record, and it leads again when it is back.
      std::vector<int32_t> isr;
      for (int32_t r : ps.isr) {
        if (eligible_locked(r) && !gone.count(r)) isr.push_back(r);
      }
      if (isr.empty() && !ps.isr.empty()) {
        isr = {contains(ps.isr, ps.leader) ? ps.leader : ps.isr.front()};
      }
      ps.isr = isr;
      bool leader_ok = ps.leader >= 0 && eligible_locked(ps.leader) && !gone.count(ps.leader) &&
                       contains(ps.isr, ps.leader);
      if (!leader_ok) {
        int32_t leader = elect_locked(ps, name, p, {});
        // A restarted leader is a new leadership too: a new epoch makes followers re-check
        // their logs against it.
        if (leader != ps.leader || gone.count(leader)) {
          if (leader >= 0) {
            log().info("controller: {}/{} leader {} -> {} (epoch {}), ISR {}", name, p, ps.leader,
                       leader, ps.leader_epoch + 1, list(ps.isr));
          } else {
            log().warn("controller: {}/{} has no leader: no in-sync replica of {} is alive", name,
                       p, list(ps.isr));
          }
          ps.leader = leader;
          ps.leader_epoch += 1;
        }
      } else if (rebalance && !ps.replicas.empty() && ps.leader != ps.replicas.front() &&
                 contains(ps.isr, ps.replicas.front()) && eligible_locked(ps.replicas.front())) {
        log().info("controller: {}/{} back to its preferred leader {} (epoch {})", name, p,
                   ps.replicas.front(), ps.leader_epoch + 1);
        ps.leader = ps.replicas.front();
        ps.leader_epoch += 1;
      }
      if (ps != before) {
        ps.partition_epoch = before.partition_epoch + 1;
        records.push_back(PartitionChangeRecord{name, t.topic_id, p, ps});
      }
    }
  }
  if (!records.empty()) {
    auto st = commit_locked(std::move(records));
    if (!st) log().error("controller: cannot record leadership changes: {}", st.err().message);
  }
}

// --- committing and publishing ---

status Controller::commit_locked(std::vector<MetadataRecord> records) {
  if (!region_->is_controller(opts_.broker_id, epoch_)) {
    step_down_locked("another broker took over as controller");
    return make_error(errc::not_controller, "broker {} is no longer the controller",
                      opts_.broker_id);
  }
  MetadataImage next = image_;
  std::vector<JournalEntry> entries;
  for (auto& r : records) {
    JournalEntry e{epoch_, std::move(r)};
    if (!next.apply(e)) {
      return make_error(errc::unknown_server_error, "metadata change does not apply to the image");
    }
    entries.push_back(std::move(e));
  }
  auto st = journal_->append(entries);
  if (!st) {
    return make_error(errc::kafka_storage_error,
                      "cannot record the change in the metadata journal: {}", st.err().message);
  }
  image_ = std::move(next);
  publish_locked();
  return {};
}

void Controller::publish_locked() {
  if (!active_) return;
  PublishedImage pub;
  pub.version = (static_cast<int64_t>(epoch_) << 24) | static_cast<int64_t>(++publish_seq_);
  pub.controller_id = opts_.broker_id;
  pub.controller_epoch = epoch_;
  pub.metadata_version = image_.version;
  for (const auto& [id, _] : live_) pub.live_brokers.push_back(id);
  for (const auto& [_, t] : image_.topics) pub.topics.push_back(t);
  for (const auto& [id, configs] : image_.broker_configs) {
    pub.broker_configs.push_back({id, configs});
  }
  auto bytes = protocol::encode(pub, 0);
  if (!region_->publish_image(bytes, static_cast<uint64_t>(pub.version), opts_.broker_id, epoch_)) {
    if (bytes.size() > ipc::image_capacity) {
      log().error(
          "controller: the metadata image ({} bytes) exceeds the {} bytes of shared "
          "memory for it",
          bytes.size(), ipc::image_capacity);
    } else {
      step_down_locked("deposed while publishing");
    }
    return;
  }
  published_image_ = std::make_shared<const MetadataImage>(image_);
}

// --- requests ---

result<TopicState> Controller::create_topic(const NewTopicSpec& spec, bool validate_only) {
  SHOAL_TRY(validate_topic_name(spec.name));
  std::lock_guard lock(mu_);
  SHOAL_TRY(check_active_locked());
  std::vector<int32_t> brokers;
  for (const auto& [id, _] : live_) {
    if (eligible_locked(id)) brokers.push_back(id);
  }
  std::vector<std::vector<int32_t>> assignment = spec.assignment;
  if (!assignment.empty()) {
    if (spec.num_partitions != -1 || spec.replication_factor != -1) {
      return make_error(errc::invalid_request,
                        "give either a replica assignment or partitions and replication factor, "
                        "not both");
    }
    size_t rf = assignment.front().size();
    for (size_t p = 0; p < assignment.size(); ++p) {
      const auto& reps = assignment[p];
      std::set<int32_t> uniq(reps.begin(), reps.end());
      if (reps.empty() || reps.size() != rf || uniq.size() != reps.size()) {
        return make_error(errc::invalid_replica_assignment,
                          "partition {} has replicas {}: every partition needs the same number "
                          "of distinct replicas",
                          p, list(reps));
      }
      for (int32_t b : reps) {
        if (!contains(brokers, b)) {
          return make_error(errc::invalid_replica_assignment,
                            "partition {} names broker {}, which is not a live broker", p, b);
        }
      }
    }
  } else {
    int32_t partitions = spec.num_partitions == -1 ? opts_.default_partitions : spec.num_partitions;
    int16_t rf =
        spec.replication_factor == -1 ? opts_.default_replication_factor : spec.replication_factor;
    if (partitions < 1) {
      return make_error(errc::invalid_partitions, "Number of partitions must be larger than 0.");
    }
    if (rf < 1) {
      return make_error(errc::invalid_replication_factor,
                        "Replication factor must be larger than 0.");
    }
    if (static_cast<size_t>(rf) > brokers.size()) {
      return make_error(errc::invalid_replication_factor,
                        "Replication factor: {} larger than available brokers: {}.", rf,
                        brokers.size());
    }
    std::random_device rd;
    int32_t n = static_cast<int32_t>(brokers.size());
    assignment = assign_replicas(partitions, rf, brokers, static_cast<int32_t>(rd() % n),
                                 static_cast<int32_t>(rd() % n));
  }
  SHOAL_TRY(opts_.topic_defaults.with(spec.configs));
  if (image_.topic(spec.name) != nullptr) {
    return make_error(errc::topic_already_exists, "Topic '{}' already exists.", spec.name);
  }
  for (const auto& [name, _] : image_.topics) {
    if (topic_names_collide(name, spec.name)) {
      return make_error(errc::invalid_topic_exception,
                        "Topic '{}' collides with existing topic: {}", spec.name, name);
    }
  }
  TopicState t;
  t.name = spec.name;
  std::random_device rd;
  t.topic_id = (static_cast<int64_t>(rd()) << 31) ^ rd();
  t.configs = spec.configs;
  for (auto& reps : assignment) {
    PartitionState p;
    p.replicas = reps;
    p.isr = reps;
    p.leader = reps.front();
    t.partitions.push_back(std::move(p));
  }
  if (validate_only) return t;
  SHOAL_TRY(commit_locked({CreateTopicRecord{t}}));
  log().info("controller: created topic {} with {} partition(s), replication factor {}", t.name,
             t.partitions.size(), t.partitions.front().replicas.size());
  return t;
}

TopicConfig Controller::topic_defaults() const {
  std::lock_guard lock(mu_);
  return opts_.topic_defaults;
}

void Controller::set_topic_defaults(const TopicConfig& defaults) {
  std::lock_guard lock(mu_);
  opts_.topic_defaults = defaults;
}

status Controller::create_partitions(const std::string& topic, int32_t new_total,
                                     const std::vector<std::vector<int32_t>>& assignment,
                                     bool validate_only) {
  std::lock_guard lock(mu_);
  SHOAL_TRY(check_active_locked());
  const TopicState* t = image_.topic(topic);
  if (t == nullptr) {
    return make_error(errc::unknown_topic_or_partition, "The topic '{}' does not exist.", topic);
  }
  auto current = static_cast<int32_t>(t->partitions.size());
  if (new_total == current) {
    return make_error(errc::invalid_partitions, "Topic already has {} partitions.", current);
  }
  if (new_total < current) {
    return make_error(errc::invalid_partitions,
                      "Topic currently has {} partitions, which is higher than the requested {}.",
                      current, new_total);
  }
  std::vector<int32_t> brokers;
  for (const auto& [id, _] : live_) {
    if (eligible_locked(id)) brokers.push_back(id);
  }
  size_t rf = t->partitions.empty() ? 1 : t->partitions.front().replicas.size();
  std::vector<std::vector<int32_t>> added = assignment;
  if (!added.empty()) {
    if (static_cast<int32_t>(added.size()) != new_total - current) {
      return make_error(errc::invalid_replica_assignment,
                        "Increasing the number of partitions by {} but {} assignments provided.",
                        new_total - current, added.size());
    }
    for (size_t i = 0; i < added.size(); ++i) {
      const auto& reps = added[i];
      std::set<int32_t> uniq(reps.begin(), reps.end());
      if (reps.size() != rf || uniq.size() != reps.size()) {
        return make_error(errc::invalid_replica_assignment,
                          "new partition {} has replicas {}: it needs {} distinct replicas, as "
                          "the topic's other partitions have",
                          current + static_cast<int32_t>(i), list(reps), rf);
      }
      for (int32_t b : reps) {
        if (!contains(brokers, b)) {
          return make_error(errc::invalid_replica_assignment,
                            "new partition {} names broker {}, which is not a live broker",
                            current + static_cast<int32_t>(i), b);
        }
      }
    }
  } else {
    if (rf > brokers.size()) {
      return make_error(errc::invalid_replication_factor,
                        "Replication factor: {} larger than available brokers: {}.", rf,
                        brokers.size());
    }
    // Continue the topic's pattern as Kafka does: the start is where partition 0's first
    // replica sits among the brokers, and the new partitions are the tail of an assignment
    // of new_total partitions.
    auto n = static_cast<int32_t>(brokers.size());
    int32_t start = 0;
    if (!t->partitions.empty() && !t->partitions.front().replicas.empty()) {
      auto it = std::find(brokers.begin(), brokers.end(), t->partitions.front().replicas.front());
      if (it != brokers.end()) start = static_cast<int32_t>(it - brokers.begin());
    }
    std::random_device rd;
    auto all = assign_replicas(new_total, static_cast<int16_t>(rf), brokers, start,
                               static_cast<int32_t>(rd() % n));
    added.assign(all.begin() + current, all.end());
  }
  if (validate_only) return {};
  AddPartitionsRecord r{topic, t->topic_id, {}};
  for (auto& reps : added) {
    PartitionState p;
    p.replicas = reps;
    p.isr = reps;
    p.leader = reps.front();
    r.partitions.push_back(std::move(p));
  }
  SHOAL_TRY(commit_locked({std::move(r)}));
  log().info("controller: topic {} grown from {} to {} partitions", topic, current, new_total);
  return {};
}

namespace {

// Applies IncrementalAlterConfigs changes to a set of overrides. `effective` gives a key's
// current value (override or default) for APPEND / SUBTRACT on list keys.
result<string_map> apply_config_changes(
    string_map configs, const std::vector<ConfigChange>& changes,
    const std::function<std::string(const std::string&)>& effective,
    const std::function<bool(const std::string&)>& is_list) {
  std::set<std::string> seen;
  for (const auto& c : changes) {
    if (!seen.insert(c.name).second) {
      return make_error(errc::invalid_request, "config '{}' appears twice in the request", c.name);
    }
    auto split = [](const std::string& v) {
      std::vector<std::string> out;
      size_t start = 0;
      while (start <= v.size()) {
        size_t comma = v.find(',', start);
        std::string item = v.substr(start, comma == std::string::npos ? v.npos : comma - start);
        if (!item.empty()) out.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return out;
    };
    auto join = [](const std::vector<std::string>& items) {
      std::string out;
      for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
      return out;
    };
    switch (c.op) {
      case protocol::config_operation::set:
        if (!c.value) {
          return make_error(errc::invalid_config, "SET of '{}' needs a value", c.name);
        }
        configs[c.name] = *c.value;
        break;
      case protocol::config_operation::del:
        configs.erase(c.name);
        break;
      case protocol::config_operation::append:
      case protocol::config_operation::subtract: {
        if (!is_list(c.name)) {
          return make_error(errc::invalid_config,
                            "Config value append/subtract is not allowed for config key {}: "
                            "it is not a list",
                            c.name);
        }
        auto items = split(configs.count(c.name) ? configs[c.name] : effective(c.name));
        for (const auto& v : split(c.value.value_or(""))) {
          auto it = std::find(items.begin(), items.end(), v);
          if (c.op == protocol::config_operation::append && it == items.end()) items.push_back(v);
          if (c.op == protocol::config_operation::subtract && it != items.end()) items.erase(it);
        }
        configs[c.name] = join(items);
        break;
      }
      default:
        return make_error(errc::invalid_config, "unknown config operation {} for '{}'",
                          static_cast<int>(c.op), c.name);
    }
  }
  return configs;
}

}  // namespace

status Controller::alter_topic_configs(const std::string& topic,
                                       const std::vector<ConfigChange>& changes,
                                       bool validate_only) {
  std::lock_guard lock(mu_);
  SHOAL_TRY(check_active_locked());
  const TopicState* t = image_.topic(topic);
  if (t == nullptr) {
    return make_error(errc::unknown_topic_or_partition, "The topic '{}' does not exist.", topic);
  }
  std::map<std::string, std::string> types;
  for (const auto& d : topic_config_definitions()) types[d.name] = d.type;
  for (const auto& c : changes) {
    if (!types.count(c.name)) {
      return make_error(errc::invalid_config, "Unknown topic config name: {}", c.name);
    }
  }
  const TopicConfig defaults = opts_.topic_defaults;
  SHOAL_ASSIGN_OR_RETURN(string_map configs,
                         apply_config_changes(
                             t->configs, changes,
                             [&](const std::string& k) {
                               auto cfg = defaults.with(t->configs);
                               return cfg ? cfg->get(k) : std::string();
                             },
                             [&](const std::string& k) { return types[k] == "list"; }));
  SHOAL_TRY(opts_.topic_defaults.with(configs));
  if (validate_only || configs == t->configs) return {};
  SHOAL_TRY(commit_locked({TopicConfigRecord{topic, t->topic_id, configs}}));
  std::string shown;
  for (const auto& [k, v] : configs) shown += (shown.empty() ? "" : ",") + k + "=" + v;
  log().info("controller: topic {} configs now {{{}}}", topic, shown);
  return {};
}

status Controller::alter_broker_configs(int32_t broker_id, const std::vector<ConfigChange>& changes,
                                        const std::function<status(const string_map&)>& validate,
                                        bool validate_only) {
  std::lock_guard lock(mu_);
  SHOAL_TRY(check_active_locked());
  string_map current;
  if (auto it = image_.broker_configs.find(broker_id); it != image_.broker_configs.end()) {
    current = it->second;
  }
  SHOAL_ASSIGN_OR_RETURN(string_map configs,
                         apply_config_changes(
                             current, changes, [](const std::string&) { return std::string(); },
                             [](const std::string& k) { return k == "log.cleanup.policy"; }));
  SHOAL_TRY(validate(configs));
  if (validate_only || configs == current) return {};
  SHOAL_TRY(commit_locked({BrokerConfigRecord{broker_id, configs}}));
  log().info("controller: dynamic configs of {} changed",
             broker_id < 0 ? std::string("every broker") : "broker " + std::to_string(broker_id));
  return {};
}

result<std::vector<std::tuple<std::string, int32_t, errc>>> Controller::elect_leaders(
    bool preferred, const std::vector<std::pair<std::string, int32_t>>& partitions) {
  std::lock_guard lock(mu_);
  SHOAL_TRY(check_active_locked());
  std::vector<std::pair<std::string, int32_t>> asked = partitions;
  if (asked.empty()) {
    for (const auto& [name, t] : image_.topics) {
      for (size_t i = 0; i < t.partitions.size(); ++i) {
        asked.emplace_back(name, static_cast<int32_t>(i));
      }
    }
  }
  std::vector<std::tuple<std::string, int32_t, errc>> out;
  std::vector<MetadataRecord> records;
  for (const auto& [name, p] : asked) {
    const TopicState* t = image_.topic(name);
    if (t == nullptr || p < 0 || static_cast<size_t>(p) >= t->partitions.size()) {
      out.emplace_back(name, p, errc::unknown_topic_or_partition);
      continue;
    }
    PartitionState ps = t->partitions[static_cast<size_t>(p)];
    int32_t leader = -1;
    if (preferred) {
      int32_t want = ps.replicas.empty() ? -1 : ps.replicas.front();
      if (want >= 0 && ps.leader == want) {
        out.emplace_back(name, p, errc::election_not_needed);
        continue;
      }
      if (want < 0 || !contains(ps.isr, want) || !eligible_locked(want)) {
        out.emplace_back(name, p, errc::preferred_leader_not_available);
        continue;
      }
      leader = want;
    } else {
      if (ps.leader >= 0 && eligible_locked(ps.leader)) {
        out.emplace_back(name, p, errc::election_not_needed);
        continue;
      }
      // An in-sync replica first; else any live one, which loses what it lacks.
      for (int32_t r : ps.replicas) {
        if (contains(ps.isr, r) && eligible_locked(r)) {
          leader = r;
          break;
        }
      }
      if (leader < 0) {
        for (int32_t r : ps.replicas) {
          if (eligible_locked(r)) {
            log().warn(
                "controller: UNCLEAN leader election for {}/{} asked by an admin: broker {} "
                "leads although it is not in sync; records it lacks are lost",
                name, p, r);
            leader = r;
            ps.isr = {r};
            break;
          }
        }
      }
      if (leader < 0) {
        out.emplace_back(name, p, errc::eligible_leaders_not_available);
        continue;
      }
    }
    log().info("controller: {}/{} leader {} -> {} (epoch {}) by {} election", name, p, ps.leader,
               leader, ps.leader_epoch + 1, preferred ? "preferred" : "unclean");
    ps.leader = leader;
    ps.leader_epoch += 1;
    ps.partition_epoch += 1;
    records.push_back(PartitionChangeRecord{name, t->topic_id, p, ps});
    out.emplace_back(name, p, errc::none);
  }
  if (!records.empty()) SHOAL_TRY(commit_locked(std::move(records)));
  return out;
}

status Controller::delete_topic(const std::string& name) {
  std::lock_guard lock(mu_);
  SHOAL_TRY(check_active_locked());
  const TopicState* t = image_.topic(name);
  if (t == nullptr) {
    return make_error(errc::unknown_topic_or_partition,
                      "This server does not host this topic-partition.");
  }
  SHOAL_TRY(commit_locked({DeleteTopicRecord{name, t->topic_id}}));
  log().info("controller: deleted topic {}", name);
  return {};
}

result<protocol::AlterPartitionResponse> Controller::alter_partition(
    const protocol::AlterPartitionRequest& r) {
  std::lock_guard lock(mu_);
  SHOAL_TRY(check_active_locked());
  protocol::AlterPartitionResponse resp;
  std::vector<MetadataRecord> records;
  for (const auto& tr : r.topics) {
    auto& out_t = resp.topics.emplace_back();
    out_t.topic_name = tr.topic_name;
    const TopicState* t = image_.topic(tr.topic_name);
    for (const auto& pr : tr.partitions) {
      auto& out = out_t.partitions.emplace_back();
      out.partition_index = pr.partition_index;
      int32_t p = pr.partition_index();
      if (t == nullptr || p < 0 || p >= static_cast<int32_t>(t->partitions.size())) {
        out.error_code = errc::unknown_topic_or_partition;
        continue;
      }
      PartitionState ps = t->partitions[static_cast<size_t>(p)];
      auto fill = [&](const PartitionState& s) {
        out.leader_id = node_id(s.leader);
        out.leader_epoch = leader_epoch(s.leader_epoch);
        out.isr.clear();
        for (int32_t x : s.isr) out.isr.push_back(node_id(x));
        out.partition_epoch = s.partition_epoch;
      };
      fill(ps);
      if (ps.leader != r.broker_id()) {
        out.error_code = errc::not_leader_or_follower;
        continue;
      }
      if (pr.leader_epoch() != ps.leader_epoch) {
        out.error_code = errc::fenced_leader_epoch;
        continue;
      }
      if (pr.partition_epoch != ps.partition_epoch) {
        out.error_code = errc::invalid_update_version;
        continue;
      }
      std::vector<int32_t> isr;
      bool ok = true;
      for (auto x : pr.new_isr) {
        if (!contains(ps.replicas, x()) || (!eligible_locked(x()) && !contains(ps.isr, x())))
          ok = false;
        if (!contains(isr, x())) isr.push_back(x());
      }
      if (!ok || !contains(isr, ps.leader)) {
        out.error_code = errc::ineligible_replica;
        continue;
      }
      if (isr == ps.isr) continue;
      log().info("controller: {}/{} ISR {} -> {} (asked by leader {})", tr.topic_name, p,
                 list(ps.isr), list(isr), ps.leader);
      ps.isr = isr;
      ps.partition_epoch += 1;
      fill(ps);
      records.push_back(PartitionChangeRecord{tr.topic_name, t->topic_id, p, ps});
    }
  }
  if (!records.empty()) SHOAL_TRY(commit_locked(std::move(records)));
  return resp;
}

result<std::pair<int64_t, int16_t>> Controller::init_producer_id(int64_t producer_id,
                                                                 int16_t epoch) {
  std::lock_guard lock(mu_);
  SHOAL_TRY(check_active_locked());
  if (producer_id >= 0 && producer_id < image_.next_producer_id && epoch >= 0 &&
      epoch < INT16_MAX) {
    return std::make_pair(producer_id, static_cast<int16_t>(epoch + 1));
  }
  if (producer_id_next_ >= producer_id_end_) {
    int64_t first = image_.next_producer_id;
    SHOAL_TRY(commit_locked({ProducerIdsRecord{opts_.broker_id, first + producer_id_block_size}}));
    producer_id_next_ = first;
    producer_id_end_ = first + producer_id_block_size;
    log().info("controller: producer ids [{}, {}) taken for idempotent producers", first,
               producer_id_end_);
  }
  return std::make_pair(producer_id_next_++, static_cast<int16_t>(0));
}

result<protocol::ControlledShutdownResponse> Controller::controlled_shutdown(int32_t broker) {
  std::lock_guard lock(mu_);
  SHOAL_TRY(check_active_locked());
  auto it = live_.find(broker);
  if (it != live_.end()) shutting_down_.insert({broker, it->second});
  protocol::ControlledShutdownResponse resp;
  std::vector<MetadataRecord> records;
  for (const auto& [name, t] : image_.topics) {
    for (size_t i = 0; i < t.partitions.size(); ++i) {
      PartitionState ps = t.partitions[i];
      const PartitionState before = ps;
      int32_t p = static_cast<int32_t>(i);
      if (ps.leader == broker) {
        int32_t next = -1;
        for (int32_t r : ps.replicas) {
          if (r != broker && contains(ps.isr, r) && eligible_locked(r)) {
            next = r;
            break;
          }
        }
        if (next < 0) {
          resp.remaining_partitions.push_back({name, partition_id(p)});
          continue;
        }
        ps.leader = next;
        ps.leader_epoch += 1;
        std::erase(ps.isr, broker);
        log().info("controller: {}/{} leader {} -> {} (epoch {}) for a controlled shutdown", name,
                   p, broker, next, ps.leader_epoch);
      } else if (contains(ps.isr, broker) && ps.isr.size() > 1) {
        std::erase(ps.isr, broker);
      }
      if (ps != before) {
        ps.partition_epoch = before.partition_epoch + 1;
        records.push_back(PartitionChangeRecord{name, t.topic_id, p, ps});
      }
    }
  }
  if (!records.empty()) SHOAL_TRY(commit_locked(std::move(records)));
  return resp;
}

}  // namespace shoal::cluster
