// The encoding primitives of codec.h: exact bytes of each primitive, and every way the Reader
// must refuse malformed input (negative lengths, lengths past the end, oversized counts,
// non-canonical bools, duplicate map keys, trailing bytes).
#include "protocol/codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "common/types.h"

namespace shoal::protocol {
namespace {

// A struct using every field type the codec knows.
enum class color : int8_t { red = 1, blue = 2 };

struct Inner {
  int16_t a = 0;
  std::optional<std::string> s;

  template <typename V>
  void visit(V& v) {
    v(a);
    v(s);
  }
  friend bool operator==(const Inner&, const Inner&) = default;
};

struct AllTypes {
  bool b = false;
  int8_t i8 = 0;
  int16_t i16 = 0;
  int32_t i32 = 0;
  int64_t i64 = 0;
  double d = 0;
  color c = color::red;
  errc e = errc::none;
  offset o;
  partition_id p;
  std::string s;
  std::optional<std::string> ns;
  bytes by;
  std::optional<bytes> nby;
  std::vector<int32_t> v;
  std::optional<std::vector<std::string>> nv;
  string_map m;
  Inner inner;
  std::vector<Inner> inners;

  template <typename V>
  void visit(V& v_) {
    v_(b);
    v_(i8);
    v_(i16);
    v_(i32);
    v_(i64);
    v_(d);
    v_(c);
    v_(e);
    v_(o);
    v_(p);
    v_(s);
    v_(ns);
    v_(by);
    v_(nby);
    v_(v);
    v_(nv);
    v_(m);
    v_(inner);
    v_(inners);
  }
  friend bool operator==(const AllTypes&, const AllTypes&) = default;
};

template <typename T>
bytes encode_one(const T& v) {
  bytes out;
  Writer w(out);
  w.write(v);
  return out;
}

void expect_malformed(const bytes& data, std::string_view fragment) {
  auto r = decode<AllTypes>(data);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::invalid_request);
  EXPECT_NE(r.err().message.find(fragment), std::string::npos) << r.err().message;
}

TEST(Writer, IntegersAreBigEndian) {
  EXPECT_EQ(encode_one(int8_t{-2}), (bytes{0xfe}));
  EXPECT_EQ(encode_one(int16_t{0x0102}), (bytes{0x01, 0x02}));
  EXPECT_EQ(encode_one(int32_t{-1}), (bytes{0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(encode_one(int64_t{0x0102030405060708}),
            (bytes{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}));
  EXPECT_EQ(encode_one(true), (bytes{0x01}));
  EXPECT_EQ(encode_one(false), (bytes{0x00}));
  // 1.0 is 0x3ff0000000000000 in IEEE 754.
  EXPECT_EQ(encode_one(1.0), (bytes{0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
}

TEST(Writer, EnumsAndStrongTypesUseTheirUnderlyingInteger) {
  EXPECT_EQ(encode_one(errc::invalid_request), (bytes{0x00, 0x2a}));
  EXPECT_EQ(encode_one(color::blue), (bytes{0x02}));
  EXPECT_EQ(encode_one(offset{258}), (bytes{0, 0, 0, 0, 0, 0, 0x01, 0x02}));
  EXPECT_EQ(encode_one(partition_id{3}), (bytes{0, 0, 0, 3}));
  EXPECT_EQ(encode_one(node_id{-1}), (bytes{0xff, 0xff, 0xff, 0xff}));
}

TEST(Writer, StringsBytesAndNulls) {
  EXPECT_EQ(encode_one(std::string("ab")), (bytes{0x00, 0x02, 'a', 'b'}));
  EXPECT_EQ(encode_one(std::string()), (bytes{0x00, 0x00}));
  EXPECT_EQ(encode_one(std::optional<std::string>()), (bytes{0xff, 0xff}));
  EXPECT_EQ(encode_one(std::optional<std::string>("")), (bytes{0x00, 0x00}));
  EXPECT_EQ(encode_one(bytes{9}), (bytes{0, 0, 0, 1, 9}));
  EXPECT_EQ(encode_one(std::optional<bytes>()), (bytes{0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(encode_one(std::optional<bytes>(bytes{})), (bytes{0, 0, 0, 0}));
}

TEST(Writer, ArraysAndMaps) {
  EXPECT_EQ(encode_one(std::vector<int16_t>{1, 2}), (bytes{0, 0, 0, 2, 0, 1, 0, 2}));
  EXPECT_EQ(encode_one(std::optional<std::vector<int16_t>>()), (bytes{0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(encode_one(std::optional<std::vector<int16_t>>(std::vector<int16_t>{})),
            (bytes{0, 0, 0, 0}));
  // Keys in order, whatever the insertion order.
  string_map m{{"b", "2"}, {"a", ""}};
  EXPECT_EQ(encode_one(m), (bytes{0, 0, 0, 2, 0, 1, 'a', 0, 0, 0, 1, 'b', 0, 1, '2'}));
}

TEST(Writer, StringOfMaxLengthIsAcceptedOneMoreThrows) {
  std::string s(max_string_length, 'x');
  bytes out = encode_one(s);
  EXPECT_EQ(out.size(), 2u + max_string_length);
  EXPECT_EQ(out[0], 0x7f);
  EXPECT_EQ(out[1], 0xff);
  EXPECT_EQ(*decode<std::string>(out), s);
  s.push_back('x');
  EXPECT_THROW(encode_one(s), std::length_error);
  EXPECT_THROW(encode_one(std::optional<std::string>(s)), std::length_error);
}

TEST(Codec, EncodedSizeIsExact) {
  AllTypes v;
  v.s = "hello";
  v.by = bytes(1000, 7);
  v.nv = std::vector<std::string>{"x", "yz"};
  v.m = {{"k", "v"}};
  v.inners = {Inner{1, "a"}, Inner{2, std::nullopt}};
  EXPECT_EQ(encoded_size(v), encode(v).size());
  EXPECT_EQ(encoded_size(AllTypes{}), encode(AllTypes{}).size());
}

TEST(Codec, RoundTripsEveryFieldType) {
  AllTypes v;
  v.b = true;
  v.i8 = std::numeric_limits<int8_t>::min();
  v.i16 = std::numeric_limits<int16_t>::max();
  v.i32 = std::numeric_limits<int32_t>::min();
  v.i64 = std::numeric_limits<int64_t>::max();
  v.d = -3.25e300;
  v.c = color::blue;
  v.e = errc::not_leader_or_follower;
  v.o = offset(std::numeric_limits<int64_t>::max() - 1);
  v.p = partition_id(-1);
  v.s = "żółw 🐢";
  v.ns = "";
  v.by = bytes{0, 1, 2, 255};
  v.nby = std::nullopt;
  v.v = {1, -1, 0x7fffffff};
  v.nv = std::vector<std::string>{};
  v.m = {{"cleanup.policy", "compact"}, {"", ""}};
  v.inner = Inner{-5, std::nullopt};
  v.inners = {Inner{1, "a"}, Inner{2, std::nullopt}};
  auto r = decode<AllTypes>(encode(v));
  ASSERT_TRUE(r) << r.err().to_string();
  EXPECT_EQ(*r, v);
}

TEST(Codec, DoubleKeepsItsBits) {
  for (double d : {0.0, -0.0, std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::denorm_min(), std::nan("")}) {
    bytes b = encode_one(d);
    auto r = decode<double>(b);
    ASSERT_TRUE(r);
    EXPECT_EQ(std::bit_cast<int64_t>(*r), std::bit_cast<int64_t>(d));
  }
}

TEST(Reader, ReadsPastTheEndFailWithPosition) {
  bytes b{0x00, 0x01, 0x02};
  Reader r(b, "Test");
  int16_t a = 0;
  EXPECT_TRUE(r.read_int16(a));
  EXPECT_EQ(a, 1);
  int32_t c = 0;
  EXPECT_FALSE(r.read_int32(c));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, errc::invalid_request);
  EXPECT_EQ(r.err().message, "malformed Test: int32 needs 4 bytes, 1 left at byte 2");
  // Sticky: later reads fail too, even ones that would fit.
  int8_t d = 0;
  EXPECT_FALSE(r.read_int8(d));
  EXPECT_EQ(r.err().message, "malformed Test: int32 needs 4 bytes, 1 left at byte 2");
}

TEST(Reader, EmptyInputFailsCleanly) {
  auto r = decode<AllTypes>(bytes{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::invalid_request);
  EXPECT_EQ(r.err().message, "malformed message: bool needs 1 bytes, 0 left at byte 0");
}

TEST(Reader, TrailingBytesFail) {
  bytes b = encode(AllTypes{});
  b.push_back(0);
  expect_malformed(b, "1 trailing bytes");
}

TEST(Reader, BoolMustBeZeroOrOne) {
  auto r = decode<bool>(bytes{2});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message, "malformed message: bool is 2, not 0 or 1 at byte 0");
  EXPECT_FALSE(decode<bool>(bytes{0xff}));
  EXPECT_TRUE(decode<bool>(bytes{1}));
}

TEST(Reader, NegativeLengthsOtherThanNullFail) {
  EXPECT_FALSE(decode<std::string>(bytes{0xff, 0xff}));                 // null where not nullable
  EXPECT_FALSE(decode<std::optional<std::string>>(bytes{0xff, 0xfe}));  // -2
  EXPECT_FALSE(decode<std::optional<std::string>>(bytes{0x80, 0x00}));  // -32768
  EXPECT_FALSE(decode<bytes>(bytes{0xff, 0xff, 0xff, 0xff}));
  EXPECT_FALSE(decode<std::optional<bytes>>(bytes{0xff, 0xff, 0xff, 0xfe}));
  EXPECT_FALSE(decode<std::vector<int8_t>>(bytes{0xff, 0xff, 0xff, 0xff}));
  EXPECT_FALSE(decode<std::optional<std::vector<int8_t>>>(bytes{0x80, 0, 0, 0}));
  EXPECT_FALSE(decode<string_map>(bytes{0xff, 0xff, 0xff, 0xff}));

  auto r = decode<std::optional<std::string>>(bytes{0xff, 0xfe});
  EXPECT_EQ(r.err().message,
            "malformed message: nullable string length -2 (only -1, null, may be negative) at "
            "byte 0");
  EXPECT_EQ(*decode<std::optional<std::string>>(bytes{0xff, 0xff}), std::nullopt);
}

TEST(Reader, LengthsPastTheEndFailBeforeAllocating) {
  auto r = decode<std::string>(bytes{0x7f, 0xff, 'a'});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message,
            "malformed message: string length 32767 exceeds the 1 bytes left at "
            "byte 0");
  EXPECT_FALSE(decode<bytes>(bytes{0x7f, 0xff, 0xff, 0xff}));
  EXPECT_FALSE(decode<std::optional<bytes>>(bytes{0x00, 0x00, 0x00, 0x02, 0x01}));
}

TEST(Reader, ArrayCountsAreBoundedByTheSmallestElement) {
  // Two int32 elements need 8 bytes; 7 are there.
  bytes b{0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0};
  auto r = decode<std::vector<int32_t>>(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message,
            "malformed message: array count 2 of elements of at least 4 bytes exceeds the 7 "
            "bytes left at byte 0");
  // A huge count over a tiny input fails at once, without reserving memory for it.
  EXPECT_FALSE(decode<std::vector<Inner>>(bytes{0x7f, 0xff, 0xff, 0xff, 0, 0}));
  EXPECT_FALSE(decode<std::vector<std::string>>(bytes{0x7f, 0xff, 0xff, 0xff, 0, 0}));
  // Inner is at least 4 bytes (int16 + a null string): exactly one fits.
  auto one = decode<std::vector<Inner>>(bytes{0, 0, 0, 1, 0, 7, 0xff, 0xff});
  ASSERT_TRUE(one) << one.err().to_string();
  EXPECT_EQ(*one, (std::vector<Inner>{Inner{7, std::nullopt}}));
}

TEST(Reader, DuplicateMapKeysFail) {
  bytes b{0, 0, 0, 2, 0, 1, 'a', 0, 0, 0, 1, 'a', 0, 1, 'x'};
  auto r = decode<string_map>(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message, "malformed message: duplicate map key at byte 9");
}

TEST(Reader, MapKeysInAnyOrderAreAccepted) {
  bytes b{0, 0, 0, 2, 0, 1, 'b', 0, 0, 0, 1, 'a', 0, 1, 'x'};
  auto r = decode<string_map>(b);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (string_map{{"a", "x"}, {"b", ""}}));
}

TEST(Reader, FinishReportsTheFirstFailure) {
  bytes b{1};
  Reader r(b);
  int16_t x = 0;
  EXPECT_FALSE(r.read(x));
  auto st = r.finish();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.err().message, "malformed message: int16 needs 2 bytes, 1 left at byte 0");
}

}  // namespace
}  // namespace shoal::protocol
