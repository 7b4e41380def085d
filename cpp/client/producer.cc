#include "client/producer.h"

#include <algorithm>

#include "common/clock.h"
#include "common/logger.h"
#include "ipc/process.h"
#include "storage/producer_state.h"

namespace shoal::client {

namespace {

spdlog::logger& log() {
  return logger("client");
}

// Errors after which the batch is sent again (Kafka's retriable errors, plus the transport's).
bool retriable(errc e) {
  return errc_retriable(e) || e == errc::transport || e == errc::timed_out ||
         e == errc::all_brokers_down || e == errc::destroy_broker;
}

// Errors that mean our idea of the partition's leader is out of date.
bool stale_metadata(errc e) {
  return e == errc::not_leader_or_follower || e == errc::unknown_topic_or_partition ||
         e == errc::leader_not_available || e == errc::transport || e == errc::timed_out ||
         e == errc::all_brokers_down || e == errc::fenced_leader_epoch ||
         e == errc::unknown_leader_epoch || e == errc::kafka_storage_error;
}

size_t record_size(std::optional<storage::bytes_view> key, std::optional<storage::bytes_view> value,
                   std::span<const storage::RecordHeader> headers) {
  size_t n = 24 + (key ? key->size() : 0) + (value ? value->size() : 0);
  for (const auto& h : headers) n += 10 + h.key.size() + (h.value ? h.value->size() : 0);
  return n;
}

}  // namespace

result<std::unique_ptr<Producer>> Producer::create(const ClientConfig& config) {
  SHOAL_ASSIGN_OR_RETURN(auto cluster, ClusterClient::connect(config));
  auto p = std::unique_ptr<Producer>(new Producer(config, std::move(cluster)));
  p->sender_ = std::thread([raw = p.get()] { raw->sender_loop(); });
  return p;
}

Producer::Producer(const ClientConfig& config, std::shared_ptr<ClusterClient> cluster)
    : config_(config), cluster_(std::move(cluster)), partitioner_(config.partitioner) {}

Producer::~Producer() {
  close();
}

void Producer::close() {
  {
    std::lock_guard lock(mu_);
    if (closing_) return;
    closing_ = true;
  }
  sender_cv_.notify_all();
  reports_cv_.notify_all();
  if (sender_.joinable()) sender_.join();
  cluster_->close();  // fails in-flight requests; their callbacks see closing_
}

status Producer::ensure_topic(const std::string& topic, int64_t timeout_ms) {
  if (cluster_->cached_topic(topic)) return {};
  int64_t deadline = ipc::monotonic_ms() + timeout_ms;
  while (true) {
    auto md = cluster_->fetch_metadata(std::vector<std::string>{topic}, true,
                                       std::max<int64_t>(deadline - ipc::monotonic_ms(), 1));
    errc code;
    std::string message;
    if (!md) {
      code = md.code();
      message = md.err().message;
    } else {
      auto it = md->topics.find(topic);
      if (it == md->topics.end()) {
        code = errc::unknown_topic_or_partition;
        message = fmt::format("topic {} is unknown", topic);
      } else {
        code = it->second.error;
        message = it->second.error_message.empty() ? std::string(errc_description(code))
                                                   : it->second.error_message;
      }
    }
    if (code == errc::none) return {};
    // A topic being auto-created, or a controller moving: ask again shortly.
    bool again = code == errc::leader_not_available || code == errc::transport ||
                 code == errc::not_controller;
    if (!again || ipc::monotonic_ms() >= deadline) return make_error(code, "{}", message);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int32_t Producer::choose_partition(TopicQueue& tq, const std::string& topic,
                                   std::optional<storage::bytes_view> key, int64_t now) {
  int32_t count = static_cast<int32_t>(tq.partitions.size());
  int32_t p = partitioner_.partition(key, count);
  if (p >= 0) return p;
  // KIP-480 sticky partitioning: keyless records fill one partition's batch, then move on.
  if (tq.sticky < 0 ||
      (config_.sticky_linger_ms > 0 && now - tq.sticky_since_ms >= config_.sticky_linger_ms) ||
      config_.sticky_linger_ms == 0) {
    tq.sticky = static_cast<int32_t>(rng_() % static_cast<uint32_t>(count));
    tq.sticky_since_ms = now;
  }
  return tq.sticky;
}

status Producer::produce(const std::string& topic, int32_t partition,
                         std::optional<storage::bytes_view> key,
                         std::optional<storage::bytes_view> value, int64_t timestamp,
                         std::span<const storage::RecordHeader> headers, uint64_t opaque) {
  int64_t now = wall_clock_ms();
  size_t size = record_size(key, value, headers);
  if (size + storage::batch_format::header_size > static_cast<size_t>(config_.message_max_bytes)) {
    return make_error(errc::message_too_large,
                      "Message size too large: {} bytes exceeds message.max.bytes={}", size,
                      config_.message_max_bytes);
  }
  std::unique_lock lock(mu_);
  if (closing_) return make_error(errc::destroy, "the producer is closed");
  auto it = topics_.find(topic);
  if (it == topics_.end()) {
    auto cached = cluster_->cached_topic(topic);
    if (!cached) return make_error(errc::unknown_topic, "no metadata for topic {} yet", topic);
    it = topics_.emplace(topic, TopicQueue{}).first;
    it->second.partitions.resize(cached->partitions.size());
  }
  TopicQueue& tq = it->second;
  if (config_.queue_buffering_max_messages > 0 &&
      queued_messages_ >= static_cast<size_t>(config_.queue_buffering_max_messages)) {
    return make_error(errc::queue_full, "Local: Queue full (queue.buffering.max.messages={})",
                      config_.queue_buffering_max_messages);
  }
  if (queued_bytes_ + size > static_cast<size_t>(config_.queue_buffering_max_kbytes) * 1024) {
    return make_error(errc::queue_full, "Local: Queue full (queue.buffering.max.kbytes={})",
                      config_.queue_buffering_max_kbytes);
  }
  int32_t count = static_cast<int32_t>(tq.partitions.size());
  if (partition == -1) {
    partition = choose_partition(tq, topic, key, now);
  } else if (partition < 0 || partition >= count) {
    return make_error(errc::unknown_partition,
                      "Local: Unknown partition: {} has {} partition(s), "
                      "not {}",
                      topic, count, partition);
  }
  PartitionQueue& pq = tq.partitions[static_cast<size_t>(partition)];
  if (pq.open && (pq.open->records.size() >= static_cast<size_t>(config_.batch_num_messages) ||
                  pq.open->bytes_estimate + size > static_cast<size_t>(config_.batch_size))) {
    seal_locked(tq, partition);
  }
  bool was_empty = !pq.open;
  if (!pq.open) {
    pq.open = std::make_unique<Batch>(config_.compression, config_.compression_level);
    pq.open->created_ms = now;
  }
  int64_t ts = timestamp == 0 ? now : timestamp;
  pq.open->builder.append(ts, key, value, headers);
  pq.open->records.push_back({opaque, ts});
  pq.open->bytes_estimate += size;
  ++queued_messages_;
  queued_bytes_ += size;
  ++outstanding_;
  bool full = pq.open->records.size() >= static_cast<size_t>(config_.batch_num_messages) ||
              pq.open->bytes_estimate >= static_cast<size_t>(config_.batch_size);
  if (full) seal_locked(tq, partition);
  lock.unlock();
  if (full || (was_empty && config_.linger_ms == 0)) sender_cv_.notify_one();
  return {};
}

size_t Producer::record_bytes(std::optional<storage::bytes_view> key,
                              std::optional<storage::bytes_view> value,
                              std::span<const storage::RecordHeader> headers) {
  return record_size(key, value, headers);
}

status Producer::check_size(size_t bytes) const {
  if (bytes + storage::batch_format::header_size > static_cast<size_t>(config_.message_max_bytes)) {
    return make_error(errc::message_too_large,
                      "Message size too large: {} bytes exceeds message.max.bytes={}", bytes,
                      config_.message_max_bytes);
  }
  return {};
}

Producer::ProduceManyResult Producer::produce_many(const std::string& topic,
                                                   std::span<const ProduceRecord> records) {
  constexpr size_t bulk_records = 128;
  constexpr size_t max_bulk_reserve = size_t{16} << 20;
  ProduceManyResult res;
  if (records.empty()) return res;
  int64_t now = wall_clock_ms();
  const size_t max_messages = config_.queue_buffering_max_messages > 0
                                  ? static_cast<size_t>(config_.queue_buffering_max_messages)
                                  : SIZE_MAX;
  const size_t max_bytes = static_cast<size_t>(config_.queue_buffering_max_kbytes) * 1024;
  const size_t batch_records = static_cast<size_t>(config_.batch_num_messages);
  const size_t batch_bytes = static_cast<size_t>(config_.batch_size);
  bool wake_sender = false;
  std::unique_lock lock(mu_);
  if (closing_) {
    res.stopped = make_error(errc::destroy, "the producer is closed");
    return res;
  }
  auto it = topics_.find(topic);
  if (it == topics_.end()) {
    auto cached = cluster_->cached_topic(topic);
    if (!cached) {
      res.stopped = make_error(errc::unknown_topic, "no metadata for topic {} yet", topic);
      return res;
    }
    it = topics_.emplace(topic, TopicQueue{}).first;
    it->second.partitions.resize(cached->partitions.size());
  }
  TopicQueue& tq = it->second;
  const int32_t count = static_cast<int32_t>(tq.partitions.size());
  for (const ProduceRecord& r : records) {
    size_t size = record_size(r.key, r.value, r.headers);
    if (auto st = check_size(size); !st) {
      res.stopped = std::move(st);
      break;
    }
    if (queued_messages_ >= max_messages) {
      res.stopped =
          make_error(errc::queue_full, "Local: Queue full (queue.buffering.max.messages={})",
                     config_.queue_buffering_max_messages);
      break;
    }
    if (queued_bytes_ + size > max_bytes) {
      res.stopped =
          make_error(errc::queue_full, "Local: Queue full (queue.buffering.max.kbytes={})",
                     config_.queue_buffering_max_kbytes);
      break;
    }
    int32_t partition = r.partition;
    if (partition == -1) {
      partition = choose_partition(tq, topic, r.key, now);
    } else if (partition < 0 || partition >= count) {
      res.stopped = make_error(errc::unknown_partition,
                               "Local: Unknown partition: {} has {} partition(s), not {}", topic,
                               count, partition);
      break;
    }
    PartitionQueue& pq = tq.partitions[static_cast<size_t>(partition)];
    if (pq.open && (pq.open->records.size() >= batch_records ||
                    pq.open->bytes_estimate + size > batch_bytes)) {
      seal_locked(tq, partition);
      wake_sender = true;
    }
    if (!pq.open) {
      pq.open = std::make_unique<Batch>(config_.compression, config_.compression_level);
      pq.open->created_ms = now;
      if (config_.linger_ms == 0) wake_sender = true;
      // Many records at once will likely fill the batch: size its buffers for that up front
      // rather than growing (and copying) them a dozen times.
      size_t left = records.size() - res.queued;
      if (left >= bulk_records) {
        size_t bytes = std::min(batch_bytes, max_bulk_reserve);
        pq.open->builder.reserve(bytes);
        pq.open->records.reserve(std::min(batch_records, bytes / std::max<size_t>(size, 1) + 1));
      }
    }
    int64_t ts = r.timestamp == 0 ? now : r.timestamp;
    pq.open->builder.append(ts, r.key, r.value, r.headers);
    pq.open->records.push_back({r.opaque, ts});
    pq.open->bytes_estimate += size;
    ++queued_messages_;
    queued_bytes_ += size;
    ++outstanding_;
    ++res.queued;
    if (pq.open->records.size() >= batch_records || pq.open->bytes_estimate >= batch_bytes) {
      seal_locked(tq, partition);
      wake_sender = true;
    }
  }
  lock.unlock();
  if (wake_sender) sender_cv_.notify_one();
  return res;
}

void Producer::seal_locked(TopicQueue& tq, int32_t partition) {
  PartitionQueue& pq = tq.partitions[static_cast<size_t>(partition)];
  if (!pq.open) return;
  pq.sealed.push_back(std::move(pq.open));
  if (tq.sticky == partition) tq.sticky = -1;
}

void Producer::seal_ready_locked(int64_t now, bool all) {
  for (auto& [name, tq] : topics_) {
    for (size_t p = 0; p < tq.partitions.size(); ++p) {
      auto& open = tq.partitions[p].open;
      if (open && (all || now - open->created_ms >= config_.linger_ms)) {
        seal_locked(tq, static_cast<int32_t>(p));
      }
    }
  }
}

void Producer::report_locked(const Batch& b, errc error, const std::string& message,
                             int32_t partition, int64_t base_offset, int64_t log_append_time) {
  int64_t i = 0;
  for (const auto& r : b.records) {
    if (r.opaque != 0) {
      DeliveryReport d;
      d.opaque = r.opaque;
      d.error = error;
      d.message = message;
      d.partition = partition;
      d.offset = error == errc::none && base_offset >= 0 ? base_offset + i : -1;
      d.timestamp = log_append_time >= 0 ? log_append_time : r.timestamp;
      d.timestamp_type = log_append_time >= 0 ? 2 : 1;
      reports_.push_back(std::move(d));
    } else {
      --outstanding_;
    }
    ++i;
  }
  queued_messages_ -= b.records.size();
  queued_bytes_ -= std::min(queued_bytes_, b.bytes_estimate);
}

void Producer::expire_locked(int64_t now) {
  if (config_.message_timeout_ms == 0) return;
  for (auto& [name, tq] : topics_) {
    for (size_t p = 0; p < tq.partitions.size(); ++p) {
      auto& pq = tq.partitions[p];
      while (!pq.sealed.empty() &&
             now - pq.sealed.front()->created_ms >= config_.message_timeout_ms) {
        if (pq.sealed.front()->base_sequence >= 0) {
          bump_epoch_locked(name, static_cast<int32_t>(p), pq, "a sent batch timed out");
        }
        report_locked(*pq.sealed.front(), errc::msg_timed_out,
                      fmt::format("Local: Message timed out (delivery.timeout.ms={})",
                                  config_.message_timeout_ms),
                      static_cast<int32_t>(p), -1, -1);
        pq.sealed.pop_front();
      }
    }
  }
}

void Producer::complete(const std::string& topic, int32_t partition, std::unique_ptr<Batch> batch,
                        errc error, std::string message, int64_t base_offset,
                        int64_t log_append_time) {
  std::unique_lock lock(mu_);
  if (closing_) return;
  auto& tq = topics_[topic];
  auto& pq = tq.partitions[static_cast<size_t>(partition)];
  pq.in_flight = false;
  pq.flying = nullptr;
  if (pq.flying_purged) {
    // purge(in_flight) already reported these records; the broker's answer is void.
    pq.flying_purged = false;
    lock.unlock();
    sender_cv_.notify_one();
    return;
  }
  int64_t now = wall_clock_ms();
  bool in_time =
      config_.message_timeout_ms == 0 || now - batch->created_ms < config_.message_timeout_ms;
  bool resequence = config_.enable_idempotence && (error == errc::out_of_order_sequence_number ||
                                                   error == errc::unknown_producer_id);
  if (resequence && in_time && batch->attempts <= config_.retries) {
    // The leader never wrote this batch, and expects another sequence: it lost batches it had
    // acknowledged (an unclean election), or forgot this producer. Start over at sequence 0
    // of a new epoch and send the batch again.
    log().warn("{}/{}: {} for producer {} epoch {} sequence {}; starting a new epoch", topic,
               partition, message, batch->producer_id, batch->producer_epoch, batch->base_sequence);
    bump_epoch_locked(topic, partition, pq, "the leader refused the sequence");
    pq.sealed.push_front(std::move(batch));
  } else if (error != errc::none && retriable(error) && batch->attempts <= config_.retries &&
             in_time) {
    // Back to the head of its partition's queue: order is kept, as only one batch per
    // partition is ever in flight.
    log().debug("{}/{}: retrying a batch of {} record(s) after {}", topic, partition,
                batch->records.size(), message);
    // KIP-580: retry.backoff.ms, doubling per failed attempt up to retry.backoff.max.ms.
    int64_t backoff =
        std::min<int64_t>(config_.retry_backoff_ms << std::min(batch->attempts - 1, 10),
                          config_.retry_backoff_max_ms);
    pq.retry_after_ms = ipc::monotonic_ms() + backoff;
    pq.failed_leader = stale_metadata(error) ? batch->sent_to : -1;
    pq.sealed.push_front(std::move(batch));
    if (stale_metadata(error)) cluster_->invalidate(topic);
  } else {
    if (error != errc::none && batch->base_sequence >= 0) {
      bump_epoch_locked(topic, partition, pq, "a sent batch failed");
    }
    report_locked(*batch, error, message, partition, base_offset, log_append_time);
  }
  lock.unlock();
  sender_cv_.notify_one();
  reports_cv_.notify_all();
}

void Producer::bump_epoch_locked(const std::string& topic, int32_t partition, PartitionQueue& pq,
                                 const char* why) {
  if (!config_.enable_idempotence || pq.producer_id < 0) return;
  if (pq.producer_epoch == INT16_MAX) {
    // Every epoch of this id is spent here: the partition moves to a fresh id.
    pq.retired_producer_id = pq.producer_id;
    pq.producer_id = -1;
    need_new_producer_id_ = true;
  } else {
    ++pq.producer_epoch;
  }
  pq.next_sequence = 0;
  log().info("{}/{}: {}; producer {} continues with epoch {} from sequence 0", topic, partition,
             why, pq.producer_id, pq.producer_epoch);
}

void Producer::sequence_locked(PartitionQueue& pq, Batch& b) {
  if (pq.producer_id < 0) {
    pq.producer_id = producer_id_;
    pq.producer_epoch = producer_epoch_;
    pq.next_sequence = 0;
  }
  if (b.producer_id == pq.producer_id && b.producer_epoch == pq.producer_epoch) return;  // a retry
  b.renumbered = b.built;
  b.producer_id = pq.producer_id;
  b.producer_epoch = pq.producer_epoch;
  b.base_sequence = pq.next_sequence;
  pq.next_sequence =
      storage::sequence_add(pq.next_sequence, static_cast<int32_t>(b.records.size()));
}

bool Producer::ensure_producer_id() {
  {
    std::lock_guard lock(mu_);
    if (producer_id_ >= 0 && !need_new_producer_id_) return true;
  }
  int64_t now = ipc::monotonic_ms();
  if (now < next_producer_id_attempt_ms_) return false;
  next_producer_id_attempt_ms_ = now + config_.retry_backoff_ms;
  int64_t timeout = std::min<int64_t>(config_.request_timeout_ms, 5'000);
  // The controller hands out producer ids (see InitProducerIdRequest): asked directly when
  // the metadata names it among the brokers, else through any broker, which forwards (as
  // Kafka's brokers do; librdkafka's mock cluster names no controller).
  auto md = cluster_->fetch_metadata(std::vector<std::string>{}, false, timeout);
  if (!md) {
    log().debug("idempotent producer: no metadata to find the controller: {}", md.err().message);
    return false;
  }
  int32_t ask = -1;
  for (const auto& b : md->brokers) {
    if (b.id == md->controller_id) ask = b.id;
  }
  protocol::InitProducerIdRequest init;
  init.transactional_id = std::nullopt;  // idempotence without transactions
  init.transaction_timeout_ms = -1;
  auto resp = cluster_->call<protocol::InitProducerIdRequest, protocol::InitProducerIdResponse>(
      ask, init, timeout);
  errc code = resp ? resp->error_code : resp.code();
  if (code != errc::none) {
    std::string msg = resp ? resp->error_message.value_or(std::string(errc_description(code)))
                           : resp.err().message;
    if (retriable(code)) {
      log().debug("idempotent producer: InitProducerId failed ({}); retrying", msg);
    } else {
      log().error("idempotent producer: InitProducerId failed: {}", msg);
    }
    return false;
  }
  std::lock_guard lock(mu_);
  producer_id_ = resp->producer_id;
  producer_epoch_ = resp->producer_epoch;
  need_new_producer_id_ = false;
  log().info("idempotent producer: producer id {} epoch {}", producer_id_, producer_epoch_);
  return true;
}

void Producer::send_ready(int64_t now) {
  struct Pending {
    std::string topic;
    int32_t partition;
    std::unique_ptr<Batch> batch;
  };
  std::map<int32_t, std::vector<Pending>> by_leader;
  std::vector<std::string> need_metadata;
  if (config_.enable_idempotence && !ensure_producer_id()) return;  // nothing goes out unnumbered
  {
    std::lock_guard lock(mu_);
    int64_t mono = ipc::monotonic_ms();
    for (auto& [name, tq] : topics_) {
      auto info = cluster_->cached_topic(name);
      if (info && info->partitions.size() > tq.partitions.size()) {
        tq.partitions.resize(info->partitions.size());  // the topic gained partitions
      }
      for (size_t p = 0; p < tq.partitions.size(); ++p) {
        auto& pq = tq.partitions[p];
        if (pq.in_flight || pq.sealed.empty()) continue;
        int32_t leader = -1;
        if (info && p < info->partitions.size()) leader = info->partitions[p].leader;
        if (mono < pq.retry_after_ms) {
          bool moved = pq.failed_leader >= 0 && leader >= 0 && leader != pq.failed_leader;
          if (!moved) {
            // Waiting for the new leader: look again soon rather than after the backoff.
            if (pq.failed_leader >= 0 && mono >= next_fast_refresh_ms_ &&
                std::find(need_metadata.begin(), need_metadata.end(), name) ==
                    need_metadata.end()) {
              need_metadata.push_back(name);
            }
            continue;
          }
        }
        if (leader < 0) {
          if (std::find(need_metadata.begin(), need_metadata.end(), name) == need_metadata.end()) {
            need_metadata.push_back(name);
          }
          continue;
        }
        // max.in.flight.requests.per.connection: this round's batches for a leader go out in
        // one request, which must fit under the limit.
        if (!by_leader.count(leader) && requests_to_[leader] >= config_.max_in_flight) continue;
        if (config_.enable_idempotence) {
          if (pq.producer_id < 0 && (producer_id_ < 0 || producer_id_ == pq.retired_producer_id)) {
            need_new_producer_id_ = true;
            continue;
          }
          sequence_locked(pq, *pq.sealed.front());
        }
        pq.in_flight = true;
        pq.flying = pq.sealed.front().get();
        pq.flying_purged = false;
        pq.failed_leader = -1;
        pq.retry_after_ms = 0;  // the backoff was for this batch; the ones after it owe none
        auto batch = std::move(pq.sealed.front());
        pq.sealed.pop_front();
        ++batch->attempts;
        batch->sent_to = leader;
        if (batch->attempts > 1) {
          log().debug("{}/{}: attempt {} goes to leader {}", name, p, batch->attempts, leader);
        }
        by_leader[leader].push_back({name, static_cast<int32_t>(p), std::move(batch)});
      }
    }
  }
  if (!need_metadata.empty()) {
    next_fast_refresh_ms_ = ipc::monotonic_ms() + fast_metadata_refresh_ms;
    auto md = cluster_->fetch_metadata(need_metadata, true, config_.request_timeout_ms);
    if (!md) log().debug("metadata refresh failed: {}", md.err().message);
  }
  for (auto& [leader, pending] : by_leader) {
    // Compress and checksum outside the lock.
    for (auto& pe : pending) {
      if (pe.batch->renumbered) {
        storage::set_producer(pe.batch->data, pe.batch->producer_id, pe.batch->producer_epoch,
                              pe.batch->base_sequence);
        pe.batch->renumbered = false;
      }
      if (!pe.batch->built) {
        if (pe.batch->producer_id >= 0) {
          pe.batch->builder.set_producer(pe.batch->producer_id, pe.batch->producer_epoch,
                                         pe.batch->base_sequence);
        }
        auto built = pe.batch->builder.build();
        if (!built) {
          complete(pe.topic, pe.partition, std::move(pe.batch), built.code(), built.err().message,
                   -1, -1);
          continue;
        }
        pe.batch->data = std::move(built).value();
        pe.batch->built = true;
        pe.batch->builder = storage::RecordBatchBuilder();  // free its buffer
      }
    }
    auto conn = cluster_->connection(leader);
    size_t max_request = conn ? (*conn)->max_request_bytes() : 0;
    // Requests of at most max_request bytes, each holding several partitions' batches.
    auto inflight =
        std::make_shared<std::map<std::pair<std::string, int32_t>, std::unique_ptr<Batch>>>();
    protocol::ProduceRequest req;
    req.transactional_id = std::nullopt;
    req.acks = config_.acks;
    req.timeout_ms = static_cast<int32_t>(config_.request_timeout_ms);
    size_t req_bytes = 256;
    auto flush_request = [&]() {
      if (inflight->empty()) return;
      auto batches = inflight;
      inflight =
          std::make_shared<std::map<std::pair<std::string, int32_t>, std::unique_ptr<Batch>>>();
      if (config_.acks == 0) {
        auto st = conn ? cluster_->send<protocol::ProduceRequest, protocol::ProduceResponse>(
                             leader, req, config_.request_timeout_ms, nullptr)
                       : conn.err();
        for (auto& [tp, b] : *batches) {
          complete(tp.first, tp.second, std::move(b), st ? errc::none : st.code(),
                   st ? "" : st.err().message, -1, -1);
        }
      } else {
        {
          std::lock_guard lock(mu_);
          ++requests_to_[leader];
        }
        auto st = cluster_->send<protocol::ProduceRequest, protocol::ProduceResponse>(
            leader, req, config_.request_timeout_ms,
            [this, batches, leader](result<protocol::ProduceResponse> resp) {
              {
                std::lock_guard lock(mu_);
                --requests_to_[leader];
              }
              if (resp && config_.test_lose_produce_responses > 0 &&
                  ++produce_responses_ %
                          static_cast<uint64_t>(config_.test_lose_produce_responses) ==
                      0) {
                resp = make_error(errc::timed_out,
                                  "the response was lost (test.lose.produce.responses)");
              }
              for (auto& [tp, b] : *batches) {
                if (!b) continue;
                errc code = errc::none;
                std::string msg;
                int64_t base = -1, append_time = -1;
                if (!resp) {
                  code = resp.code();
                  msg = resp.err().message;
                } else {
                  bool found = false;
                  for (const auto& t : resp->responses) {
                    if (t.name != tp.first) continue;
                    for (const auto& p : t.partition_responses) {
                      if (p.index() != tp.second) continue;
                      found = true;
                      code = p.error_code;
                      msg = p.error_message.value_or(std::string(errc_description(p.error_code)));
                      base = p.base_offset();
                      append_time = p.log_append_time_ms();
                    }
                  }
                  if (!found) {
                    code = errc::unknown_server_error;
                    msg = "the broker's response left the partition out";
                  }
                }
                complete(tp.first, tp.second, std::move(b), code, msg, base, append_time);
              }
            });
        if (!st) {
          {
            std::lock_guard lock(mu_);
            --requests_to_[leader];
          }
          for (auto& [tp, b] : *batches) {
            if (b) complete(tp.first, tp.second, std::move(b), st.code(), st.err().message, -1, -1);
          }
        }
      }
      req.topic_data.clear();
      req_bytes = 256;
    };
    for (auto& pe : pending) {
      if (!pe.batch) continue;
      if (max_request > 0 && req_bytes + pe.batch->data.size() + 64 > max_request) flush_request();
      auto& t = protocol::ProduceRequest::TopicProduceData::find_or_add(req.topic_data, pe.topic);
      auto& p = t.partition_data.emplace_back();
      p.index = partition_id(pe.partition);
      p.records = pe.batch->data;
      req_bytes += pe.batch->data.size() + pe.topic.size() + 32;
      (*inflight)[{pe.topic, pe.partition}] = std::move(pe.batch);
    }
    flush_request();
  }
}

void Producer::sender_loop() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      int64_t wait_ms = std::clamp<int64_t>(config_.linger_ms, 1, 100);
      sender_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms));
      if (closing_) return;
      int64_t now = wall_clock_ms();
      seal_ready_locked(now, flush_requested_);
      flush_requested_ = false;
      expire_locked(now);
    }
    reports_cv_.notify_all();
    cluster_->drop_fenced_brokers();
    send_ready(wall_clock_ms());
  }
}

void Producer::flush_now() {
  {
    std::lock_guard lock(mu_);
    flush_requested_ = true;
  }
  sender_cv_.notify_one();
}

size_t Producer::take_reports(std::vector<DeliveryReport>& out, size_t max) {
  std::lock_guard lock(mu_);
  size_t n = 0;
  while (n < max && !reports_.empty()) {
    out.push_back(std::move(reports_.front()));
    reports_.pop_front();
    --outstanding_;
    ++n;
  }
  return n;
}

void Producer::wait_for_reports(int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  reports_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                       [this] { return !reports_.empty() || outstanding_ == 0 || closing_; });
}

size_t Producer::outstanding() const {
  std::lock_guard lock(mu_);
  return outstanding_;
}

void Producer::purge(bool queue, bool inflight) {
  {
    std::lock_guard lock(mu_);
    if (queue) {
      for (auto& [name, tq] : topics_) {
        for (size_t p = 0; p < tq.partitions.size(); ++p) {
          auto& pq = tq.partitions[p];
          if (pq.open) {
            report_locked(*pq.open, errc::purge_queue, "Local: Purged in queue",
                          static_cast<int32_t>(p), -1, -1);
            pq.open.reset();
          }
          if (!pq.sealed.empty() && pq.sealed.front()->base_sequence >= 0) {
            bump_epoch_locked(name, static_cast<int32_t>(p), pq, "a sent batch was purged");
          }
          for (auto& b : pq.sealed) {
            report_locked(*b, errc::purge_queue, "Local: Purged in queue", static_cast<int32_t>(p),
                          -1, -1);
          }
          pq.sealed.clear();
        }
      }
    }
    if (inflight) {
      // Reported now; whatever the broker answers later is ignored (as librdkafka does).
      for (auto& [name, tq] : topics_) {
        for (size_t p = 0; p < tq.partitions.size(); ++p) {
          auto& pq = tq.partitions[p];
          if (pq.in_flight && pq.flying != nullptr && !pq.flying_purged) {
            report_locked(*pq.flying, errc::purge_inflight, "Local: Purged in flight",
                          static_cast<int32_t>(p), -1, -1);
            pq.flying_purged = true;
            // Nothing else of this partition is sent before the purged batch's answer comes.
            bump_epoch_locked(name, static_cast<int32_t>(p), pq, "a batch in flight was purged");
          }
        }
      }
    }
  }
  reports_cv_.notify_all();
}

}  // namespace shoal::client
