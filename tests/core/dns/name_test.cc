// Host-name validation, encoding and loop-safe decoding of compressed names
// (RFC 1035 §2.3.4, §3.1, §4.1.4).
#include "core/dns/name.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/dns_test_messages.h"

namespace meridian::dns {
namespace {

using testing::DnsWriter;

TEST(DnsName, CanonicalFormIsLowerCaseWithoutTrailingDot) {
  EXPECT_EQ(*canonical_host_name("Pool.NTP.org."), "pool.ntp.org");
  EXPECT_EQ(*canonical_host_name("localhost"), "localhost");
  EXPECT_EQ(*canonical_host_name("_ntp._udp.example"), "_ntp._udp.example");
  EXPECT_EQ(*canonical_host_name("xn--bcher-kva.example"), "xn--bcher-kva.example");
}

TEST(DnsName, RejectsWhatCannotBeAHostName) {
  for (const char* bad : {"", ".", "a..b", ".a", "a b", "a\\.b", "a/b", "a..", "é.example"}) {
    auto r = canonical_host_name(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(DnsName, LabelAndNameLengthLimits) {
  const std::string label63(63, 'a');
  EXPECT_TRUE(canonical_host_name(label63 + ".example").ok());
  EXPECT_FALSE(canonical_host_name(std::string(64, 'a') + ".example").ok());
  // Four 63-octet labels: 4 × 64 + 1 = 257 octets on the wire, too long;
  // 3 × 64 + 61 + 1 + 1 = 255 is the longest allowed.
  const std::string too_long = label63 + "." + label63 + "." + label63 + "." + label63;
  EXPECT_FALSE(canonical_host_name(too_long).ok());
  const std::string longest = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_TRUE(canonical_host_name(longest).ok());
  std::vector<std::byte> wire;
  ASSERT_TRUE(encode_name(longest, wire).ok());
  EXPECT_EQ(wire.size(), 255u);
}

TEST(DnsName, EncodesLengthPrefixedLabels) {
  std::vector<std::byte> wire;
  ASSERT_TRUE(encode_name("Pool.ntp.ORG.", wire).ok());
  DnsWriter expected;
  expected.name("pool.ntp.org");
  EXPECT_EQ(wire, expected.bytes);
}

TEST(DnsName, DecodesPlainAndCompressedNames) {
  DnsWriter w;
  w.u16(0);  // filler so offsets are not zero
  const size_t first = w.name("Pool.NTP.org");
  const size_t second = w.size();
  w.u8(2).u8('x').u8('y').pointer(first + 5);  // "xy" + pointer to "ntp.org"
  const size_t third = w.size();
  w.pointer(second);  // a pointer to a name that itself ends in a pointer
  auto a = decode_name(w.bytes, first);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->text, "pool.ntp.org");
  EXPECT_EQ(a->end, second);
  auto b = decode_name(w.bytes, second);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->text, "xy.ntp.org");
  EXPECT_EQ(b->end, third);
  auto c = decode_name(w.bytes, third);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->text, "xy.ntp.org");
  EXPECT_EQ(c->end, third + 2);
}

TEST(DnsName, OddBytesAreEscapedSoTheyCannotImitateADot) {
  DnsWriter w;
  w.u8(3).u8('a').u8('.').u8('b').u8(0);
  auto n = decode_name(w.bytes, 0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->text, "a\\046b");
  EXPECT_NE(n->text, "a.b");
}

TEST(DnsName, PointerLoopsAreRejected) {
  {
    DnsWriter w;  // a pointer to itself
    w.pointer(0);
    EXPECT_EQ(decode_name(w.bytes, 0).error().code, ErrorCode::kMalformed);
  }
  {
    DnsWriter w;  // label at 0, then a pointer back to 0: reading from 0 reaches it again
    w.u8(1).u8('a').pointer(0);
    EXPECT_EQ(decode_name(w.bytes, 0).error().code, ErrorCode::kMalformed);
  }
  {
    DnsWriter w;  // two pointers pointing at each other
    w.pointer(2).pointer(0);
    EXPECT_FALSE(decode_name(w.bytes, 0).ok());
    EXPECT_FALSE(decode_name(w.bytes, 2).ok());
  }
  {
    DnsWriter w;  // forward pointer
    w.pointer(2).u8(0);
    EXPECT_EQ(decode_name(w.bytes, 0).error().code, ErrorCode::kMalformed);
  }
}

TEST(DnsName, TruncatedAndReservedForms) {
  DnsWriter cut;
  cut.u8(5).u8('a');
  EXPECT_EQ(decode_name(cut.bytes, 0).error().code, ErrorCode::kTruncated);
  DnsWriter no_end;
  no_end.u8(1).u8('a');
  EXPECT_EQ(decode_name(no_end.bytes, 0).error().code, ErrorCode::kTruncated);
  DnsWriter half_pointer;
  half_pointer.u8(0xc0);
  EXPECT_EQ(decode_name(half_pointer.bytes, 0).error().code, ErrorCode::kTruncated);
  DnsWriter extended;
  extended.u8(0x41).u8(0);
  EXPECT_EQ(decode_name(extended.bytes, 0).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(decode_name(extended.bytes, 7).error().code, ErrorCode::kTruncated);
}

TEST(DnsName, DecodedNamesLongerThan255OctetsAreRejected) {
  // Built from pointers so each hop is backwards but the total grows past 255.
  DnsWriter w;
  size_t previous = w.name("");
  for (int i = 0; i < 5; ++i) {
    const size_t at = w.size();
    w.u8(63);
    for (int j = 0; j < 63; ++j) w.u8('a');
    w.pointer(previous);
    previous = at;
  }
  auto n = decode_name(w.bytes, previous);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, ErrorCode::kMalformed);
}

}  // namespace
}  // namespace meridian::dns
