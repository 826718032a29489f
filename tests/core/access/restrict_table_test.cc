// RestrictTable: classic `restrict` matching — most specific entry wins,
// default -4/-6 semantics, IPv4-mapped sources, ntpport, unrestrict, and
// `restrict source` entries (ntp.conf(5); ntpd/ntp_restrict.c).
#include "core/access/restrict_table.h"

#include <gtest/gtest.h>

#include <vector>

#include "restrict_test_util.h"

namespace meridian::access {
namespace {

using namespace meridian::access::testing;  // NOLINT(google-build-using-namespace)
using config::RestrictRule;

constexpr uint32_t kA = config::kNoQuery;
constexpr uint32_t kB = config::kNoModify;
constexpr uint32_t kC = config::kNoTrap;
constexpr uint32_t kD = config::kNoPeer;

RestrictTable build(std::vector<RestrictRule> rules) {
  auto table = RestrictTable::build(rules);
  EXPECT_TRUE(table.ok()) << (table.ok() ? "" : table.error().message);
  return table.ok() ? *table : RestrictTable();
}

TEST(RestrictTableTest, NoRulesAllowsEverything) {
  const RestrictTable t;
  EXPECT_EQ(t.flags_for(ip("192.0.2.1"), 123), 0u);
  EXPECT_EQ(t.flags_for(ip("2001:db8::1"), 40000), 0u);
  EXPECT_EQ(t.size(), 2u);  // the two built-in defaults
}

TEST(RestrictTableTest, BareDefaultAppliesToBothFamilies) {
  // Classic ntp_config.c: "a default rule without a -4 / -6 qualifier, add to both lists".
  const auto t = build({default_rule(kA)});
  EXPECT_EQ(t.flags_for(ip("192.0.2.1"), 123), kA);
  EXPECT_EQ(t.flags_for(ip("2001:db8::1"), 123), kA);
}

TEST(RestrictTableTest, FamilyQualifiedDefaultsAreSeparate) {
  const auto t =
      build({default_rule(kA, net::Family::kIPv4), default_rule(kB, net::Family::kIPv6)});
  EXPECT_EQ(t.flags_for(ip("192.0.2.1"), 123), kA);
  EXPECT_EQ(t.flags_for(ip("2001:db8::1"), 123), kB);
}

TEST(RestrictTableTest, SixDefaultAfterBareDefaultAddsToIpv6Only) {
  // The operator's guide pattern: `restrict default X` then `restrict -6 default Y`.
  const auto t = build({default_rule(kA), default_rule(kB, net::Family::kIPv6)});
  EXPECT_EQ(t.flags_for(ip("198.51.100.7"), 123), kA);
  EXPECT_EQ(t.flags_for(ip("2001:db8::7"), 123), kA | kB);
}

TEST(RestrictTableTest, LongestMaskWinsRegardlessOfRuleOrder) {
  const std::vector<RestrictRule> rules = {
      cidr_rule("10.0.0.0", 8, kA),
      cidr_rule("10.1.2.3", -1, kD),
      cidr_rule("10.1.0.0", 16, kB),
      cidr_rule("10.1.2.0", 24, kC),
  };
  for (const auto& order : {rules, std::vector<RestrictRule>(rules.rbegin(), rules.rend())}) {
    const auto t = build(order);
    EXPECT_EQ(t.flags_for(ip("10.9.9.9"), 123), kA);
    EXPECT_EQ(t.flags_for(ip("10.1.9.9"), 123), kB);
    EXPECT_EQ(t.flags_for(ip("10.1.2.9"), 123), kC);
    EXPECT_EQ(t.flags_for(ip("10.1.2.3"), 123), kD);
    EXPECT_EQ(t.flags_for(ip("11.0.0.1"), 123), 0u);
  }
}

TEST(RestrictTableTest, SiblingPrefixesDoNotShadowEachOther) {
  // 10.128/9 sorts before 10.0.0/24 (higher address) but must not match 10.0.0.5.
  const auto t = build({cidr_rule("10.0.0.0", 24, kA), cidr_rule("10.128.0.0", 9, kB)});
  EXPECT_EQ(t.flags_for(ip("10.0.0.5"), 123), kA);
  EXPECT_EQ(t.flags_for(ip("10.200.0.5"), 123), kB);
  EXPECT_EQ(t.flags_for(ip("10.64.0.5"), 123), 0u);
}

TEST(RestrictTableTest, ClassicMaskSyntaxAndHostBitsAreMasked) {
  // `restrict 192.168.1.77 mask 255.255.255.0` is the 192.168.1.0/24 entry.
  const auto t = build({mask_rule("192.168.1.77", "255.255.255.0", kA)});
  EXPECT_EQ(t.flags_for(ip("192.168.1.200"), 123), kA);
  EXPECT_EQ(t.flags_for(ip("192.168.2.1"), 123), 0u);
  const auto entries = t.entries();
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.front().address, ip("192.168.1.0"));
  EXPECT_EQ(entries.front().mask, ip("255.255.255.0"));
}

TEST(RestrictTableTest, ZeroMaskAddressRuleIsTheDefaultEntry) {
  // `restrict 0.0.0.0 mask 0.0.0.0 X` ORs into the IPv4 default (classic).
  const auto t = build({default_rule(kA), mask_rule("0.0.0.0", "0.0.0.0", kB)});
  EXPECT_EQ(t.flags_for(ip("203.0.113.1"), 123), kA | kB);
  EXPECT_EQ(t.flags_for(ip("2001:db8::1"), 123), kA);
  EXPECT_EQ(t.size(), 2u);
}

TEST(RestrictTableTest, RepeatedRuleOrsFlags) {
  const auto t = build({cidr_rule("192.0.2.0", 24, kA), cidr_rule("192.0.2.0", 24, kB)});
  EXPECT_EQ(t.flags_for(ip("192.0.2.9"), 123), kA | kB);
  EXPECT_EQ(t.size(), 3u);
}

TEST(RestrictTableTest, Ipv6PrefixesAndDefault) {
  const auto t = build({default_rule(kA, net::Family::kIPv6), cidr_rule("2001:db8::", 32, kB),
                        cidr_rule("2001:db8:1::", 48, kC), cidr_rule("::1", -1, 0)});
  EXPECT_EQ(t.flags_for(ip("2001:db8:1::5"), 123), kC);
  EXPECT_EQ(t.flags_for(ip("2001:db8:2::5"), 123), kB);
  EXPECT_EQ(t.flags_for(ip("2001:db9::5"), 123), kA);
  EXPECT_EQ(t.flags_for(ip("::1"), 123), 0u);
  EXPECT_EQ(t.flags_for(ip("127.0.0.1"), 123), 0u);  // IPv4 default untouched
}

TEST(RestrictTableTest, Ipv4MappedSourceMatchesIpv4Rules) {
  const auto t = build({default_rule(kA), cidr_rule("192.0.2.0", 24, kB)});
  EXPECT_EQ(t.flags_for(ip("::ffff:192.0.2.5"), 123), kB);
  EXPECT_EQ(t.flags_for(ip("::ffff:198.51.100.5"), 123), kA);
}

TEST(RestrictTableTest, Ipv4MappedRuleBecomesIpv4Rule) {
  const auto t = build({cidr_rule("::ffff:192.0.2.0", 120, kB)});
  EXPECT_EQ(t.flags_for(ip("192.0.2.5"), 123), kB);
  EXPECT_EQ(t.flags_for(ip("::ffff:192.0.2.6"), 123), kB);
  EXPECT_EQ(t.flags_for(ip("192.0.3.5"), 123), 0u);
}

TEST(RestrictTableTest, MulticastSourcesAreAlwaysIgnored) {
  const RestrictTable t;
  EXPECT_EQ(t.flags_for(ip("224.0.1.1"), 123), config::kIgnore);
  EXPECT_EQ(t.flags_for(ip("239.255.255.250"), 123), config::kIgnore);
  EXPECT_EQ(t.flags_for(ip("ff02::101"), 123), config::kIgnore);
  EXPECT_EQ(t.flags_for(ip("::ffff:224.0.1.1"), 123), config::kIgnore);
}

TEST(RestrictTableTest, NtpportRuleMatchesOnlySourcePort123) {
  const auto t = build({default_rule(kA), cidr_rule("192.0.2.0", 24, kB | config::kNtpPort)});
  EXPECT_EQ(t.flags_for(ip("192.0.2.1"), 123), kB);  // not kNtpPort: it is a match flag
  EXPECT_EQ(t.flags_for(ip("192.0.2.1"), 50123), kA);
}

TEST(RestrictTableTest, NtpportEntrySortsBeforePlainEntryOfSameAddress) {
  const auto t =
      build({cidr_rule("192.0.2.0", 24, kA), cidr_rule("192.0.2.0", 24, kB | config::kNtpPort)});
  EXPECT_EQ(t.flags_for(ip("192.0.2.1"), 123), kB);
  EXPECT_EQ(t.flags_for(ip("192.0.2.1"), 1024), kA);
  const auto t2 = build({default_rule(kA | config::kNtpPort), default_rule(kB)});
  EXPECT_EQ(t2.flags_for(ip("203.0.113.1"), 123), kA);
  EXPECT_EQ(t2.flags_for(ip("203.0.113.1"), 5000), kB);
}

TEST(RestrictTableTest, UnrestrictWithoutFlagsRemovesEntry) {
  const auto t = build({default_rule(kA), cidr_rule("192.0.2.0", 24, kB),
                        unrestrict(cidr_rule("192.0.2.0", 24, 0))});
  EXPECT_EQ(t.flags_for(ip("192.0.2.1"), 123), kA);
  EXPECT_EQ(t.size(), 2u);
}

TEST(RestrictTableTest, UnrestrictWithFlagsClearsOnlyThose) {
  const auto t =
      build({cidr_rule("192.0.2.0", 24, kA | kB), unrestrict(cidr_rule("192.0.2.0", 24, kA))});
  EXPECT_EQ(t.flags_for(ip("192.0.2.1"), 123), kB);
}

TEST(RestrictTableTest, UnrestrictDefaultResetsButKeepsIt) {
  const auto t = build({default_rule(kA | kB), unrestrict(default_rule(kA, net::Family::kIPv4)),
                        unrestrict(default_rule(0, net::Family::kIPv6))});
  EXPECT_EQ(t.flags_for(ip("192.0.2.1"), 123), kB);
  EXPECT_EQ(t.flags_for(ip("2001:db8::1"), 123), 0u);
  EXPECT_EQ(t.size(), 2u);
}

TEST(RestrictTableTest, UnrestrictOfAbsentEntryIsHarmless) {
  const auto t = build(
      {unrestrict(cidr_rule("192.0.2.0", 24, 0)), unrestrict(cidr_rule("192.0.2.0", 24, kA))});
  EXPECT_EQ(t.flags_for(ip("192.0.2.1"), 123), 0u);
  EXPECT_EQ(t.size(), 2u);
}

TEST(RestrictTableTest, SourceTemplateAddsHostEntries) {
  auto t = build({default_rule(kA | kD), source_rule(kB)});
  ASSERT_EQ(t.source_flags(), kB);
  EXPECT_EQ(t.flags_for(ip("198.51.100.10"), 123), kA | kD);  // a template, not an entry
  EXPECT_TRUE(t.add_source_rule(ip("198.51.100.10")));
  EXPECT_EQ(t.flags_for(ip("198.51.100.10"), 123), kB);
  EXPECT_EQ(t.flags_for(ip("198.51.100.11"), 123), kA | kD);
  EXPECT_TRUE(t.add_source_rule(ip("2001:db8::10")));
  EXPECT_EQ(t.flags_for(ip("2001:db8::10"), 123), kB);
  EXPECT_TRUE(t.remove_source_rule(ip("198.51.100.10")));
  EXPECT_EQ(t.flags_for(ip("198.51.100.10"), 123), kA | kD);
  EXPECT_FALSE(t.remove_source_rule(ip("198.51.100.10")));
}

TEST(RestrictTableTest, StaticHostRuleBeatsSourceEntry) {
  auto t = build({source_rule(kB), cidr_rule("198.51.100.10", -1, config::kIgnore)});
  ASSERT_TRUE(t.add_source_rule(ip("198.51.100.10")));
  EXPECT_EQ(t.flags_for(ip("198.51.100.10"), 123), config::kIgnore);
}

TEST(RestrictTableTest, NoSourceTemplateMeansNoEntry) {
  auto t = build({default_rule(kA)});
  EXPECT_FALSE(t.add_source_rule(ip("198.51.100.10")));
  EXPECT_EQ(t.flags_for(ip("198.51.100.10"), 123), kA);
}

TEST(RestrictTableTest, LastSourceLineWinsAndUnrestrictSourceDisables) {
  auto t = build({source_rule(kA), source_rule(kB)});
  EXPECT_EQ(t.source_flags(), kB);
  auto t2 = build({source_rule(kA), unrestrict(source_rule(0))});
  EXPECT_FALSE(t2.source_flags().has_value());
}

TEST(RestrictTableTest, UnresolvedHostRuleIsAnError) {
  RestrictRule r;
  r.target = RestrictRule::Target::kHost;
  r.host = "ntp.example.org";
  r.where = {"/etc/ntp.conf", 12};
  auto t = RestrictTable::build(std::vector<RestrictRule>{r});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(t.error().message.find("/etc/ntp.conf:12"), std::string::npos);
  EXPECT_NE(t.error().message.find("ntp.example.org"), std::string::npos);
}

TEST(RestrictTableTest, MaskFamilyMismatchIsAnError) {
  auto r = mask_rule("2001:db8::", "255.255.0.0", kA);
  EXPECT_FALSE(RestrictTable::build(std::vector<RestrictRule>{r}).ok());
}

TEST(RestrictTableTest, EntriesListMostSpecificFirstDefaultsLast) {
  const auto t = build({default_rule(kA), cidr_rule("10.0.0.0", 8, kB),
                        cidr_rule("10.1.0.0", 16, kC), cidr_rule("2001:db8::", 32, kD)});
  const auto e = t.entries();
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].address, ip("10.1.0.0"));
  EXPECT_EQ(e[1].address, ip("10.0.0.0"));
  EXPECT_TRUE(e[2].is_default);
  EXPECT_EQ(e[2].flags, kA);
  EXPECT_EQ(e[3].address, ip("2001:db8::"));
  EXPECT_TRUE(e[4].is_default);
  EXPECT_EQ(e[4].mask, ip("::"));
}

}  // namespace
}  // namespace meridian::access
