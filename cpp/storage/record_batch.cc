#include "storage/record_batch.h"

#include <algorithm>
#include <cstring>

#include "common/crc32c.h"
#include "storage/varint.h"

namespace shoal::storage {

namespace bf = batch_format;

uint32_t RecordBatchView::compute_crc() const {
  return crc32c(data_.data() + bf::crc_start, data_.size() - bf::crc_start);
}

result<size_t> validate_batch(bytes_view data) {
  if (data.size() < bf::header_size) {
    return make_error(errc::corrupt_message,
                      "batch header truncated: {} bytes where a RecordBatch header needs {}",
                      data.size(), bf::header_size);
  }
  RecordBatchView v(data.first(bf::header_size));
  int32_t len = v.batch_length();
  if (len < static_cast<int32_t>(bf::header_size - bf::log_overhead)) {
    return make_error(errc::corrupt_message, "batch at offset {} has batchLength {} < minimum {}",
                      v.base_offset(), len, bf::header_size - bf::log_overhead);
  }
  size_t total = static_cast<size_t>(len) + bf::log_overhead;
  if (total > data.size()) {
    return make_error(errc::corrupt_message,
                      "batch at offset {} claims {} bytes but only {} remain (length past its end)",
                      v.base_offset(), total, data.size());
  }
  if (v.magic() != bf::magic_v2) {
    return make_error(errc::corrupt_message,
                      "batch at offset {} has magic {}; only RecordBatch v2 (magic 2) is supported",
                      v.base_offset(), static_cast<int>(v.magic()));
  }
  RecordBatchView full(data.first(total));
  uint32_t computed = full.compute_crc();
  if (computed != full.crc()) {
    return make_error(errc::corrupt_message,
                      "batch at offset {} has CRC {:#010x} but its bytes give {:#010x}",
                      v.base_offset(), full.crc(), computed);
  }
  if (full.last_offset_delta() < 0) {
    return make_error(errc::corrupt_message, "batch at offset {} has lastOffsetDelta {} < 0",
                      v.base_offset(), full.last_offset_delta());
  }
  if (full.records_count() < 0) {
    return make_error(errc::corrupt_message, "batch at offset {} has record count {} < 0",
                      v.base_offset(), full.records_count());
  }
  return total;
}

void set_base_offset(std::span<uint8_t> batch, offset o) {
  store_be<int64_t>(batch.data() + bf::base_offset_pos, o());
}

void set_partition_leader_epoch(std::span<uint8_t> batch, int32_t epoch) {
  store_be<int32_t>(batch.data() + bf::partition_leader_epoch_pos, epoch);
}

void set_crc(std::span<uint8_t> batch) {
  uint32_t c = crc32c(batch.data() + bf::crc_start, batch.size() - bf::crc_start);
  store_be<uint32_t>(batch.data() + bf::crc_pos, c);
}

void set_producer(std::span<uint8_t> batch, int64_t producer_id, int16_t producer_epoch,
                  int32_t base_sequence) {
  store_be<int64_t>(batch.data() + bf::producer_id_pos, producer_id);
  store_be<int16_t>(batch.data() + bf::producer_epoch_pos, producer_epoch);
  store_be<int32_t>(batch.data() + bf::base_sequence_pos, base_sequence);
  set_crc(batch);
}

void set_log_append_time(std::span<uint8_t> batch, int64_t ts) {
  int16_t attrs = load_be<int16_t>(batch.data() + bf::attributes_pos);
  attrs = static_cast<int16_t>(attrs | bf::timestamp_type_bit);
  store_be<int16_t>(batch.data() + bf::attributes_pos, attrs);
  store_be<int64_t>(batch.data() + bf::max_timestamp_pos, ts);
  set_crc(batch);
}

// --- records ---

bool parse_record(const uint8_t** pp, const uint8_t* end, RecordView& out) {
  const uint8_t* start = *pp;
  const uint8_t* p = start;
  int32_t length;
  if (!get_varint(&p, end, &length)) return false;
  if (length < static_cast<int32_t>(bf::min_record_size) - 1 || length > end - p) return false;
  const uint8_t* rec_end = p + length;
  if (p == rec_end) return false;
  out.attributes = static_cast<int8_t>(*p++);
  if (!get_varlong(&p, rec_end, &out.timestamp_delta)) return false;
  if (!get_varint(&p, rec_end, &out.offset_delta)) return false;
  int32_t key_len;
  if (!get_varint(&p, rec_end, &key_len)) return false;
  if (key_len < -1 || key_len > rec_end - p) return false;
  out.key_null = key_len < 0;
  out.key = out.key_null ? bytes_view{} : bytes_view(p, static_cast<size_t>(key_len));
  if (!out.key_null) p += key_len;
  int32_t value_len;
  if (!get_varint(&p, rec_end, &value_len)) return false;
  if (value_len < -1 || value_len > rec_end - p) return false;
  out.value_null = value_len < 0;
  out.value = out.value_null ? bytes_view{} : bytes_view(p, static_cast<size_t>(value_len));
  if (!out.value_null) p += value_len;
  if (!get_varint(&p, rec_end, &out.header_count)) return false;
  if (out.header_count < 0) return false;
  const uint8_t* headers_start = p;
  for (int32_t i = 0; i < out.header_count; ++i) {
    int32_t hk;
    if (!get_varint(&p, rec_end, &hk)) return false;
    if (hk < 0 || hk > rec_end - p) return false;
    p += hk;
    int32_t hv;
    if (!get_varint(&p, rec_end, &hv)) return false;
    if (hv < -1 || hv > rec_end - p) return false;
    if (hv > 0) p += hv;
  }
  if (p != rec_end) return false;  // the length must cover exactly the fields
  out.headers_data = bytes_view(headers_start, static_cast<size_t>(rec_end - headers_start));
  out.raw = bytes_view(start, static_cast<size_t>(rec_end - start));
  *pp = rec_end;
  return true;
}

namespace {

// A zigzag varint of at most `max` bytes: the common one- and two-byte forms inline, the rest
// out of line. The slow path returns by value so that the hot loop's cursor and values never
// have their address taken (which would pin them to the stack).
struct varint_result {
  const uint8_t* next;  // nullptr on failure
  int64_t value;
};

[[gnu::noinline]] varint_result varint_slow(const uint8_t* p, const uint8_t* end, size_t max) {
  int64_t v = 0;
  if (!get_varlong(&p, end, &v, max)) return {nullptr, 0};
  return {p, v};
}

[[gnu::always_inline]] inline bool varint(const uint8_t*& p, const uint8_t* end, int64_t& v,
                                          size_t max = max_varint_size) {
  if (end - p >= 2) [[likely]] {
    uint8_t b0 = p[0];
    if (b0 < 0x80) {
      v = zigzag_decode(b0);
      p += 1;
      return true;
    }
    uint8_t b1 = p[1];
    if (b1 < 0x80) {
      v = zigzag_decode((b0 & 0x7fu) | (static_cast<uint64_t>(b1) << 7));
      p += 2;
      return true;
    }
  }
  varint_result r = varint_slow(p, end, max);
  if (r.next == nullptr) return false;
  p = r.next;
  v = r.value;
  return true;
}

[[gnu::cold]] error malformed(int32_t i, const char* what) {
  return make_error(errc::corrupt_message, "record {} is malformed: {}", i, what);
}

}  // namespace

result<int64_t> check_producer_records(bytes_view records, int32_t count, bool need_key) {
  const uint8_t* p = records.data();
  const uint8_t* const end = p + records.size();
  int64_t max_delta = INT64_MIN;
  for (int32_t i = 0; i < count; ++i) {
    int64_t len, ts_delta, off_delta, key_len, value_len, headers;
    if (!varint(p, end, len) || len < static_cast<int64_t>(bf::min_record_size) - 1 ||
        len > end - p) [[unlikely]] {
      return malformed(i, "bad length");
    }
    const uint8_t* const rec_end = p + len;
    ++p;  // attributes
    if (!varint(p, rec_end, ts_delta, max_varlong_size) || !varint(p, rec_end, off_delta))
        [[unlikely]] {
      return malformed(i, "bad timestamp or offset delta");
    }
    if (off_delta != i) [[unlikely]] {
      return make_error(errc::invalid_record, "record {} of the batch has offset delta {}", i,
                        off_delta);
    }
    if (!varint(p, rec_end, key_len) || key_len < -1 || key_len > rec_end - p) [[unlikely]] {
      return malformed(i, "bad key length");
    }
    if (key_len < 0) {
      if (need_key) [[unlikely]] {
        return make_error(errc::invalid_record,
                          "compacted topic cannot accept a record without a key (record {})", i);
      }
    } else {
      p += key_len;
    }
    if (!varint(p, rec_end, value_len) || value_len < -1 || value_len > rec_end - p) [[unlikely]] {
      return malformed(i, "bad value length");
    }
    if (value_len > 0) p += value_len;
    if (p < rec_end && *p == 0) {
      ++p;  // no headers: the common case
    } else {
      if (!varint(p, rec_end, headers) || headers < 0) [[unlikely]] {
        return malformed(i, "bad header count");
      }
      for (int64_t h = 0; h < headers; ++h) {
        int64_t hk, hv;
        if (!varint(p, rec_end, hk) || hk < 0 || hk > rec_end - p)
          return malformed(i, "bad header key");
        p += hk;
        if (!varint(p, rec_end, hv) || hv < -1 || hv > rec_end - p) {
          return malformed(i, "bad header value");
        }
        if (hv > 0) p += hv;
      }
    }
    if (p != rec_end) [[unlikely]] {
      return malformed(i, "its length does not match its fields");
    }
    max_delta = std::max(max_delta, ts_delta);
  }
  if (p != end) {
    return make_error(errc::corrupt_message, "{} bytes after the last of the batch's {} records",
                      end - p, count);
  }
  return max_delta;
}

std::vector<RecordHeaderView> RecordView::headers() const {
  std::vector<RecordHeaderView> out;
  out.reserve(static_cast<size_t>(header_count));
  const uint8_t* p = headers_data.data();
  const uint8_t* end = p + headers_data.size();
  for (int32_t i = 0; i < header_count; ++i) {
    int32_t hk = 0, hv = 0;
    get_varint(&p, end, &hk);
    RecordHeaderView h;
    h.key = std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(hk));
    p += hk;
    get_varint(&p, end, &hv);
    h.value_null = hv < 0;
    if (hv >= 0) {
      h.value = bytes_view(p, static_cast<size_t>(hv));
      p += hv;
    }
    out.push_back(h);
  }
  return out;
}

RecordReader::RecordReader(const RecordBatchView& batch, bytes& scratch, size_t max_decompressed)
    : expected_(batch.records_count()), base_offset_(batch.base_offset()) {
  bytes_view data = batch.records_data();
  if (batch.codec() == compression::none) {
    p_ = data.data();
    end_ = p_ + data.size();
    return;
  }
  if (static_cast<uint8_t>(batch.codec()) > static_cast<uint8_t>(compression::zstd)) {
    status_ = make_error(errc::unsupported_compression_type,
                         "batch at offset {} uses unknown compression codec {}", base_offset_,
                         static_cast<int>(batch.codec()));
    return;
  }
  scratch.clear();
  auto st = decompress(batch.codec(), data, scratch, max_decompressed);
  if (!st) {
    status_ =
        make_error(errc::corrupt_message, "batch at offset {}: {}", base_offset_, st.err().message);
    return;
  }
  p_ = scratch.data();
  end_ = p_ + scratch.size();
}

bool RecordReader::fail(std::string msg) {
  status_ = make_error(errc::corrupt_message, "batch at offset {}: {}", base_offset_, msg);
  p_ = end_;
  return false;
}

bool RecordReader::next(RecordView& out) {
  if (!status_) return false;
  if (read_ == expected_) {
    if (p_ != end_)
      return fail(fmt::format("{} bytes after the last of its {} records", end_ - p_, expected_));
    return false;
  }
  if (p_ == end_) {
    return fail(fmt::format("header says {} records but the data holds {}", expected_, read_));
  }
  if (!parse_record(&p_, end_, out)) {
    return fail(fmt::format("record {} is malformed", read_));
  }
  ++read_;
  return true;
}

// --- builder ---

RecordBatchBuilder::RecordBatchBuilder(compression codec, int level)
    : codec_(codec), level_(level) {}

void RecordBatchBuilder::reset() {
  records_.clear();
  count_ = 0;
  last_offset_delta_ = -1;
  base_timestamp_ = 0;
  max_timestamp_ = -1;
  forced_last_offset_delta_.reset();
  forced_max_timestamp_.reset();
  delete_horizon_.reset();
}

void RecordBatchBuilder::set_delete_horizon(int64_t horizon_ms) {
  SHOAL_ASSERT(count_ == 0, "set_delete_horizon after records were appended");
  delete_horizon_ = horizon_ms;
  base_timestamp_ = horizon_ms;
}

void RecordBatchBuilder::append(int64_t timestamp, std::optional<bytes_view> key,
                                std::optional<bytes_view> value,
                                std::span<const RecordHeader> headers,
                                std::optional<int32_t> offset_delta) {
  int32_t delta = offset_delta.value_or(last_offset_delta_ + 1);
  SHOAL_ASSERT(delta > last_offset_delta_, "offset deltas must increase ({} after {})", delta,
               last_offset_delta_);
  encode_record(timestamp, delta, key, value, headers, {}, -1);
}

void RecordBatchBuilder::append_record(const RecordView& rec, int64_t base_timestamp_of_source) {
  SHOAL_ASSERT(rec.offset_delta > last_offset_delta_, "offset deltas must increase");
  std::optional<bytes_view> key, value;
  if (!rec.key_null) key = rec.key;
  if (!rec.value_null) value = rec.value;
  encode_record(base_timestamp_of_source + rec.timestamp_delta, rec.offset_delta, key, value, {},
                rec.headers_data, rec.header_count);
}

void RecordBatchBuilder::encode_record(int64_t timestamp, int32_t offset_delta,
                                       std::optional<bytes_view> key,
                                       std::optional<bytes_view> value,
                                       std::span<const RecordHeader> headers,
                                       bytes_view raw_headers, int32_t raw_header_count) {
  if (count_ == 0 && !delete_horizon_) base_timestamp_ = timestamp;
  max_timestamp_ = std::max(max_timestamp_, timestamp);
  int64_t ts_delta = timestamp - base_timestamp_;

  // Size of the body (everything after the length varint).
  size_t body = 1 + varlong_size(ts_delta) + varlong_size(offset_delta);
  body += key ? varlong_size(static_cast<int64_t>(key->size())) + key->size() : 1;
  body += value ? varlong_size(static_cast<int64_t>(value->size())) + value->size() : 1;
  if (raw_header_count >= 0) {
    body += varlong_size(raw_header_count) + raw_headers.size();
  } else {
    body += varlong_size(static_cast<int64_t>(headers.size()));
    for (const auto& h : headers) {
      body += varlong_size(static_cast<int64_t>(h.key.size())) + h.key.size();
      body += h.value ? varlong_size(static_cast<int64_t>(h.value->size())) + h.value->size() : 1;
    }
  }

  size_t pos = records_.size();
  records_.resize(pos + max_varint_size + body);
  uint8_t* p = records_.data() + pos;
  p += put_varlong(p, static_cast<int64_t>(body));
  *p++ = 0;  // record attributes: unused in v2
  p += put_varlong(p, ts_delta);
  p += put_varlong(p, offset_delta);
  auto put_bytes = [&p](std::optional<bytes_view> b) {
    if (!b) {
      p += put_varlong(p, -1);
      return;
    }
    p += put_varlong(p, static_cast<int64_t>(b->size()));
    if (!b->empty()) std::memcpy(p, b->data(), b->size());
    p += b->size();
  };
  put_bytes(key);
  put_bytes(value);
  if (raw_header_count >= 0) {
    p += put_varlong(p, raw_header_count);
    if (!raw_headers.empty()) std::memcpy(p, raw_headers.data(), raw_headers.size());
    p += raw_headers.size();
  } else {
    p += put_varlong(p, static_cast<int64_t>(headers.size()));
    for (const auto& h : headers) {
      put_bytes(bytes_view(reinterpret_cast<const uint8_t*>(h.key.data()), h.key.size()));
      put_bytes(h.value ? std::optional<bytes_view>(bytes_view(*h.value)) : std::nullopt);
    }
  }
  records_.resize(static_cast<size_t>(p - records_.data()));
  ++count_;
  last_offset_delta_ = offset_delta;
}

result<bytes> RecordBatchBuilder::build() {
  bytes out;
  out.reserve(bf::header_size + records_.size() + 64);
  out.resize(bf::header_size);
  if (codec_ == compression::none) {
    out.insert(out.end(), records_.begin(), records_.end());
  } else {
    SHOAL_TRY(compress(codec_, level_, records_, out));
  }
  uint8_t* h = out.data();
  int16_t attrs = static_cast<int16_t>(static_cast<uint8_t>(codec_));
  if (ts_type_ == timestamp_type::log_append_time) attrs |= bf::timestamp_type_bit;
  if (transactional_) attrs |= bf::transactional_bit;
  if (delete_horizon_) attrs |= bf::delete_horizon_bit;
  int32_t last_delta = forced_last_offset_delta_.value_or(std::max(last_offset_delta_, 0));
  int64_t max_ts = forced_max_timestamp_.value_or(count_ == 0 ? -1 : max_timestamp_);
  store_be<int64_t>(h + bf::base_offset_pos, base_offset_());
  store_be<int32_t>(h + bf::batch_length_pos, static_cast<int32_t>(out.size() - bf::log_overhead));
  store_be<int32_t>(h + bf::partition_leader_epoch_pos, partition_leader_epoch_);
  h[bf::magic_pos] = static_cast<uint8_t>(bf::magic_v2);
  store_be<int16_t>(h + bf::attributes_pos, attrs);
  store_be<int32_t>(h + bf::last_offset_delta_pos, last_delta);
  store_be<int64_t>(h + bf::base_timestamp_pos,
                    count_ == 0 && !delete_horizon_ ? -1 : base_timestamp_);
  store_be<int64_t>(h + bf::max_timestamp_pos, max_ts);
  store_be<int64_t>(h + bf::producer_id_pos, producer_id_);
  store_be<int16_t>(h + bf::producer_epoch_pos, producer_epoch_);
  store_be<int32_t>(h + bf::base_sequence_pos, base_sequence_);
  store_be<int32_t>(h + bf::records_count_pos, count_);
  set_crc(out);
  return out;
}

}  // namespace shoal::storage
