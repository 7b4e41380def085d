#include "common/crc32c.h"

#include <array>
#include <cstring>

#include <boost/crc.hpp>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace shoal {
namespace {

uint32_t crc32c_portable(uint32_t crc, const uint8_t* p, size_t n) {
  // Reflected polynomial 0x1EDC6F41 with all-ones init and final xor: the iSCSI CRC.
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> c;
  // Boost keeps the register pre-final-xor; resume from a previous CRC by undoing the xor.
  c.reset(crc ^ 0xFFFFFFFF);
  c.process_bytes(p, n);
  return c.checksum();
}

#if defined(__x86_64__)
// The crc32 instruction has a latency of 3 cycles and a throughput of 1: three independent
// streams over three blocks keep it busy, and the block CRCs are then combined by "shifting"
// a CRC over a block of zeros, which is linear and so a table lookup per byte of the CRC.

// GF(2) 32x32 matrix: mat[i] is the image of bit i.
using gf2_matrix = std::array<uint32_t, 32>;

uint32_t gf2_apply(const gf2_matrix& mat, uint32_t vec) {
  uint32_t sum = 0;
  for (int i = 0; vec != 0; ++i, vec >>= 1) {
    if (vec & 1) sum ^= mat[i];
  }
  return sum;
}

gf2_matrix gf2_square(const gf2_matrix& mat) {
  gf2_matrix sq;
  for (int i = 0; i < 32; ++i) sq[i] = gf2_apply(mat, mat[i]);
  return sq;
}

// Lookup tables applying the operator "feed n zero bytes" to a raw CRC register.
struct zeros_table {
  uint32_t t[4][256];
  explicit zeros_table(size_t n) {
    gf2_matrix op;  // one zero bit, reflected Castagnoli polynomial
    op[0] = 0x82F63B78u;
    for (int i = 1; i < 32; ++i) op[i] = 1u << (i - 1);
    gf2_matrix result{};
    for (int i = 0; i < 32; ++i) result[i] = 1u << i;
    // result = op^(8n) by repeated squaring.
    size_t bits = n * 8;
    while (bits != 0) {
      if (bits & 1) {
        gf2_matrix next;
        for (int i = 0; i < 32; ++i) next[i] = gf2_apply(op, result[i]);
        result = next;
      }
      op = gf2_square(op);
      bits >>= 1;
    }
    for (int k = 0; k < 4; ++k) {
      for (uint32_t b = 0; b < 256; ++b) t[k][b] = gf2_apply(result, b << (8 * k));
    }
  }
  uint32_t shift(uint32_t crc) const {
    return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^ t[2][(crc >> 16) & 0xff] ^ t[3][crc >> 24];
  }
};

constexpr size_t long_block = 1024;
constexpr size_t short_block = 256;

__attribute__((target("sse4.2"))) uint64_t crc_words(uint64_t c, const uint8_t* p, size_t n) {
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
  }
  return c;
}

template <size_t Block>
__attribute__((target("sse4.2"))) uint64_t crc_three_way(uint64_t c0, const uint8_t*& p, size_t& n,
                                                         const zeros_table& shift) {
  while (n >= 3 * Block) {
    uint64_t c1 = 0, c2 = 0;
    const uint8_t* end = p + Block;
    for (; p < end; p += 8) {
      uint64_t w0, w1, w2;
      std::memcpy(&w0, p, 8);
      std::memcpy(&w1, p + Block, 8);
      std::memcpy(&w2, p + 2 * Block, 8);
      c0 = _mm_crc32_u64(c0, w0);
      c1 = _mm_crc32_u64(c1, w1);
      c2 = _mm_crc32_u64(c2, w2);
    }
    c0 = shift.shift(static_cast<uint32_t>(c0)) ^ c1;
    c0 = shift.shift(static_cast<uint32_t>(c0)) ^ c2;
    p += 2 * Block;
    n -= 3 * Block;
  }
  return c0;
}

__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, const uint8_t* p, size_t n) {
  static const zeros_table long_shift(long_block);
  static const zeros_table short_shift(short_block);
  uint64_t c = crc ^ 0xFFFFFFFFu;
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    --n;
  }
  c = crc_three_way<long_block>(c, p, n, long_shift);
  c = crc_three_way<short_block>(c, p, n, short_shift);
  size_t words = n & ~size_t{7};
  c = crc_words(c, p, words);
  p += words;
  n -= words;
  while (n > 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    --n;
  }
  return static_cast<uint32_t>(c) ^ 0xFFFFFFFFu;
}

bool have_sse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
#if defined(__x86_64__)
  if (have_sse42()) return crc32c_sse42(crc, p, size);
#endif
  return crc32c_portable(crc, p, size);
}

}  // namespace shoal
