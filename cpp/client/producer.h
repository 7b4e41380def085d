// The producer: librdkafka's model. produce() appends the record to the open batch of its
// partition and returns; a sender thread seals batches (batch.num.messages, batch.size,
// linger.ms), compresses them, sends each leader one request holding all its partitions'
// batches, retries retriable failures within delivery.timeout.ms (refreshing metadata when a
// leader moved), and queues one delivery report per record, in order within a partition.
//
// Ordering: at most one batch per partition is in flight, so retries never reorder a
// partition's records (Kafka's max.in.flight=1 guarantee, without its throughput cost here:
// a batch holds up to batch.num.messages records and the round trip is microseconds).
// max.in.flight.requests.per.connection bounds the requests in flight to each broker.
//
// Idempotence (enable.idempotence): the producer gets a producer id and epoch from the
// controller (InitProducerId) before it sends anything, and numbers each partition's batches
// with sequence numbers, assigned when a batch is first sent and kept across its retries, so
// the leader recognises a retry of a batch it already wrote and answers with the offsets it
// got the first time (storage/producer_state.h). A batch that fails for good after it was
// sent may or may not be in the log, so its partition then starts a new epoch with sequence
// 0 (KIP-360's epoch bump, per partition: the broker keeps producer state per partition, and
// the batches still queued elsewhere keep their numbers). OUT_OF_ORDER_SEQUENCE_NUMBER means
// the leader lost batches it had acknowledged (an unclean election): the partition starts a
// new epoch and the batch is sent again.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "client/client_config.h"
#include "client/cluster_client.h"
#include "client/partitioner.h"
#include "storage/record_batch.h"

namespace shoal::client {

struct DeliveryReport {
  uint64_t opaque = 0;  // what produce() was given
  errc error = errc::none;
  std::string message;
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp = 0;
  int timestamp_type = 1;  // 1 CreateTime, 2 LogAppendTime (confluent-kafka's constants)
};

class Producer {
 public:
  static result<std::unique_ptr<Producer>> create(const ClientConfig& config);
  ~Producer();

  // Enqueues a record. partition -1 lets the partitioner choose; timestamp 0 means now;
  // opaque 0 means no delivery report is wanted (the record still counts in outstanding()).
  // Errors, at once: _QUEUE_FULL (queue.buffering.max.*), MSG_SIZE_TOO_LARGE (over
  // message.max.bytes), _UNKNOWN_PARTITION, _UNKNOWN_TOPIC when metadata for the topic is not
  // cached yet (call ensure_topic() and retry; this keeps produce() from ever blocking).
  status produce(const std::string& topic, int32_t partition,
                 std::optional<storage::bytes_view> key, std::optional<storage::bytes_view> value,
                 int64_t timestamp, std::span<const storage::RecordHeader> headers,
                 uint64_t opaque);
  // One record of produce_many(): views into the caller's memory, read only during the call.
  struct ProduceRecord {
    std::optional<storage::bytes_view> key;
    std::optional<storage::bytes_view> value;
    int32_t partition = -1;  // -1: the partitioner chooses
    int64_t timestamp = 0;   // 0: now
    std::span<const storage::RecordHeader> headers;
    uint64_t opaque = 0;  // 0: no delivery report
  };
  struct ProduceManyResult {
    size_t queued = 0;  // records[0, queued) were queued, in order
    status stopped;     // why records[queued] was not (ok when every record was queued)
  };
  // produce() for many records at once: takes the lock once (per call, so callers pass chunks
  // of a few thousand to let the sender in), appends into the open batches and seals them as
  // they fill. Stops at the first record produce() would refuse, with produce()'s error:
  // nothing of that record or of any after it is queued, so the caller resumes at
  // records[queued] (after a _QUEUE_FULL, once delivery reports have made room). The
  // timestamp of records given 0 is read once per call.
  ProduceManyResult produce_many(const std::string& topic, std::span<const ProduceRecord> records);
  // What a record counts for against batch.size, queue.buffering.max.kbytes and
  // message.max.bytes: its size with a generous allowance for its framing.
  static size_t record_bytes(std::optional<storage::bytes_view> key,
                             std::optional<storage::bytes_view> value,
                             std::span<const storage::RecordHeader> headers);
  // The MSG_SIZE_TOO_LARGE error produce() gives a record of `bytes` (record_bytes()), or ok.
  status check_size(size_t bytes) const;
  // Looks the topic up (auto-creating it where the brokers allow). Errors: the broker's
  // (UNKNOWN_TOPIC_OR_PART, TOPIC_EXCEPTION) or _TIMED_OUT / _TRANSPORT.
  status ensure_topic(const std::string& topic, int64_t timeout_ms);

  // Moves up to `max` delivery reports into `out`; returns how many.
  size_t take_reports(std::vector<DeliveryReport>& out, size_t max);
  // Sleeps until a report is ready or nothing is outstanding, at most timeout_ms.
  void wait_for_reports(int64_t timeout_ms);
  // Records produced and not yet reported and taken (Python's len(producer)).
  size_t outstanding() const;
  // Sends everything waiting now instead of after linger.ms (flush() calls this).
  void flush_now();
  // Fails queued (and, with `inflight`, in-flight) records with _PURGE_QUEUE/_PURGE_INFLIGHT.
  void purge(bool queue, bool inflight);
  std::shared_ptr<ClusterClient> cluster() const { return cluster_; }
  // Stops the sender; undelivered records are dropped without reports.
  void close();

 private:
  struct RecordMeta {
    uint64_t opaque;
    int64_t timestamp;
  };
  struct Batch {
    storage::RecordBatchBuilder builder;  // until built
    storage::bytes data;                  // once built
    std::vector<RecordMeta> records;
    size_t bytes_estimate = 0;
    int64_t created_ms = 0;
    int attempts = 0;
    int32_t sent_to = -1;  // the leader of the last attempt
    bool built = false;
    // Idempotence: the producer id, epoch and first sequence the batch was numbered with
    // (-1: not yet), and whether the built bytes still carry older ones.
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    int32_t base_sequence = -1;
    bool renumbered = false;
    explicit Batch(storage::compression c, int level) : builder(c, level) {}
  };
  struct PartitionQueue {
    std::unique_ptr<Batch> open;
    std::deque<std::unique_ptr<Batch>> sealed;
    bool in_flight = false;
    Batch* flying = nullptr;     // the batch in flight, owned by its request
    bool flying_purged = false;  // purge(in_flight) reported it already
    int64_t retry_after_ms = 0;
    // The leader a retried batch failed on for a stale-metadata reason (-1: none). Once the
    // metadata names another leader the batch goes there at once: the backoff is for not
    // hammering a broker, and the new leader has not been hammered.
    int32_t failed_leader = -1;
    // Idempotence: the id and epoch this partition's batches carry (-1: take the producer's
    // current id at the next send) and the next batch's sequence number.
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    int32_t next_sequence = 0;
    int64_t retired_producer_id = -1;  // an id whose epochs this partition used up
  };
  struct TopicQueue {
    std::vector<PartitionQueue> partitions;
    int32_t sticky = -1;
    int64_t sticky_since_ms = 0;
  };

  explicit Producer(const ClientConfig& config, std::shared_ptr<ClusterClient> cluster);
  void sender_loop();
  // Seals open batches that are full, lingered long enough, or flushed. REQUIRES: mu_.
  void seal_ready_locked(int64_t now, bool all);
  void seal_locked(TopicQueue& tq, int32_t partition);
  // Sends what can be sent; returns the earliest time something else becomes due.
  void send_ready(int64_t now);
  void expire_locked(int64_t now);
  void complete(const std::string& topic, int32_t partition, std::unique_ptr<Batch> batch,
                errc error, std::string message, int64_t base_offset, int64_t log_append_time);
  void report_locked(const Batch& b, errc error, const std::string& message, int32_t partition,
                     int64_t base_offset, int64_t log_append_time);
  int32_t choose_partition(TopicQueue& tq, const std::string& topic,
                           std::optional<storage::bytes_view> key, int64_t now);
  // Idempotence: gets a producer id from the controller (sender thread; returns whether the
  // producer has one now). Retries wait retry.backoff.ms.
  bool ensure_producer_id();
  // Starts a new epoch for the partition: its batch `b` (if numbered) failed for good or was
  // refused as out of order, so the leader's idea of its next sequence is unknown.
  void bump_epoch_locked(const std::string& topic, int32_t partition, PartitionQueue& pq,
                         const char* why);
  // Numbers a batch about to be sent. REQUIRES: mu_.
  void sequence_locked(PartitionQueue& pq, Batch& b);

  ClientConfig config_;
  std::shared_ptr<ClusterClient> cluster_;
  // While a partition waits for its new leader, metadata is asked again at most this often
  // (a shared-memory round trip, so much more often than librdkafka's 100 ms).
  static constexpr int64_t fast_metadata_refresh_ms = 5;
  int64_t next_fast_refresh_ms_ = 0;  // sender thread only
  Partitioner partitioner_;
  std::mt19937 rng_{std::random_device{}()};

  mutable std::mutex mu_;
  std::condition_variable sender_cv_;   // work for the sender
  std::condition_variable reports_cv_;  // reports ready, or everything delivered
  std::map<std::string, TopicQueue> topics_;
  std::deque<DeliveryReport> reports_;
  size_t queued_messages_ = 0;  // produced, not yet delivered or failed
  size_t queued_bytes_ = 0;
  size_t outstanding_ = 0;              // queued + reports not yet taken
  std::map<int32_t, int> requests_to_;  // per broker: produce requests awaiting an answer
  // Idempotence: the id new partitions take, and when to ask again after a failure.
  int64_t producer_id_ = -1;
  int16_t producer_epoch_ = -1;
  bool need_new_producer_id_ = false;
  int64_t next_producer_id_attempt_ms_ = 0;     // sender thread only
  std::atomic<uint64_t> produce_responses_{0};  // for test.lose.produce.responses
  bool flush_requested_ = false;
  bool closing_ = false;
  std::thread sender_;
};

}  // namespace shoal::client
