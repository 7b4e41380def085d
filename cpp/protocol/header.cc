#include "protocol/header.h"

#include <array>

namespace shoal::protocol {

namespace {

constexpr std::array all_keys = {
#define SHOAL_API_KEY_VALUE(e, code, name) api_key::e,
    SHOAL_API_KEY_LIST(SHOAL_API_KEY_VALUE)
#undef SHOAL_API_KEY_VALUE
};

// Reads a header of type H from the front of `frame`; the rest is the body.
template <typename H>
result<std::pair<H, bytes_view>> decode_header(bytes_view frame) {
  Reader r(frame, H::name);
  H h;
  if (!r.read(h)) return r.err();
  return std::pair<H, bytes_view>(std::move(h), frame.subspan(r.position()));
}

}  // namespace

std::string_view api_name(api_key k) {
  switch (k) {
#define SHOAL_API_KEY_NAME(e, code, name) \
  case api_key::e:                        \
    return name;
    SHOAL_API_KEY_LIST(SHOAL_API_KEY_NAME)
#undef SHOAL_API_KEY_NAME
  }
  return "Unknown";
}

bool api_key_known(int16_t k) {
  switch (k) {
#define SHOAL_API_KEY_KNOWN(e, code, name) case code:
    SHOAL_API_KEY_LIST(SHOAL_API_KEY_KNOWN)
#undef SHOAL_API_KEY_KNOWN
    return true;
  }
  return false;
}

std::span<const api_key> all_api_keys() {
  return all_keys;
}

result<std::pair<RequestHeader, bytes_view>> decode_request_header(bytes_view frame) {
  return decode_header<RequestHeader>(frame);
}

result<std::pair<ResponseHeader, bytes_view>> decode_response_header(bytes_view frame) {
  return decode_header<ResponseHeader>(frame);
}

std::optional<int32_t> peek_correlation_id(bytes_view frame) {
  // api_key (int16), version (int16), correlation_id (int32): see RequestHeader::visit.
  constexpr size_t correlation_id_pos = 4;
  if (frame.size() < correlation_id_pos + 4) return std::nullopt;
  return load_be<int32_t>(frame.data() + correlation_id_pos);
}

}  // namespace shoal::protocol
