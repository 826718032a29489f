// The whole server pipeline on single datagrams: restrict → MAC → rate
// limit → answer → MAC/crypto-NAK.
#include "core/server/server_core.h"

#include <gtest/gtest.h>

#include "core/auth/mac.h"
#include "core/auth/openssl_mac_engine.h"
#include "core/source/exchange.h"

namespace meridian::server {
namespace {

using time::NtpDuration;
using time::NtpTime;

const NtpTime kNow = NtpTime::from_unix({1'800'000'000, 0});
const net::Endpoint kClient{*net::IpAddress::parse("192.0.2.7"), 40000};

config::RestrictRule rule(const std::string& addr, uint32_t flags) {
  config::RestrictRule r;
  if (addr == "default") {
    r.target = config::RestrictRule::Target::kDefault;
  } else {
    r.target = config::RestrictRule::Target::kAddress;
    r.address = *net::IpAddress::parse(addr);
    r.mask = net::IpAddress::v4({255, 255, 255, 255});
  }
  r.flags = flags;
  return r;
}

std::shared_ptr<const auth::MacEngine> engine() {
  static std::shared_ptr<const auth::MacEngine> e(std::move(*auth::OpenSslMacEngine::create()));
  return e;
}

auth::KeyStore keys() {
  auth::KeyStore k;
  auth::SymmetricKey md5{7, auth::KeyType::kMd5, {}};
  for (char c : std::string("secret7")) md5.secret.push_back(static_cast<std::byte>(c));
  EXPECT_TRUE(k.add(md5).ok());
  k.trust(7);
  return k;
}

std::unique_ptr<ServerCore> make_core(std::vector<config::RestrictRule> rules,
                                      config::DiscardConfig discard = {}) {
  auto table = access::RestrictTable::build(rules);
  EXPECT_TRUE(table.ok());
  ServerPolicy policy{std::move(*table), access::RateLimiter(discard, config::MruConfig{}, 1),
                      keys(), engine()};
  auto core = std::make_unique<ServerCore>(std::move(policy));
  core->set_view(
      local_clock_view(6, wire::kiss_code("LOCL"), -20, kNow - NtpDuration::from_seconds_int(10)));
  return core;
}

std::vector<std::byte> request(uint8_t version = 4) {
  std::vector<std::byte> out;
  wire::serialize_header(source::make_client_request(kNow.to_timestamp(), 6, version), out);
  return out;
}

std::vector<std::byte> signed_request(uint32_t key_id, const auth::KeyStore& k) {
  auto r = auth::append_mac(request(), key_id, k, *engine());
  EXPECT_TRUE(r.ok());
  return *r;
}

std::optional<std::vector<std::byte>> send(ServerCore& core, const std::vector<std::byte>& req,
                                           double now_s = 100, net::Endpoint from = kClient) {
  return core.handle(req, from, kNow, kNow + NtpDuration::from_seconds(1e-5), now_s);
}

TEST(ServerCore, ServesAPlainClient) {
  auto core = make_core({});
  auto reply = send(*core, request());
  ASSERT_TRUE(reply.has_value());
  auto h = wire::parse_header(*reply);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->mode, wire::Mode::kServer);
  EXPECT_EQ(h->stratum, 6);
  EXPECT_EQ(core->count(Outcome::kReplied), 1u);
  EXPECT_EQ(core->received(), 1u);
}

TEST(ServerCore, GarbageAndShortPacketsAreDropped) {
  auto core = make_core({});
  std::vector<std::byte> short_packet(20, std::byte{0x23});
  EXPECT_FALSE(send(*core, short_packet).has_value());
  auto bad_trailer = request();
  bad_trailer.resize(bad_trailer.size() + 7);
  EXPECT_FALSE(send(*core, bad_trailer).has_value());
  EXPECT_EQ(core->count(Outcome::kDroppedMalformed), 2u);
}

TEST(ServerCore, IgnoreAndNoserveDrop) {
  auto core = make_core({rule("192.0.2.7", config::kIgnore), rule("192.0.2.8", config::kNoServe)});
  EXPECT_FALSE(send(*core, request()).has_value());
  EXPECT_FALSE(send(*core, request(), 100, {*net::IpAddress::parse("192.0.2.8"), 123}).has_value());
  EXPECT_TRUE(send(*core, request(), 100, {*net::IpAddress::parse("192.0.2.9"), 123}).has_value());
  EXPECT_EQ(core->count(Outcome::kDroppedRestricted), 2u);
}

TEST(ServerCore, VersionFlagDropsOldClients) {
  auto core = make_core({rule("default", config::kVersion)});
  EXPECT_FALSE(send(*core, request(3)).has_value());
  EXPECT_TRUE(send(*core, request(4)).has_value());
}

TEST(ServerCore, AuthenticatedRequestGetsASignedReplyOfTheSameSize) {
  auto core = make_core({});
  const auto k = keys();
  const auto req = signed_request(7, k);
  auto reply = send(*core, req);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->size(), req.size());
  auto parsed = wire::parse_packet(*reply);
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(parsed->mac.has_value());
  EXPECT_EQ(parsed->mac->key_id, 7u);
  EXPECT_EQ(auth::verify_request(*reply, *parsed, k, *engine()).status, auth::VerifyStatus::kOk);
}

TEST(ServerCore, BadMacGetsACryptoNakNeverTime) {
  auto core = make_core({});
  auto req = signed_request(7, keys());
  req.back() ^= std::byte{1};
  auto reply = send(*core, req);
  ASSERT_TRUE(reply.has_value());
  EXPECT_LT(reply->size(), req.size());
  auto parsed = wire::parse_packet(*reply);
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(parsed->mac.has_value());
  EXPECT_EQ(parsed->mac->key_id, 0u);
  EXPECT_TRUE(parsed->mac->digest.empty());
  EXPECT_EQ(core->count(Outcome::kKissDeny), 1u);
}

TEST(ServerCore, NotrustServesOnlyAuthenticatedRequests) {
  auto core = make_core({rule("default", config::kNoTrust)});
  EXPECT_FALSE(send(*core, request()).has_value());
  EXPECT_TRUE(send(*core, signed_request(7, keys())).has_value());
  EXPECT_EQ(core->count(Outcome::kDroppedAuth), 1u);
}

TEST(ServerCore, LimitedWithKodSendsRateKissThenStaysBounded) {
  auto core = make_core({rule("default", config::kLimited | config::kKod)});
  int replies = 0, kods = 0, silent = 0;
  for (int i = 0; i < 20; ++i) {  // 20 requests in 2 s from one address
    auto reply = send(*core, request(), 100 + 0.1 * i);
    if (!reply) {
      ++silent;
      continue;
    }
    auto h = wire::parse_header(*reply);
    ASSERT_TRUE(h.ok());
    if (h->stratum == 0 && h->reference_id == wire::kKissRate)
      ++kods;
    else
      ++replies;
  }
  EXPECT_GE(replies, 1);
  EXPECT_GE(kods, 1);
  EXPECT_LT(replies + kods, 20);  // KoDs are themselves rate limited
  EXPECT_GT(silent, 0);
}

TEST(ServerCore, LimitedWithoutKodJustDrops) {
  auto core = make_core({rule("default", config::kLimited)});
  int kods = 0, answered = 0;
  for (int i = 0; i < 20; ++i) {
    auto reply = send(*core, request(), 100 + 0.1 * i);
    if (!reply) continue;
    ++answered;
    if (wire::parse_header(*reply)->stratum == 0) ++kods;
  }
  EXPECT_EQ(kods, 0);
  EXPECT_GE(answered, 1);
  EXPECT_LT(answered, 20);
  EXPECT_GT(core->count(Outcome::kDroppedRateLimited), 0u);
}

TEST(ServerCore, WithoutLimitedNothingIsRateLimited) {
  auto core = make_core({rule("default", config::kKod)});
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(send(*core, request(), 100 + 0.01 * i).has_value());
}

TEST(ServerCore, ControlPacketsAreNotAnsweredHere) {
  auto core = make_core({});
  auto req = request();
  req[0] = std::byte{(4 << 3) | 6};
  EXPECT_FALSE(send(*core, req).has_value());
  EXPECT_EQ(core->count(Outcome::kControl), 1u);
}

// The fast path's in-place variant decides and writes exactly what handle()
// returns: plain, KoD and signed replies, and drops.
TEST(ServerCore, HandleIntoWritesTheSameReplyAsHandle) {
  config::DiscardConfig discard;
  discard.average_log2 = 3;
  discard.minimum_s = 2;
  auto a = make_core({rule("default", config::kLimited | config::kKod)}, discard);
  auto b = make_core({rule("default", config::kLimited | config::kKod)}, discard);
  const auto k = keys();
  const std::vector<std::vector<std::byte>> requests = {
      request(), request(), request(3), signed_request(7, k), std::vector<std::byte>(10)};
  std::array<std::byte, ServerCore::kMaxReplySize> out{};
  double now_s = 100;
  for (const auto& req : requests) {
    const auto want = send(*a, req, now_s);
    const size_t n =
        b->handle_into(req, kClient, kNow, kNow + NtpDuration::from_seconds(1e-5), now_s, out);
    now_s += 0.1;
    ASSERT_EQ(want.has_value(), n > 0);
    if (want) {
      EXPECT_EQ(*want, std::vector<std::byte>(out.begin(), out.begin() + static_cast<long>(n)));
    }
  }
  EXPECT_EQ(b->count(Outcome::kKissRate), a->count(Outcome::kKissRate));
  EXPECT_GE(b->count(Outcome::kKissRate), 1u);
  EXPECT_EQ(b->count(Outcome::kReplied), a->count(Outcome::kReplied));
  // A buffer too small for any reply is refused, never overrun.
  std::array<std::byte, 16> tiny{};
  EXPECT_EQ(b->handle_into(request(), net::Endpoint{*net::IpAddress::parse("192.0.2.99"), 1}, kNow,
                           kNow, 200, tiny),
            0u);
}

}  // namespace
}  // namespace meridian::server
