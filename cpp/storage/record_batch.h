// Kafka RecordBatch v2: a read-only view over a batch's bytes, a reader that walks its
// records (decompressing when needed), and a builder that encodes records into a batch.
// The layout is in record_batch_format.h and docs/record-batch.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/endian.h"
#include "common/result.h"
#include "common/types.h"
#include "storage/compression.h"
#include "storage/record_batch_format.h"

namespace shoal::storage {

enum class timestamp_type : uint8_t { create_time = 0, log_append_time = 1 };

// A non-owning view of one batch. The bytes must outlive the view. The accessors do not check
// anything; call validate_batch() first on untrusted bytes.
class RecordBatchView {
 public:
  RecordBatchView() = default;
  // REQUIRES: data.size() >= batch_format::header_size.
  explicit RecordBatchView(bytes_view data) : data_(data) {}

  bytes_view data() const { return data_; }
  size_t size() const { return data_.size(); }

  offset base_offset() const { return offset(get<int64_t>(batch_format::base_offset_pos)); }
  int32_t batch_length() const { return get<int32_t>(batch_format::batch_length_pos); }
  int32_t partition_leader_epoch() const {
    return get<int32_t>(batch_format::partition_leader_epoch_pos);
  }
  int8_t magic() const { return static_cast<int8_t>(data_[batch_format::magic_pos]); }
  uint32_t crc() const { return get<uint32_t>(batch_format::crc_pos); }
  int16_t attributes() const { return get<int16_t>(batch_format::attributes_pos); }
  int32_t last_offset_delta() const { return get<int32_t>(batch_format::last_offset_delta_pos); }
  int64_t base_timestamp() const { return get<int64_t>(batch_format::base_timestamp_pos); }
  int64_t max_timestamp() const { return get<int64_t>(batch_format::max_timestamp_pos); }
  int64_t producer_id() const { return get<int64_t>(batch_format::producer_id_pos); }
  int16_t producer_epoch() const { return get<int16_t>(batch_format::producer_epoch_pos); }
  int32_t base_sequence() const { return get<int32_t>(batch_format::base_sequence_pos); }
  int32_t records_count() const { return get<int32_t>(batch_format::records_count_pos); }

  offset last_offset() const { return base_offset() + last_offset_delta(); }
  offset next_offset() const { return last_offset() + 1; }
  compression codec() const {
    return static_cast<compression>(attributes() & batch_format::compression_mask);
  }
  timestamp_type ts_type() const {
    return (attributes() & batch_format::timestamp_type_bit) ? timestamp_type::log_append_time
                                                             : timestamp_type::create_time;
  }
  bool is_transactional() const { return attributes() & batch_format::transactional_bit; }
  bool is_control() const { return attributes() & batch_format::control_bit; }
  // KIP-534: once the cleaner has seen a tombstone in this batch, baseTimestamp holds the time
  // after which the batch's tombstones may be removed.
  bool has_delete_horizon() const { return attributes() & batch_format::delete_horizon_bit; }
  // The bytes after the header: the records, compressed as a whole if codec() != none.
  bytes_view records_data() const { return data_.subspan(batch_format::records_pos); }

  // CRC-32C over attributes..end, compared with the stored one.
  uint32_t compute_crc() const;

 private:
  template <typename T>
  T get(size_t pos) const {
    return load_be<T>(data_.data() + pos);
  }
  bytes_view data_;
};

// Checks the batch at the front of `data` (which may hold more batches after it): a complete
// header, magic 2, a sane length, a matching CRC. On success returns the batch's total size.
// Errors: CORRUPT_MESSAGE with what was wrong. Does not look inside the records.
result<size_t> validate_batch(bytes_view data);

// Mutators used by the log when it assigns offsets or stamps LogAppendTime. Only fields
// outside the CRC (base offset, leader epoch) can be changed without set_crc().
void set_base_offset(std::span<uint8_t> batch, offset o);
void set_partition_leader_epoch(std::span<uint8_t> batch, int32_t epoch);
// Marks the batch LogAppendTime with `ts` as its max timestamp, and recomputes the CRC.
void set_log_append_time(std::span<uint8_t> batch, int64_t ts);
// Rewrites the idempotent-producer fields (an idempotent producer re-sequencing a built batch
// after it reset its sequence numbers), and recomputes the CRC.
void set_producer(std::span<uint8_t> batch, int64_t producer_id, int16_t producer_epoch,
                  int32_t base_sequence);
void set_crc(std::span<uint8_t> batch);

// One header of a record. A null value has value.data() == nullptr and value_null == true.
struct RecordHeaderView {
  std::string_view key;
  bytes_view value;
  bool value_null = false;
};

// One record inside a batch, pointing into the batch or into the reader's scratch buffer.
// Valid until the reader that produced it moves on or is destroyed.
struct RecordView {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  bytes_view key;
  bool key_null = true;
  bytes_view value;
  bool value_null = true;
  int32_t header_count = 0;
  bytes_view headers_data;  // the encoded headers, for headers()
  bytes_view raw;           // the whole encoded record, length prefix included

  // Decodes the headers. Never fails on a record that came out of RecordReader::next().
  std::vector<RecordHeaderView> headers() const;
};

// Walks the records of a validated batch, decompressing them first if needed.
//   RecordReader r(batch, scratch);
//   RecordView rec;
//   while (r.next(rec)) { ... }
//   if (!r.status()) { ...corrupt... }
class RecordReader {
 public:
  // `scratch` holds the decompressed records and must outlive the reader.
  // `max_decompressed` bounds the decompressed size (decompression bombs).
  RecordReader(const RecordBatchView& batch, bytes& scratch, size_t max_decompressed = 256u << 20);

  // Fills `out` with the next record; false at the end or on an error (see status()).
  bool next(RecordView& out);
  // Set when next() returned false because of malformed data (CORRUPT_MESSAGE), including a
  // record count that disagrees with the header or trailing bytes after the last record.
  const shoal::status& status() const { return status_; }

 private:
  bool fail(std::string msg);
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  int32_t expected_ = 0;
  int32_t read_ = 0;
  offset base_offset_;
  shoal::status status_;
};

// The leader's hot path: walks `count` encoded records (already decompressed) without
// materializing them. Checks each record's framing, that offset deltas run 0..count-1, and,
// when `need_key`, that every key is non-null. Returns the largest timestamp delta.
// Errors: CORRUPT_MESSAGE (framing), INVALID_RECORD (offset deltas, missing key).
result<int64_t> check_producer_records(bytes_view records, int32_t count, bool need_key);

// Decodes one record at [p, end): the shared parser of RecordReader and the tests.
// On success advances *p past the record.
bool parse_record(const uint8_t** p, const uint8_t* end, RecordView& out);

struct RecordHeader {
  std::string key;
  std::optional<bytes> value;
};

// Builds one batch. Not thread-safe.
//   RecordBatchBuilder b(compression::lz4);
//   b.append(ts, key, value, headers);
//   bytes batch = b.build().value();
class RecordBatchBuilder {
 public:
  explicit RecordBatchBuilder(compression codec = compression::none,
                              int level = default_compression_level);

  void set_base_offset(offset o) { base_offset_ = o; }
  void set_partition_leader_epoch(int32_t e) { partition_leader_epoch_ = e; }
  void set_producer(int64_t producer_id, int16_t producer_epoch, int32_t base_sequence) {
    producer_id_ = producer_id;
    producer_epoch_ = producer_epoch;
    base_sequence_ = base_sequence;
  }
  void set_timestamp_type(timestamp_type t) { ts_type_ = t; }
  void set_transactional(bool v) { transactional_ = v; }
  // Keeps lastOffsetDelta at `delta` even when the last records were removed (compaction).
  void set_last_offset_delta(int32_t delta) { forced_last_offset_delta_ = delta; }
  // Overrides the computed max timestamp (compaction of a LogAppendTime batch).
  void set_max_timestamp(int64_t ts) { forced_max_timestamp_ = ts; }
  // Marks the batch with a KIP-534 delete horizon: baseTimestamp becomes `horizon_ms` and
  // record timestamps are encoded relative to it. REQUIRES: no record appended yet.
  void set_delete_horizon(int64_t horizon_ms);

  // Appends a record with the next offset delta (or `offset_delta` when given, which must be
  // larger than the previous one). A nullopt key or value is Kafka's null.
  void append(int64_t timestamp, std::optional<bytes_view> key, std::optional<bytes_view> value,
              std::span<const RecordHeader> headers = {},
              std::optional<int32_t> offset_delta = std::nullopt);
  // Appends an already-encoded record (from RecordView::raw), keeping its offset delta and
  // timestamp, re-encoding the timestamp delta against this builder's base timestamp.
  void append_record(const RecordView& rec, int64_t base_timestamp_of_source);

  // Makes room for `bytes` of encoded records, so that a builder filled in bulk does not grow
  // (and copy) its buffer again and again.
  void reserve(size_t bytes) { records_.reserve(bytes); }

  // Uncompressed size of the batch so far.
  size_t estimated_size() const { return batch_format::header_size + records_.size(); }
  bool empty() const { return count_ == 0; }

  // Encodes, compresses and checksums the batch. The builder may be reused after reset().
  result<bytes> build();
  void reset();

 private:
  void encode_record(int64_t timestamp, int32_t offset_delta, std::optional<bytes_view> key,
                     std::optional<bytes_view> value, std::span<const RecordHeader> headers,
                     bytes_view raw_headers, int32_t raw_header_count);

  compression codec_;
  int level_;
  offset base_offset_{0};
  int32_t partition_leader_epoch_ = -1;
  int64_t producer_id_ = batch_format::no_producer_id;
  int16_t producer_epoch_ = batch_format::no_producer_epoch;
  int32_t base_sequence_ = batch_format::no_sequence;
  timestamp_type ts_type_ = timestamp_type::create_time;
  bool transactional_ = false;
  std::optional<int32_t> forced_last_offset_delta_;
  std::optional<int64_t> forced_max_timestamp_;
  std::optional<int64_t> delete_horizon_;

  bytes records_;
  int32_t count_ = 0;
  int32_t last_offset_delta_ = -1;
  int64_t base_timestamp_ = 0;
  int64_t max_timestamp_ = -1;
};

}  // namespace shoal::storage
