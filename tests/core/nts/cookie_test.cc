// Server cookies (core/nts/cookie.h, RFC 8915 §6): round trip, unknown key
// ids, tampering, rotation keeping recent cookies valid.
#include "core/nts/cookie.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/nts/cookie_keyring.h"
#include "tests/core/nts/nts_test_support.h"

namespace meridian::nts {
namespace {

using test_support::aead;
using test_support::counting;
using test_support::test_keys;
using Bytes = std::vector<std::byte>;

CookieKey master(uint32_t id, int64_t created, uint8_t first) {
  CookieKey k;
  k.id = id;
  k.created_unix_s = created;
  k.key = counting<kKeySize>(first);
  return k;
}

bool same_keys(const NtsKeys& a, const NtsKeys& b) { return a.c2s == b.c2s && a.s2c == b.s2c; }

TEST(NtsCookieTest, RoundTrip) {
  CookieKeyring ring;
  ASSERT_TRUE(ring.add(master(0x01020304, 1000, 0xa0)).ok());
  const NtsKeys keys = test_keys(3);
  auto cookie = make_cookie(aead(), ring.current(), keys, counting<kCookieNonceSize>(0x70));
  ASSERT_TRUE(cookie.ok()) << cookie.error().message;
  EXPECT_EQ(cookie->size(), kCookieSize);
  EXPECT_EQ(kCookieSize % 4, 0u);  // no padding in its extension field
  EXPECT_EQ(*cookie_key_id(*cookie), 0x01020304u);
  auto opened = open_cookie(aead(), ring, *cookie);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_TRUE(same_keys(*opened, keys));
}

TEST(NtsCookieTest, DifferentNoncesGiveUnlinkableCookies) {
  CookieKeyring ring;
  ASSERT_TRUE(ring.add(master(7, 1000, 0xa0)).ok());
  const NtsKeys keys = test_keys(3);
  auto a = make_cookie(aead(), ring.current(), keys, counting<kCookieNonceSize>(0x70));
  auto b = make_cookie(aead(), ring.current(), keys, counting<kCookieNonceSize>(0x71));
  ASSERT_TRUE(a.ok() && b.ok());
  // Same key id in clear; everything after it differs.
  EXPECT_NE(Bytes(a->begin() + 4, a->end()), Bytes(b->begin() + 4, b->end()));
  EXPECT_TRUE(same_keys(*open_cookie(aead(), ring, *a), *open_cookie(aead(), ring, *b)));
}

TEST(NtsCookieTest, UnknownKeyIdIsItsOwnError) {
  CookieKeyring ring;
  ASSERT_TRUE(ring.add(master(7, 1000, 0xa0)).ok());
  auto cookie = make_cookie(aead(), ring.current(), test_keys(), counting<kCookieNonceSize>(0));
  ASSERT_TRUE(cookie.ok());
  CookieKeyring other;
  ASSERT_TRUE(other.add(master(8, 1000, 0xa0)).ok());
  auto opened = open_cookie(aead(), other, *cookie);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kUnavailable);
  // Same id, different master key: not ours.
  CookieKeyring impostor;
  ASSERT_TRUE(impostor.add(master(7, 1000, 0xa1)).ok());
  EXPECT_EQ(open_cookie(aead(), impostor, *cookie).error().code, ErrorCode::kMalformed);
}

TEST(NtsCookieTest, EveryTamperedByteIsRejected) {
  CookieKeyring ring;
  ASSERT_TRUE(ring.add(master(7, 1000, 0xa0)).ok());
  auto cookie = make_cookie(aead(), ring.current(), test_keys(), counting<kCookieNonceSize>(0));
  ASSERT_TRUE(cookie.ok());
  for (size_t i = 0; i < cookie->size(); ++i) {
    Bytes bad = *cookie;
    bad[i] ^= std::byte{0x01};
    EXPECT_FALSE(open_cookie(aead(), ring, bad).ok()) << "byte " << i;
  }
  EXPECT_EQ(open_cookie(aead(), ring, Bytes(cookie->begin(), cookie->end() - 1)).error().code,
            ErrorCode::kMalformed);
  Bytes longer = *cookie;
  longer.push_back(std::byte{0});
  EXPECT_EQ(open_cookie(aead(), ring, longer).error().code, ErrorCode::kMalformed);
  EXPECT_FALSE(open_cookie(aead(), ring, Bytes{}).ok());
  EXPECT_FALSE(cookie_key_id(Bytes(3)).ok());
}

TEST(NtsCookieTest, BadNonceSizeRefused) {
  const CookieKey k = master(7, 1000, 0xa0);
  EXPECT_EQ(make_cookie(aead(), k, test_keys(), Bytes(15)).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(NtsCookieTest, CookiesOutliveRotationsForAWeekThenExpire) {
  SeededRandom random(42);
  CookieKeyring ring;  // daily rotation, 7 previous keys
  int64_t now = 1'700'000'000;
  ASSERT_TRUE(ring.rotate(now, random));
  auto cookie = make_cookie(aead(), ring.current(), test_keys(), counting<kCookieNonceSize>(0));
  ASSERT_TRUE(cookie.ok());
  for (int day = 1; day <= 7; ++day) {
    now += 86400;
    ASSERT_TRUE(ring.rotate(now, random));
    EXPECT_TRUE(open_cookie(aead(), ring, *cookie).ok()) << "day " << day;
  }
  now += 86400;
  ASSERT_TRUE(ring.rotate(now, random));
  auto opened = open_cookie(aead(), ring, *cookie);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace meridian::nts
