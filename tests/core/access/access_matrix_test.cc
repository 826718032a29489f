// The access pipeline end to end — RestrictTable → classify → RateLimiter —
// as a table: restrict rules × source addresses × packet modes → served /
// ignored / KoD / rate-limited / crypto-NAK. Then one test per restrict flag,
// each written so that it fails if the flag were ignored.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/access/access_decision.h"
#include "core/access/rate_limiter.h"
#include "core/access/restrict_table.h"
#include "restrict_test_util.h"

namespace meridian::access {
namespace {

using namespace meridian::access::testing;  // NOLINT(google-build-using-namespace)
using wire::Mode;

enum class Outcome { kServed, kIgnored, kKod, kRateLimited, kCryptoNak };

std::string name(Outcome o) {
  switch (o) {
    case Outcome::kServed:
      return "served";
    case Outcome::kIgnored:
      return "ignored";
    case Outcome::kKod:
      return "KoD";
    case Outcome::kRateLimited:
      return "rate-limited";
    case Outcome::kCryptoNak:
      return "crypto-NAK";
  }
  return "?";
}

// What a server built from these pieces does with one packet.
Outcome run(const RestrictTable& table, RateLimiter& limiter, const net::IpAddress& from,
            uint16_t port, Mode mode, PacketAuth auth, uint8_t version, double now_s) {
  const uint32_t flags = table.flags_for(from, port);
  const AccessDecision d = classify(flags, mode, auth, version);
  if (d.action == AccessAction::kIgnore) return Outcome::kIgnored;
  const RateVerdict v = limiter.observe(from, port, mode, version, flags, now_s);
  if (v == RateVerdict::kKod) return Outcome::kKod;
  if (v == RateVerdict::kDrop) return Outcome::kRateLimited;
  return d.action == AccessAction::kCryptoNak ? Outcome::kCryptoNak : Outcome::kServed;
}

RateLimiter fresh_limiter() { return RateLimiter(config::DiscardConfig{}, config::MruConfig{}, 7); }

// The operator's guide ntp.conf (reference/classic-formats.md) plus a few
// lines that exercise precedence.
RestrictTable guide_table() {
  using config::RestrictFlag;
  const uint32_t defaults = config::kKod | config::kLimited | config::kNoModify | config::kNoTrap |
                            config::kNoPeer | config::kNoQuery;
  const std::vector<config::RestrictRule> rules = {
      default_rule(defaults),
      default_rule(defaults, net::Family::kIPv6),
      cidr_rule("127.0.0.1", -1, 0),
      cidr_rule("::1", -1, 0),
      mask_rule("192.168.1.0", "255.255.255.0", config::kNoModify | config::kNoTrap),
      cidr_rule("10.0.0.0", 8, config::kIgnore),
      cidr_rule("10.1.0.0", 16, config::kNoServe),
      cidr_rule("2001:db8:bad::", 48, config::kNoTrust),
      cidr_rule("198.51.100.0", 24, config::kVersion),
  };
  auto t = RestrictTable::build(rules);
  EXPECT_TRUE(t.ok());
  return *t;
}

struct Case {
  const char* from;
  Mode mode;
  int burst;  // this is packet number `burst` from `from` within the same second
  Outcome expected;
  PacketAuth auth = PacketAuth::kNone;
  uint8_t version = 4;
};

TEST(RestrictAccessMatrixTest, GuideConfiguration) {
  const std::vector<Case> cases = {
      // The default (kod limited nomodify notrap nopeer noquery), IPv4 and IPv6.
      {"203.0.113.5", Mode::kClient, 1, Outcome::kServed},
      {"203.0.113.5", Mode::kClient, 2, Outcome::kKod},
      {"203.0.113.5", Mode::kClient, 3, Outcome::kRateLimited},
      {"203.0.113.5", Mode::kClient, 10, Outcome::kRateLimited},
      {"203.0.113.5", Mode::kControl, 1, Outcome::kIgnored},         // noquery
      {"203.0.113.5", Mode::kPrivate, 1, Outcome::kIgnored},         // mode 7 never
      {"203.0.113.5", Mode::kSymmetricActive, 1, Outcome::kServed},  // stateless (nopeer)
      {"203.0.113.5", Mode::kSymmetricActive, 2, Outcome::kKod},
      {"203.0.113.5", Mode::kServer, 2, Outcome::kRateLimited},  // never KoD a reply
      {"203.0.113.5", Mode::kClient, 1, Outcome::kCryptoNak, PacketAuth::kFailed},
      {"203.0.113.5", Mode::kClient, 1, Outcome::kIgnored, PacketAuth::kCryptoNak},
      {"203.0.113.5", Mode::kClient, 1, Outcome::kServed, PacketAuth::kNone, 3},
      {"203.0.113.5", Mode::kClient, 1, Outcome::kIgnored, PacketAuth::kNone, 5},
      {"2001:db8::5", Mode::kClient, 1, Outcome::kServed},
      {"2001:db8::5", Mode::kClient, 2, Outcome::kKod},
      {"2001:db8::5", Mode::kControl, 1, Outcome::kIgnored},
      {"::ffff:203.0.113.5", Mode::kClient, 2, Outcome::kKod},  // mapped = IPv4 rules
      // Loopback: no restrictions, no rate limit.
      {"127.0.0.1", Mode::kClient, 10, Outcome::kServed},
      {"127.0.0.1", Mode::kControl, 1, Outcome::kServed},
      {"::1", Mode::kControl, 1, Outcome::kServed},
      {"::1", Mode::kClient, 10, Outcome::kServed},
      // LAN: nomodify notrap only — queries and bursts allowed.
      {"192.168.1.20", Mode::kControl, 1, Outcome::kServed},
      {"192.168.1.20", Mode::kClient, 10, Outcome::kServed},
      {"192.168.2.20", Mode::kControl, 1, Outcome::kIgnored},  // outside the /24
      // 10/8 ignore, but the more specific 10.1/16 is only noserve.
      {"10.2.3.4", Mode::kClient, 1, Outcome::kIgnored},
      {"10.2.3.4", Mode::kControl, 1, Outcome::kIgnored},
      {"10.1.3.4", Mode::kClient, 1, Outcome::kIgnored},
      {"10.1.3.4", Mode::kServer, 1, Outcome::kIgnored},
      {"10.1.3.4", Mode::kControl, 1, Outcome::kServed},
      // notrust: only authenticated packets served.
      {"2001:db8:bad::1", Mode::kClient, 1, Outcome::kIgnored},
      {"2001:db8:bad::1", Mode::kClient, 1, Outcome::kServed, PacketAuth::kOk},
      {"2001:db8:bad::1", Mode::kClient, 1, Outcome::kCryptoNak, PacketAuth::kFailed},
      // version: NTPv4 only.
      {"198.51.100.9", Mode::kClient, 1, Outcome::kServed},
      {"198.51.100.9", Mode::kClient, 1, Outcome::kIgnored, PacketAuth::kNone, 3},
      // Multicast sources are dropped whatever the rules say.
      {"224.0.1.1", Mode::kBroadcast, 1, Outcome::kIgnored},
  };
  const RestrictTable table = guide_table();
  for (const Case& c : cases) {
    RateLimiter limiter = fresh_limiter();
    const net::IpAddress from = ip(c.from);
    Outcome got = Outcome::kServed;
    for (int i = 0; i < c.burst; ++i) {
      got = run(table, limiter, from, 40000, c.mode, c.auth, c.version, 100.0 + 0.01 * i);
    }
    EXPECT_EQ(name(got), name(c.expected))
        << c.from << " mode " << static_cast<int>(c.mode) << " packet " << c.burst << " auth "
        << static_cast<int>(c.auth) << " v" << static_cast<int>(c.version);
  }
}

// --- One test per flag: each compares the flag against the same setup without it. ---

AccessDecision decide(uint32_t flags, Mode mode, PacketAuth auth = PacketAuth::kNone,
                      uint8_t version = 4, bool require_auth = true) {
  return classify(flags, mode, auth, version, require_auth);
}

TEST(RestrictFlagTest, Ignore) {
  EXPECT_TRUE(decide(0, Mode::kClient).served());
  for (const Mode m : {Mode::kSymmetricActive, Mode::kClient, Mode::kServer, Mode::kControl}) {
    const auto d = decide(config::kIgnore, m, PacketAuth::kOk);
    EXPECT_EQ(d.action, AccessAction::kIgnore);
    EXPECT_EQ(d.reason, AccessReason::kIgnoreFlag);
  }
}

TEST(RestrictFlagTest, NoServeDropsTimeButNotQueries) {
  EXPECT_TRUE(decide(0, Mode::kClient).served());
  for (const Mode m : {Mode::kSymmetricActive, Mode::kSymmetricPassive, Mode::kClient,
                       Mode::kServer, Mode::kBroadcast}) {
    EXPECT_EQ(decide(config::kNoServe, m).reason, AccessReason::kNoServe);
  }
  EXPECT_TRUE(decide(config::kNoServe, Mode::kControl).served());
}

TEST(RestrictFlagTest, NoQueryDropsControlButNotTime) {
  EXPECT_TRUE(decide(0, Mode::kControl).served());
  EXPECT_EQ(decide(config::kNoQuery, Mode::kControl).reason, AccessReason::kNoQuery);
  EXPECT_TRUE(decide(config::kNoQuery, Mode::kClient).served());
}

TEST(RestrictFlagTest, NoMrulistRefusesMrulist) {
  EXPECT_TRUE(decide(0, Mode::kControl).may_mrulist);
  EXPECT_FALSE(decide(config::kNoMrulist, Mode::kControl).may_mrulist);
}

// nomodify, notrap and nopeer are tested by behaviour (mode 6 write and trap
// refused, mode 1 answered statelessly, no peering) through ServerCore and
// the control responder: tests/core/server/restrict_behaviour_test.cc.

TEST(RestrictFlagTest, NoTrustDropsUnauthenticated) {
  EXPECT_TRUE(decide(0, Mode::kClient).served());
  for (const Mode m : {Mode::kSymmetricActive, Mode::kClient, Mode::kServer}) {
    EXPECT_EQ(decide(config::kNoTrust, m).reason, AccessReason::kNoTrust);
  }
  EXPECT_TRUE(decide(config::kNoTrust, Mode::kClient, PacketAuth::kOk).served());
  EXPECT_EQ(decide(config::kNoTrust, Mode::kServer, PacketAuth::kCryptoNak).reason,
            AccessReason::kNoTrust);
  EXPECT_TRUE(decide(0, Mode::kServer, PacketAuth::kCryptoNak).served());  // to the association
}

TEST(RestrictFlagTest, VersionDropsOldVersions) {
  EXPECT_TRUE(decide(0, Mode::kClient, PacketAuth::kNone, 3).served());
  EXPECT_EQ(decide(config::kVersion, Mode::kClient, PacketAuth::kNone, 3).reason,
            AccessReason::kVersionFlag);
  EXPECT_TRUE(decide(config::kVersion, Mode::kClient, PacketAuth::kNone, 4).served());
  EXPECT_TRUE(decide(config::kVersion, Mode::kControl, PacketAuth::kNone, 2).served());
}

TEST(RestrictFlagTest, InvalidVersionsAndModesAlwaysDropped) {
  EXPECT_EQ(decide(0, Mode::kClient, PacketAuth::kNone, 0).reason, AccessReason::kBadVersion);
  EXPECT_EQ(decide(0, Mode::kClient, PacketAuth::kNone, 5).reason, AccessReason::kBadVersion);
  EXPECT_EQ(decide(0, Mode::kReserved).reason, AccessReason::kBadMode);
  EXPECT_EQ(decide(0, Mode::kPrivate).reason, AccessReason::kBadMode);
}

TEST(RestrictFlagTest, FailedAuthNaksRequestsAndDropsReplies) {
  EXPECT_EQ(decide(0, Mode::kClient, PacketAuth::kFailed).action, AccessAction::kCryptoNak);
  EXPECT_EQ(decide(0, Mode::kSymmetricActive, PacketAuth::kFailed).action,
            AccessAction::kCryptoNak);
  EXPECT_EQ(decide(0, Mode::kServer, PacketAuth::kFailed).action, AccessAction::kIgnore);
  EXPECT_EQ(decide(0, Mode::kClient, PacketAuth::kCryptoNak).action, AccessAction::kIgnore);
}

TEST(RestrictFlagTest, LimitedRateLimitsBursts) {
  const RestrictTable unlimited;
  auto limited =
      RestrictTable::build(std::vector<config::RestrictRule>{default_rule(config::kLimited)});
  ASSERT_TRUE(limited.ok());
  RateLimiter a = fresh_limiter(), b = fresh_limiter();
  const auto from = ip("203.0.113.9");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(name(run(unlimited, a, from, 123, Mode::kClient, PacketAuth::kNone, 4, 10.0)),
              "served");
  }
  EXPECT_EQ(name(run(*limited, b, from, 123, Mode::kClient, PacketAuth::kNone, 4, 10.0)), "served");
  EXPECT_EQ(name(run(*limited, b, from, 123, Mode::kClient, PacketAuth::kNone, 4, 10.0)),
            "rate-limited");
  EXPECT_TRUE(decide(config::kLimited, Mode::kClient).rate_limit);
  EXPECT_FALSE(decide(config::kLimited, Mode::kControl).rate_limit);  // queries exempt
}

TEST(RestrictFlagTest, KodTurnsALimitedDropIntoRateKiss) {
  auto with = RestrictTable::build(
      std::vector<config::RestrictRule>{default_rule(config::kLimited | config::kKod)});
  auto without =
      RestrictTable::build(std::vector<config::RestrictRule>{default_rule(config::kLimited)});
  ASSERT_TRUE(with.ok() && without.ok());
  RateLimiter a = fresh_limiter(), b = fresh_limiter();
  const auto from = ip("203.0.113.9");
  run(*with, a, from, 123, Mode::kClient, PacketAuth::kNone, 4, 10.0);
  run(*without, b, from, 123, Mode::kClient, PacketAuth::kNone, 4, 10.0);
  EXPECT_EQ(name(run(*with, a, from, 123, Mode::kClient, PacketAuth::kNone, 4, 10.0)), "KoD");
  EXPECT_EQ(name(run(*without, b, from, 123, Mode::kClient, PacketAuth::kNone, 4, 10.0)),
            "rate-limited");
  EXPECT_TRUE(decide(config::kLimited | config::kKod, Mode::kClient).kod);
  EXPECT_FALSE(decide(config::kKod, Mode::kClient).kod);  // kod does nothing without limited
}

TEST(RestrictFlagTest, NtpportScopesARule) {
  auto t = RestrictTable::build(
      std::vector<config::RestrictRule>{default_rule(config::kIgnore | config::kNtpPort)});
  ASSERT_TRUE(t.ok());
  const auto from = ip("203.0.113.9");
  EXPECT_EQ(classify(t->flags_for(from, 123), Mode::kClient, PacketAuth::kNone, 4).action,
            AccessAction::kIgnore);
  EXPECT_TRUE(classify(t->flags_for(from, 33000), Mode::kClient, PacketAuth::kNone, 4).served());
}

TEST(RestrictFlagTest, SourceTemplateAppliesToAssociations) {
  auto t = RestrictTable::build(std::vector<config::RestrictRule>{default_rule(config::kNoServe),
                                                                  source_rule(config::kNoQuery)});
  ASSERT_TRUE(t.ok());
  const auto server = ip("198.51.100.1");
  EXPECT_FALSE(classify(t->flags_for(server, 123), Mode::kServer, PacketAuth::kNone, 4).served());
  ASSERT_TRUE(t->add_source_rule(server));
  EXPECT_TRUE(classify(t->flags_for(server, 123), Mode::kServer, PacketAuth::kNone, 4).served());
  EXPECT_FALSE(classify(t->flags_for(server, 123), Mode::kControl, PacketAuth::kNone, 4).served());
}

TEST(RestrictFlagTest, ReasonsHaveNames) {
  EXPECT_EQ(to_string(AccessReason::kNoServe), "noserve");
  EXPECT_EQ(to_string(AccessReason::kAuthFailed), "authentication failed");
}

}  // namespace
}  // namespace meridian::access
