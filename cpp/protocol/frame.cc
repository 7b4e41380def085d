#include "protocol/frame.h"

namespace shoal::protocol {

int16_t request_header_version(api_key key, int16_t version) {
  const api_info* a = find_api(static_cast<int16_t>(key));
  if (a == nullptr) return 1;
  if (key == api_key::controlled_shutdown && version == 0) return 0;
  return a->flexible(version) ? 2 : 1;
}

int16_t response_header_version(api_key key, int16_t version) {
  if (key == api_key::api_versions) return 0;
  const api_info* a = find_api(static_cast<int16_t>(key));
  return a != nullptr && a->flexible(version) ? 1 : 0;
}

result<RequestFrame> decode_request_frame(bytes_view frame) {
  // The key and version come first in every header version, and decide the header's version.
  if (frame.size() < 4) {
    return make_error(errc::invalid_request, "malformed RequestHeader: {} bytes, fewer than 4",
                      frame.size());
  }
  auto key = static_cast<api_key>(load_be<int16_t>(frame.data()));
  int16_t version = load_be<int16_t>(frame.data() + 2);
  const int16_t hv = request_header_version(key, version);
  Reader r(frame, RequestHeader::message_name, hv);
  RequestFrame out;
  out.header.read(r, hv);
  if (!r.ok()) return r.err();
  out.body = frame.subspan(r.position());
  return out;
}

std::optional<int32_t> peek_correlation_id(bytes_view frame) {
  // api_key (int16), api_version (int16), correlation_id (int32) in every header version.
  constexpr size_t correlation_id_pos = 4;
  if (frame.size() < correlation_id_pos + 4) return std::nullopt;
  return load_be<int32_t>(frame.data() + correlation_id_pos);
}

result<std::pair<ResponseHeader, bytes_view>> decode_response_frame(bytes_view frame, api_key key,
                                                                    int16_t version) {
  const int16_t hv = response_header_version(key, version);
  Reader r(frame, ResponseHeader::message_name, hv);
  ResponseHeader h;
  h.read(r, hv);
  if (!r.ok()) return r.err();
  return std::pair<ResponseHeader, bytes_view>(h, frame.subspan(r.position()));
}

}  // namespace shoal::protocol
