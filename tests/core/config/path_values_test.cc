// Lexical include paths and number/keyword parsing for ntp.conf.
#include <gtest/gtest.h>

#include "core/config/address_spec.h"
#include "core/config/path.h"
#include "core/config/values.h"

namespace meridian::config::internal {
namespace {

TEST(ConfigPathTest, ParentDirectory) {
  EXPECT_EQ(parent_directory("/etc/ntp.conf"), "/etc");
  EXPECT_EQ(parent_directory("ntp.conf"), "");
  EXPECT_EQ(parent_directory("/ntp.conf"), "/");
  EXPECT_EQ(parent_directory("conf/ntp.conf"), "conf");
}

TEST(ConfigPathTest, JoinAndNormalize) {
  EXPECT_EQ(join_path("/etc", "ntp/a.conf"), "/etc/ntp/a.conf");
  EXPECT_EQ(join_path("/etc/", "a.conf"), "/etc/a.conf");
  EXPECT_EQ(join_path("/etc", "/abs.conf"), "/abs.conf");
  EXPECT_EQ(join_path("", "rel.conf"), "rel.conf");
  EXPECT_EQ(normalize_path("/etc//ntp/./a/../b.conf"), "/etc/ntp/b.conf");
  EXPECT_EQ(normalize_path("../x"), "../x");
  EXPECT_EQ(normalize_path("a/../../x"), "../x");
  EXPECT_EQ(normalize_path("/.."), "/");
  EXPECT_EQ(normalize_path("/etc/ntp.d/"), "/etc/ntp.d");
  EXPECT_EQ(normalize_path("./"), ".");
  EXPECT_EQ(normalize_path("/"), "/");
}

TEST(ConfigValuesTest, NumbersAsOperatorsWriteThem) {
  EXPECT_EQ(parse_number("-.000097"), -0.000097);
  EXPECT_EQ(parse_number("50000000.0"), 50000000.0);
  EXPECT_EQ(parse_number("+5"), 5.0);
  EXPECT_EQ(parse_number("1e3"), 1000.0);
  EXPECT_FALSE(parse_number(""));
  EXPECT_FALSE(parse_number("."));
  EXPECT_FALSE(parse_number("inf"));
  EXPECT_FALSE(parse_number("nan"));
  EXPECT_FALSE(parse_number("0x10"));
  EXPECT_FALSE(parse_number("1e999"));
  EXPECT_FALSE(parse_number("+-1"));
  EXPECT_FALSE(parse_number("++1"));
  EXPECT_FALSE(parse_number("5s"));
}

TEST(ConfigValuesTest, Integers) {
  EXPECT_EQ(parse_integer("10"), 10);
  EXPECT_EQ(parse_integer("-4"), -4);
  EXPECT_EQ(parse_integer("+4"), 4);
  EXPECT_EQ(parse_integer("3.0"), 3);
  EXPECT_FALSE(parse_integer("3.5"));
  EXPECT_FALSE(parse_integer("+-3"));
  EXPECT_FALSE(parse_integer("abc"));
  EXPECT_FALSE(parse_integer(""));
  EXPECT_FALSE(parse_integer("99999999999999999999999"));
}

TEST(ConfigValuesTest, KeywordsAndHostNames) {
  EXPECT_TRUE(iequals("IBurst", "iburst"));
  EXPECT_FALSE(iequals("iburst", "iburs"));
  EXPECT_EQ(to_lower("NoMoDiFy"), "nomodify");
  EXPECT_TRUE(is_host_name("0.pool.ntp.org"));
  EXPECT_TRUE(is_host_name("localhost"));
  EXPECT_TRUE(is_host_name("time_server-1.example."));
  EXPECT_FALSE(is_host_name("10.0.0"));
  EXPECT_FALSE(is_host_name("-bad"));
  EXPECT_FALSE(is_host_name("a b"));
  EXPECT_FALSE(is_host_name("fe80::1%eth0"));
}

TEST(ConfigAddressSpecTest, LiteralsBracketsPrefixesAndNames) {
  auto v4 = parse_address_spec("10.0.0.0/8", true);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->address->to_string(), "10.0.0.0");
  EXPECT_EQ(v4->prefix_len, 8);
  auto v6 = parse_address_spec("[::1]", false);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->address->to_string(), "::1");
  EXPECT_EQ(v6->text, "::1");
  auto b6 = parse_address_spec("[fe80::]/10", true);
  ASSERT_TRUE(b6.ok());
  EXPECT_EQ(b6->prefix_len, 10);
  auto name = parse_address_spec("localhost", false);
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->host, "localhost");
  EXPECT_FALSE(parse_address_spec("10.0.0.0/33", true).ok());
  EXPECT_FALSE(parse_address_spec("::/129", true).ok());
  EXPECT_FALSE(parse_address_spec("10.0.0.0/8", false).ok());
  EXPECT_FALSE(parse_address_spec("host/8", true).ok());
  EXPECT_FALSE(parse_address_spec("[10.0.0.1]", false).ok());
  EXPECT_FALSE(parse_address_spec("[::1", false).ok());
  EXPECT_FALSE(parse_address_spec("300.1.1.1", false).ok());
  EXPECT_FALSE(parse_address_spec("1::2::3", false).ok());
  EXPECT_FALSE(parse_address_spec("10.0.0.0/x", true).ok());
  EXPECT_FALSE(parse_address_spec("10.0.0.0/8.0", true).ok());
  EXPECT_EQ(parse_address_spec("10.0.0.0/33", true).error().message,
            "'10.0.0.0/33': prefix length must be 0..32 for this address family");
}

TEST(ConfigAddressSpecTest, MaskArithmetic) {
  EXPECT_EQ(prefix_mask(net::Family::kIPv4, 24).to_string(), "255.255.255.0");
  EXPECT_EQ(prefix_mask(net::Family::kIPv6, 10).to_string(), "ffc0::");
  EXPECT_EQ(prefix_mask(net::Family::kIPv4, 0).to_string(), "0.0.0.0");
  EXPECT_EQ(mask_prefix_length(*net::IpAddress::parse("255.255.255.0")), 24);
  EXPECT_EQ(mask_prefix_length(*net::IpAddress::parse("ffff:ffff::")), 32);
  EXPECT_FALSE(mask_prefix_length(*net::IpAddress::parse("255.0.255.0")));
  EXPECT_EQ(mask_ones(*net::IpAddress::parse("255.0.255.0")), 16);
  EXPECT_EQ(
      apply_mask(*net::IpAddress::parse("192.168.1.77"), *net::IpAddress::parse("255.255.255.0"))
          .to_string(),
      "192.168.1.0");
}

}  // namespace
}  // namespace meridian::config::internal
