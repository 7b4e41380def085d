#include "storage/compression.h"

#include <algorithm>
#include <cstring>

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include "common/endian.h"

namespace shoal::storage {
namespace {

// xerial snappy-java framing, which Kafka's producers write and consumers expect.
constexpr uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t xerial_header_size = 16;  // magic, int32 version, int32 compatible version
constexpr size_t xerial_block_size = 32 * 1024;

error corrupt(std::string_view codec, std::string_view what) {
  return make_error(errc::corrupt_message, "{} decompression failed: {}", codec, what);
}

error too_big(std::string_view codec, size_t max) {
  return make_error(errc::corrupt_message,
                    "{} data decompresses to more than {} bytes; refusing it", codec, max);
}

status gzip_compress(int level, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  z_stream zs{};
  if (level < 0) level = Z_DEFAULT_COMPRESSION;
  level = std::min(level, 9);
  // windowBits 15 + 16 selects the gzip wrapper, as Java's GZIPOutputStream writes.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return make_error(errc::unknown_server_error, "gzip: deflateInit2 failed");
  }
  size_t start = out.size();
  out.resize(start + deflateBound(&zs, in.size()) + 32);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data() + start;
  zs.avail_out = static_cast<uInt>(out.size() - start);
  int rc = deflate(&zs, Z_FINISH);
  size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END)
    return make_error(errc::unknown_server_error, "gzip: deflate failed ({})", rc);
  out.resize(start + produced);
  return {};
}

// The room a streaming decompressor gets next: as much as it has produced so far (so the
// buffer doubles), at first the compressed size plus 64 KiB (enough for an incompressible
// batch in one step), never past `max`. Growing a vector zero-fills the new room, so
// guessing high (4x the input, as this once did) cost a memset of four times the batch on
// every decompression: 15% of a broker's time taking lz4 batches.
size_t next_room(size_t have, size_t in_size, size_t max) {
  return std::min(std::max(have, in_size + 64 * 1024), max - have);
}

status gzip_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max) {
  z_stream zs{};
  // 15 + 32: accept a gzip or zlib header.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return corrupt("gzip", "inflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  size_t start = out.size();
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    size_t have = out.size() - start;
    if (have >= max) {
      inflateEnd(&zs);
      return too_big("gzip", max);
    }
    size_t grow = next_room(have, in.size(), max);
    out.resize(out.size() + grow);
    zs.next_out = out.data() + start + have;
    zs.avail_out = static_cast<uInt>(grow);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(start + zs.total_out);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      inflateEnd(&zs);
      return corrupt("gzip", zs.msg != nullptr ? zs.msg : "inflate failed");
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      return corrupt("gzip", "truncated stream");
    }
  }
  inflateEnd(&zs);
  return {};
}

status snappy_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  size_t pos = out.size();
  out.resize(pos + xerial_header_size);
  std::memcpy(out.data() + pos, xerial_magic, sizeof(xerial_magic));
  store_be<int32_t>(out.data() + pos + 8, 1);   // version
  store_be<int32_t>(out.data() + pos + 12, 1);  // minimum compatible version
  for (size_t off = 0; off < in.size(); off += xerial_block_size) {
    size_t n = std::min(xerial_block_size, in.size() - off);
    size_t block_pos = out.size();
    out.resize(block_pos + 4 + snappy::MaxCompressedLength(n));
    size_t written = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(in.data() + off), n,
                        reinterpret_cast<char*>(out.data() + block_pos + 4), &written);
    store_be<int32_t>(out.data() + block_pos, static_cast<int32_t>(written));
    out.resize(block_pos + 4 + written);
  }
  return {};
}

status snappy_raw_decompress(const uint8_t* p, size_t n, std::vector<uint8_t>& out, size_t max) {
  size_t len = 0;
  if (!snappy::GetUncompressedLength(reinterpret_cast<const char*>(p), n, &len)) {
    return corrupt("snappy", "bad block header");
  }
  if (out.size() + len > max) return too_big("snappy", max);
  size_t pos = out.size();
  out.resize(pos + len);
  if (!snappy::RawUncompress(reinterpret_cast<const char*>(p), n,
                             reinterpret_cast<char*>(out.data() + pos))) {
    out.resize(pos);
    return corrupt("snappy", "bad block");
  }
  return {};
}

status snappy_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max) {
  size_t limit = out.size() + max;
  if (in.size() < xerial_header_size ||
      std::memcmp(in.data(), xerial_magic, sizeof(xerial_magic)) != 0) {
    // Raw snappy: what some non-Java clients send.
    return snappy_raw_decompress(in.data(), in.size(), out, limit);
  }
  size_t off = xerial_header_size;
  while (off < in.size()) {
    if (in.size() - off < 4) return corrupt("snappy", "truncated xerial block length");
    int32_t n = load_be<int32_t>(in.data() + off);
    off += 4;
    if (n < 0 || static_cast<size_t>(n) > in.size() - off) {
      return corrupt("snappy", "xerial block runs past the end of the batch");
    }
    SHOAL_TRY(snappy_raw_decompress(in.data() + off, static_cast<size_t>(n), out, limit));
    off += static_cast<size_t>(n);
  }
  return {};
}

status lz4_compress(int level, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  LZ4F_preferences_t prefs{};
  // Independent 64 KiB blocks without content size: the frame Kafka's Java client writes
  // and reads.
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.compressionLevel = level < 0 ? 0 : std::min(level, 12);
  size_t pos = out.size();
  out.resize(pos + LZ4F_compressFrameBound(in.size(), &prefs));
  size_t n = LZ4F_compressFrame(out.data() + pos, out.size() - pos, in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) {
    out.resize(pos);
    return make_error(errc::unknown_server_error, "lz4: {}", LZ4F_getErrorName(n));
  }
  out.resize(pos + n);
  return {};
}

status lz4_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max) {
  LZ4F_dctx* dctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) {
    return corrupt("lz4", "cannot create a decompression context");
  }
  size_t start = out.size();
  const uint8_t* src = in.data();
  size_t src_left = in.size();
  size_t hint = 1;
  status st;
  while (src_left > 0 && hint != 0) {
    size_t have = out.size() - start;
    if (have >= max) {
      st = too_big("lz4", max);
      break;
    }
    size_t grow = next_room(have, in.size(), max);
    out.resize(out.size() + grow);
    size_t dst_size = grow;
    size_t src_size = src_left;
    hint = LZ4F_decompress(dctx, out.data() + start + have, &dst_size, src, &src_size, nullptr);
    out.resize(start + have + dst_size);
    if (LZ4F_isError(hint)) {
      st = corrupt("lz4", LZ4F_getErrorName(hint));
      break;
    }
    src += src_size;
    src_left -= src_size;
    if (src_size == 0 && dst_size == 0 && hint != 0) {
      st = corrupt("lz4", "no progress");
      break;
    }
  }
  if (st && hint != 0) st = corrupt("lz4", "truncated frame");
  LZ4F_freeDecompressionContext(dctx);
  return st;
}

// zstd contexts are large (megabytes at the default level) and costly to set up: each thread
// keeps one of each for its lifetime rather than making one per batch.
struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};

ZstdContexts& zstd_contexts() {
  thread_local ZstdContexts ctx;
  return ctx;
}

status zstd_compress(int level, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  if (level < 0) level = ZSTD_CLEVEL_DEFAULT;
  level = std::min(level, ZSTD_maxCLevel());
  ZSTD_CCtx* cctx = zstd_contexts().c;
  if (cctx == nullptr) return make_error(errc::unknown_server_error, "zstd: out of memory");
  size_t pos = out.size();
  out.resize(pos + ZSTD_compressBound(in.size()));
  // One-shot: the frame records its content size, which lets the reader size its buffer.
  size_t n =
      ZSTD_compressCCtx(cctx, out.data() + pos, out.size() - pos, in.data(), in.size(), level);
  if (ZSTD_isError(n)) {
    out.resize(pos);
    return make_error(errc::unknown_server_error, "zstd: {}", ZSTD_getErrorName(n));
  }
  out.resize(pos + n);
  return {};
}

status zstd_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max) {
  // A single frame that says its size (Shoal's, librdkafka's) is decoded in one call into a
  // buffer of exactly that size; others (the Java client streams frames without one) below.
  unsigned long long size = ZSTD_getFrameContentSize(in.data(), in.size());
  ZSTD_DCtx* dctx = zstd_contexts().d;
  if (size != ZSTD_CONTENTSIZE_UNKNOWN && size != ZSTD_CONTENTSIZE_ERROR && dctx != nullptr &&
      ZSTD_findFrameCompressedSize(in.data(), in.size()) == in.size()) {
    if (size > max) return too_big("zstd", max);
    size_t start = out.size();
    out.resize(start + size);
    size_t n = ZSTD_decompressDCtx(dctx, out.data() + start, size, in.data(), in.size());
    if (ZSTD_isError(n) || n != size) {
      out.resize(start);
      return corrupt("zstd", ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong content size");
    }
    return {};
  }
  ZSTD_DStream* ds = ZSTD_createDStream();
  if (ds == nullptr) return corrupt("zstd", "cannot create a stream");
  ZSTD_initDStream(ds);
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  size_t start = out.size();
  size_t rc = 1;
  status st;
  while (rc != 0) {
    size_t have = out.size() - start;
    if (have >= max) {
      st = too_big("zstd", max);
      break;
    }
    size_t grow = next_room(have, std::max(in.size(), ZSTD_DStreamOutSize()), max);
    out.resize(out.size() + grow);
    ZSTD_outBuffer output{out.data() + start + have, grow, 0};
    rc = ZSTD_decompressStream(ds, &output, &input);
    out.resize(start + have + output.pos);
    if (ZSTD_isError(rc)) {
      st = corrupt("zstd", ZSTD_getErrorName(rc));
      break;
    }
    if (rc != 0 && input.pos == input.size && output.pos < grow) {
      st = corrupt("zstd", "truncated frame");
      break;
    }
  }
  ZSTD_freeDStream(ds);
  return st;
}

}  // namespace

std::string_view compression_name(compression c) {
  switch (c) {
    case compression::none:
      return "none";
    case compression::gzip:
      return "gzip";
    case compression::snappy:
      return "snappy";
    case compression::lz4:
      return "lz4";
    case compression::zstd:
      return "zstd";
  }
  return "unknown";
}

std::optional<compression> parse_compression(std::string_view name) {
  for (auto c : {compression::none, compression::gzip, compression::snappy, compression::lz4,
                 compression::zstd}) {
    if (name == compression_name(c)) return c;
  }
  return std::nullopt;
}

status compress(compression c, int level, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  switch (c) {
    case compression::none:
      out.insert(out.end(), in.begin(), in.end());
      return {};
    case compression::gzip:
      return gzip_compress(level, in, out);
    case compression::snappy:
      return snappy_compress(in, out);
    case compression::lz4:
      return lz4_compress(level, in, out);
    case compression::zstd:
      return zstd_compress(level, in, out);
  }
  return make_error(errc::unsupported_compression_type, "unknown codec {}", static_cast<int>(c));
}

status decompress(compression c, std::span<const uint8_t> in, std::vector<uint8_t>& out,
                  size_t max_size) {
  switch (c) {
    case compression::none:
      if (in.size() > max_size) return too_big("uncompressed", max_size);
      out.insert(out.end(), in.begin(), in.end());
      return {};
    case compression::gzip:
      return gzip_decompress(in, out, max_size);
    case compression::snappy:
      return snappy_decompress(in, out, max_size);
    case compression::lz4:
      return lz4_decompress(in, out, max_size);
    case compression::zstd:
      return zstd_decompress(in, out, max_size);
  }
  return make_error(errc::unsupported_compression_type, "unknown codec {}", static_cast<int>(c));
}

}  // namespace shoal::storage
