// The binary encoding of Shoal's protocol messages, defined in docs/protocol.md: big-endian
// fixed-width integers, length-prefixed strings and bytes, count-prefixed arrays. It is not
// Kafka's wire format but one fixed, versionless layout (version 0).
//
// A message struct lists its fields once, in order, in a member template:
//
//   struct Foo {
//     int32_t a = 0;
//     std::vector<std::string> b;
//     template <typename V> void visit(V& v) { v(a); v(b); }
//   };
//
// and encode(foo) / decode<Foo>(data) do the rest; no per-message code. Field types with an
// encoding: bool, int8_t, int16_t, int32_t, int64_t, double, enums (as their underlying integer,
// e.g. errc as int16), named_type strong types (offset, partition_id, ... as their underlying
// integer), std::string, std::optional<std::string>, bytes, std::optional<bytes>,
// std::vector<T>, std::optional<std::vector<T>>, string_map, and nested visitable structs.
//
// Decoding never trusts its input: every length and count is checked against the bytes left
// before anything is read or allocated, so garbage fails with INVALID_REQUEST and a message
// naming the byte, and never reads out of bounds or allocates more than a small multiple of
// the input's size.
//
// Thread safety: a Writer or Reader is used by one thread at a time; encode() and decode() are
// reentrant.
#pragma once

#include <concepts>
#include <cstdint>
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
// Encoded as an array of (key string, value string) pairs, in key order.
using string_map = std::map<std::string, std::string>;

// A string's length prefix is an int16, so this is also the largest length it can state.
inline constexpr int32_t max_string_length = 32767;
// The length (string, bytes) or count (array) that stands for null.
inline constexpr int32_t null_length = -1;

namespace detail {

template <typename T>
inline constexpr bool always_false = false;

template <typename T>
struct is_named_type : std::false_type {};
template <typename T, typename Tag>
struct is_named_type<named_type<T, Tag>> : std::true_type {};

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

template <typename T>
struct is_optional_vector : std::false_type {};
template <typename T>
struct is_optional_vector<std::optional<std::vector<T>>> : std::true_type {};

// Stands in for any visitor when checking that a type is visitable.
struct probe_visitor {
  template <typename U>
  void operator()(U&) {}
};

}  // namespace detail

// A struct with a `template <typename V> void visit(V& v)` that hands each field to v in order.
template <typename T>
concept Visitable = std::is_class_v<T> && requires(T& t, detail::probe_visitor& v) {
  t.visit(v);
};

namespace detail {

// visit() is declared non-const so that each struct lists its fields once; the encoding
// visitors (Writer, SizeCounter) reach it through this cast. That is sound: they take every
// field by const reference and never write to it.
template <Visitable T, typename V>
void visit_fields(const T& msg, V& v) {
  const_cast<T&>(msg).visit(v);
}

// Computes encoded sizes. `minimal` gives the smallest size any value of the type can have
// (empty strings and arrays, nulls), which bounds array counts on decode.
class SizeCounter {
 public:
  explicit SizeCounter(bool minimal) : minimal_(minimal) {}
  size_t size() const { return size_; }

  template <typename T>
  void operator()(const T& v) {
    add(v);
  }

  template <typename T>
  void add(const T& v) {
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, int8_t> ||
                  std::is_same_v<T, int16_t> || std::is_same_v<T, int32_t> ||
                  std::is_same_v<T, int64_t> || std::is_same_v<T, double>) {
      size_ += sizeof(T);
    } else if constexpr (std::is_enum_v<T>) {
      size_ += sizeof(std::underlying_type_t<T>);
    } else if constexpr (is_named_type<T>::value) {
      size_ += sizeof(typename T::value_type);
    } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bytes>) {
      size_ += (std::is_same_v<T, std::string> ? 2 : 4) + (minimal_ ? 0 : v.size());
    } else if constexpr (std::is_same_v<T, std::optional<std::string>> ||
                         std::is_same_v<T, std::optional<bytes>>) {
      size_ += (std::is_same_v<T, std::optional<std::string>> ? 2 : 4) +
               (minimal_ || !v ? 0 : v->size());
    } else if constexpr (is_vector<T>::value) {
      size_ += 4;
      if (!minimal_) {
        for (const auto& e : v) add(e);
      }
    } else if constexpr (is_optional_vector<T>::value) {
      size_ += 4;
      if (!minimal_ && v) {
        for (const auto& e : *v) add(e);
      }
    } else if constexpr (std::is_same_v<T, string_map>) {
      size_ += 4;
      if (!minimal_) {
        for (const auto& [k, val] : v) size_ += 4 + k.size() + val.size();
      }
    } else if constexpr (Visitable<T>) {
      visit_fields(v, *this);
    } else {
      static_assert(always_false<T>, "no encoding for this field type (see codec.h)");
    }
  }

 private:
  bool minimal_;
  size_t size_ = 0;
};

// The smallest encoded size of a T, computed once per type.
template <typename T>
size_t min_encoded_size() {
  static const size_t n = [] {
    SizeCounter c(/*minimal=*/true);
    c.add(T{});
    return c.size();
  }();
  return n;
}

// "ProduceRequest" for a message that declares `static constexpr std::string_view name`.
template <typename T>
constexpr std::string_view message_name() {
  // Only a static `name` (a pointer to it is a plain pointer, not a member pointer): fields
  // called `name` do not count.
  if constexpr (requires {
                  { &T::name } -> std::same_as<const std::string_view*>;
                }) {
    return T::name;
  } else {
    return "message";
  }
}

}  // namespace detail

// The exact number of bytes encode(v) produces.
template <typename T>
size_t encoded_size(const T& v) {
  detail::SizeCounter c(/*minimal=*/false);
  c.add(v);
  return c.size();
}

// Appends encoded values to a byte buffer. Encoding cannot fail on well-formed values; a value
// the grammar cannot express (a string over max_string_length bytes, more than INT32_MAX
// elements or bytes) is the caller's mistake and throws std::length_error. Callers bound what
// they take from users (topic names, config values) before building a message.
class Writer {
 public:
  // Appends to `*out`, which must remain live while this Writer is in use.
  explicit Writer(bytes& out) : out_(&out) {}

  void write_int8(int8_t v) { out_->push_back(static_cast<uint8_t>(v)); }
  void write_int16(int16_t v) { put(v); }
  void write_int32(int32_t v) { put(v); }
  void write_int64(int64_t v) { put(v); }
  void write_bool(bool v) { write_int8(v ? 1 : 0); }
  void write_double(double v);
  void write_string(std::string_view s);
  void write_nullable_string(const std::optional<std::string>& s);
  void write_bytes(bytes_view b);
  void write_nullable_bytes(const std::optional<bytes>& b);
  // The count of an array whose `n` elements follow.
  void write_array_count(size_t n);

  // Writes any value with an encoding (see the top of this file).
  template <typename T>
  void write(const T& v);

  // The visitor hook: visit() hands each field here.
  template <typename T>
  void operator()(const T& field) {
    write(field);
  }

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
// sticky: it is recorded with its byte position, and every later read fails without reading,
// so a visit() can run to its end and the caller checks ok() (or finish()) once.
class Reader {
 public:
  // Reads from `in`, whose bytes must remain live while this Reader is in use. `what` names
  // the message in error texts ("malformed ProduceRequest: ... at byte 17").
  explicit Reader(bytes_view in, std::string_view what = "message") : in_(in), what_(what) {}

  // Each read_* returns false (and leaves `out` unspecified) when the input is malformed.
  bool read_int8(int8_t& out);
  bool read_int16(int16_t& out);
  bool read_int32(int32_t& out);
  bool read_int64(int64_t& out);
  // Only 0 and 1 are accepted, so that every accepted input has one encoding.
  bool read_bool(bool& out);
  bool read_double(double& out);
  bool read_string(std::string& out);
  bool read_nullable_string(std::optional<std::string>& out);
  bool read_bytes(bytes& out);
  bool read_nullable_bytes(std::optional<bytes>& out);
  // Reads an array count and checks that `count` elements of at least `min_element_size`
  // bytes each fit in the bytes left. With `nullable`, -1 (null) is accepted and returned.
  bool read_array_count(int32_t& count, size_t min_element_size, bool nullable);

  // Reads any value with an encoding (see the top of this file).
  template <typename T>
  bool read(T& out);

  // The visitor hook: visit() hands each field here.
  template <typename T>
  void operator()(T& field) {
    read(field);
  }

  size_t position() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }
  bool ok() const { return !failed_; }
  // The first failure. REQUIRES: !ok().
  const error& err() const;
  // The first failure, or a failure for bytes left over after the last field.
  status finish();

 private:
  // Checks that n bytes are left for a `type` starting at the current position.
  bool need(size_t n, std::string_view type);
  // Records the first failure, located at byte `at`; always returns false.
  bool fail(size_t at, std::string_view detail);
  template <typename I>
  bool get(I& out, std::string_view type) {
    if (!need(sizeof(I), type)) return false;
    out = load_be<I>(in_.data() + pos_);
    pos_ += sizeof(I);
    return true;
  }
  // Reads a length prefix of type I and checks it against the bytes left. -1 sets `is_null`
  // when `nullable`; any other negative length fails.
  template <typename I>
  bool get_length(size_t& len, bool& is_null, bool nullable, std::string_view type);

  bytes_view in_;
  size_t pos_ = 0;
  std::string_view what_;
  bool failed_ = false;
  error error_;
};

// Encodes a message (any visitable struct, or any value with an encoding).
template <typename T>
bytes encode(const T& msg) {
  bytes out;
  out.reserve(encoded_size(msg));
  Writer w(out);
  w.write(msg);
  return out;
}

// Appends the encoding of `msg` to `*out`.
template <typename T>
void encode_to(const T& msg, bytes& out) {
  Writer w(out);
  w.write(msg);
}

// Decodes a T from exactly the bytes of `data`. Errors: INVALID_REQUEST ("malformed
// <message>: <what> at byte <n>") when the bytes are truncated, hold an impossible length or
// count, or run on past the message. The result owns its strings and bytes (copies).
template <typename T>
result<T> decode(bytes_view data) {
  Reader r(data, detail::message_name<T>());
  T out{};
  r.read(out);
  if (auto st = r.finish(); !st) return std::move(st).err();
  return out;
}

// ---- template definitions ----

template <typename T>
void Writer::write(const T& v) {
  static_assert(!std::is_same_v<T, std::vector<bool>>, "std::vector<bool> has no encoding");
  if constexpr (std::is_same_v<T, bool>) {
    write_bool(v);
  } else if constexpr (std::is_same_v<T, int8_t>) {
    write_int8(v);
  } else if constexpr (std::is_same_v<T, int16_t>) {
    write_int16(v);
  } else if constexpr (std::is_same_v<T, int32_t>) {
    write_int32(v);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    write_int64(v);
  } else if constexpr (std::is_same_v<T, double>) {
    write_double(v);
  } else if constexpr (std::is_enum_v<T>) {
    write(static_cast<std::underlying_type_t<T>>(v));
  } else if constexpr (detail::is_named_type<T>::value) {
    write(v.value());
  } else if constexpr (std::is_same_v<T, std::string>) {
    write_string(v);
  } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
    write_nullable_string(v);
  } else if constexpr (std::is_same_v<T, bytes>) {
    write_bytes(v);
  } else if constexpr (std::is_same_v<T, std::optional<bytes>>) {
    write_nullable_bytes(v);
  } else if constexpr (detail::is_vector<T>::value) {
    write_array_count(v.size());
    for (const auto& e : v) write(e);
  } else if constexpr (detail::is_optional_vector<T>::value) {
    if (!v) {
      write_int32(null_length);
    } else {
      write(*v);
    }
  } else if constexpr (std::is_same_v<T, string_map>) {
    write_array_count(v.size());
    for (const auto& [key, value] : v) {
      write_string(key);
      write_string(value);
    }
  } else if constexpr (Visitable<T>) {
    detail::visit_fields(v, *this);
  } else {
    static_assert(detail::always_false<T>, "no encoding for this field type (see codec.h)");
  }
}

template <typename T>
bool Reader::read(T& out) {
  static_assert(!std::is_same_v<T, std::vector<bool>>, "std::vector<bool> has no encoding");
  if constexpr (std::is_same_v<T, bool>) {
    return read_bool(out);
  } else if constexpr (std::is_same_v<T, int8_t>) {
    return read_int8(out);
  } else if constexpr (std::is_same_v<T, int16_t>) {
    return read_int16(out);
  } else if constexpr (std::is_same_v<T, int32_t>) {
    return read_int32(out);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return read_int64(out);
  } else if constexpr (std::is_same_v<T, double>) {
    return read_double(out);
  } else if constexpr (std::is_enum_v<T>) {
    // Any value of the underlying type is kept (an enum with a fixed underlying type can hold
    // it); the handler decides what an unknown code means.
    std::underlying_type_t<T> raw{};
    if (!read(raw)) return false;
    out = static_cast<T>(raw);
    return true;
  } else if constexpr (detail::is_named_type<T>::value) {
    typename T::value_type raw{};
    if (!read(raw)) return false;
    out = T(raw);
    return true;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return read_string(out);
  } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
    return read_nullable_string(out);
  } else if constexpr (std::is_same_v<T, bytes>) {
    return read_bytes(out);
  } else if constexpr (std::is_same_v<T, std::optional<bytes>>) {
    return read_nullable_bytes(out);
  } else if constexpr (detail::is_vector<T>::value || detail::is_optional_vector<T>::value) {
    constexpr bool nullable = detail::is_optional_vector<T>::value;
    using vec = std::conditional_t<nullable, typename T::value_type, T>;
    using elem = typename vec::value_type;
    int32_t n = 0;
    if (!read_array_count(n, detail::min_encoded_size<elem>(), nullable)) return false;
    if constexpr (nullable) {
      if (n == null_length) {
        out.reset();
        return true;
      }
    }
    vec v;
    // Bounded: read_array_count checked n * min_encoded_size<elem>() <= remaining().
    v.reserve(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) {
      if (!read(v.emplace_back())) return false;
    }
    out = std::move(v);
    return true;
  } else if constexpr (std::is_same_v<T, string_map>) {
    int32_t n = 0;
    // A pair is two string lengths at least.
    if (!read_array_count(n, 4, /*nullable=*/false)) return false;
    out.clear();
    for (int32_t i = 0; i < n; ++i) {
      const size_t at = pos_;
      std::string key, value;
      if (!read_string(key) || !read_string(value)) return false;
      // Rejecting duplicates keeps one encoding per map (and no silently dropped entry).
      if (!out.emplace(std::move(key), std::move(value)).second) {
        return fail(at, "duplicate map key");
      }
    }
    return true;
  } else if constexpr (Visitable<T>) {
    out.visit(*this);
    return ok();
  } else {
    static_assert(detail::always_false<T>, "no encoding for this field type (see codec.h)");
  }
}

}  // namespace shoal::protocol
