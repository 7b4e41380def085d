// What a request handler gets besides the request: who asked, how large a response may be,
// and how to answer. Handlers never see the transport, so the same handlers can serve the
// shared-memory transport and, later, a TCP listener speaking Kafka's wire protocol.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "protocol/header.h"
#include "protocol/messages.h"

namespace shoal::broker {

struct RequestContext {
  protocol::RequestHeader header;
  int32_t client_pid = 0;
  // The largest encoded response the transport can carry back to this client.
  size_t max_response_bytes = 0;
  // Sends the encoded response (header included). May be called later, from any thread; once.
  std::function<void(protocol::bytes)> send;

  template <typename Body>
  void respond(const Body& body) const {
    send(protocol::encode_response(protocol::ResponseHeader{header.correlation_id, false}, body));
  }
  void respond_error(errc code, std::string message) const {
    send(protocol::encode_error_response(header.correlation_id,
                                         protocol::ErrorResponse{code, std::move(message)}));
  }
};

}  // namespace shoal::broker
