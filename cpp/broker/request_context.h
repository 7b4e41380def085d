// What a request handler gets besides the request: who asked, how large a response may be,
// and how to answer. Handlers never see the transport: the same handlers serve the
// shared-memory rings and the TCP listener, which both carry Kafka's frames.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "protocol/frame.h"

namespace shoal::broker {

struct RequestContext {
  protocol::RequestHeader header;
  // Kafka's client address as a group member's client_host shows it: "/127.0.0.1" over TCP,
  // "/pid:1234" over shared memory (a process id says more than an address on one host).
  std::string client_host;
  // The largest encoded response the transport can carry back to this client.
  size_t max_response_bytes = 0;
  // Each request ends in exactly one of these, now or later, from any thread.
  // Sends the encoded response frame (header included).
  std::function<void(protocol::bytes)> send;
  // The request gets no response (a Produce with acks=0): the transport may move on.
  std::function<void()> no_response;
  // Closes the client's connection, as Kafka's brokers do on a request they cannot parse.
  std::function<void(const std::string& why)> close;

  protocol::api_key api() const { return header.request_api_key; }
  int16_t version() const { return header.request_api_version; }
  const std::string& client_id() const {
    static const std::string none;
    return header.client_id ? *header.client_id : none;
  }

  template <typename Body>
  void respond(const Body& body) const {
    send(protocol::encode_response(header.correlation_id, version(), body));
  }
};

}  // namespace shoal::broker
