// The on-disk and on-wire layout of a Kafka RecordBatch v2 (magic 2). Constants only; the
// grammar is in docs/record-batch.md. All integers are big-endian.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shoal::storage::batch_format {

// Byte offsets of the batch header fields.
inline constexpr size_t base_offset_pos = 0;              // int64
inline constexpr size_t batch_length_pos = 8;             // int32: bytes after this field
inline constexpr size_t partition_leader_epoch_pos = 12;  // int32
inline constexpr size_t magic_pos = 16;                   // int8, always 2
inline constexpr size_t crc_pos = 17;                // uint32, CRC-32C of [attributes_pos, end)
inline constexpr size_t attributes_pos = 21;         // int16
inline constexpr size_t last_offset_delta_pos = 23;  // int32
inline constexpr size_t base_timestamp_pos = 27;     // int64
inline constexpr size_t max_timestamp_pos = 35;      // int64
inline constexpr size_t producer_id_pos = 43;        // int64
inline constexpr size_t producer_epoch_pos = 51;     // int16
inline constexpr size_t base_sequence_pos = 53;      // int32
inline constexpr size_t records_count_pos = 57;      // int32
inline constexpr size_t records_pos = 61;            // records, compressed as a whole

inline constexpr size_t header_size = records_pos;
// baseOffset + batchLength: the part of the header not counted by batchLength (Kafka's
// LOG_OVERHEAD).
inline constexpr size_t log_overhead = batch_length_pos + 4;
inline constexpr size_t crc_start = attributes_pos;
inline constexpr int8_t magic_v2 = 2;

static_assert(magic_pos == partition_leader_epoch_pos + 4);
static_assert(crc_pos == magic_pos + 1);
static_assert(attributes_pos == crc_pos + 4);
static_assert(last_offset_delta_pos == attributes_pos + 2);
static_assert(base_timestamp_pos == last_offset_delta_pos + 4);
static_assert(max_timestamp_pos == base_timestamp_pos + 8);
static_assert(producer_id_pos == max_timestamp_pos + 8);
static_assert(producer_epoch_pos == producer_id_pos + 8);
static_assert(base_sequence_pos == producer_epoch_pos + 2);
static_assert(records_count_pos == base_sequence_pos + 4);
static_assert(records_pos == records_count_pos + 4);
static_assert(header_size == 61, "Kafka's RECORD_BATCH_OVERHEAD");

// Attribute bits.
inline constexpr int16_t compression_mask = 0x07;    // 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd
inline constexpr int16_t timestamp_type_bit = 0x08;  // 0 CreateTime, 1 LogAppendTime
inline constexpr int16_t transactional_bit = 0x10;
inline constexpr int16_t control_bit = 0x20;
inline constexpr int16_t delete_horizon_bit = 0x40;  // KIP-534: baseTimestamp is a delete horizon

// "No producer" values of the idempotence fields.
inline constexpr int64_t no_producer_id = -1;
inline constexpr int16_t no_producer_epoch = -1;
inline constexpr int32_t no_sequence = -1;

// The smallest legal record: length varint, attributes, 3 one-byte varints, key and value
// lengths, header count.
inline constexpr size_t min_record_size = 7;

}  // namespace shoal::storage::batch_format
