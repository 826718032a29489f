// IP address literals and endpoints; IPv6 text per RFC 5952.
#include "core/net/address.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "core/random.h"

namespace meridian::net {
namespace {

std::array<uint8_t, 16> v6_bytes(std::array<uint16_t, 8> groups) {
  std::array<uint8_t, 16> b{};
  for (size_t i = 0; i < 8; ++i) {
    b[2 * i] = static_cast<uint8_t>(groups[i] >> 8);
    b[2 * i + 1] = static_cast<uint8_t>(groups[i] & 0xff);
  }
  return b;
}

std::string v6_text(std::array<uint16_t, 8> groups) {
  return IpAddress::v6(v6_bytes(groups)).to_string();
}

// Parses `text` and returns its canonical form, or "<invalid>".
std::string canonical(std::string_view text) {
  auto a = IpAddress::parse(text);
  return a ? a->to_string() : "<invalid>";
}

TEST(IpAddressTest, ParseAndFormatIPv4) {
  auto a = IpAddress::parse("192.0.2.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), Family::kIPv4);
  EXPECT_EQ(a->bytes()[0], 192);
  EXPECT_EQ(a->bytes()[1], 0);
  EXPECT_EQ(a->bytes()[2], 2);
  EXPECT_EQ(a->bytes()[3], 1);
  EXPECT_EQ(a->to_string(), "192.0.2.1");
  EXPECT_EQ(canonical("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(canonical("255.255.255.255"), "255.255.255.255");
  EXPECT_EQ(canonical("10.0.100.9"), "10.0.100.9");
  EXPECT_EQ(IpAddress::v4_loopback().to_string(), "127.0.0.1");
  EXPECT_EQ(*IpAddress::parse("127.0.0.1"), IpAddress::v4_loopback());
}

TEST(IpAddressTest, V4Value) {
  EXPECT_EQ(IpAddress::parse("192.0.2.1")->v4_value(), 0xC0000201u);
  EXPECT_EQ(IpAddress::parse("255.255.255.255")->v4_value(), 0xFFFFFFFFu);
  EXPECT_EQ(IpAddress::parse("0.0.0.1")->v4_value(), 1u);
  EXPECT_EQ(IpAddress::v4({1, 2, 3, 4}).v4_value(), 0x01020304u);
}

TEST(IpAddressTest, InvalidIPv4Literals) {
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.02.3.4", "1.2.3.004",
        "1..3.4", ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1.2.3.-4", "+1.2.3.4",
        "1.2.3.4/24", "1000.1.1.1", "localhost"}) {
    EXPECT_FALSE(IpAddress::parse(bad)) << '"' << bad << '"';
  }
}

TEST(IpAddressTest, ParseIPv6) {
  auto a = IpAddress::parse("2001:db8::1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), Family::kIPv6);
  EXPECT_EQ(a->bytes(), v6_bytes({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(IpAddress::parse("::")->bytes(), v6_bytes({}));
  EXPECT_EQ(IpAddress::parse("::1")->bytes(), v6_bytes({0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(IpAddress::parse("1::")->bytes(), v6_bytes({1, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(IpAddress::parse("1:2:3:4:5:6:7:8")->bytes(), v6_bytes({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(IpAddress::parse("1:2:3:4:5:6:7::")->bytes(), v6_bytes({1, 2, 3, 4, 5, 6, 7, 0}));
  EXPECT_EQ(IpAddress::parse("::2:3:4:5:6:7:8")->bytes(), v6_bytes({0, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(IpAddress::parse("2001:DB8:0:0:0:0:0:ABCD")->bytes(),
            v6_bytes({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xabcd}));
  EXPECT_EQ(IpAddress::parse("0000:0000:0000:0000:0000:0000:0000:0001")->bytes(),
            v6_bytes({0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(IpAddressTest, Rfc5952CompressesTheLongestZeroRun) {
  EXPECT_EQ(v6_text({0x2001, 0xdb8, 0, 0, 1, 0, 0, 0}), "2001:db8:0:0:1::");
  EXPECT_EQ(v6_text({0x2001, 0, 0, 0, 1, 0, 0, 1}), "2001::1:0:0:1");
  EXPECT_EQ(v6_text({0, 0, 0, 0, 0, 0, 0, 0}), "::");
  EXPECT_EQ(v6_text({0, 0, 0, 0, 0, 0, 0, 1}), "::1");
  EXPECT_EQ(v6_text({1, 0, 0, 0, 0, 0, 0, 0}), "1::");
  EXPECT_EQ(v6_text({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}), "2001:db8::1");
}

TEST(IpAddressTest, Rfc5952FirstRunWinsTies) {
  EXPECT_EQ(v6_text({0x2001, 0xdb8, 0, 0, 1, 0, 0, 1}), "2001:db8::1:0:0:1");
  EXPECT_EQ(v6_text({1, 0, 0, 2, 3, 0, 0, 4}), "1::2:3:0:0:4");
  EXPECT_EQ(v6_text({0, 0, 1, 2, 3, 4, 0, 0}), "::1:2:3:4:0:0");
}

TEST(IpAddressTest, Rfc5952NeverCompressesASingleZeroGroup) {
  EXPECT_EQ(v6_text({0x2001, 0xdb8, 0, 1, 1, 1, 1, 1}), "2001:db8:0:1:1:1:1:1");
  EXPECT_EQ(v6_text({1, 0, 2, 0, 3, 0, 4, 0}), "1:0:2:0:3:0:4:0");
  EXPECT_EQ(v6_text({0, 1, 2, 3, 4, 5, 6, 7}), "0:1:2:3:4:5:6:7");
  EXPECT_EQ(v6_text({1, 2, 3, 4, 5, 6, 7, 8}), "1:2:3:4:5:6:7:8");
}

TEST(IpAddressTest, Rfc5952LowercaseAndNoLeadingZeros) {
  EXPECT_EQ(canonical("2001:0DB8:00AB:000C::00Ef"), "2001:db8:ab:c::ef");
  EXPECT_EQ(v6_text({0xABCD, 0xEF01, 0x0a0b, 0, 0, 0, 0, 0x00F0}), "abcd:ef01:a0b::f0");
}

TEST(IpAddressTest, IPv4Mapped) {
  auto a = IpAddress::parse("::ffff:192.0.2.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), Family::kIPv6);
  EXPECT_EQ(a->bytes(), v6_bytes({0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201}));
  EXPECT_EQ(a->to_string(), "::ffff:192.0.2.1");
  EXPECT_EQ(canonical("::FFFF:c000:0201"), "::ffff:192.0.2.1");
  EXPECT_EQ(canonical("0:0:0:0:0:ffff:10.0.0.1"), "::ffff:10.0.0.1");
  EXPECT_EQ(canonical("::ffff:0.0.0.0"), "::ffff:0.0.0.0");
  // Not mapped: the dotted tail is only for ::ffff:0:0/96.
  EXPECT_EQ(canonical("::1.2.3.4"), "::102:304");
  EXPECT_EQ(canonical("64:ff9b::192.0.2.33"), "64:ff9b::c000:221");
  EXPECT_EQ(canonical("::ffff:256.0.0.1"), "<invalid>");
  EXPECT_EQ(canonical("::ffff:1.2.3"), "<invalid>");
  EXPECT_EQ(canonical("1.2.3.4::"), "<invalid>");
  EXPECT_EQ(canonical("::1.2.3.4:5"), "<invalid>");
}

TEST(IpAddressTest, InvalidIPv6Literals) {
  for (const char* bad : {":::",
                          "1::2::3",
                          "12345::",
                          "::12345",
                          ":",
                          "1:2:3:4:5:6:7",
                          "1:2:3:4:5:6:7:8:9",
                          "1:2:3:4:5:6:7:8::",
                          "::1:2:3:4:5:6:7:8",
                          ":1::2",
                          "1::2:",
                          "1:2:3:4:5:6:7:",
                          ":1:2:3:4:5:6:7:8",
                          "g::1",
                          "::0x1",
                          "1:-2::",
                          "[::1]",
                          "::1%eth0",
                          "1:: 2",
                          "1:2:3:4:5:6:1.2.3.4:8"}) {
    EXPECT_FALSE(IpAddress::parse(bad)) << '"' << bad << '"';
  }
}

TEST(IpAddressTest, V6ParseFormatRoundTripProperty) {
  SeededRandom rng(0x5eed'0701);
  for (int i = 0; i < 20'000; ++i) {
    std::array<uint16_t, 8> g{};
    for (auto& x : g) {
      // Mostly zeros and small values so zero runs of every length occur.
      const uint64_t r = rng.next_u64();
      x = (r & 3) == 0 ? static_cast<uint16_t>(r >> 16) : (r & 3) == 1 ? uint16_t{1} : uint16_t{0};
    }
    const IpAddress a = IpAddress::v6(v6_bytes(g));
    const std::string text = a.to_string();
    auto back = IpAddress::parse(text);
    ASSERT_TRUE(back) << text;
    ASSERT_EQ(*back, a) << text;
    ASSERT_EQ(back->to_string(), text);
    ASSERT_EQ(text.find(":::"), std::string::npos) << text;
    if (const size_t gap = text.find("::"); gap != std::string::npos) {
      ASSERT_EQ(text.find("::", gap + 2), std::string::npos) << text;  // at most one "::"
      if (text.find('.') == std::string::npos) {
        // "::" replaces at least two groups, so at most six remain visible.
        size_t visible = 0;
        for (size_t k = 0; k < text.size(); ++k) {
          if (text[k] != ':' && (k == 0 || text[k - 1] == ':')) ++visible;
        }
        ASSERT_LE(visible, 6u) << text;
      }
    }
    ASSERT_EQ(text.find_first_of("ABCDEF"), std::string::npos) << text;
  }
}

TEST(IpAddressTest, V4ParseFormatRoundTripProperty) {
  SeededRandom rng(0x5eed'0702);
  for (int i = 0; i < 20'000; ++i) {
    const auto v = static_cast<uint32_t>(rng.next_u64());
    const IpAddress a = IpAddress::v4({static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                                       static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)});
    auto back = IpAddress::parse(a.to_string());
    ASSERT_TRUE(back) << a.to_string();
    ASSERT_EQ(*back, a);
    ASSERT_EQ(back->v4_value(), v);
  }
}

TEST(IpAddressTest, FamiliesDifferEvenWithEqualBytes) {
  const IpAddress v4 = IpAddress::v4({0, 0, 0, 0});
  const IpAddress v6 = IpAddress::v6({});
  EXPECT_NE(v4, v6);
  EXPECT_EQ(v4.to_string(), "0.0.0.0");
  EXPECT_EQ(v6.to_string(), "::");
  EXPECT_EQ(IpAddress().family(), Family::kIPv4);
}

TEST(EndpointTest, ToStringForBothFamilies) {
  EXPECT_EQ((Endpoint{*IpAddress::parse("192.0.2.1"), 123}).to_string(), "192.0.2.1:123");
  EXPECT_EQ((Endpoint{*IpAddress::parse("2001:db8::1"), 123}).to_string(), "[2001:db8::1]:123");
  EXPECT_EQ((Endpoint{*IpAddress::parse("::"), 0}).to_string(), "[::]:0");
  EXPECT_EQ((Endpoint{*IpAddress::parse("::ffff:10.1.2.3"), 65535}).to_string(),
            "[::ffff:10.1.2.3]:65535");
  EXPECT_EQ((Endpoint{IpAddress::v4_loopback(), 4123}).to_string(), "127.0.0.1:4123");
}

TEST(EndpointTest, Ordering) {
  const Endpoint a{IpAddress::v4_loopback(), 123};
  const Endpoint b{IpAddress::v4_loopback(), 124};
  EXPECT_LT(a, b);
  EXPECT_EQ(a, (Endpoint{*IpAddress::parse("127.0.0.1"), 123}));
}

}  // namespace
}  // namespace meridian::net
