#include "protocol/consumer_protocol.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace shoal::protocol {

namespace {

template <typename M>
bytes encode_with_version(const M& m, int16_t version) {
  if (version < 0) {
    throw std::invalid_argument(
        fmt::format("{}: cannot encode version {}", M::message_name, version));
  }
  const int16_t v = std::min(version, M::highest_version);
  bytes out;
  out.reserve(2 + m.size(v));
  Writer w(out);
  w.write_int16(v);
  m.write(w, v);
  return out;
}

template <typename M>
result<std::pair<int16_t, M>> decode_with_version(bytes_view data) {
  Reader head(data, M::message_name, M::highest_version);
  int16_t version = head.read_int16("version");
  if (!head.ok()) return head.err();
  if (version < 0) {
    return make_error(errc::invalid_request, "malformed {}: version {} is negative at byte 0",
                      M::message_name, version);
  }
  const int16_t v = std::min(version, M::highest_version);
  Reader r(data.subspan(2), M::message_name, v);
  M m;
  m.read(r, v);
  if (!r.ok()) return r.err();  // trailing bytes are not an error (see the header)
  return std::pair<int16_t, M>(version, std::move(m));
}

}  // namespace

bytes encode_versioned(const ConsumerProtocolSubscription& m, int16_t version) {
  return encode_with_version(m, version);
}
bytes encode_versioned(const ConsumerProtocolAssignment& m, int16_t version) {
  return encode_with_version(m, version);
}

result<std::pair<int16_t, ConsumerProtocolSubscription>> decode_subscription_versioned(
    bytes_view data) {
  return decode_with_version<ConsumerProtocolSubscription>(data);
}
result<std::pair<int16_t, ConsumerProtocolAssignment>> decode_assignment_versioned(
    bytes_view data) {
  return decode_with_version<ConsumerProtocolAssignment>(data);
}

}  // namespace shoal::protocol
