// Every generated message at every version: random messages round-trip exactly, sizes are
// exact, truncated and padded encodings are refused, and mutated or random bytes either fail
// cleanly or decode to a message that re-encodes to an equal one (docs/protocol.md, "Decoding
// rules"). Plus frames pinned to bytes worked out by hand from Kafka's protocol guide.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocol/frame.h"
#include "protocol/gen/samples.h"

namespace shoal::protocol {
namespace {

// SHOAL_PROTOCOL_FUZZ_SCALE multiplies the fuzzing for a longer run (100: 100 million frames);
// by default the fixed seeds give 1 million frames in a few seconds.
int fuzz_scale() {
  const char* s = std::getenv("SHOAL_PROTOCOL_FUZZ_SCALE");
  int n = s ? std::atoi(s) : 1;
  return n > 0 ? n : 1;
}

struct Stats {
  size_t messages = 0;
  size_t versions = 0;
  size_t frames = 0;  // decode attempts on mutated or random bytes
};
Stats stats;

template <typename M>
void check_message(uint64_t seed) {
  stats.messages++;
  SampleRng g(seed);
  std::uniform_int_distribution<int> pick(0, 255);
  for (int16_t v = M::lowest_version; v <= M::highest_version; ++v) {
    stats.versions++;
    SCOPED_TRACE(std::string(M::message_name) + " v" + std::to_string(v));
    // The defaults encode and decode back.
    {
      M m{};
      bytes b = encode(m, v);
      ASSERT_EQ(b.size(), m.size(v));
      auto d = decode<M>(b, v);
      ASSERT_TRUE(d) << d.err().to_string();
    }
    std::vector<bytes> corpus;
    for (int i = 0; i < 40; ++i) {
      M m{};
      sample_fill(g, m, v);
      bytes b = encode(m, v);
      ASSERT_EQ(b.size(), m.size(v));
      ASSERT_GE(b.size(), M::min_size(v));
      auto d = decode<M>(b, v);
      ASSERT_TRUE(d) << d.err().to_string();
      ASSERT_TRUE(*d == m) << "sample " << i << " did not round-trip";
      ASSERT_EQ(encode(*d, v), b);
      // Every strict prefix is refused: the decoder needs what it was cut off from.
      for (size_t cut = 0; cut < b.size(); cut += 1 + b.size() / 16) {
        auto t = decode<M>(bytes_view(b.data(), cut), v);
        ASSERT_FALSE(t) << "a prefix of " << cut << " of " << b.size() << " bytes decoded";
        ASSERT_EQ(t.err().code, errc::invalid_request);
      }
      bytes longer = b;
      longer.push_back(0);
      ASSERT_FALSE(decode<M>(longer, v)) << "a trailing byte was accepted";
      // The broker's reading of requests leaves trailing bytes unread, as Kafka's does.
      size_t trailing = 0;
      auto lenient = decode_prefix<M>(longer, v, &trailing);
      ASSERT_TRUE(lenient) << lenient.err().to_string();
      ASSERT_EQ(trailing, 1u);
      ASSERT_TRUE(*lenient == m);
      corpus.push_back(std::move(b));
    }
    // Mutations and random bytes: a clean failure, or a message that re-encodes to bytes that
    // decode to the same message (the decoder accepts nothing it cannot represent).
    const int rounds = 600 * fuzz_scale();
    for (int i = 0; i < rounds; ++i) {
      bytes b = corpus[static_cast<size_t>(i) % corpus.size()];
      const int kind = i % 4;
      if (kind == 0 && !b.empty()) {
        for (int k = 0; k < 1 + i % 3; ++k)
          b[g.engine()() % b.size()] = static_cast<uint8_t>(pick(g.engine()));
      } else if (kind == 1 && !b.empty()) {
        b.erase(b.begin() + static_cast<long>(g.engine()() % b.size()));
      } else if (kind == 2) {
        // A length or count of 2^31 - 1, -2, or a long varint, somewhere.
        static const std::vector<std::vector<uint8_t>> nasty = {
            {0x7f, 0xff, 0xff, 0xff},
            {0xff, 0xff, 0xff, 0xfe},
            {0xff, 0xff, 0xff, 0xff, 0x0f},
            {0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
            {0xff, 0xff}};
        const auto& n = nasty[g.engine()() % nasty.size()];
        size_t at = b.empty() ? 0 : g.engine()() % b.size();
        b.insert(b.begin() + static_cast<long>(at), n.begin(), n.end());
      } else {
        b.resize(g.engine()() % 64);
        for (auto& c : b) c = static_cast<uint8_t>(pick(g.engine()));
      }
      stats.frames++;
      auto d = decode<M>(b, v);
      if (!d) {
        ASSERT_EQ(d.err().code, errc::invalid_request);
        ASSERT_NE(d.err().message.find("malformed"), std::string::npos) << d.err().message;
        continue;
      }
      bytes again = encode(*d, v);
      ASSERT_EQ(again.size(), d->size(v));
      auto d2 = decode<M>(again, v);
      ASSERT_TRUE(d2) << d2.err().to_string();
      ASSERT_TRUE(*d2 == *d);
    }
  }
}

TEST(Messages, EveryMessageAndVersionRoundTripsAndRefusesBadBytes) {
  uint64_t seed = 20261207;
#define SHOAL_CHECK_MESSAGE(M) \
  check_message<M>(seed++);    \
  if (::testing::Test::HasFatalFailure()) return;
  SHOAL_PROTOCOL_ALL_MESSAGES(SHOAL_CHECK_MESSAGE)
#undef SHOAL_CHECK_MESSAGE
  // Every API's request and response, and every format message, was checked at every version.
  EXPECT_GE(stats.messages, 2 * all_apis().size());
  std::printf("%zu messages, %zu versions, %zu mutated frames\n", stats.messages, stats.versions,
              stats.frames);
}

// Random request frames of every API key and version, whole: the frame decoder and the body
// decoders never crash and refuse with INVALID_REQUEST, and a frame that decodes re-encodes.
TEST(Messages, RandomRequestFramesDecodeOrFailCleanly) {
  std::mt19937_64 rng(7);
  size_t decoded = 0;
  const size_t frames = 800'000 * static_cast<size_t>(fuzz_scale());
  for (size_t i = 0; i < frames; ++i) {
    auto apis = all_apis();
    const auto& api = apis[rng() % apis.size()];
    bytes f;
    if (rng() % 8 == 0) {
      // Anything at all: any key, any version, a header cut anywhere.
      f.resize(rng() % 40);
      for (auto& c : f) c = static_cast<uint8_t>(rng());
    } else {
      // A well-formed header of a real key, at a version around its range, and a random body.
      const int span = api.highest_version - api.lowest_version + 3;
      const auto v = static_cast<int16_t>(api.lowest_version - 1 + static_cast<int>(rng() % span));
      RequestHeader h;
      h.request_api_key = api.key;
      h.request_api_version = v;
      h.correlation_id = static_cast<int32_t>(rng());
      h.client_id = std::string(rng() % 4, 'c');
      Writer w(f);
      h.write(w, request_header_version(api.key, v));
      const size_t body = rng() % 4 == 0 ? 0 : rng() % 48;
      for (size_t k = 0; k < body; ++k)
        f.push_back(static_cast<uint8_t>(rng() % 4 == 0 ? rng() : rng() % 3));
    }
    auto frame = decode_request_frame(f);
    if (!frame) {
      ASSERT_EQ(frame.err().code, errc::invalid_request);
      continue;
    }
    const int16_t v = frame->version();
    const auto* a = find_api(static_cast<int16_t>(frame->key()));
    if (!a || v < a->lowest_version || v > a->highest_version) continue;
    bool ok = false;
#define SHOAL_TRY_DECODE(name, num, text, Req, Resp)  \
  if (frame->key() == api_key::name) {                \
    auto d = decode<Req>(frame->body, v);             \
    if (d) {                                          \
      auto again = encode(*d, v);                     \
      ASSERT_TRUE(decode<Req>(again, v));             \
      ok = true;                                      \
    } else {                                          \
      ASSERT_EQ(d.err().code, errc::invalid_request); \
    }                                                 \
  }
    SHOAL_PROTOCOL_APIS(SHOAL_TRY_DECODE)
#undef SHOAL_TRY_DECODE
    decoded += ok;
  }
  // Some random bodies are valid, so both paths ran.
  std::printf("%zu of %zu random frames decoded\n", decoded, frames);
  EXPECT_GT(decoded, frames / 1000);
}

bytes hex(std::string_view s) {
  bytes out;
  std::string digits;
  for (char c : s) {
    if (std::isxdigit(static_cast<unsigned char>(c))) digits.push_back(c);
  }
  for (size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

RequestHeader request_header(api_key key, int16_t v, int32_t corr, std::string client) {
  RequestHeader h;
  h.request_api_key = key;
  h.request_api_version = v;
  h.correlation_id = corr;
  h.client_id = std::move(client);
  return h;
}

// docs/protocol.md §7: a flexible request's header keeps an int16 client id, then its tags.
TEST(Frames, MetadataV12RequestIsKafkasBytes) {
  MetadataRequest req;
  req.topics.reset();  // all topics
  req.allow_auto_topic_creation = true;
  bytes f;
  encode_request_to(request_header(api_key::metadata, 12, 258, "c1"), req, f);
  EXPECT_EQ(f, hex("0003 000c 00000102 0002 6331 00 | 00 01 00 00"));
  auto d = decode_request_frame(f);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->header.client_id, "c1");
  auto body = decode<MetadataRequest>(d->body, 12);
  ASSERT_TRUE(body);
  EXPECT_FALSE(body->topics.has_value());
}

TEST(Frames, MetadataV0RequestHasNoTagsAndAnEmptyListMeansAll) {
  MetadataRequest req;
  req.topics.emplace().emplace_back().name = "ab";
  bytes f;
  encode_request_to(request_header(api_key::metadata, 0, 1, "x"), req, f);
  EXPECT_EQ(f, hex("0003 0000 00000001 0001 78 | 00000001 0002 6162"));
}

TEST(Frames, ShoalsTaggedFieldUsesTag10000AndKafkaSkipsIt) {
  HeartbeatRequest hb;
  hb.group_id = "g";
  hb.generation_id = 1;
  hb.member_id = "m";
  hb.max_wait_ms = 300;
  bytes b = encode(hb, 4);
  // group_id, generation_id, member_id, group_instance_id null, then one tagged field:
  // tag 10000 (uvarint 90 4e), size 4, int32 300.
  EXPECT_EQ(b, hex("02 67 | 00000001 | 02 6d | 00 | 01 904e 04 0000012c"));
  // Below v4 the field does not exist: nothing is written, and it decodes as 0.
  bytes b3 = encode(hb, 3);
  auto d3 = decode<HeartbeatRequest>(b3, 3);
  ASSERT_TRUE(d3);
  EXPECT_EQ(d3->max_wait_ms, 0);
  // An unknown tag (as a Kafka broker sees Shoal's, or Shoal a newer Kafka's) is skipped.
  bytes unknown = hex("02 67 | 00000001 | 02 6d | 00 | 01 05 02 abcd");
  auto d = decode<HeartbeatRequest>(unknown, 4);
  ASSERT_TRUE(d) << d.err().to_string();
  EXPECT_EQ(d->max_wait_ms, 0);
}

TEST(Frames, ApiVersionsResponseHeaderIsAlwaysVersion0) {
  ApiVersionsResponse r;
  r.error_code = errc::unsupported_version;
  auto& k = r.api_keys.emplace_back();
  k.api_key = api_key::produce;
  k.min_version = 0;
  k.max_version = 9;
  bytes f = encode_response(7, 0, r);
  EXPECT_EQ(f, hex("00000007 | 0023 | 00000001 0000 0000 0009"));
  // At v3 the body is flexible but the header still has no tags.
  bytes f3 = encode_response(7, 3, r);
  EXPECT_EQ(bytes(f3.begin(), f3.begin() + 6), hex("00000007 0023"));
  auto d = decode_response_frame(f3, api_key::api_versions, 3);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first.correlation_id, 7);
  EXPECT_TRUE(decode<ApiVersionsResponse>(d->second, 3));
}

TEST(Frames, TruncatedAndOversizedHeadersAreRefused) {
  for (const char* h : {"", "00", "0003 000c", "0003 000c 00000102", "0003 000c 00000102 0005 61",
                        "0003 000c 00000102 7fff"}) {
    auto d = decode_request_frame(hex(h));
    ASSERT_FALSE(d) << h;
    EXPECT_EQ(d.err().code, errc::invalid_request);
  }
  EXPECT_EQ(peek_correlation_id(hex("0003 000c 00000102 7fff")), 258);
  EXPECT_FALSE(peek_correlation_id(hex("0003 000c 0000")));
}

}  // namespace
}  // namespace shoal::protocol
