#include "core/server/interface_filter.h"

#include <gtest/gtest.h>

namespace meridian::server {
namespace {

using Action = config::InterfaceRule::Action;
using Match = config::InterfaceRule::Match;

config::InterfaceRule rule(Action a, Match m, std::string name = "", std::string prefix = "",
                           int len = 0) {
  config::InterfaceRule r;
  r.action = a;
  r.match = m;
  r.name = std::move(name);
  if (!prefix.empty()) r.address = *net::IpAddress::parse(prefix);
  r.prefix_len = len;
  return r;
}

const net::IpAddress kLo4 = net::IpAddress::v4_loopback();
const net::IpAddress kLan = *net::IpAddress::parse("192.168.1.10");
const net::IpAddress kLinkLocal = *net::IpAddress::parse("fe80::1");

TEST(InterfaceFilter, NoRulesListensEverywhere) {
  EXPECT_EQ(interface_action({}, kLan, "eth0"), Action::kListen);
}

TEST(InterfaceFilter, LastMatchWins) {
  std::vector<config::InterfaceRule> rules = {
      rule(Action::kIgnore, Match::kAll),
      rule(Action::kListen, Match::kPrefix, "", "127.0.0.1", 32)};
  EXPECT_EQ(interface_action(rules, kLo4, "lo"), Action::kListen);
  EXPECT_EQ(interface_action(rules, kLan, "eth0"), Action::kIgnore);
}

TEST(InterfaceFilter, FamilyNameAndPrefixMatches) {
  std::vector<config::InterfaceRule> rules = {rule(Action::kDrop, Match::kIpv6),
                                              rule(Action::kIgnore, Match::kName, "eth1")};
  EXPECT_EQ(interface_action(rules, kLinkLocal, "eth0"), Action::kDrop);
  EXPECT_EQ(interface_action(rules, kLan, "eth1"), Action::kIgnore);
  EXPECT_EQ(interface_action(rules, kLan, "eth0"), Action::kListen);
  std::vector<config::InterfaceRule> ll = {rule(Action::kIgnore, Match::kPrefix, "", "fe80::", 10)};
  EXPECT_EQ(interface_action(ll, kLinkLocal, "eth0"), Action::kIgnore);
  EXPECT_EQ(interface_action(ll, *net::IpAddress::parse("2001:db8::1"), "eth0"), Action::kListen);
}

TEST(PrefixMatches, BitsAndFamilies) {
  EXPECT_TRUE(
      prefix_matches(*net::IpAddress::parse("10.0.0.0"), 8, *net::IpAddress::parse("10.200.3.4")));
  EXPECT_FALSE(
      prefix_matches(*net::IpAddress::parse("10.0.0.0"), 8, *net::IpAddress::parse("11.0.0.1")));
  EXPECT_TRUE(prefix_matches(*net::IpAddress::parse("192.168.1.0"), 25,
                             *net::IpAddress::parse("192.168.1.127")));
  EXPECT_FALSE(prefix_matches(*net::IpAddress::parse("192.168.1.0"), 25,
                              *net::IpAddress::parse("192.168.1.128")));
  EXPECT_FALSE(
      prefix_matches(*net::IpAddress::parse("10.0.0.0"), 8, *net::IpAddress::parse("::1")));
  EXPECT_TRUE(
      prefix_matches(*net::IpAddress::parse("10.0.0.0"), 0, *net::IpAddress::parse("1.2.3.4")));
}

}  // namespace
}  // namespace meridian::server
