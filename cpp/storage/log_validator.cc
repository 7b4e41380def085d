#include "storage/log_validator.h"

#include <cstring>

namespace shoal::storage {

namespace bf = batch_format;

namespace {

// Re-encodes one batch with `codec`, keeping offsets deltas, timestamps, producer fields.
status recompress(const RecordBatchView& v, compression codec, bytes& out) {
  RecordBatchBuilder b(codec);
  b.set_producer(v.producer_id(), v.producer_epoch(), v.base_sequence());
  b.set_partition_leader_epoch(v.partition_leader_epoch());
  b.set_transactional(v.is_transactional());
  b.set_timestamp_type(v.ts_type());
  bytes scratch;
  RecordReader reader(v, scratch);
  RecordView r;
  while (reader.next(r)) b.append_record(r, v.base_timestamp());
  SHOAL_TRY(reader.status());
  b.set_last_offset_delta(v.last_offset_delta());
  if (v.ts_type() == timestamp_type::log_append_time) b.set_max_timestamp(v.max_timestamp());
  SHOAL_ASSIGN_OR_RETURN(bytes built, b.build());
  out.insert(out.end(), built.begin(), built.end());
  return {};
}

}  // namespace

result<ValidatedBatches> validate_for_leader(std::span<uint8_t> in, const LogConfig& cfg,
                                             bytes& storage) {
  ValidatedBatches res;
  if (in.empty()) return make_error(errc::invalid_record, "the request holds no record batch");
  if (in.size() > static_cast<size_t>(cfg.segment_bytes)) {
    return make_error(errc::record_list_too_large,
                      "{} bytes of batches exceed segment.bytes={}; send smaller requests",
                      in.size(), cfg.segment_bytes);
  }
  bool needs_recompression = false;
  bytes scratch;
  size_t pos = 0;
  int64_t rel = 0;  // offsets relative to the first batch
  while (pos < in.size()) {
    SHOAL_ASSIGN_OR_RETURN(size_t total,
                           validate_batch(bytes_view(in.data() + pos, in.size() - pos)));
    std::span<uint8_t> batch = in.subspan(pos, total);
    RecordBatchView v(batch);
    if (total > static_cast<size_t>(cfg.max_message_bytes)) {
      return make_error(errc::message_too_large,
                        "record batch of {} bytes exceeds max.message.bytes={}", total,
                        cfg.max_message_bytes);
    }
    if (v.is_control()) {
      return make_error(errc::invalid_record, "clients may not append control batches");
    }
    if (v.records_count() == 0) {
      return make_error(errc::invalid_record, "record batch is empty");
    }
    if (v.last_offset_delta() != v.records_count() - 1) {
      return make_error(errc::invalid_record, "record batch has {} records but lastOffsetDelta {}",
                        v.records_count(), v.last_offset_delta());
    }
    // Walk every record: a producer's batch must decode cleanly with offset deltas 0..n-1.
    bytes_view records = v.records_data();
    if (v.codec() != compression::none) {
      if (static_cast<uint8_t>(v.codec()) > static_cast<uint8_t>(compression::zstd)) {
        return make_error(errc::unsupported_compression_type,
                          "record batch uses unknown compression codec {}",
                          static_cast<int>(v.codec()));
      }
      scratch.clear();
      auto st = decompress(v.codec(), records, scratch,
                           static_cast<size_t>(std::max(cfg.max_message_bytes, 1)) * 64);
      if (!st) return make_error(errc::corrupt_message, "record batch: {}", st.err().message);
      records = scratch;
    }
    SHOAL_ASSIGN_OR_RETURN(int64_t max_delta,
                           check_producer_records(records, v.records_count(), cfg.cleanup_compact));
    int64_t max_ts = v.base_timestamp() + max_delta;
    // Kafka's rule for CreateTime batches: the header's max timestamp is the records' max.
    if (v.ts_type() == timestamp_type::create_time && v.max_timestamp() != max_ts) {
      store_be<int64_t>(batch.data() + bf::max_timestamp_pos, max_ts);
      set_crc(batch);
    }
    if (cfg.compression_type && *cfg.compression_type != v.codec()) needs_recompression = true;
    res.meta.push_back(BatchMeta{offset(rel), offset(rel + v.last_offset_delta()),
                                 RecordBatchView(batch).max_timestamp(), pos, total});
    res.records += v.records_count();
    rel += v.last_offset_delta() + 1;
    pos += total;
  }
  res.data = in;
  if (!needs_recompression) return res;

  storage.clear();
  storage.reserve(in.size());
  for (auto& m : res.meta) {
    RecordBatchView v(bytes_view(in.data() + m.position, m.size));
    size_t start = storage.size();
    if (v.codec() == *cfg.compression_type) {
      storage.insert(storage.end(), v.data().begin(), v.data().end());
    } else {
      SHOAL_TRY(recompress(v, *cfg.compression_type, storage));
    }
    m.position = start;
    m.size = storage.size() - start;
    if (m.size > static_cast<size_t>(cfg.max_message_bytes)) {
      return make_error(errc::message_too_large,
                        "record batch of {} bytes after recompression exceeds max.message.bytes={}",
                        m.size, cfg.max_message_bytes);
    }
  }
  res.data = std::span<uint8_t>(storage);
  return res;
}

result<ValidatedBatches> validate_for_follower(bytes_view in, offset log_end) {
  ValidatedBatches res;
  size_t pos = 0;
  offset next = log_end;
  while (pos < in.size()) {
    SHOAL_ASSIGN_OR_RETURN(size_t total, validate_batch(in.subspan(pos)));
    RecordBatchView v(in.subspan(pos, total));
    if (v.base_offset() < next) {
      return make_error(errc::invalid_record,
                        "replicated batch at offset {} does not follow the log end {}",
                        v.base_offset(), next);
    }
    res.meta.push_back(BatchMeta{v.base_offset(), v.last_offset(), v.max_timestamp(), pos, total});
    res.records += v.records_count();
    next = v.next_offset();
    pos += total;
  }
  res.data = std::span<uint8_t>(const_cast<uint8_t*>(in.data()), in.size());
  return res;
}

}  // namespace shoal::storage
