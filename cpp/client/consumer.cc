#include "client/consumer.h"

#include "client/group_member.h"

#include <algorithm>

#include "common/logger.h"
#include "ipc/process.h"

namespace shoal::client {

namespace {

// A ListOffsets request from a consumer (replica id -1: Kafka's default, 0, is a broker's).
protocol::ListOffsetsRequest list_offsets_request() {
  protocol::ListOffsetsRequest req;
  req.replica_id = node_id(-1);
  return req;
}

void add_list_offsets(protocol::ListOffsetsRequest& req, const std::string& topic,
                      int32_t partition, int64_t timestamp) {
  auto t = std::find_if(req.topics.begin(), req.topics.end(),
                        [&](const auto& x) { return x.name == topic; });
  if (t == req.topics.end()) {
    t = req.topics.emplace(req.topics.end());
    t->name = topic;
  }
  auto& p = t->partitions.emplace_back();
  p.partition_index = partition_id(partition);
  p.timestamp = timestamp_ms(timestamp);
}

spdlog::logger& log() {
  return logger("client");
}

bool leader_error(errc e) {
  return e == errc::not_leader_or_follower || e == errc::unknown_topic_or_partition ||
         e == errc::leader_not_available || e == errc::fenced_leader_epoch ||
         e == errc::unknown_leader_epoch || e == errc::kafka_storage_error ||
         e == errc::transport || e == errc::timed_out || e == errc::all_brokers_down;
}

// Decodes fetched batches into records at or after `from`. Returns the offset after the last
// batch (where the next fetch starts), or `from` if there was none.
int64_t decode_records(const std::shared_ptr<const std::string>& topic, int32_t partition,
                       const std::shared_ptr<const storage::bytes>& data, int64_t from,
                       bool check_crcs, std::deque<ConsumedRecord>& out, std::string* error) {
  namespace bf = storage::batch_format;
  int64_t next = from;
  size_t pos = 0;
  const storage::bytes& buf = *data;
  while (pos + bf::log_overhead <= buf.size()) {
    int64_t len = load_be<int32_t>(buf.data() + pos + bf::batch_length_pos);
    size_t total = static_cast<size_t>(len) + bf::log_overhead;
    if (len < static_cast<int64_t>(bf::header_size - bf::log_overhead) ||
        pos + total > buf.size()) {
      break;  // a partial batch at the end of a response: fetched again next time
    }
    storage::bytes_view batch(buf.data() + pos, total);
    pos += total;
    if (check_crcs) {
      auto v = storage::validate_batch(batch);
      if (!v) {
        *error = v.err().message;
        return next;
      }
    }
    storage::RecordBatchView v(batch);
    if (v.next_offset()() <= from) continue;
    next = std::max(next, v.next_offset()());
    if (v.is_control()) continue;
    std::shared_ptr<const storage::bytes> holder = data;
    storage::bytes scratch;
    if (v.codec() != storage::compression::none) {
      auto owned = std::make_shared<storage::bytes>();
      auto st = storage::decompress(v.codec(), v.records_data(), *owned, 256u << 20);
      if (!st) {
        *error = fmt::format("batch at offset {}: {}", v.base_offset(), st.err().message);
        return next;
      }
      holder = owned;
    }
    const uint8_t* p =
        v.codec() == storage::compression::none ? v.records_data().data() : holder->data();
    const uint8_t* end = v.codec() == storage::compression::none ? p + v.records_data().size()
                                                                 : holder->data() + holder->size();
    bool append_time = v.ts_type() == storage::timestamp_type::log_append_time;
    for (int32_t i = 0; i < v.records_count(); ++i) {
      storage::RecordView r;
      if (!storage::parse_record(&p, end, r)) {
        *error = fmt::format("batch at offset {}: record {} is malformed", v.base_offset(), i);
        return next;
      }
      int64_t off = v.base_offset()() + r.offset_delta;
      if (off < from) continue;
      ConsumedRecord& c = out.emplace_back();
      c.topic = topic;
      c.partition = partition;
      c.offset = off;
      c.timestamp = append_time ? v.max_timestamp() : v.base_timestamp() + r.timestamp_delta;
      c.timestamp_type = append_time ? 2 : 1;
      c.key_null = r.key_null;
      c.key = r.key;
      c.value_null = r.value_null;
      c.value = r.value;
      c.header_count = r.header_count;
      c.headers = r.headers_data;
      c.holder = holder;
    }
  }
  return next;
}

}  // namespace

result<std::unique_ptr<Consumer>> Consumer::create(const ClientConfig& config) {
  SHOAL_ASSIGN_OR_RETURN(auto cluster, ClusterClient::connect(config));
  auto c = std::unique_ptr<Consumer>(new Consumer(config, std::move(cluster)));
  if (!config.group_id.empty()) {
    Consumer* raw = c.get();
    c->group_ =
        std::make_unique<GroupMember>(config, c->cluster_, [raw] { return raw->stored_offsets(); });
  }
  c->fetcher_ = std::thread([raw = c.get()] { raw->fetch_loop(); });
  return c;
}

Consumer::Consumer(const ClientConfig& config, std::shared_ptr<ClusterClient> cluster)
    : config_(config), cluster_(std::move(cluster)) {}

Consumer::~Consumer() {
  close();
}

void Consumer::close() {
  {
    std::lock_guard lock(mu_);
    if (closing_) return;
  }
  // Commits (enable.auto.commit) and leaves the group while the fetcher still runs.
  if (group_) group_->close();
  {
    std::lock_guard lock(mu_);
    if (closing_) return;
    closing_ = true;
  }
  fetch_cv_.notify_all();
  data_cv_.notify_all();
  if (fetcher_.joinable()) fetcher_.join();
  cluster_->close();
}

status Consumer::assign(const std::vector<TopicPartitionOffset>& parts) {
  std::lock_guard lock(mu_);
  std::map<key, PartitionState> next;
  for (const auto& tpo : parts) {
    if (tpo.partition < 0) {
      return make_error(errc::invalid_arg, "partition of {} must be >= 0, not {}", tpo.topic,
                        tpo.partition);
    }
    PartitionState ps;
    auto old = partitions_.find({tpo.topic, tpo.partition});
    (void)old;
    ps.generation = ++generations_;  // never reused: a stale fetch cannot match it
    ps.topic = std::make_shared<const std::string>(tpo.topic);
    ps.partition = tpo.partition;
    ps.fetch_offset = tpo.offset;
    ps.position = tpo.offset >= 0 ? tpo.offset : offset_invalid;
    next[{tpo.topic, tpo.partition}] = std::move(ps);
  }
  partitions_ = std::move(next);
  queue_.clear();
  queued_bytes_ = 0;
  fetch_cv_.notify_all();
  return {};
}

void Consumer::unassign() {
  std::lock_guard lock(mu_);
  partitions_.clear();
  stored_.clear();
  queue_.clear();
  queued_bytes_ = 0;
}

status Consumer::incremental_assign(const std::vector<TopicPartitionOffset>& parts) {
  std::lock_guard lock(mu_);
  for (const auto& tpo : parts) {
    if (tpo.partition < 0) {
      return make_error(errc::invalid_arg, "partition of {} must be >= 0, not {}", tpo.topic,
                        tpo.partition);
    }
    if (partitions_.count({tpo.topic, tpo.partition})) {
      return make_error(errc::conflict, "{} [{}] is already assigned", tpo.topic, tpo.partition);
    }
  }
  for (const auto& tpo : parts) {
    PartitionState ps;
    ps.generation = ++generations_;
    ps.topic = std::make_shared<const std::string>(tpo.topic);
    ps.partition = tpo.partition;
    ps.fetch_offset = tpo.offset;
    ps.position = tpo.offset >= 0 ? tpo.offset : offset_invalid;
    partitions_[{tpo.topic, tpo.partition}] = std::move(ps);
  }
  fetch_cv_.notify_all();
  return {};
}

void Consumer::incremental_unassign(const std::vector<TopicPartitionOffset>& parts) {
  std::lock_guard lock(mu_);
  for (const auto& tpo : parts) {
    partitions_.erase({tpo.topic, tpo.partition});
    stored_.erase({tpo.topic, tpo.partition});
  }
  // Read-ahead of removed partitions is dropped by consume() (no partition state).
}

void Consumer::set_paused(const std::vector<TopicPartitionOffset>& parts, bool paused) {
  std::lock_guard lock(mu_);
  for (const auto& tpo : parts) {
    auto it = partitions_.find({tpo.topic, tpo.partition});
    if (it == partitions_.end() || it->second.paused == paused) continue;
    auto& ps = it->second;
    ps.paused = paused;
    if (paused && ps.position >= 0) {
      // Read-ahead is dropped; resume() fetches again from the position, so the application
      // gets nothing of a paused partition, as from librdkafka.
      ps.generation = ++generations_;
      ps.fetch_offset = ps.position;
      ps.in_flight = false;
      ps.queued_bytes = 0;
    }
  }
  fetch_cv_.notify_all();
}

result<std::vector<TopicPartitionOffset>> Consumer::offsets_for_times(
    const std::vector<TopicPartitionOffset>& parts, int64_t timeout_ms) {
  std::vector<TopicPartitionOffset> out;
  for (const auto& tpo : parts) {
    if (tpo.offset < 0) {
      return make_error(errc::invalid_arg, "{} [{}]: the timestamp must be >= 0, not {}", tpo.topic,
                        tpo.partition, tpo.offset);
    }
    auto md = cluster_->fetch_metadata(std::vector<std::string>{tpo.topic}, false, timeout_ms);
    if (!md) return md.err();
    auto t = md->topics.find(tpo.topic);
    if (t == md->topics.end() || t->second.error != errc::none) {
      errc code = t == md->topics.end() ? errc::unknown_topic_or_partition : t->second.error;
      return make_error(code, "{}: {}", tpo.topic, errc_description(code));
    }
    if (tpo.partition < 0 || static_cast<size_t>(tpo.partition) >= t->second.partitions.size()) {
      return make_error(errc::unknown_partition, "Local: Unknown partition: {} [{}]", tpo.topic,
                        tpo.partition);
    }
    int32_t leader = t->second.partitions[static_cast<size_t>(tpo.partition)].leader;
    protocol::ListOffsetsRequest req = list_offsets_request();
    add_list_offsets(req, tpo.topic, tpo.partition, tpo.offset);
    auto resp = cluster_->call<protocol::ListOffsetsRequest, protocol::ListOffsetsResponse>(
        leader, req, timeout_ms);
    if (!resp) return resp.err();
    const auto& p = resp->topics.at(0).partitions.at(0);
    if (p.error_code != errc::none) {
      return make_error(p.error_code, "{}", errc_description(p.error_code));
    }
    // The first offset whose timestamp is >= the one asked for; -1 (OFFSET_END) if none.
    out.push_back({tpo.topic, tpo.partition, p.offset()});
  }
  return out;
}

status Consumer::subscribe(const std::vector<std::string>& topics) {
  if (!group_) {
    return make_error(errc::invalid_arg,
                      "subscribe() needs group.id in the consumer's configuration");
  }
  if (topics.empty()) return make_error(errc::invalid_arg, "subscribe() needs at least one topic");
  return group_->subscribe(topics);
}

void Consumer::unsubscribe() {
  if (group_) group_->unsubscribe();
}

std::map<TopicPartition, int64_t> Consumer::stored_offsets() const {
  std::lock_guard lock(mu_);
  std::map<TopicPartition, int64_t> out;
  for (const auto& [k, off] : stored_) out[{k.first, k.second}] = off;
  return out;
}

status Consumer::store_offset(const std::string& topic, int32_t partition, int64_t offset) {
  std::lock_guard lock(mu_);
  if (!partitions_.count({topic, partition})) {
    return make_error(errc::state, "Local: Erroneous state: {} [{}] is not assigned", topic,
                      partition);
  }
  stored_[{topic, partition}] = offset;
  return {};
}

result<std::map<TopicPartition, errc>> Consumer::commit(
    const std::optional<std::map<TopicPartition, int64_t>>& offsets, int64_t timeout_ms) {
  if (!group_) {
    return make_error(errc::invalid_arg, "commit() needs group.id in the consumer's configuration");
  }
  auto what = offsets ? *offsets : stored_offsets();
  if (what.empty()) return make_error(errc::no_offset, "Local: No offset stored");
  return group_->commit(what, timeout_ms);
}

result<std::map<TopicPartition, int64_t>> Consumer::committed(
    const std::vector<TopicPartition>& parts, int64_t timeout_ms) {
  if (!group_) {
    return make_error(errc::invalid_arg,
                      "committed() needs group.id in the consumer's configuration");
  }
  return group_->committed(parts, timeout_ms);
}

std::vector<TopicPartitionOffset> Consumer::assignment() const {
  std::lock_guard lock(mu_);
  std::vector<TopicPartitionOffset> out;
  for (const auto& [k, ps] : partitions_) out.push_back({k.first, k.second, ps.position});
  return out;
}

status Consumer::seek(const std::string& topic, int32_t partition, int64_t offset) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find({topic, partition});
  if (it == partitions_.end()) {
    return make_error(errc::state, "Local: Erroneous state: {} [{}] is not assigned", topic,
                      partition);
  }
  auto& ps = it->second;
  ps.generation = ++generations_;
  ps.fetch_offset = offset;
  ps.position = offset >= 0 ? offset : offset_invalid;
  ps.eof_reported = false;
  ps.in_flight = false;  // an answer to the old fetch carries the old generation
  std::erase_if(queue_, [&](const Chunk& c) {
    bool drop = c.topic == topic && c.partition == partition;
    if (drop) queued_bytes_ -= c.bytes;
    return drop;
  });
  ps.queued_bytes = 0;
  fetch_cv_.notify_all();
  return {};
}

int64_t Consumer::position(const std::string& topic, int32_t partition) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find({topic, partition});
  return it == partitions_.end() ? offset_invalid : it->second.position;
}

void Consumer::push_event_locked(PartitionState& ps, errc code, std::string message) {
  Chunk c{*ps.topic, ps.partition, ps.generation, {}, 0};
  ConsumedRecord& r = c.records.emplace_back();
  r.topic = ps.topic;
  r.partition = ps.partition;
  r.offset = ps.fetch_offset >= 0 ? ps.fetch_offset : -1;
  r.error = code;
  r.error_message = std::move(message);
  queue_.push_back(std::move(c));
}

void Consumer::resolve_offsets() {
  if (group_) {
    // Partitions starting from the group's committed offset.
    std::vector<TopicPartition> want;
    {
      std::lock_guard lock(mu_);
      for (const auto& [k, ps] : partitions_) {
        if ((ps.fetch_offset == offset_stored || ps.fetch_offset == offset_invalid) &&
            !ps.in_flight) {
          want.push_back({k.first, k.second});
        }
      }
    }
    if (!want.empty()) {
      auto got = group_->committed(want, config_.request_timeout_ms);
      std::lock_guard lock(mu_);
      if (got) {
        for (const auto& [tp, off] : *got) {
          auto it = partitions_.find({tp.topic, tp.partition});
          if (it == partitions_.end()) continue;
          auto& ps = it->second;
          if (ps.fetch_offset != offset_stored && ps.fetch_offset != offset_invalid) continue;
          if (off >= 0) {
            ps.fetch_offset = off;
            if (ps.position < 0) ps.position = off;
          } else {
            ps.fetch_offset = offset_invalid - 2;  // nothing committed: auto.offset.reset
          }
        }
      } else {
        return;  // no coordinator yet: try again on the next round
      }
    }
  }
  std::map<int32_t, protocol::ListOffsetsRequest> requests;
  {
    std::lock_guard lock(mu_);
    for (auto& [k, ps] : partitions_) {
      if (ps.fetch_offset >= 0 || ps.in_flight) continue;
      int64_t ts = ps.fetch_offset;
      if (ts != offset_beginning && ts != offset_end) {
        // No stored offsets without a group: auto.offset.reset decides.
        if (config_.auto_offset_reset == "error") {
          if (ps.fetch_offset != offset_invalid - 1) {
            push_event_locked(ps, errc::auto_offset_reset,
                              fmt::format("no initial offset for {} [{}] and auto.offset.reset is "
                                          "error",
                                          k.first, k.second));
            ps.fetch_offset = offset_invalid - 1;  // reported; wait for a seek
            data_cv_.notify_all();
          }
          continue;
        }
        ts = config_.auto_offset_reset == "smallest" ? offset_beginning : offset_end;
      }
      auto info = cluster_->cached_topic(k.first);
      if (!info || static_cast<size_t>(k.second) >= info->partitions.size() ||
          info->partitions[static_cast<size_t>(k.second)].leader < 0) {
        continue;
      }
      int32_t leader = info->partitions[static_cast<size_t>(k.second)].leader;
      auto [it, fresh] = requests.try_emplace(leader, list_offsets_request());
      add_list_offsets(it->second, k.first, k.second, ts);
    }
  }
  for (auto& [leader, req] : requests) {
    auto resp = cluster_->call<protocol::ListOffsetsRequest, protocol::ListOffsetsResponse>(
        leader, req, config_.request_timeout_ms);
    std::lock_guard lock(mu_);
    if (!resp) {
      for (const auto& t : req.topics) cluster_->invalidate(t.name);
      continue;
    }
    for (const auto& t : resp->topics) {
      for (const auto& p : t.partitions) {
        auto it = partitions_.find({t.name, p.partition_index()});
        if (it == partitions_.end() || it->second.fetch_offset >= 0) continue;
        if (p.error_code != errc::none) {
          if (leader_error(p.error_code)) cluster_->invalidate(t.name);
          continue;
        }
        it->second.fetch_offset = p.offset();
        if (it->second.position < 0) it->second.position = p.offset();
      }
    }
    fetch_cv_.notify_all();
  }
}

void Consumer::fetch_loop() {
  int64_t last_metadata = 0;
  while (true) {
    cluster_->drop_fenced_brokers();
    bool need_resolve = false;
    std::set<std::string> need_metadata;
    std::map<int32_t, protocol::FetchRequest> requests;
    std::map<int32_t, std::map<key, uint64_t>> generations;
    std::map<protocol::uuid, std::string> names;  // Fetch v13 names topics by id
    {
      std::unique_lock lock(mu_);
      fetch_cv_.wait_for(lock, std::chrono::milliseconds(20));
      if (closing_) return;
      int64_t now = ipc::monotonic_ms();
      size_t limit = static_cast<size_t>(config_.queued_max_messages_kbytes) * 1024;
      for (auto& [k, ps] : partitions_) {
        auto info = cluster_->cached_topic(k.first);
        if (!info) {
          need_metadata.insert(k.first);
          continue;
        }
        if (ps.fetch_offset < 0) {
          if (ps.fetch_offset != offset_invalid - 1) need_resolve = true;
          continue;
        }
        if (ps.paused || ps.in_flight || now < ps.retry_after_ms || queued_bytes_ >= limit) {
          continue;
        }
        if (static_cast<size_t>(k.second) >= info->partitions.size()) {
          if (ps.retry_after_ms == 0 || now >= ps.retry_after_ms) {
            push_event_locked(
                ps, errc::unknown_partition,
                fmt::format("Local: Unknown partition: {} has no partition {}", k.first, k.second));
            ps.retry_after_ms = now + 5'000;
            data_cv_.notify_all();
          }
          continue;
        }
        int32_t leader = info->partitions[static_cast<size_t>(k.second)].leader;
        if (leader < 0) {
          need_metadata.insert(k.first);
          continue;
        }
        if (leaders_in_flight_.count(leader)) continue;
        auto& req = requests[leader];
        req.max_wait_ms = static_cast<int32_t>(config_.fetch_wait_max_ms);
        req.min_bytes = config_.fetch_min_bytes;
        req.max_bytes = config_.fetch_max_bytes;
        req.isolation_level = config_.isolation_level == "read_committed"
                                  ? protocol::isolation_level::read_committed
                                  : protocol::isolation_level::read_uncommitted;
        auto t = std::find_if(req.topics.begin(), req.topics.end(),
                              [&](const auto& x) { return x.topic == k.first; });
        if (t == req.topics.end()) {
          t = req.topics.emplace(req.topics.end());
          t->topic = k.first;            // up to version 12
          t->topic_id = info->topic_id;  // from version 13
          names[info->topic_id] = k.first;
        }
        auto& fp = t->partitions.emplace_back();
        fp.partition = partition_id(k.second);
        fp.fetch_offset = offset(ps.fetch_offset);
        fp.partition_max_bytes = config_.max_partition_fetch_bytes;
        generations[leader][k] = ps.generation;
      }
      for (auto& [leader, gens] : generations) {
        leaders_in_flight_.insert(leader);
        for (auto& [k, g] : gens) partitions_[k].in_flight = true;
      }
    }
    int64_t now = ipc::monotonic_ms();
    if (!need_metadata.empty() && now - last_metadata >= config_.retry_backoff_ms) {
      last_metadata = now;
      auto md = cluster_->fetch_metadata(
          std::vector<std::string>(need_metadata.begin(), need_metadata.end()), false,
          config_.request_timeout_ms);
      if (md) {
        std::lock_guard lock(mu_);
        for (const auto& [name, t] : md->topics) {
          if (t.error == errc::none) continue;
          for (auto& [k, ps] : partitions_) {
            if (k.first != name || now < ps.retry_after_ms) continue;
            push_event_locked(
                ps, t.error,
                t.error_message.empty() ? std::string(errc_description(t.error)) : t.error_message);
            ps.retry_after_ms = now + 5'000;
          }
          data_cv_.notify_all();
        }
      }
    }
    if (need_resolve) resolve_offsets();
    for (auto& [leader, req] : requests) {
      auto gens = generations[leader];
      auto st = cluster_->send<protocol::FetchRequest, protocol::FetchResponse>(
          leader, req, config_.fetch_wait_max_ms + config_.request_timeout_ms,
          [this, leader, gens, names](result<protocol::FetchResponse> r) {
            handle_fetch(leader, gens, names, std::move(r));
          });
      if (!st) handle_fetch(leader, gens, names, st.err());
    }
  }
}

void Consumer::handle_fetch(int32_t leader, std::map<key, uint64_t> generations,
                            const std::map<protocol::uuid, std::string>& names,
                            result<protocol::FetchResponse> resp) {
  int64_t now = ipc::monotonic_ms();
  std::unique_lock lock(mu_);
  leaders_in_flight_.erase(leader);
  if (closing_) return;
  if (!resp) {
    for (auto& [k, g] : generations) {
      auto it = partitions_.find(k);
      if (it == partitions_.end() || it->second.generation != g) continue;
      it->second.in_flight = false;
      it->second.retry_after_ms = now + config_.retry_backoff_ms;
      cluster_->invalidate(k.first);
    }
    log().debug("fetch from broker {} failed: {}", leader, resp.err().message);
    fetch_cv_.notify_all();
    return;
  }
  bool data = false;
  for (auto& t : resp->responses) {
    std::string name = t.topic;
    if (auto n = names.find(t.topic_id); name.empty() && n != names.end()) name = n->second;
    for (auto& p : t.partitions) {
      key k{name, p.partition_index()};
      auto it = partitions_.find(k);
      auto g = generations.find(k);
      if (it == partitions_.end() || g == generations.end() || it->second.generation != g->second) {
        continue;  // unassigned or sought since this fetch was sent
      }
      PartitionState& ps = it->second;
      ps.in_flight = false;
      if (p.error_code != errc::none) {
        if (p.error_code == errc::offset_out_of_range) {
          if (config_.auto_offset_reset == "error") {
            push_event_locked(ps, errc::auto_offset_reset,
                              fmt::format("offset {} is out of range for {} [{}] and "
                                          "auto.offset.reset is error",
                                          ps.fetch_offset, k.first, k.second));
            ps.fetch_offset = offset_invalid - 1;
            data = true;
          } else {
            ps.fetch_offset =
                config_.auto_offset_reset == "smallest" ? offset_beginning : offset_end;
          }
        } else if (leader_error(p.error_code)) {
          cluster_->invalidate(k.first);
          ps.retry_after_ms = now + config_.retry_backoff_ms;
        } else {
          push_event_locked(ps, p.error_code,
                            p.error_message.value_or(std::string(errc_description(p.error_code))));
          ps.retry_after_ms = now + config_.retry_backoff_ms;
          data = true;
        }
        continue;
      }
      ps.high_watermark = p.high_watermark();
      ps.low_watermark = p.log_start_offset();
      std::deque<ConsumedRecord> records;
      std::string error;
      int64_t next = ps.fetch_offset;
      if (p.records && !p.records->empty()) {
        auto holder = std::make_shared<const storage::bytes>(std::move(*p.records));
        lock.unlock();  // decoding takes a while; the generation check below covers changes
        next = decode_records(ps.topic, k.second, holder, ps.fetch_offset, config_.check_crcs,
                              records, &error);
        lock.lock();
        if (closing_) return;
        auto again = partitions_.find(k);
        if (again == partitions_.end() || again->second.generation != g->second) continue;
      }
      PartitionState& cur = partitions_[k];
      if (!error.empty()) {
        push_event_locked(cur, errc::bad_msg, error);
        cur.retry_after_ms = now + config_.retry_backoff_ms;
        data = true;
      }
      cur.fetch_offset = next;
      if (!records.empty()) {
        size_t bytes = 0;
        for (const auto& r : records) bytes += r.key.size() + r.value.size() + 64;
        queue_.push_back(Chunk{k.first, k.second, cur.generation, std::move(records), bytes});
        queued_bytes_ += bytes;
        cur.eof_reported = false;
        data = true;
      }
      if (config_.enable_partition_eof && !cur.eof_reported && cur.high_watermark >= 0 &&
          cur.fetch_offset >= cur.high_watermark) {
        Chunk c{k.first, k.second, cur.generation, {}, 0};
        ConsumedRecord& r = c.records.emplace_back();
        r.topic = cur.topic;
        r.partition = k.second;
        r.offset = cur.fetch_offset;
        r.error = errc::partition_eof;
        r.error_message = fmt::format(
            "Fetch from broker {} reached end of partition at offset {} "
            "(HighwaterMark {})",
            leader, cur.fetch_offset, cur.high_watermark);
        queue_.push_back(std::move(c));
        cur.eof_reported = true;
        data = true;
      }
    }
  }
  // Partitions the response left out are fetched again.
  for (auto& [k, g] : generations) {
    auto it = partitions_.find(k);
    if (it != partitions_.end() && it->second.generation == g) it->second.in_flight = false;
  }
  lock.unlock();
  if (data) data_cv_.notify_all();
  fetch_cv_.notify_all();
}

size_t Consumer::consume(std::vector<ConsumedRecord>& out, size_t max, int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  auto ready = [this] {
    while (!queue_.empty()) {
      auto& c = queue_.front();
      auto it = partitions_.find({c.topic, c.partition});
      if (it != partitions_.end() && it->second.generation == c.generation) return true;
      queued_bytes_ -= c.bytes;
      queue_.pop_front();
    }
    return closing_ || woken_;
  };
  data_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 0)), ready);
  woken_ = false;
  size_t n = 0;
  bool freed = false;
  while (n < max && ready() && !queue_.empty()) {
    auto& c = queue_.front();
    auto& ps = partitions_[{c.topic, c.partition}];
    int64_t handed = -1;
    while (n < max && !c.records.empty()) {
      ConsumedRecord& r = c.records.front();
      if (r.error == errc::none) {
        ps.position = r.offset + 1;
        handed = r.offset;
      }
      out.push_back(std::move(r));
      c.records.pop_front();
      ++n;
    }
    // enable.auto.offset.store: what the application got is what auto-commit commits.
    if (handed >= 0 && group_ && config_.enable_auto_offset_store) {
      stored_[{c.topic, c.partition}] = handed + 1;
    }
    if (c.records.empty()) {
      queued_bytes_ -= c.bytes;
      queue_.pop_front();
      freed = true;
    }
  }
  lock.unlock();
  if (freed) fetch_cv_.notify_all();
  return n;
}

void Consumer::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  data_cv_.notify_all();
}

result<std::pair<int64_t, int64_t>> Consumer::watermarks(const std::string& topic,
                                                         int32_t partition, int64_t timeout_ms,
                                                         bool cached) {
  if (cached) {
    std::lock_guard lock(mu_);
    auto it = partitions_.find({topic, partition});
    if (it == partitions_.end() || it->second.high_watermark < 0) {
      return std::pair<int64_t, int64_t>(offset_invalid, offset_invalid);
    }
    return std::pair<int64_t, int64_t>(it->second.low_watermark, it->second.high_watermark);
  }
  auto info = cluster_->cached_topic(topic);
  if (!info) {
    auto md = cluster_->fetch_metadata(std::vector<std::string>{topic}, false, timeout_ms);
    if (!md) return md.err();
    auto t = md->topics.find(topic);
    if (t == md->topics.end() || t->second.error != errc::none) {
      errc code = t == md->topics.end() ? errc::unknown_topic_or_partition : t->second.error;
      return make_error(code, "{}", errc_description(code));
    }
    info = t->second;
  }
  if (partition < 0 || static_cast<size_t>(partition) >= info->partitions.size()) {
    return make_error(errc::unknown_partition, "Local: Unknown partition: {} [{}]", topic,
                      partition);
  }
  int32_t leader = info->partitions[static_cast<size_t>(partition)].leader;
  int64_t lo = -1, hi = -1;
  for (int64_t which : {offset_beginning, offset_end}) {
    protocol::ListOffsetsRequest req = list_offsets_request();
    add_list_offsets(req, topic, partition, which);
    auto resp = cluster_->call<protocol::ListOffsetsRequest, protocol::ListOffsetsResponse>(
        leader, req, timeout_ms);
    if (!resp) {
      cluster_->invalidate(topic);
      return resp.err();
    }
    const auto& p = resp->topics.at(0).partitions.at(0);
    if (p.error_code != errc::none) {
      cluster_->invalidate(topic);
      return make_error(p.error_code, "{}",
                        p.error_message.value_or(std::string(errc_description(p.error_code))));
    }
    (which == offset_beginning ? lo : hi) = p.offset();
  }
  return std::pair<int64_t, int64_t>(lo, hi);
}

}  // namespace shoal::client
