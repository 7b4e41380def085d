// Kafka's variable-length integers (protobuf-style base-128, zigzag for signed values), used
// for every field inside a record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace shoal::storage {

inline constexpr size_t max_varint_size = 5;
inline constexpr size_t max_varlong_size = 10;

inline uint64_t zigzag_encode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t zigzag_decode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// Number of bytes the zigzag encoding of v takes.
inline size_t varlong_size(int64_t v) {
  uint64_t u = zigzag_encode(v);
  size_t n = 1;
  while (u >= 0x80) {
    u >>= 7;
    ++n;
  }
  return n;
}

// Writes the zigzag varint of v at p; returns the bytes written.
// REQUIRES: p has room for max_varlong_size bytes.
inline size_t put_varlong(uint8_t* p, int64_t v) {
  uint64_t u = zigzag_encode(v);
  size_t n = 0;
  while (u >= 0x80) {
    p[n++] = static_cast<uint8_t>(u | 0x80);
    u >>= 7;
  }
  p[n++] = static_cast<uint8_t>(u);
  return n;
}

// Reads a zigzag varint of at most `max_bytes` bytes from [*p, end). Advances *p and returns
// true on success; returns false on truncation or an over-long encoding.
inline bool get_varlong(const uint8_t** p, const uint8_t* end, int64_t* out,
                        size_t max_bytes = max_varlong_size) {
  // Most varints in a record (lengths, small deltas) fit in one or two bytes.
  const uint8_t* s = *p;
  if (s < end) [[likely]] {
    if (s[0] < 0x80) {
      *out = zigzag_decode(s[0]);
      *p = s + 1;
      return true;
    }
    if (end - s >= 2 && s[1] < 0x80 && max_bytes >= 2) {
      *out = zigzag_decode((s[0] & 0x7fu) | (static_cast<uint64_t>(s[1]) << 7));
      *p = s + 2;
      return true;
    }
  }
  uint64_t result = 0;
  unsigned shift = 0;
  const uint8_t* q = *p;
  for (size_t i = 0; i < max_bytes; ++i) {
    if (q == end) return false;
    uint8_t b = *q++;
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *p = q;
      *out = zigzag_decode(result);
      return true;
    }
    shift += 7;
  }
  return false;
}

// A 32-bit varint: at most 5 bytes, value within int32.
inline bool get_varint(const uint8_t** p, const uint8_t* end, int32_t* out) {
  int64_t v;
  if (!get_varlong(p, end, &v, max_varint_size)) return false;
  if (v < INT32_MIN || v > INT32_MAX) return false;
  *out = static_cast<int32_t>(v);
  return true;
}

}  // namespace shoal::storage
