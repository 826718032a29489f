// restrict / unrestrict and interface / nic: every form, and every failure is fatal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace meridian::config::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Target = RestrictRule::Target;

RestrictRule only_rule(const Config& c) {
  EXPECT_THAT(messages(c), IsEmpty());
  EXPECT_EQ(c.restricts.size(), 1u);
  return c.restricts.empty() ? RestrictRule{} : c.restricts[0];
}

TEST(ConfigRestrictTest, DefaultWithEveryFlag) {
  const Config c = parse(
      "restrict default ignore noserve noquery nomodify notrap nopeer notrust kod limited "
      "lowpriotrap version ntpport nomrulist noepeer\n");
  // lowpriotrap is kept but says it has no effect (no traps in Meridian).
  EXPECT_THAT(messages(c), ElementsAre(HasSubstr("'restrict lowpriotrap' has no effect")));
  ASSERT_EQ(c.restricts.size(), 1u);
  const RestrictRule& r = c.restricts[0];
  EXPECT_EQ(r.target, Target::kDefault);
  EXPECT_FALSE(r.family);
  EXPECT_EQ(r.flags,
            uint32_t{kIgnore | kNoServe | kNoQuery | kNoModify | kNoTrap | kNoPeer | kNoTrust |
                     kKod | kLimited | kLowPriTrap | kVersion | kNtpPort | kNoMrulist | kNoEpeer});
  EXPECT_FALSE(r.unrestrict);
  EXPECT_EQ(r.where, (SourceLocation{kConfPath, 1}));
}

TEST(ConfigRestrictTest, BareDefaultAndFamilies) {
  Config c = parse("restrict default\nrestrict -4 default nopeer\nrestrict -6 default kod\n");
  EXPECT_THAT(messages(c), IsEmpty());
  ASSERT_EQ(c.restricts.size(), 3u);
  EXPECT_EQ(c.restricts[0].flags, 0u);
  EXPECT_FALSE(c.restricts[0].family);
  EXPECT_EQ(c.restricts[1].family, net::Family::kIPv4);
  EXPECT_EQ(c.restricts[2].family, net::Family::kIPv6);
  EXPECT_EQ(c.restricts[2].flags, uint32_t{kKod});
}

TEST(ConfigRestrictTest, AddressesMasksAndCidr) {
  RestrictRule host = only_rule(parse("restrict 127.0.0.1\n"));
  EXPECT_EQ(host.target, Target::kAddress);
  EXPECT_EQ(host.address, ip("127.0.0.1"));
  EXPECT_EQ(host.mask, ip("255.255.255.255"));
  EXPECT_EQ(host.family, net::Family::kIPv4);

  RestrictRule net = only_rule(parse("restrict 192.168.1.0 mask 255.255.255.0 nomodify notrap\n"));
  EXPECT_EQ(net.mask, ip("255.255.255.0"));
  EXPECT_TRUE(net.has_mask);
  EXPECT_EQ(net.flags, uint32_t{kNoModify | kNoTrap});

  RestrictRule cidr = only_rule(parse("restrict 10.0.0.0/8 kod\n"));
  EXPECT_EQ(cidr.address, ip("10.0.0.0"));
  EXPECT_EQ(cidr.mask, ip("255.0.0.0"));

  RestrictRule v6 = only_rule(parse("restrict -6 ::1\n"));
  EXPECT_EQ(v6.address, ip("::1"));
  EXPECT_EQ(v6.mask, ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(v6.family, net::Family::kIPv6);

  RestrictRule bracket = only_rule(parse("restrict [::1]\n"));
  EXPECT_EQ(bracket.address, ip("::1"));

  RestrictRule v6mask = only_rule(parse("restrict 2001:db8:: mask ffff:ffff:: nomodify\n"));
  EXPECT_EQ(v6mask.mask, ip("ffff:ffff::"));

  RestrictRule v6cidr = only_rule(parse("restrict fe80::/10 noquery\n"));
  EXPECT_EQ(v6cidr.mask, ip("ffc0::"));

  // Mask anywhere among the flags, as long as it follows the address.
  RestrictRule late = only_rule(parse("restrict 10.1.0.0 nomodify mask 255.255.0.0 notrap\n"));
  EXPECT_EQ(late.mask, ip("255.255.0.0"));
  EXPECT_EQ(late.flags, uint32_t{kNoModify | kNoTrap});
}

TEST(ConfigRestrictTest, HostNamesAndSource) {
  RestrictRule local = only_rule(parse("restrict localhost\n"));
  EXPECT_EQ(local.target, Target::kHost);
  EXPECT_EQ(local.host, "localhost");
  EXPECT_FALSE(local.has_mask);

  RestrictRule masked = only_rule(parse("restrict 0.pool.ntp.org mask 255.255.255.255 nomodify\n"));
  EXPECT_EQ(masked.target, Target::kHost);
  EXPECT_EQ(masked.host, "0.pool.ntp.org");
  EXPECT_TRUE(masked.has_mask);
  EXPECT_EQ(masked.mask, ip("255.255.255.255"));

  RestrictRule six = only_rule(parse("restrict -6 ntp.example.org\n"));
  EXPECT_EQ(six.family, net::Family::kIPv6);

  RestrictRule source = only_rule(parse("restrict source nomodify notrap noquery\n"));
  EXPECT_EQ(source.target, Target::kSource);
  EXPECT_EQ(source.flags, uint32_t{kNoModify | kNoTrap | kNoQuery});
}

TEST(ConfigRestrictTest, FlagsAreCaseInsensitive) {
  RestrictRule r = only_rule(parse("Restrict DEFAULT NoQuery KOD\n"));
  EXPECT_EQ(r.flags, uint32_t{kNoQuery | kKod});
}

TEST(ConfigRestrictTest, HostBitsOutsideTheMaskAreMaskedWithAWarning) {
  Config c = parse("restrict 192.168.1.77 mask 255.255.255.0\n");
  EXPECT_THAT(warnings(c), ElementsAre("/etc/ntp.conf:1: restrict: 192.168.1.77 has bits outside "
                                       "its mask 255.255.255.0; it matches 192.168.1.0"));
  ASSERT_EQ(c.restricts.size(), 1u);
  EXPECT_EQ(c.restricts[0].address, ip("192.168.1.0"));
}

TEST(ConfigRestrictTest, NonContiguousMaskIsAccepted) {
  Config c = parse("restrict 10.0.0.0 mask 255.0.255.0\n");
  EXPECT_FALSE(c.has_fatal());
  ASSERT_EQ(c.restricts.size(), 1u);
  EXPECT_EQ(c.restricts[0].mask, ip("255.0.255.0"));
}

TEST(ConfigRestrictTest, UnrestrictNtpsec) {
  Config c = parse("restrict 192.0.2.1 nomodify\nunrestrict 192.0.2.1\n");
  EXPECT_THAT(messages(c), IsEmpty());
  ASSERT_EQ(c.restricts.size(), 2u);
  EXPECT_TRUE(c.restricts[1].unrestrict);
  EXPECT_EQ(c.restricts[1].address, ip("192.0.2.1"));
}

TEST(ConfigRestrictTest, NotImplementedOptionsWarn) {
  Config c = parse("restrict default ippeerlimit 2 mssntp serverresponse fuzz nopeer\n");
  EXPECT_THAT(warnings(c),
              ElementsAre("/etc/ntp.conf:1: 'restrict ippeerlimit' has no effect in Meridian: "
                          "symmetric peer associations are never mobilised",
                          "/etc/ntp.conf:1: 'restrict mssntp' has no effect in Meridian: MS-SNTP "
                          "(Samba signing) is not supported",
                          "/etc/ntp.conf:1: 'restrict serverresponse fuzz' has no effect in "
                          "Meridian: timestamps are not fuzzed per client"));
  ASSERT_EQ(c.restricts.size(), 1u);
  EXPECT_EQ(c.restricts[0].flags, uint32_t{kNoPeer});
}

struct FatalCase {
  const char* line;
  const char* message;
};

class ConfigRestrictFatalTest : public ::testing::TestWithParam<FatalCase> {};

TEST_P(ConfigRestrictFatalTest, IsFatalWithFileAndLine) {
  Config c = parse(std::string("server a.example iburst\n") + GetParam().line + "\n");
  EXPECT_TRUE(c.has_fatal());
  EXPECT_THAT(fatals(c), ElementsAre(GetParam().message));
  EXPECT_TRUE(c.restricts.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Lines, ConfigRestrictFatalTest,
    ::testing::Values(
        FatalCase{"restrict",
                  "/etc/ntp.conf:2: restrict: missing address (default, source, an "
                  "address or a name)"},
        FatalCase{"restrict 10.0.0.0/33",
                  "/etc/ntp.conf:2: restrict: '10.0.0.0/33': prefix length must be 0..32 for this "
                  "address family"},
        FatalCase{"restrict default nomodfy", "/etc/ntp.conf:2: restrict: unknown flag 'nomodfy'"},
        FatalCase{"restrict 10.0.0.0 mask", "/etc/ntp.conf:2: restrict: 'mask' needs a value"},
        FatalCase{"restrict 10.0.0.0 mask 255.255.0",
                  "/etc/ntp.conf:2: restrict: mask '255.255.0' is not an address"},
        FatalCase{"restrict 10.0.0.0 mask ffff::",
                  "/etc/ntp.conf:2: restrict: mask ffff:: is not an IPv4 mask"},
        FatalCase{"restrict 10.0.0.0/8 mask 255.0.0.0",
                  "/etc/ntp.conf:2: restrict: mask given twice (or with a /prefix)"},
        FatalCase{"restrict default mask 0.0.0.0",
                  "/etc/ntp.conf:2: restrict: 'mask' needs an address, not default/source"},
        FatalCase{"restrict -4 ::1", "/etc/ntp.conf:2: restrict: ::1 is not an IPv4 address"},
        FatalCase{"restrict -6 source",
                  "/etc/ntp.conf:2: restrict: -4/-6 cannot be used with "
                  "'source'"},
        FatalCase{"restrict 10.0.0",
                  "/etc/ntp.conf:2: restrict: '10.0.0' is not a valid IPv4 "
                  "address"},
        FatalCase{"restrict fe80::1%eth0",
                  "/etc/ntp.conf:2: restrict: 'fe80::1%eth0' is not a valid IPv6 address"},
        FatalCase{"restrict host.example/24",
                  "/etc/ntp.conf:2: restrict: 'host.example/24': a "
                  "/prefix needs an address, not a host name"},
        FatalCase{"restrict default ippeerlimit",
                  "/etc/ntp.conf:2: restrict: 'ippeerlimit' needs a number"},
        FatalCase{"restrict \"default", "/etc/ntp.conf:2: restrict: unterminated quoted string"},
        FatalCase{"unrestrict 10.0.0.0/40",
                  "/etc/ntp.conf:2: unrestrict: '10.0.0.0/40': prefix length must be 0..32 for "
                  "this address family"}));

TEST(ConfigInterfaceTest, EveryForm) {
  Config c = parse(
      "interface listen all\ninterface ignore ipv4\ninterface drop ipv6\n"
      "interface ignore wildcard\ninterface listen eth0\nnic listen 127.0.0.1\n"
      "interface ignore fe80::/10\ninterface listen [::1]\ninterface drop 10.1.2.3/8\n"
      "interface listen eth0:1\ninterface listen enp*\n");
  EXPECT_THAT(messages(c), IsEmpty());
  ASSERT_EQ(c.interfaces.size(), 11u);
  using A = InterfaceRule::Action;
  using M = InterfaceRule::Match;
  EXPECT_EQ(c.interfaces[0].action, A::kListen);
  EXPECT_EQ(c.interfaces[0].match, M::kAll);
  EXPECT_EQ(c.interfaces[1].action, A::kIgnore);
  EXPECT_EQ(c.interfaces[1].match, M::kIpv4);
  EXPECT_EQ(c.interfaces[2].action, A::kDrop);
  EXPECT_EQ(c.interfaces[2].match, M::kIpv6);
  EXPECT_EQ(c.interfaces[3].match, M::kWildcard);
  EXPECT_EQ(c.interfaces[4].match, M::kName);
  EXPECT_EQ(c.interfaces[4].name, "eth0");
  EXPECT_EQ(c.interfaces[5].match, M::kPrefix);
  EXPECT_EQ(c.interfaces[5].address, ip("127.0.0.1"));
  EXPECT_EQ(c.interfaces[5].prefix_len, 32);
  EXPECT_EQ(c.interfaces[6].address, ip("fe80::"));
  EXPECT_EQ(c.interfaces[6].prefix_len, 10);
  EXPECT_EQ(c.interfaces[7].address, ip("::1"));
  EXPECT_EQ(c.interfaces[7].prefix_len, 128);
  EXPECT_EQ(c.interfaces[8].address, ip("10.0.0.0"));
  EXPECT_EQ(c.interfaces[9].name, "eth0:1");
  EXPECT_EQ(c.interfaces[10].name, "enp*");
  EXPECT_EQ(c.interfaces[10].where.line, 11);
}

TEST(ConfigInterfaceTest, FailuresAreFatal) {
  Config c = parse(
      "interface\ninterface listen\ninterface open all\ninterface listen all extra\n"
      "interface ignore fe80::/129\nnic ignore 10.0.0\ninterface ignore fe80::zz\n"
      "interface ignore dead:1\n");
  EXPECT_THAT(fatals(c),
              ElementsAre("/etc/ntp.conf:1: interface: missing action (listen, ignore or drop)",
                          "/etc/ntp.conf:2: interface: missing all, ipv4, ipv6, wildcard, a name "
                          "or an address",
                          "/etc/ntp.conf:3: interface: unknown action 'open' (listen, ignore or "
                          "drop)",
                          "/etc/ntp.conf:4: interface: unexpected 'extra'",
                          "/etc/ntp.conf:5: interface: 'fe80::/129': prefix length must be "
                          "0..128 for this address family",
                          "/etc/ntp.conf:6: nic: '10.0.0' is not a valid IPv4 address",
                          "/etc/ntp.conf:7: interface: 'fe80::zz' is not a valid IPv6 address",
                          "/etc/ntp.conf:8: interface: 'dead:1' is not a valid IPv6 address"));
  EXPECT_TRUE(c.interfaces.empty());
}

}  // namespace
}  // namespace meridian::config::testing
