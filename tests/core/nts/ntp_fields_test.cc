// NTS extension fields in NTP packets (core/nts/ntp_fields.h, RFC 8915 §5):
// request ↔ parse ↔ reply ↔ verify, tampering, wrong keys, the size bound,
// NAKs and the shape rules of §5.7.
#include "core/nts/ntp_fields.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "tests/core/nts/nts_test_support.h"

namespace meridian::nts {
namespace {

using test_support::aead;
using test_support::counting;
using test_support::header;
using test_support::test_keys;
using Bytes = std::vector<std::byte>;

constexpr size_t kTestCookieSize = 104;

Bytes cookie_bytes(uint8_t seed, size_t size = kTestCookieSize) {
  Bytes c(size);
  for (size_t i = 0; i < size; ++i) c[i] = static_cast<std::byte>((seed * 31 + i) & 0xff);
  return c;
}

struct Exchange {
  NtsKeys keys = test_keys();
  std::array<std::byte, kUidSize> uid = counting<kUidSize>(0x40);
  std::array<std::byte, kNonceSize> client_nonce = counting<kNonceSize>(0x80);
  std::array<std::byte, kNonceSize> server_nonce = counting<kNonceSize>(0x90);
  Bytes cookie = cookie_bytes(1);

  Bytes request(size_t placeholders) const {
    auto r = build_request(aead(), keys, header(wire::Mode::kClient), uid, cookie, placeholders,
                           client_nonce);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Bytes{};
  }

  // The server's reply with as many fresh cookies as fit.
  Bytes reply(const Bytes& req, std::vector<Bytes>* sent = nullptr) const {
    auto parsed = parse_request(req);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    if (!parsed) return {};
    const size_t n = reply_cookie_count(*parsed, kTestCookieSize, kNonceSize);
    std::vector<Bytes> cookies;
    for (size_t i = 0; i < n; ++i) cookies.push_back(cookie_bytes(static_cast<uint8_t>(10 + i)));
    if (sent) *sent = cookies;
    auto r =
        build_reply(aead(), keys.s2c, header(wire::Mode::kServer), *parsed, cookies, server_nonce);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Bytes{};
  }
};

// A mode-3 packet of the given fields then an authenticator whose tag is
// junk (parse_request checks shape before any crypto).
Bytes client_packet(const std::vector<std::pair<uint16_t, Bytes>>& fields,
                    bool authenticator = true) {
  const auto h = header(wire::Mode::kClient);
  Bytes out(h.begin(), h.end());
  for (const auto& [type, body] : fields) append_field(out, type, body);
  if (authenticator) append_authenticator(out, Bytes(16, std::byte{1}), Bytes(16, std::byte{2}));
  return out;
}

TEST(NtsFieldsTest, RequestParseReplyVerifyRoundTrip) {
  const Exchange x;
  const Bytes request = x.request(3);
  auto parsed = parse_request(request);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(Bytes(parsed->uid.begin(), parsed->uid.end()), Bytes(x.uid.begin(), x.uid.end()));
  EXPECT_EQ(Bytes(parsed->cookie.begin(), parsed->cookie.end()), x.cookie);
  EXPECT_EQ(parsed->placeholders, 3u);
  EXPECT_EQ(parsed->size, request.size());
  // The authenticator is the last field: 4 + 4 + nonce 16 + tag 16.
  EXPECT_EQ(parsed->authenticator_offset, request.size() - 40);
  EXPECT_EQ(Bytes(parsed->authenticator.nonce.begin(), parsed->authenticator.nonce.end()),
            Bytes(x.client_nonce.begin(), x.client_nonce.end()));

  auto plaintext = open_request(aead(), x.keys.c2s, request, *parsed);
  ASSERT_TRUE(plaintext.ok()) << plaintext.error().message;
  EXPECT_TRUE(plaintext->empty());

  std::vector<Bytes> sent;
  const Bytes reply = x.reply(request, &sent);
  ASSERT_EQ(sent.size(), 4u);  // 1 + 3 placeholders
  EXPECT_LE(reply.size(), request.size());
  const ReplyCheck check = verify_reply(aead(), x.keys, reply, x.uid);
  EXPECT_EQ(check.verdict, ReplyVerdict::kOk) << check.detail;
  EXPECT_EQ(check.cookies, sent);
}

TEST(NtsFieldsTest, RepliesAreNeverLongerThanRequests) {
  const Exchange x;
  for (size_t placeholders = 0; placeholders < kMaxCookies; ++placeholders) {
    const Bytes request = x.request(placeholders);
    std::vector<Bytes> sent;
    const Bytes reply = x.reply(request, &sent);
    EXPECT_EQ(sent.size(), placeholders + 1);
    EXPECT_LE(reply.size(), request.size()) << placeholders << " placeholders";
    EXPECT_EQ(verify_reply(aead(), x.keys, reply, x.uid).cookies.size(), placeholders + 1);
  }
}

TEST(NtsFieldsTest, FewerCookiesWhenTheyWouldNotFit) {
  Exchange x;
  x.cookie = cookie_bytes(1, 40);  // the client's cookie is smaller than the server's new ones
  const Bytes request = x.request(1);
  auto parsed = parse_request(request);
  ASSERT_TRUE(parsed.ok());
  const size_t n = reply_cookie_count(*parsed, kTestCookieSize, kNonceSize);
  EXPECT_LT(n, 2u);
  // Asking for more than fits is refused, not sent.
  const std::vector<Bytes> too_many(n + 1, cookie_bytes(3));
  auto reply = build_reply(aead(), x.keys.s2c, header(wire::Mode::kServer), *parsed, too_many,
                           x.server_nonce);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kInvalidArgument);
}

TEST(NtsFieldsTest, EveryTamperedReplyByteFailsVerification) {
  const Exchange x;
  const Bytes reply = x.reply(x.request(2));
  ASSERT_EQ(verify_reply(aead(), x.keys, reply, x.uid).verdict, ReplyVerdict::kOk);
  for (size_t i = 0; i < reply.size(); ++i) {
    for (const std::byte flip : {std::byte{0x01}, std::byte{0x80}}) {
      Bytes bad = reply;
      bad[i] ^= flip;
      const ReplyCheck check = verify_reply(aead(), x.keys, bad, x.uid);
      EXPECT_NE(check.verdict, ReplyVerdict::kOk) << "byte " << i;
      EXPECT_TRUE(check.cookies.empty());
    }
  }
}

TEST(NtsFieldsTest, EveryTamperedRequestByteFailsParseOrAuthentication) {
  const Exchange x;
  const Bytes request = x.request(2);
  for (size_t i = 0; i < request.size(); ++i) {
    Bytes bad = request;
    bad[i] ^= std::byte{0x04};
    auto parsed = parse_request(bad);
    if (!parsed) continue;
    EXPECT_FALSE(open_request(aead(), x.keys.c2s, bad, *parsed).ok()) << "byte " << i;
  }
}

TEST(NtsFieldsTest, WrongKeysFail) {
  const Exchange x;
  const Bytes request = x.request(0);
  auto parsed = parse_request(request);
  ASSERT_TRUE(parsed.ok());
  const NtsKeys other = test_keys(0x55);
  EXPECT_FALSE(open_request(aead(), other.c2s, request, *parsed).ok());
  EXPECT_FALSE(open_request(aead(), x.keys.s2c, request, *parsed).ok());  // direction matters

  const Bytes reply = x.reply(request);
  EXPECT_EQ(verify_reply(aead(), other, reply, x.uid).verdict, ReplyVerdict::kBadAuth);
  NtsKeys swapped;
  swapped.c2s = x.keys.s2c;
  swapped.s2c = x.keys.c2s;
  EXPECT_EQ(verify_reply(aead(), swapped, reply, x.uid).verdict, ReplyVerdict::kBadAuth);
}

TEST(NtsFieldsTest, ReplyToAnotherRequestIsNotOurs) {
  const Exchange x;
  const Bytes reply = x.reply(x.request(0));
  const auto other_uid = counting<kUidSize>(0x41);
  EXPECT_EQ(verify_reply(aead(), x.keys, reply, other_uid).verdict, ReplyVerdict::kNotOurs);
  // A plain NTP reply (no fields at all) is not an answer to an NTS request.
  const auto plain = header(wire::Mode::kServer);
  EXPECT_EQ(verify_reply(aead(), x.keys, plain, x.uid).verdict, ReplyVerdict::kNotOurs);
}

TEST(NtsFieldsTest, NakCarriesUidAndIsRecognised) {
  const Exchange x;
  const Bytes request = x.request(1);
  auto parsed = parse_request(request);
  ASSERT_TRUE(parsed.ok());
  const Bytes nak = build_nak(header(wire::Mode::kServer), parsed->uid);
  EXPECT_LE(nak.size(), request.size());
  auto nak_header = wire::parse_header(nak);
  ASSERT_TRUE(nak_header.ok());
  EXPECT_EQ(nak_header->stratum, 0);
  EXPECT_EQ(wire::refid_to_ascii(nak_header->reference_id), "NTSN");
  const ReplyCheck check = verify_reply(aead(), x.keys, nak, x.uid);
  EXPECT_EQ(check.verdict, ReplyVerdict::kNak);
  EXPECT_TRUE(check.cookies.empty());
  EXPECT_EQ(verify_reply(aead(), x.keys, nak, counting<kUidSize>(7)).verdict,
            ReplyVerdict::kNotOurs);
}

TEST(NtsFieldsTest, ReplyShapeErrors) {
  const Exchange x;
  const Bytes reply = x.reply(x.request(0));
  // Too short, or a client packet.
  EXPECT_EQ(verify_reply(aead(), x.keys, Bytes(reply.begin(), reply.begin() + 47), x.uid).verdict,
            ReplyVerdict::kMalformed);
  EXPECT_EQ(verify_reply(aead(), x.keys, x.request(0), x.uid).verdict, ReplyVerdict::kMalformed);
  // A field after the authenticator, or trailing bytes (a legacy MAC).
  Bytes extra = reply;
  append_field(extra, 0x7777, Bytes(12));
  EXPECT_EQ(verify_reply(aead(), x.keys, extra, x.uid).verdict, ReplyVerdict::kMalformed);
  Bytes mac = reply;
  mac.insert(mac.end(), 20, std::byte{0});
  EXPECT_EQ(verify_reply(aead(), x.keys, mac, x.uid).verdict, ReplyVerdict::kMalformed);
  // Our UID without an authenticator: someone stripped it.
  const auto h = header(wire::Mode::kServer);
  Bytes stripped(h.begin(), h.end());
  append_field(stripped, kEfUniqueIdentifier, x.uid);
  EXPECT_EQ(verify_reply(aead(), x.keys, stripped, x.uid).verdict, ReplyVerdict::kBadAuth);
  // Two UIDs.
  Bytes twice(h.begin(), h.end());
  append_field(twice, kEfUniqueIdentifier, x.uid);
  append_field(twice, kEfUniqueIdentifier, x.uid);
  EXPECT_EQ(verify_reply(aead(), x.keys, twice, x.uid).verdict, ReplyVerdict::kMalformed);
}

TEST(NtsFieldsTest, UnencryptedCookiesInAReplyAreIgnored) {
  // RFC 8915 §5.7: only cookies inside the authenticator's plaintext count.
  const Exchange x;
  const Bytes request = x.request(0);
  auto parsed = parse_request(request);
  ASSERT_TRUE(parsed.ok());
  const auto h = header(wire::Mode::kServer);
  Bytes reply(h.begin(), h.end());
  append_field(reply, kEfUniqueIdentifier, x.uid);
  append_field(reply, kEfCookie, cookie_bytes(9));
  auto sealed = aead().seal(x.keys.s2c, x.server_nonce, reply, {});
  ASSERT_TRUE(sealed.ok());
  append_authenticator(reply, x.server_nonce, *sealed);
  const ReplyCheck check = verify_reply(aead(), x.keys, reply, x.uid);
  EXPECT_EQ(check.verdict, ReplyVerdict::kOk) << check.detail;
  EXPECT_TRUE(check.cookies.empty());
}

TEST(NtsFieldsTest, RequestShapeRules) {
  const Bytes uid(32, std::byte{7});
  const Bytes cookie = cookie_bytes(1);
  EXPECT_TRUE(parse_request(client_packet({{kEfUniqueIdentifier, uid}, {kEfCookie, cookie}})).ok());
  // Unknown fields before the authenticator are allowed (and authenticated).
  EXPECT_TRUE(
      parse_request(
          client_packet({{0x2005, Bytes(12)}, {kEfUniqueIdentifier, uid}, {kEfCookie, cookie}}))
          .ok());

  const std::vector<Bytes> bad = {
      client_packet({{kEfCookie, cookie}}),                                     // no UID
      client_packet({{kEfUniqueIdentifier, uid}}),                              // no cookie
      client_packet({{kEfUniqueIdentifier, uid}, {kEfCookie, cookie}}, false),  // no authenticator
      client_packet({{kEfUniqueIdentifier, uid}, {kEfUniqueIdentifier, uid}, {kEfCookie, cookie}}),
      client_packet({{kEfUniqueIdentifier, uid}, {kEfCookie, cookie}, {kEfCookie, cookie}}),
      client_packet({{kEfUniqueIdentifier, Bytes(16)}, {kEfCookie, cookie}}),  // UID too short
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_FALSE(parse_request(bad[i]).ok()) << "case " << i;
  }
  // A field after the authenticator; two authenticators.
  Bytes after = client_packet({{kEfUniqueIdentifier, uid}, {kEfCookie, cookie}});
  append_field(after, kEfCookiePlaceholder, cookie);
  EXPECT_FALSE(parse_request(after).ok());
  Bytes two = client_packet({{kEfUniqueIdentifier, uid}, {kEfCookie, cookie}});
  append_authenticator(two, Bytes(16), Bytes(16));
  EXPECT_FALSE(parse_request(two).ok());
  // Not an NTPv4 client request.
  Bytes server = client_packet({{kEfUniqueIdentifier, uid}, {kEfCookie, cookie}});
  server[0] = std::byte{0x24};
  EXPECT_FALSE(parse_request(server).ok());
  Bytes v3 = client_packet({{kEfUniqueIdentifier, uid}, {kEfCookie, cookie}});
  v3[0] = std::byte{0x1b};
  EXPECT_FALSE(parse_request(v3).ok());
  EXPECT_EQ(parse_request(Bytes(47)).error().code, ErrorCode::kTruncated);
}

TEST(NtsFieldsTest, WalkFieldsBounds) {
  Bytes b(48);
  append_field(b, 0x0104, Bytes(32));
  ASSERT_TRUE(walk_fields(b, 48, 16).ok());
  EXPECT_EQ(walk_fields(b, 48, 16)->at(0).length, 36u);
  EXPECT_EQ(walk_fields(b, 48, 16)->at(0).offset, 48u);
  Bytes trailing = b;
  trailing.insert(trailing.end(), 3, std::byte{0});
  EXPECT_FALSE(walk_fields(trailing, 48, 16).ok());
  Bytes past = b;
  past[51] = std::byte{40};  // length 40, only 36 there
  EXPECT_FALSE(walk_fields(past, 48, 16).ok());
  Bytes odd = b;
  odd[51] = std::byte{34};
  EXPECT_FALSE(walk_fields(odd, 48, 16).ok());
  Bytes small(48);
  const uint8_t field12[] = {0x01, 0x04, 0x00, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0};
  for (const uint8_t v : field12) small.push_back(std::byte{v});
  EXPECT_FALSE(walk_fields(small, 48, 16).ok());
  EXPECT_TRUE(walk_fields(small, 48, 4).ok());
  EXPECT_FALSE(walk_fields(b, 200, 16).ok());
}

TEST(NtsFieldsTest, AuthenticatorBodyRules) {
  const auto body = [](uint16_t nonce_length, uint16_t sealed_length, size_t total) {
    Bytes out(total);
    out[0] = static_cast<std::byte>(nonce_length >> 8);
    out[1] = static_cast<std::byte>(nonce_length & 0xff);
    out[2] = static_cast<std::byte>(sealed_length >> 8);
    out[3] = static_cast<std::byte>(sealed_length & 0xff);
    return out;
  };
  auto good = parse_authenticator(body(16, 16, 36));
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->nonce.size(), 16u);
  EXPECT_EQ(good->sealed.size(), 16u);
  // A short nonce is fine when padding brings the nonce area to 16 bytes.
  EXPECT_TRUE(parse_authenticator(body(5, 16, 4 + 8 + 16 + 8)).ok());
  EXPECT_FALSE(parse_authenticator(body(5, 16, 4 + 8 + 16)).ok());
  EXPECT_FALSE(parse_authenticator(body(0, 16, 36)).ok());
  EXPECT_FALSE(parse_authenticator(body(16, 15, 36)).ok());
  EXPECT_FALSE(parse_authenticator(body(16, 20, 36)).ok());
  EXPECT_FALSE(parse_authenticator(body(40, 16, 36)).ok());
  EXPECT_FALSE(parse_authenticator(Bytes(3)).ok());
}

TEST(NtsFieldsTest, BuildRequestRejectsBadArguments) {
  const Exchange x;
  const auto h = header(wire::Mode::kClient);
  EXPECT_FALSE(build_request(aead(), x.keys, h, Bytes(31), x.cookie, 0, x.client_nonce).ok());
  EXPECT_FALSE(build_request(aead(), x.keys, h, x.uid, Bytes{}, 0, x.client_nonce).ok());
  EXPECT_FALSE(build_request(aead(), x.keys, h, x.uid, x.cookie, 0, Bytes(15)).ok());
  EXPECT_FALSE(build_request(aead(), x.keys, h, x.uid, x.cookie, kMaxCookies, x.client_nonce).ok());
}

}  // namespace
}  // namespace meridian::nts
