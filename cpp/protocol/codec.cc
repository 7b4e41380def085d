#include "protocol/codec.h"

#include <bit>

#include <fmt/format.h>

namespace shoal::protocol {

// ---- uuid ----

namespace {
constexpr char base64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}
}  // namespace

std::string uuid::to_string() const {
  uint8_t b[16];
  store_be(b, hi);
  store_be(b + 8, lo);
  std::string out;
  out.reserve(22);
  // 16 bytes: five 3-byte groups (20 characters) and one byte left (2 characters).
  for (int i = 0; i < 15; i += 3) {
    uint32_t n = (uint32_t{b[i]} << 16) | (uint32_t{b[i + 1]} << 8) | b[i + 2];
    out += base64url[(n >> 18) & 63];
    out += base64url[(n >> 12) & 63];
    out += base64url[(n >> 6) & 63];
    out += base64url[n & 63];
  }
  out += base64url[b[15] >> 2];
  out += base64url[(b[15] & 3) << 4];
  return out;
}

std::optional<uuid> uuid::parse(std::string_view text) {
  if (text.size() != 22) return std::nullopt;
  uint8_t b[16];
  int bi = 0;
  for (int i = 0; i < 20; i += 4) {
    int v[4];
    for (int k = 0; k < 4; ++k) {
      v[k] = base64url_value(text[i + k]);
      if (v[k] < 0) return std::nullopt;
    }
    uint32_t n = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | v[3];
    b[bi++] = static_cast<uint8_t>(n >> 16);
    b[bi++] = static_cast<uint8_t>(n >> 8);
    b[bi++] = static_cast<uint8_t>(n);
  }
  int a = base64url_value(text[20]), c = base64url_value(text[21]);
  if (a < 0 || c < 0 || (c & 15) != 0) return std::nullopt;
  b[15] = static_cast<uint8_t>((a << 2) | (c >> 4));
  return uuid{load_be<uint64_t>(b), load_be<uint64_t>(b + 8)};
}

// ---- Writer ----

void Writer::write_float64(double v) {
  write_int64(std::bit_cast<int64_t>(v));
}

void Writer::write_uvarint(uint64_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<uint8_t>(v));
}

void Writer::write_varint(int64_t v) {
  write_uvarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

namespace {
void check_length(size_t n, size_t limit, const char* what) {
  if (n > limit) {
    throw std::length_error(
        fmt::format("protocol: {} of {} exceeds the limit of {}", what, n, limit));
  }
}
constexpr size_t int32_limit = static_cast<size_t>(std::numeric_limits<int32_t>::max());
}  // namespace

void Writer::write_string(std::string_view s, bool flexible) {
  if (flexible) {
    check_length(s.size(), int32_limit - 1, "a string's length");
    write_uvarint(s.size() + 1);
  } else {
    check_length(s.size(), static_cast<size_t>(max_string_length), "a string's length");
    write_int16(static_cast<int16_t>(s.size()));
  }
  out_->insert(out_->end(), s.begin(), s.end());
}

void Writer::write_null_string(bool flexible) {
  if (flexible) {
    write_uvarint(0);
  } else {
    write_int16(-1);
  }
}

void Writer::write_bytes(bytes_view b, bool flexible) {
  if (flexible) {
    check_length(b.size(), int32_limit - 1, "a byte string's length");
    write_uvarint(b.size() + 1);
  } else {
    check_length(b.size(), int32_limit, "a byte string's length");
    write_int32(static_cast<int32_t>(b.size()));
  }
  out_->insert(out_->end(), b.begin(), b.end());
}

void Writer::write_null_bytes(bool flexible) {
  if (flexible) {
    write_uvarint(0);
  } else {
    write_int32(-1);
  }
}

void Writer::write_array_length(size_t n, bool flexible) {
  if (flexible) {
    check_length(n, int32_limit - 1, "an array's count");
    write_uvarint(n + 1);
  } else {
    check_length(n, int32_limit, "an array's count");
    write_int32(static_cast<int32_t>(n));
  }
}

void Writer::write_null_array(bool flexible) {
  if (flexible) {
    write_uvarint(0);
  } else {
    write_int32(-1);
  }
}

// ---- Reader ----

bool Reader::fail(size_t at, const char* field, std::string_view detail) {
  if (!failed_) {
    failed_ = true;
    error_ = make_error(errc::invalid_request, "malformed {} v{}: {}: {} at byte {}", what_,
                        version_, field, detail, at);
  }
  return false;
}

bool Reader::need(size_t n, const char* field, std::string_view type) {
  if (failed_) return false;
  if (remaining() < n) {
    return fail(pos_, field, fmt::format("{} needs {} bytes, {} left", type, n, remaining()));
  }
  return true;
}

const error& Reader::err() const {
  SHOAL_ASSERT(failed_, "Reader::err() without a failure");
  return error_;
}

status Reader::finish() {
  if (!failed_ && remaining() != 0) {
    fail(pos_, "end", fmt::format("{} trailing bytes after the last field", remaining()));
  }
  if (failed_) return error_;
  return status::ok();
}

bool Reader::read_bool(const char* field) {
  // Any non-zero byte is true, as in Kafka's own decoder.
  return get<int8_t>(field) != 0;
}

double Reader::read_float64(const char* field) {
  return std::bit_cast<double>(get<int64_t>(field));
}

uuid Reader::read_uuid(const char* field) {
  if (!need(16, field, "uuid")) return {};
  uuid u{load_be<uint64_t>(in_.data() + pos_), load_be<uint64_t>(in_.data() + pos_ + 8)};
  pos_ += 16;
  return u;
}

uint32_t Reader::read_uvarint(const char* field) {
  if (failed_) return 0;
  const size_t at = pos_;
  uint64_t v = 0;
  for (int i = 0; i < 5; ++i) {
    if (pos_ >= in_.size()) {
      fail(at, field, "varint runs past the end");
      return 0;
    }
    uint8_t b = in_[pos_++];
    v |= uint64_t{b & 0x7fu} << (7 * i);
    if ((b & 0x80) == 0) {
      if (v > std::numeric_limits<uint32_t>::max()) {
        fail(at, field, "varint exceeds 32 bits");
        return 0;
      }
      return static_cast<uint32_t>(v);
    }
  }
  fail(at, field, "varint longer than 5 bytes");
  return 0;
}

int32_t Reader::read_varint(const char* field) {
  uint32_t u = read_uvarint(field);
  return static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1));
}

template <typename I>
int64_t Reader::get_length(bool flexible, bool nullable, const char* field) {
  if (failed_) return -2;
  const size_t at = pos_;
  int64_t n;
  if (flexible) {
    uint32_t u = read_uvarint(field);
    if (failed_) return -2;
    n = static_cast<int64_t>(u) - 1;
  } else {
    n = get<I>(field);
    if (failed_) return -2;
  }
  if (n < 0) {
    if (nullable && n == -1) return -1;
    fail(at, field,
         n == -1 ? std::string("null where the field is not nullable")
                 : fmt::format("length {} is negative", n));
    return -2;
  }
  if (static_cast<uint64_t>(n) > remaining()) {
    fail(at, field, fmt::format("length {} exceeds the {} bytes left", n, remaining()));
    return -2;
  }
  return n;
}

void Reader::read_string(std::string& out, bool flexible, const char* field) {
  int64_t n = get_length<int16_t>(flexible, false, field);
  if (n < 0) return;
  out.assign(reinterpret_cast<const char*>(in_.data() + pos_), static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
}

void Reader::read_nullable_string(std::optional<std::string>& out, bool flexible, bool nullable,
                                  const char* field) {
  int64_t n = get_length<int16_t>(flexible, nullable, field);
  if (n == -1) {
    out.reset();
    return;
  }
  if (n < 0) return;
  out.emplace(reinterpret_cast<const char*>(in_.data() + pos_), static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
}

void Reader::read_bytes(bytes& out, bool flexible, const char* field) {
  int64_t n = get_length<int32_t>(flexible, false, field);
  if (n < 0) return;
  out.assign(in_.data() + pos_, in_.data() + pos_ + n);
  pos_ += static_cast<size_t>(n);
}

void Reader::read_nullable_bytes(std::optional<bytes>& out, bool flexible, bool nullable,
                                 const char* field) {
  int64_t n = get_length<int32_t>(flexible, nullable, field);
  if (n == -1) {
    out.reset();
    return;
  }
  if (n < 0) return;
  out.emplace(in_.data() + pos_, in_.data() + pos_ + n);
  pos_ += static_cast<size_t>(n);
}

int32_t Reader::read_array_length(bool flexible, bool nullable, size_t min_element_size,
                                  const char* field) {
  if (failed_) return -1;
  const size_t at = pos_;
  int64_t n;
  if (flexible) {
    uint32_t u = read_uvarint(field);
    if (failed_) return -1;
    n = static_cast<int64_t>(u) - 1;
  } else {
    n = get<int32_t>(field);
    if (failed_) return -1;
  }
  if (n < 0) {
    if (nullable && n == -1) return -1;
    fail(at, field,
         n == -1 ? std::string("null array where the field is not nullable")
                 : fmt::format("array count {} is negative", n));
    return -1;
  }
  // Elements of a struct with no fields in this version would take no bytes; still allow at
  // most one per byte left, so that a count cannot make the decoder allocate without bound.
  const size_t per = min_element_size == 0 ? 1 : min_element_size;
  if (static_cast<uint64_t>(n) > remaining() / per) {
    fail(at, field,
         fmt::format("array count {} of elements of at least {} bytes exceeds the {} bytes left", n,
                     per, remaining()));
    return -1;
  }
  return static_cast<int32_t>(n);
}

void Reader::read_string_map(string_map& out, bool flexible, const char* field) {
  // A pair is two string lengths at least.
  int32_t n = read_array_length(flexible, false, flexible ? 2 : 4, field);
  out.clear();
  for (int32_t i = 0; i < n && ok(); ++i) {
    const size_t at = pos_;
    std::string key, value;
    read_string(key, flexible, field);
    read_string(value, flexible, field);
    if (!ok()) return;
    if (!out.emplace(std::move(key), std::move(value)).second) {
      fail(at, field, "duplicate map key");
      return;
    }
  }
}

bool Reader::check_size(size_t n, const char* field) {
  return need(n, field, "tagged field");
}

void Reader::skip(size_t n, const char* field) {
  if (!need(n, field, "skipped field")) return;
  pos_ += n;
}

void Reader::expect_end(size_t end, const char* field) {
  if (failed_) return;
  if (pos_ != end) {
    fail(pos_, field,
         fmt::format("tagged field ends at byte {}, not at byte {} as its size says", pos_, end));
  }
}

}  // namespace shoal::protocol
