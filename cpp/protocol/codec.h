// The primitives of Kafka's wire encoding (docs/protocol.md, "Primitives"), used by the
// generated message codecs (build/.../protocol/gen/, from the schemas in cpp/protocol/schemas/):
// big-endian integers, unsigned and zig-zag varints, strings and bytes with int16/int32
// lengths or, in flexible versions, compact (unsigned varint length + 1) ones, arrays with an
// int32 or compact count, UUIDs, and tagged-field sections.
//
// Decoding never trusts its input: every length and count is checked against the bytes left
// before anything is read or allocated, so garbage fails with INVALID_REQUEST and a message
// naming the field and the byte, never reads out of bounds, and never allocates more than a
// small multiple of the input's size (docs/protocol.md, "Decoding rules").
//
// Thread safety: a Writer or Reader is used by one thread at a time; encode() and decode() are
// reentrant.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/endian.h"
#include "common/named_type.h"
#include "common/result.h"
#include "storage/compression.h"

namespace shoal::protocol {

using storage::bytes;
using storage::bytes_view;
// Shoal's own formats keep string maps (configs) as arrays of key and value strings.
using string_map = std::map<std::string, std::string>;

// A non-flexible string's length prefix is an int16, so this is the longest it can state.
inline constexpr int32_t max_string_length = 32767;

// Kafka's Uuid: 128 bits, most significant first on the wire. All zeros means none.
struct uuid {
  uint64_t hi = 0;
  uint64_t lo = 0;
  bool is_zero() const { return hi == 0 && lo == 0; }
  // Kafka's text form: the 16 bytes in URL-safe base64 without padding (22 characters).
  std::string to_string() const;
  // Parses the text form. nullopt when it is not 22 characters of URL-safe base64.
  static std::optional<uuid> parse(std::string_view text);
  friend auto operator<=>(const uuid&, const uuid&) = default;
};

namespace detail {
template <typename T>
struct is_named_type : std::false_type {};
template <typename T, typename Tag>
struct is_named_type<named_type<T, Tag>> : std::true_type {};
}  // namespace detail

// The wire value of a field whose C++ type is a strong id type or an enum over W.
template <typename W, typename T>
constexpr W to_wire(const T& v) {
  if constexpr (detail::is_named_type<T>::value) {
    return static_cast<W>(v.value());
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<W>(v);
  } else {
    return static_cast<W>(v);
  }
}
template <typename T, typename W>
constexpr T from_wire(W w) {
  if constexpr (detail::is_named_type<T>::value) {
    return T(static_cast<typename T::value_type>(w));
  } else {
    return static_cast<T>(w);
  }
}

// Sizes of the variable-length parts, for the generated size() functions.
constexpr size_t uvarint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
// A string's or bytes' length prefix: compact (uvarint of len + 1) or fixed (2 or 4 bytes).
constexpr size_t length_prefix_size(size_t len, bool flexible, size_t fixed) {
  return flexible ? uvarint_size(len + 1) : fixed;
}

// Appends encoded values to a byte buffer. Encoding cannot fail on values the grammar can
// express; one it cannot (a non-flexible string over 32767 bytes, more than INT32_MAX
// elements or bytes) is the caller's mistake and throws std::length_error. Callers bound what
// they take from users (topic names, config values) before building a message.
class Writer {
 public:
  // Appends to `*out`, which must remain live while this Writer is in use.
  explicit Writer(bytes& out) : out_(&out) {}

  void write_bool(bool v) { write_int8(v ? 1 : 0); }
  void write_int8(int8_t v) { out_->push_back(static_cast<uint8_t>(v)); }
  void write_int16(int16_t v) { put(v); }
  void write_int32(int32_t v) { put(v); }
  void write_int64(int64_t v) { put(v); }
  void write_uint16(uint16_t v) { put(v); }
  void write_uint32(uint32_t v) { put(v); }
  void write_float64(double v);
  void write_uuid(const uuid& v) {
    put(v.hi);
    put(v.lo);
  }
  void write_uvarint(uint64_t v);
  void write_varint(int64_t v);  // zig-zag

  void write_string(std::string_view s, bool flexible);
  void write_null_string(bool flexible);
  void write_nullable_string(const std::optional<std::string>& s, bool flexible) {
    if (s) {
      write_string(*s, flexible);
    } else {
      write_null_string(flexible);
    }
  }
  void write_bytes(bytes_view b, bool flexible);
  void write_null_bytes(bool flexible);
  void write_nullable_bytes(const std::optional<bytes>& b, bool flexible) {
    if (b) {
      write_bytes(*b, flexible);
    } else {
      write_null_bytes(flexible);
    }
  }
  // The count of an array whose `n` elements follow, or null.
  void write_array_length(size_t n, bool flexible);
  void write_null_array(bool flexible);
  void write_raw(const uint8_t* data, size_t n) { out_->insert(out_->end(), data, data + n); }

  size_t position() const { return out_->size(); }

 private:
  template <typename I>
  void put(I v) {
    uint8_t tmp[sizeof(I)];
    store_be(tmp, v);
    out_->insert(out_->end(), tmp, tmp + sizeof(I));
  }

  bytes* out_;
};

// Reads encoded values from a byte range, checking bounds on every read. The first failure is
// sticky: it is recorded with the field and byte position, every later read fails without
// reading and returns a zero value, so a generated read() runs to its end and the caller
// checks ok() (or finish()) once. `field` arguments name the field in error texts.
class Reader {
 public:
  // Reads from `in`, whose bytes must remain live while this Reader is in use. `what` names
  // the message in error texts ("malformed ProduceRequest v9: ...").
  Reader(bytes_view in, std::string_view what, int16_t version)
      : in_(in), what_(what), version_(version) {}

  bool read_bool(const char* field);
  int8_t read_int8(const char* field) { return get<int8_t>(field); }
  int16_t read_int16(const char* field) { return get<int16_t>(field); }
  int32_t read_int32(const char* field) { return get<int32_t>(field); }
  int64_t read_int64(const char* field) { return get<int64_t>(field); }
  uint16_t read_uint16(const char* field) { return get<uint16_t>(field); }
  uint32_t read_uint32(const char* field) { return get<uint32_t>(field); }
  double read_float64(const char* field);
  uuid read_uuid(const char* field);
  // At most 5 bytes (a value below 2^32); a longer varint is malformed.
  uint32_t read_uvarint(const char* field);
  int32_t read_varint(const char* field);  // zig-zag

  // `nullable`: whether null is allowed here (this version); a null where it is not fails.
  void read_string(std::string& out, bool flexible, const char* field);
  void read_nullable_string(std::optional<std::string>& out, bool flexible, bool nullable,
                            const char* field);
  void read_bytes(bytes& out, bool flexible, const char* field);
  void read_nullable_bytes(std::optional<bytes>& out, bool flexible, bool nullable,
                           const char* field);
  // An array's count, checked so that `count` elements of at least `min_element_size` bytes
  // (at least 1) fit in the bytes left. Returns -1 for null (only when `nullable`) and on
  // failure (then !ok()).
  int32_t read_array_length(bool flexible, bool nullable, size_t min_element_size,
                            const char* field);
  // Reads a string map (array of key and value strings); a duplicate key is malformed.
  void read_string_map(string_map& out, bool flexible, const char* field);

  // Tagged fields: the section's count, then per field its tag and size, checked against the
  // bytes left. Reading a known field then expect_end(end) checks it used exactly its size;
  // skip() passes an unknown one.
  bool check_size(size_t n, const char* field);
  void skip(size_t n, const char* field);
  void expect_end(size_t end, const char* field);

  size_t position() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }
  int16_t version() const { return version_; }
  bool ok() const { return !failed_; }
  // The first failure. REQUIRES: !ok().
  const error& err() const;
  // The first failure, or a failure for bytes left over after the last field.
  status finish();

 private:
  bool need(size_t n, const char* field, std::string_view type);
  // Records the first failure, located at byte `at`; always returns false.
  bool fail(size_t at, const char* field, std::string_view detail);
  template <typename I>
  I get(const char* field) {
    if (!need(sizeof(I), field, "value")) return I{};
    I v = load_be<I>(in_.data() + pos_);
    pos_ += sizeof(I);
    return v;
  }
  // Reads a length prefix (compact, or fixed of type I) and checks it against the bytes left.
  // Returns the length, -1 for null (only when `nullable`), or -2 on failure.
  template <typename I>
  int64_t get_length(bool flexible, bool nullable, const char* field);

  bytes_view in_;
  size_t pos_ = 0;
  std::string_view what_;
  int16_t version_;
  bool failed_ = false;
  error error_;
};

// Appends the encoding of `msg` at `version` (a generated message) to `out`.
template <typename M>
void encode_to(const M& msg, int16_t version, bytes& out) {
  out.reserve(out.size() + msg.size(version));
  Writer w(out);
  msg.write(w, version);
}

template <typename M>
bytes encode(const M& msg, int16_t version) {
  bytes out;
  encode_to(msg, version, out);
  return out;
}

// Decodes an M at `version` from exactly the bytes of `data`. Errors: INVALID_REQUEST
// ("malformed <M> v<version>: <field>: <what> at byte <n>") when the bytes are truncated, hold
// an impossible length or count, or run on past the message. The result owns its strings and
// bytes (copies).
template <typename M>
result<M> decode(bytes_view data, int16_t version) {
  Reader r(data, M::message_name, version);
  M out{};
  out.read(r, version);
  if (auto st = r.finish(); !st) return std::move(st).err();
  return out;
}

// As decode(), but bytes after the message's last field are left unread and counted in
// `*trailing`: how Kafka's brokers read requests (their generated readers stop at the last
// field). librdkafka 2.16 relies on it: its Metadata v9+ request for all topics leaves a
// 4-byte count placeholder of which the compact form reads one byte.
template <typename M>
result<M> decode_prefix(bytes_view data, int16_t version, size_t* trailing) {
  Reader r(data, M::message_name, version);
  M out{};
  out.read(r, version);
  if (!r.ok()) return r.err();
  *trailing = r.remaining();
  return out;
}

}  // namespace shoal::protocol
