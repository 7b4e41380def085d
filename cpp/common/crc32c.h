// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2. Uses the SSE4.2 crc32
// instruction when the CPU has it, Boost.CRC otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace shoal {

// Extends `crc` (the CRC of the bytes before `data`; 0 to start) over `data`.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);

inline uint32_t crc32c(const void* data, size_t size) {
  return crc32c_extend(0, data, size);
}
inline uint32_t crc32c(std::span<const uint8_t> data) {
  return crc32c(data.data(), data.size());
}

}  // namespace shoal
