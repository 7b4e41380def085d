#include "protocol/codec.h"

#include <bit>
#include <limits>

#include <fmt/format.h>

namespace shoal::protocol {

// ---- Writer ----

void Writer::write_double(double v) {
  write_int64(std::bit_cast<int64_t>(v));
}

void Writer::write_string(std::string_view s) {
  if (s.size() > static_cast<size_t>(max_string_length)) {
    throw std::length_error(fmt::format("protocol: a string of {} bytes exceeds the {}-byte limit",
                                        s.size(), max_string_length));
  }
  write_int16(static_cast<int16_t>(s.size()));
  out_->insert(out_->end(), s.begin(), s.end());
}

void Writer::write_nullable_string(const std::optional<std::string>& s) {
  if (!s) {
    write_int16(static_cast<int16_t>(null_length));
  } else {
    write_string(*s);
  }
}

void Writer::write_bytes(bytes_view b) {
  if (b.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw std::length_error(
        fmt::format("protocol: {} bytes exceed the int32 length prefix", b.size()));
  }
  write_int32(static_cast<int32_t>(b.size()));
  out_->insert(out_->end(), b.begin(), b.end());
}

void Writer::write_nullable_bytes(const std::optional<bytes>& b) {
  if (!b) {
    write_int32(null_length);
  } else {
    write_bytes(*b);
  }
}

void Writer::write_array_count(size_t n) {
  if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw std::length_error(
        fmt::format("protocol: an array of {} elements exceeds the int32 count", n));
  }
  write_int32(static_cast<int32_t>(n));
}

// ---- Reader ----

bool Reader::fail(size_t at, std::string_view detail) {
  if (!failed_) {
    failed_ = true;
    error_ = make_error(errc::invalid_request, "malformed {}: {} at byte {}", what_, detail, at);
  }
  return false;
}

bool Reader::need(size_t n, std::string_view type) {
  if (failed_) return false;
  if (remaining() < n) {
    return fail(pos_, fmt::format("{} needs {} bytes, {} left", type, n, remaining()));
  }
  return true;
}

const error& Reader::err() const {
  SHOAL_ASSERT(failed_, "Reader::err() without a failure");
  return error_;
}

status Reader::finish() {
  if (!failed_ && remaining() != 0) {
    fail(pos_, fmt::format("{} trailing bytes after the end of the message", remaining()));
  }
  if (failed_) return error_;
  return status::ok();
}

bool Reader::read_int8(int8_t& out) {
  return get(out, "int8");
}
bool Reader::read_int16(int16_t& out) {
  return get(out, "int16");
}
bool Reader::read_int32(int32_t& out) {
  return get(out, "int32");
}
bool Reader::read_int64(int64_t& out) {
  return get(out, "int64");
}

bool Reader::read_bool(bool& out) {
  const size_t at = pos_;
  int8_t v = 0;
  if (!get(v, "bool")) return false;
  if (v != 0 && v != 1) return fail(at, fmt::format("bool is {}, not 0 or 1", v));
  out = v == 1;
  return true;
}

bool Reader::read_double(double& out) {
  int64_t bits = 0;
  if (!get(bits, "double")) return false;
  out = std::bit_cast<double>(bits);
  return true;
}

template <typename I>
bool Reader::get_length(size_t& len, bool& is_null, bool nullable, std::string_view type) {
  const size_t at = pos_;
  I n = 0;
  if (!get(n, type)) return false;
  is_null = false;
  if (n < 0) {
    if (nullable && n == null_length) {
      is_null = true;
      len = 0;
      return true;
    }
    return fail(at, fmt::format("{} length {}{}", type, n,
                                nullable ? " (only -1, null, may be negative)" : " is negative"));
  }
  if (static_cast<size_t>(n) > remaining()) {
    return fail(at, fmt::format("{} length {} exceeds the {} bytes left", type, n, remaining()));
  }
  len = static_cast<size_t>(n);
  return true;
}

bool Reader::read_string(std::string& out) {
  size_t len = 0;
  bool is_null = false;
  if (!get_length<int16_t>(len, is_null, /*nullable=*/false, "string")) return false;
  out.assign(reinterpret_cast<const char*>(in_.data() + pos_), len);
  pos_ += len;
  return true;
}

bool Reader::read_nullable_string(std::optional<std::string>& out) {
  size_t len = 0;
  bool is_null = false;
  if (!get_length<int16_t>(len, is_null, /*nullable=*/true, "nullable string")) return false;
  if (is_null) {
    out.reset();
    return true;
  }
  out.emplace(reinterpret_cast<const char*>(in_.data() + pos_), len);
  pos_ += len;
  return true;
}

bool Reader::read_bytes(bytes& out) {
  size_t len = 0;
  bool is_null = false;
  if (!get_length<int32_t>(len, is_null, /*nullable=*/false, "bytes")) return false;
  out.assign(in_.data() + pos_, in_.data() + pos_ + len);
  pos_ += len;
  return true;
}

bool Reader::read_nullable_bytes(std::optional<bytes>& out) {
  size_t len = 0;
  bool is_null = false;
  if (!get_length<int32_t>(len, is_null, /*nullable=*/true, "nullable bytes")) return false;
  if (is_null) {
    out.reset();
    return true;
  }
  out.emplace(in_.data() + pos_, in_.data() + pos_ + len);
  pos_ += len;
  return true;
}

bool Reader::read_array_count(int32_t& count, size_t min_element_size, bool nullable) {
  const size_t at = pos_;
  int32_t n = 0;
  if (!get(n, "array count")) return false;
  if (n < 0) {
    if (nullable && n == null_length) {
      count = n;
      return true;
    }
    return fail(at, fmt::format("array count {}{}", n,
                                nullable ? " (only -1, null, may be negative)" : " is negative"));
  }
  // Elements of an empty struct would take no bytes; still allow at most one per byte left.
  const size_t per = min_element_size == 0 ? 1 : min_element_size;
  if (static_cast<size_t>(n) > remaining() / per) {
    return fail(at, fmt::format("array count {} of elements of at least {} bytes exceeds the {} "
                                "bytes left",
                                n, per, remaining()));
  }
  count = n;
  return true;
}

}  // namespace shoal::protocol
