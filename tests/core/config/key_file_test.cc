// The symmetric key file (ntp.keys(5)): every type, ASCII and hex keys, errors with FILE:LINE.
#include "core/config/key_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace meridian::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> messages(const KeyFile& k) {
  std::vector<std::string> out;
  for (const Diagnostic& d : k.diagnostics) out.push_back(d.to_string());
  return out;
}

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(KeyFileTest, AllTypesAsciiAndHex) {
  const char* text =
      "# ntp.keys\n"
      "1 M abcdefghij          # classic MD5 spelled M\n"
      "2 MD5 ~!@$%^&*()_+{}|:<>?\n"
      "3 md5 0123456789abcdef0123456789abcdef01234567\n"
      "4 SHA1 0123456789ABCDEF0123456789ABCDEF01234567\n"
      "5 sha256 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
      "6 AES128CMAC 000102030405060708090a0b0c0d0e0f\n"
      "7 aes 16-ascii-chars!!\n"
      "65535 SHA1 shortascii\n";
  auto keys = parse_key_file(text, "/etc/ntp/keys");
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_THAT(messages(*keys), IsEmpty());
  ASSERT_EQ(keys->keys.size(), 8u);
  EXPECT_EQ(keys->keys[0].id, 1u);
  EXPECT_EQ(keys->keys[0].type, KeyType::kMd5);
  EXPECT_EQ(keys->keys[0].secret, bytes("abcdefghij"));
  EXPECT_EQ(keys->keys[0].where, (SourceLocation{"/etc/ntp/keys", 2}));
  EXPECT_EQ(keys->keys[1].secret, bytes("~!@$%^&*()_+{}|:<>?"));
  EXPECT_EQ(keys->keys[2].type, KeyType::kMd5);
  EXPECT_EQ(keys->keys[2].secret.size(), 20u);
  EXPECT_EQ(keys->keys[2].secret[0], 0x01);
  EXPECT_EQ(keys->keys[2].secret[19], 0x67);
  EXPECT_EQ(keys->keys[3].type, KeyType::kSha1);
  EXPECT_EQ(keys->keys[3].secret[7], 0xef);
  EXPECT_EQ(keys->keys[4].type, KeyType::kSha256);
  EXPECT_EQ(keys->keys[4].secret.size(), 32u);
  EXPECT_EQ(keys->keys[5].type, KeyType::kAes128Cmac);
  EXPECT_EQ(keys->keys[5].secret.size(), 16u);
  EXPECT_EQ(keys->keys[5].secret[15], 0x0f);
  EXPECT_EQ(keys->keys[6].type, KeyType::kAes128Cmac);
  EXPECT_EQ(keys->keys[6].secret, bytes("16-ascii-chars!!"));
  EXPECT_EQ(keys->keys[7].id, 65535u);
  EXPECT_EQ(keys->find(4), &keys->keys[3]);
  EXPECT_EQ(keys->find(99), nullptr);
}

TEST(KeyFileTest, TwentyCharactersAreAsciiEvenWhenTheyLookHex) {
  auto keys = parse_key_file("1 SHA1 0123456789abcdef0123\n", "k");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->keys[0].secret, bytes("0123456789abcdef0123"));
}

TEST(KeyFileTest, MessyLineEndingsAndBlanks) {
  auto keys = parse_key_file("\t1\tM\tone  \r\n\r\n  # c\r2 M two\r3 M three", "k");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->keys.size(), 3u);
  EXPECT_EQ(keys->keys[1].where.line, 4);
  EXPECT_EQ(keys->keys[2].where.line, 5);
  EXPECT_EQ(keys->keys[2].secret, bytes("three"));
}

TEST(KeyFileTest, EmptyFileHasNoKeys) {
  auto keys = parse_key_file("# nothing yet\n", "k");
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->keys.empty());
  EXPECT_FALSE(keys->has_errors());
}

TEST(KeyFileTest, EveryErrorWithFileAndLine) {
  const char* text =
      "1 M\n"
      "0 M zero\n"
      "65536 M big\n"
      "x1 M letters\n"
      "-5 M negative\n"
      "6 SHA512 sha512key\n"
      "7 M 0123456789abcdef0123456789abcdef0123456\n"
      "8 SHA1 0123456789abcdef0123456789abcdef0123456z\n"
      "9 AES128CMAC 000102030405060708090a0b0c0d0e0f10\n"
      "10 AES128CMAC short\n"
      "11 M \x01\x02"
      "ctl\n"
      "12 M key 192.0.2.1\n"
      "13 M caf\xc3\xa9\n"
      "14 M good\n";
  KeyFile k = scan_key_file(text, "/etc/ntp/keys");
  EXPECT_THAT(
      messages(k),
      ElementsAre(
          "/etc/ntp/keys:1: expected KEYID TYPE KEY",
          "/etc/ntp/keys:2: key id '0' is not a number 1..65535",
          "/etc/ntp/keys:3: key id '65536' is not a number 1..65535",
          "/etc/ntp/keys:4: key id 'x1' is not a number 1..65535",
          "/etc/ntp/keys:5: key id '-5' is not a number 1..65535",
          "/etc/ntp/keys:6: key 6: type 'SHA512' is not supported (M or MD5, SHA1, SHA256, "
          "AES128CMAC)",
          "/etc/ntp/keys:7: key 7: a key longer than 20 characters must be an even number of hex "
          "digits, at most 128",
          "/etc/ntp/keys:8: key 8: a key longer than 20 characters must be hex digits only",
          "/etc/ntp/keys:9: key 9: an AES128CMAC key must be 16 bytes (32 hex digits), not 17",
          "/etc/ntp/keys:10: key 10: an AES128CMAC key must be 16 bytes (32 hex digits), not 5",
          "/etc/ntp/keys:11: key 11: an ASCII key may hold only printable characters without "
          "blanks",
          "/etc/ntp/keys:12: key 12: per-key address lists ('192.0.2.1') are not supported",
          "/etc/ntp/keys:13: key 13: an ASCII key may hold only printable characters without "
          "blanks"));
  EXPECT_TRUE(k.has_errors());
  ASSERT_EQ(k.keys.size(), 1u);
  EXPECT_EQ(k.keys[0].id, 14u);
  for (const Diagnostic& d : k.diagnostics) EXPECT_EQ(d.severity, Diagnostic::Severity::kError);

  auto r = parse_key_file(text, "/etc/ntp/keys");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  EXPECT_THAT(r.error().message, ::testing::StartsWith("/etc/ntp/keys:1: expected KEYID TYPE "
                                                       "KEY\n/etc/ntp/keys:2: "));
}

TEST(KeyFileTest, TooLongHexKey) {
  KeyFile k = scan_key_file("1 SHA256 " + std::string(130, 'a') + "\n", "k");
  EXPECT_THAT(messages(k), ElementsAre("k:1: key 1: a key longer than 20 characters must be an "
                                       "even number of hex digits, at most 128"));
  KeyFile ok = scan_key_file("1 SHA256 " + std::string(128, 'a') + "\n", "k");
  EXPECT_FALSE(ok.has_errors());
  EXPECT_EQ(ok.keys[0].secret.size(), 64u);
}

TEST(KeyFileTest, RepeatedIdWarnsAndTheLastWins) {
  auto keys = parse_key_file("1 M first\n2 M other\n1 SHA1 second\n", "k");
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(messages(*keys), ElementsAre("k:3: key 1 is defined again (first at line 1); this "
                                           "definition wins"));
  ASSERT_EQ(keys->keys.size(), 2u);
  EXPECT_EQ(keys->keys[0].type, KeyType::kSha1);
  EXPECT_EQ(keys->keys[0].secret, bytes("second"));
  EXPECT_EQ(keys->keys[0].where.line, 3);
}

TEST(KeyFileTest, TypeNames) {
  EXPECT_EQ(key_type_name(KeyType::kMd5), "MD5");
  EXPECT_EQ(key_type_name(KeyType::kSha1), "SHA1");
  EXPECT_EQ(key_type_name(KeyType::kSha256), "SHA256");
  EXPECT_EQ(key_type_name(KeyType::kAes128Cmac), "AES128CMAC");
}

}  // namespace
}  // namespace meridian::config
