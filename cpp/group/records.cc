#include "group/records.h"

#include <cstdlib>

namespace shoal::group {

namespace {

template <typename T>
bytes with_version(int16_t version, const T& body) {
  bytes out;
  out.reserve(2 + body.size(version));
  protocol::Writer w(out);
  w.write_int16(version);
  body.write(w, version);
  return out;
}

result<int16_t> version_of(bytes_view data, const char* what) {
  if (data.size() < 2) return make_error(errc::invalid_record, "{} of {} bytes", what, data.size());
  return load_be<int16_t>(data.data());
}

template <typename T>
result<T> body(bytes_view data, int16_t version, const char* what) {
  if (version < T::lowest_version || version > T::highest_version) {
    return make_error(errc::invalid_record, "{} version {} is not one of {} to {}", what, version,
                      T::lowest_version, T::highest_version);
  }
  auto r = protocol::decode<T>(data.subspan(2), version);
  if (!r) return make_error(errc::invalid_record, "{}: {}", what, r.err().message);
  return r;
}

}  // namespace

bytes encode_key(const OffsetCommitKey& k) {
  return with_version(offset_commit_key_version, k);
}
bytes encode_key(const GroupMetadataKey& k) {
  return with_version(group_metadata_key_version, k);
}
bytes encode_value(const OffsetCommitValue& v) {
  return with_version(offset_commit_value_version, v);
}
bytes encode_value(const GroupMetadataValue& v) {
  return with_version(group_metadata_value_version, v);
}

result<CoordinatorRecord> decode_record(bytes_view key, std::optional<bytes_view> value) {
  SHOAL_ASSIGN_OR_RETURN(int16_t kv, version_of(key, "a key"));
  if (kv == 0 || kv == 1) {
    OffsetRecord r;
    SHOAL_ASSIGN_OR_RETURN(r.key, body<OffsetCommitKey>(key, kv, "offset commit key"));
    if (value) {
      SHOAL_ASSIGN_OR_RETURN(int16_t vv, version_of(*value, "an offset commit value"));
      SHOAL_ASSIGN_OR_RETURN(r.value, body<OffsetCommitValue>(*value, vv, "offset commit value"));
    }
    return CoordinatorRecord(std::move(r));
  }
  if (kv == group_metadata_key_version) {
    GroupRecord r;
    SHOAL_ASSIGN_OR_RETURN(r.key, body<GroupMetadataKey>(key, kv, "group metadata key"));
    if (value) {
      SHOAL_ASSIGN_OR_RETURN(int16_t vv, version_of(*value, "a group metadata value"));
      SHOAL_ASSIGN_OR_RETURN(r.value, body<GroupMetadataValue>(*value, vv, "group metadata value"));
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
