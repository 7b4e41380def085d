// Request and response framing: the header layouts, splitting a frame into header and body,
// and the API key table.
#include "protocol/header.h"

#include <gtest/gtest.h>

#include <set>

#include "protocol/messages.h"

namespace shoal::protocol {
namespace {

TEST(ApiKey, KafkaNumbersAndNames) {
  EXPECT_EQ(static_cast<int16_t>(api_key::produce), 0);
  EXPECT_EQ(static_cast<int16_t>(api_key::api_versions), 18);
  EXPECT_EQ(static_cast<int16_t>(api_key::offset_for_leader_epoch), 23);
  EXPECT_EQ(static_cast<int16_t>(api_key::incremental_alter_configs), 44);
  EXPECT_EQ(static_cast<int16_t>(api_key::broker_heartbeat), 63);
  EXPECT_EQ(api_name(api_key::produce), "Produce");
  EXPECT_EQ(api_name(api_key::list_offsets), "ListOffsets");
  EXPECT_EQ(api_name(api_key::alter_partition), "AlterPartition");
  EXPECT_EQ(api_name(static_cast<api_key>(17)), "Unknown");  // SaslHandshake: not served
  EXPECT_TRUE(api_key_known(0));
  EXPECT_FALSE(api_key_known(17));
  EXPECT_FALSE(api_key_known(-1));
  EXPECT_EQ(all_api_keys().size(), 32u);
  std::set<int16_t> seen;
  int16_t prev = -1;
  for (api_key k : all_api_keys()) {
    EXPECT_GT(static_cast<int16_t>(k), prev);
    prev = static_cast<int16_t>(k);
    EXPECT_TRUE(api_key_known(static_cast<int16_t>(k)));
    EXPECT_NE(api_name(k), "Unknown");
  }
}

TEST(RequestHeader, HandCheckedBytes) {
  RequestHeader h{.key = api_key::metadata, .version = 0, .correlation_id = 258, .client_id = "c1"};
  MetadataRequest body{.topics = std::nullopt, .allow_auto_topic_creation = true};
  bytes frame = encode_request(h, body);
  bytes expected = {
      0x00, 0x03,              // api_key Metadata
      0x00, 0x00,              // version 0
      0x00, 0x00, 0x01, 0x02,  // correlation_id 258
      0x00, 0x02, 'c',  '1',   // client_id "c1"
      0xff, 0xff, 0xff, 0xff,  // topics: null (all topics)
      0x01,                    // allow_auto_topic_creation
  };
  EXPECT_EQ(frame, expected);

  auto d = decode_request_header(frame);
  ASSERT_TRUE(d) << d.err().to_string();
  EXPECT_EQ(d->first, h);
  EXPECT_EQ(d->second.size(), 5u);
  EXPECT_EQ(d->second.data(), frame.data() + 12);  // a view into the frame, not a copy
  auto b = decode<MetadataRequest>(d->second);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, body);
  EXPECT_EQ(peek_correlation_id(frame), 258);
}

TEST(RequestHeader, UnknownKeysAndVersionsStillDecode) {
  // Judging them is the broker's job (it answers with an ErrorResponse).
  RequestHeader h{
      .key = static_cast<api_key>(999), .version = 7, .correlation_id = -5, .client_id = ""};
  bytes frame = encode(h);
  auto d = decode_request_header(frame);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, h);
  EXPECT_TRUE(d->second.empty());
}

TEST(RequestHeader, TruncatedHeaderFails) {
  RequestHeader h{.key = api_key::produce, .correlation_id = 42, .client_id = "producer-1"};
  bytes frame = encode_request(h, ProduceRequest{});
  const size_t header_size = encoded_size(h);
  for (size_t n = 0; n < header_size; ++n) {
    auto d = decode_request_header(bytes_view(frame).first(n));
    ASSERT_FALSE(d) << "prefix " << n;
    EXPECT_EQ(d.err().code, errc::invalid_request);
    EXPECT_NE(d.err().message.find("malformed RequestHeader"), std::string::npos);
    // The correlation id survives a broken client_id, so an ErrorResponse can be addressed.
    if (n >= 8) {
      EXPECT_EQ(peek_correlation_id(bytes_view(frame).first(n)), 42);
    } else {
      EXPECT_EQ(peek_correlation_id(bytes_view(frame).first(n)), std::nullopt);
    }
  }
  EXPECT_TRUE(decode_request_header(bytes_view(frame).first(header_size)));
}

TEST(ResponseHeader, HandCheckedBytesAndErrorResponse) {
  bytes frame =
      encode_error_response(7, ErrorResponse{.error = errc::invalid_request, .error_message = "x"});
  bytes expected = {
      0x00, 0x00, 0x00, 0x07,  // correlation_id 7
      0x01,                    // error_response: the body is an ErrorResponse
      0x00, 0x2a,              // error INVALID_REQUEST (42)
      0x00, 0x01, 'x',         // error_message "x"
  };
  EXPECT_EQ(frame, expected);
  auto d = decode_response_header(frame);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first.correlation_id, 7);
  EXPECT_TRUE(d->first.error_response);
  auto e = decode<ErrorResponse>(d->second);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->error, errc::invalid_request);
  EXPECT_EQ(e->error_message, "x");
}

TEST(ResponseHeader, RoundTripWithABody) {
  DeleteTopicsResponse body{.responses = {{.name = "t", .error = errc::none}}};
  bytes frame = encode_response(ResponseHeader{.correlation_id = -1}, body);
  auto d = decode_response_header(frame);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, (ResponseHeader{.correlation_id = -1, .error_response = false}));
  EXPECT_EQ(*decode<DeleteTopicsResponse>(d->second), body);
  for (size_t n = 0; n < 5; ++n) {
    EXPECT_FALSE(decode_response_header(bytes_view(frame).first(n)));
  }
  // The flag is a bool: 0 or 1 only.
  frame[4] = 2;
  EXPECT_FALSE(decode_response_header(frame));
}

}  // namespace
}  // namespace shoal::protocol
