// hosts(5) parsing and lookup.
#include "core/dns/hosts_file.h"

#include <gtest/gtest.h>

namespace meridian::dns {
namespace {

net::IpAddress ip(const char* text) { return *net::IpAddress::parse(text); }

constexpr const char* kHosts =
    "# The usual Debian file\n"
    "127.0.0.1\tlocalhost\n"
    "127.0.1.1\tbox.example.org\tbox\n"
    "\n"
    "::1     localhost ip6-localhost ip6-loopback   # trailing comment\r\n"
    "ff02::1 ip6-allnodes\n"
    "192.0.2.10 Time.Example.ORG time ntp1  \n"
    "192.0.2.11 time.example.org\n"
    "192.0.2.10 time\n"
    "fe80::1%eth0 linklocal\n"
    "not-an-address name\n"
    "192.0.2.99\n"
    "198.51.100.1 bad..name good.example\n"
    "   # indented comment\n"
    "2001:db8::5 time.example.org";  // no final newline

TEST(HostsTable, LooksUpCanonicalNamesAndAliasesCaseInsensitively) {
  const auto t = HostsTable::parse(kHosts);
  EXPECT_EQ(t.lookup("localhost"), (std::vector{ip("127.0.0.1"), ip("::1")}));
  EXPECT_EQ(t.lookup("LOCALHOST."), (std::vector{ip("127.0.0.1"), ip("::1")}));
  EXPECT_EQ(t.lookup("box"), std::vector{ip("127.0.1.1")});
  EXPECT_EQ(t.lookup("ip6-loopback"), std::vector{ip("::1")});
  EXPECT_EQ(t.lookup("ntp1"), std::vector{ip("192.0.2.10")});
  // Every line naming the host counts, in file order, without duplicates.
  EXPECT_EQ(t.lookup("time.example.org"),
            (std::vector{ip("192.0.2.10"), ip("192.0.2.11"), ip("2001:db8::5")}));
  EXPECT_EQ(t.lookup("time"), std::vector{ip("192.0.2.10")});
  EXPECT_EQ(t.lookup("good.example"), std::vector{ip("198.51.100.1")});
}

TEST(HostsTable, FamilyRestriction) {
  const auto t = HostsTable::parse(kHosts);
  EXPECT_EQ(t.lookup("localhost", net::Family::kIPv4), std::vector{ip("127.0.0.1")});
  EXPECT_EQ(t.lookup("localhost", net::Family::kIPv6), std::vector{ip("::1")});
  EXPECT_TRUE(t.lookup("box", net::Family::kIPv6).empty());
}

TEST(HostsTable, UnknownAndInvalidNamesFindNothing) {
  const auto t = HostsTable::parse(kHosts);
  EXPECT_TRUE(t.lookup("example.org").empty());
  EXPECT_TRUE(t.lookup("linklocal").empty());  // zone addresses are skipped
  EXPECT_TRUE(t.lookup("name").empty());
  EXPECT_TRUE(t.lookup("bad..name").empty());
  EXPECT_TRUE(t.lookup("").empty());
  EXPECT_TRUE(t.lookup("with space").empty());
}

TEST(HostsTable, CountsSkippedLines) {
  const auto t = HostsTable::parse(kHosts);
  // fe80::1%eth0, not-an-address, and an address without a name.
  EXPECT_EQ(t.skipped_lines(), 3u);
  EXPECT_EQ(HostsTable::parse("").size(), 0u);
  EXPECT_EQ(HostsTable::parse("\n\n#\n").skipped_lines(), 0u);
}

}  // namespace
}  // namespace meridian::dns
