#include "group/records.h"

#include <cstdlib>

namespace shoal::group {

namespace {

constexpr int16_t offset_key_version = 1;
constexpr int16_t group_key_version = 2;
constexpr int16_t offset_value_version = 3;
constexpr int16_t group_value_version = 3;

template <typename T>
bytes with_version(int16_t version, const T& body) {
  bytes out(2);
  store_be<int16_t>(out.data(), version);
  bytes b = protocol::encode(body);
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

result<int16_t> version_of(bytes_view data, const char* what) {
  if (data.size() < 2) return make_error(errc::invalid_record, "{} of {} bytes", what, data.size());
  return load_be<int16_t>(data.data());
}

template <typename T>
result<T> body(bytes_view data, const char* what) {
  auto r = protocol::decode<T>(data.subspan(2));
  if (!r) return make_error(errc::invalid_record, "{}: {}", what, r.err().message);
  return r;
}

}  // namespace

bytes encode_key(const OffsetKey& k) {
  return with_version(offset_key_version, k);
}
bytes encode_key(const GroupKey& k) {
  return with_version(group_key_version, k);
}
bytes encode_value(const OffsetValue& v) {
  return with_version(offset_value_version, v);
}
bytes encode_value(const GroupValue& v) {
  return with_version(group_value_version, v);
}

result<CoordinatorRecord> decode_record(bytes_view key, std::optional<bytes_view> value) {
  SHOAL_ASSIGN_OR_RETURN(int16_t kv, version_of(key, "a key"));
  if (kv == 0 || kv == 1) {
    // Versions 0 and 1 of the offset key have the same fields.
    OffsetRecord r;
    SHOAL_ASSIGN_OR_RETURN(r.key, body<OffsetKey>(key, "offset commit key"));
    if (value) {
      SHOAL_ASSIGN_OR_RETURN(int16_t vv, version_of(*value, "an offset commit value"));
      if (vv != offset_value_version) {
        return make_error(errc::invalid_record, "offset commit value version {} is not {}", vv,
                          offset_value_version);
      }
      SHOAL_ASSIGN_OR_RETURN(r.value, body<OffsetValue>(*value, "offset commit value"));
    }
    return CoordinatorRecord(std::move(r));
  }
  if (kv == group_key_version) {
    GroupRecord r;
    SHOAL_ASSIGN_OR_RETURN(r.key, body<GroupKey>(key, "group metadata key"));
    if (value) {
      SHOAL_ASSIGN_OR_RETURN(int16_t vv, version_of(*value, "a group metadata value"));
      if (vv != group_value_version) {
        return make_error(errc::invalid_record, "group metadata value version {} is not {}", vv,
                          group_value_version);
      }
      SHOAL_ASSIGN_OR_RETURN(r.value, body<GroupValue>(*value, "group metadata value"));
    }
    return CoordinatorRecord(std::move(r));
  }
  return make_error(errc::invalid_record, "unknown __consumer_offsets key version {}", kv);
}

int32_t partition_for_group(std::string_view group_id, int32_t partitions) {
  // Java's String.hashCode runs over UTF-16 code units: decode the UTF-8 first (malformed
  // bytes become U+FFFD, as Java's decoder makes them).
  int32_t h = 0;
  auto add = [&h](uint32_t unit) {
    h = static_cast<int32_t>(31u * static_cast<uint32_t>(h) + unit);
  };
  const auto* p = reinterpret_cast<const unsigned char*>(group_id.data());
  const auto* end = p + group_id.size();
  while (p < end) {
    uint32_t c = *p;
    int extra = c < 0x80           ? 0
                : (c >> 5) == 0x6  ? 1
                : (c >> 4) == 0xE  ? 2
                : (c >> 3) == 0x1E ? 3
                                   : -1;
    uint32_t cp = 0xFFFD;
    if (extra == 0) {
      cp = c;
      ++p;
    } else if (extra > 0 && end - p > extra) {
      cp = c & (0x3Fu >> extra);
      bool ok = true;
      for (int i = 1; i <= extra; ++i) {
        if ((p[i] & 0xC0) != 0x80) ok = false;
        cp = (cp << 6) | (p[i] & 0x3F);
      }
      if (ok) {
        p += extra + 1;
      } else {
        cp = 0xFFFD;
        ++p;
      }
    } else {
      ++p;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    } else {
      add(cp);
    }
  }
  int32_t positive = h == INT32_MIN ? 0 : std::abs(h);
  return partitions > 0 ? positive % partitions : 0;
}

}  // namespace shoal::group
