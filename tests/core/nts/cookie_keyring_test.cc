// Cookie master keys (core/nts/cookie_keyring.h): rotation decisions,
// expiry, the key file round trip and its error lines.
#include "core/nts/cookie_keyring.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/core/nts/nts_test_support.h"

namespace meridian::nts {
namespace {

using test_support::counting;

constexpr int64_t kDay = 86400;
constexpr int64_t kT0 = 1'700'000'000;

CookieKey key(uint32_t id, int64_t created, uint8_t first = 1) {
  CookieKey k;
  k.id = id;
  k.created_unix_s = created;
  k.key = counting<kKeySize>(first);
  return k;
}

TEST(CookieKeyringTest, RotationIsDueByAge) {
  CookieKeyring ring;
  EXPECT_TRUE(ring.needs_rotation(kT0));  // no key at all
  ASSERT_TRUE(ring.add(key(1, kT0)).ok());
  EXPECT_FALSE(ring.needs_rotation(kT0));
  EXPECT_FALSE(ring.needs_rotation(kT0 + kDay - 1));
  EXPECT_TRUE(ring.needs_rotation(kT0 + kDay));
  // A key from slightly in the future is tolerated; from far in the future it is not.
  EXPECT_FALSE(ring.needs_rotation(kT0 - 10));
  EXPECT_TRUE(ring.needs_rotation(kT0 - kDay - 1));

  CookieKeyring hourly(KeyringPolicy{.rotate_interval_s = 3600, .max_previous = 2});
  ASSERT_TRUE(hourly.add(key(1, kT0)).ok());
  EXPECT_TRUE(hourly.needs_rotation(kT0 + 3600));
}

TEST(CookieKeyringTest, RotateAddsAFreshCurrentKeyOnlyWhenDue) {
  SeededRandom random(1);
  CookieKeyring ring;
  ASSERT_TRUE(ring.rotate(kT0, random));
  ASSERT_EQ(ring.keys().size(), 1u);
  const CookieKey first = ring.current();
  EXPECT_NE(first.id, 0u);
  EXPECT_EQ(first.created_unix_s, kT0);
  EXPECT_NE(first.key, CookieKey{}.key);

  EXPECT_FALSE(ring.rotate(kT0 + kDay - 1, random));
  EXPECT_EQ(ring.keys().size(), 1u);

  ASSERT_TRUE(ring.rotate(kT0 + kDay, random));
  ASSERT_EQ(ring.keys().size(), 2u);
  EXPECT_NE(ring.current().id, first.id);
  EXPECT_NE(ring.current().key, first.key);
  EXPECT_EQ(ring.current().created_unix_s, kT0 + kDay);
  EXPECT_EQ(ring.find(first.id), &ring.keys().front());
}

TEST(CookieKeyringTest, KeepsCurrentPlusMaxPrevious) {
  SeededRandom random(2);
  CookieKeyring ring;
  for (int day = 0; day < 20; ++day) ASSERT_TRUE(ring.rotate(kT0 + day * kDay, random));
  ASSERT_EQ(ring.keys().size(), 8u);
  EXPECT_EQ(ring.keys().front().created_unix_s, kT0 + 12 * kDay);
  EXPECT_EQ(ring.current().created_unix_s, kT0 + 19 * kDay);
}

TEST(CookieKeyringTest, OldKeysExpireAfterALongOutage) {
  SeededRandom random(3);
  CookieKeyring ring;
  for (int day = 0; day < 5; ++day) ASSERT_TRUE(ring.rotate(kT0 + day * kDay, random));
  ASSERT_EQ(ring.keys().size(), 5u);
  // Down for a month: every earlier key is older than the 8-day window.
  ASSERT_TRUE(ring.rotate(kT0 + 35 * kDay, random));
  ASSERT_EQ(ring.keys().size(), 1u);
  EXPECT_EQ(ring.current().created_unix_s, kT0 + 35 * kDay);
}

TEST(CookieKeyringTest, KeyFromTheFutureIsReplaced) {
  SeededRandom random(4);
  CookieKeyring ring;
  ASSERT_TRUE(ring.add(key(1, kT0 - kDay)).ok());
  ASSERT_TRUE(ring.add(key(2, kT0 + 30 * kDay)).ok());  // made by a clock a month ahead
  ASSERT_TRUE(ring.rotate(kT0, random));
  EXPECT_EQ(ring.current().created_unix_s, kT0);
  EXPECT_EQ(ring.find(2), nullptr);
  EXPECT_NE(ring.find(1), nullptr);
}

TEST(CookieKeyringTest, AddOrdersByCreationAndRefusesDuplicateIds) {
  CookieKeyring ring;
  ASSERT_TRUE(ring.add(key(5, kT0 + 10)).ok());
  ASSERT_TRUE(ring.add(key(6, kT0)).ok());
  EXPECT_EQ(ring.current().id, 5u);
  auto dup = ring.add(key(6, kT0 + 20));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kInvalidArgument);
  // A tie in creation time goes to the later add.
  ASSERT_TRUE(ring.add(key(7, kT0 + 10)).ok());
  EXPECT_EQ(ring.current().id, 7u);
}

TEST(CookieKeyringTest, FileRoundTrip) {
  SeededRandom random(5);
  CookieKeyring ring;
  for (int day = 0; day < 10; ++day) ASSERT_TRUE(ring.rotate(kT0 + day * kDay, random));
  const std::string text = serialize_keyring(ring);
  const KeyringFile file = parse_keyring(text);
  ASSERT_TRUE(file.ok()) << file.errors.front().line << ": " << file.errors.front().message;
  EXPECT_EQ(file.keyring.keys(), ring.keys());
  EXPECT_EQ(file.keyring.current(), ring.current());
  EXPECT_EQ(serialize_keyring(file.keyring), text);
}

TEST(CookieKeyringTest, FileCommentsBlanksCrlfAndCurrentByTime) {
  const std::string hex_a(64, 'a');
  const std::string hex_b = std::string(32, '0') + std::string(32, 'F');
  const std::string text =
      "# keys\r\n\r\n   \n"
      "20 1700000100 " +
      hex_b + "  # newer\r\n" + "\t10 1700000000 " + hex_a + "\n";
  const KeyringFile file = parse_keyring(text);
  ASSERT_TRUE(file.ok()) << file.errors.front().message;
  ASSERT_EQ(file.keyring.keys().size(), 2u);
  EXPECT_EQ(file.keyring.current().id, 20u);
  EXPECT_EQ(file.keyring.current().key[31], std::byte{0xff});
  EXPECT_EQ(file.keyring.find(10)->key[0], std::byte{0xaa});
  EXPECT_TRUE(parse_keyring("").ok());
  EXPECT_TRUE(parse_keyring("").keyring.empty());
}

TEST(CookieKeyringTest, FileErrorsNameTheirLines) {
  const std::string good = "1 1700000000 " + std::string(64, '0') + "\n";
  const std::string text = good +                                             // 1
                           "2 1700000000\n" +                                 // 2: two fields
                           "x 1700000000 " + std::string(64, '0') + "\n" +    // 3: id
                           "3 -5 " + std::string(64, '0') + "\n" +            // 4: time
                           "4 1700000000 " + std::string(63, '0') + "\n" +    // 5: short key
                           "5 1700000000 " + std::string(63, '0') + "g\n" +   // 6: not hex
                           "4294967296 1 " + std::string(64, '0') + "\n" +    // 7: id overflow
                           "1 1700000001 " + std::string(64, '1') + "\n" +    // 8: duplicate id
                           "6 1700000000 " + std::string(64, '0') + " x\n" +  // 9: four fields
                           "# fine\n" +                                       // 10
                           "7 1700000002 " + std::string(64, '2');  // 11: good, no newline
  const KeyringFile file = parse_keyring(text);
  ASSERT_EQ(file.errors.size(), 8u);
  const size_t expected_lines[] = {2, 3, 4, 5, 6, 7, 8, 9};
  for (size_t i = 0; i < file.errors.size(); ++i) {
    EXPECT_EQ(file.errors[i].line, expected_lines[i]) << file.errors[i].message;
    EXPECT_FALSE(file.errors[i].message.empty());
  }
  EXPECT_EQ(file.keyring.keys().size(), 2u);
  EXPECT_EQ(file.keyring.current().id, 7u);
}

TEST(CookieKeyringTest, FileWithMoreKeysThanKeptDropsTheOldest) {
  std::string text;
  for (int i = 1; i <= 12; ++i) {
    text += std::to_string(i) + " " + std::to_string(kT0 + i) + " " + std::string(64, 'c') + "\n";
  }
  const KeyringFile file = parse_keyring(text, KeyringPolicy{.max_previous = 3});
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file.keyring.keys().size(), 4u);
  EXPECT_EQ(file.keyring.keys().front().id, 9u);
  EXPECT_EQ(file.keyring.current().id, 12u);
}

}  // namespace
}  // namespace meridian::nts
