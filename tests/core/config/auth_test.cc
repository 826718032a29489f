// keys, trustedkey, requestkey, controlkey, and loading the key file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace meridian::config::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ConfigAuthTest, KeysTrustedRequestControl) {
  MemoryFileSource files;
  files.add("/etc/ntp/keys", "1 M secret\n2 SHA1 0123456789abcdef0123456789abcdef01234567\n");
  Config c = parse("keys /etc/ntp/keys\ntrustedkey 1 2\nrequestkey 1\ncontrolkey 2\n", files);
  // Parsed and kept, but Meridian answers no request they would guard: said so.
  EXPECT_THAT(messages(c),
              ElementsAre("/etc/ntp.conf:3: 'requestkey' has no effect in Meridian: mode 7 "
                          "(ntpdc) requests are never answered",
                          "/etc/ntp.conf:4: 'controlkey' has no effect in Meridian: mode 6 writes "
                          "(ntpq :config, setvar, traps) are refused to everyone"));
  EXPECT_EQ(c.keys_file, "/etc/ntp/keys");
  EXPECT_THAT(c.trusted_keys, ElementsAre(1u, 2u));
  EXPECT_EQ(c.request_key, 1u);
  EXPECT_EQ(c.control_key, 2u);
  ASSERT_EQ(c.keys.size(), 2u);
  EXPECT_EQ(c.keys[0].id, 1u);
  EXPECT_EQ(c.keys[0].type, KeyType::kMd5);
  EXPECT_EQ(c.keys[1].type, KeyType::kSha1);
  EXPECT_EQ(c.keys[1].secret.size(), 20u);
  EXPECT_EQ(c.keys[1].where, (SourceLocation{"/etc/ntp/keys", 2}));
  EXPECT_EQ(c.locations.at("keys").line, 1);
  EXPECT_EQ(c.locations.at("controlkey").line, 4);
}

TEST(ConfigAuthTest, TrustedkeyRanges) {
  Config c = parse("trustedkey 1 2 (5 ... 9)\ntrustedkey (20...22) ( 30 ... 30 )\n");
  EXPECT_THAT(messages(c), IsEmpty());
  EXPECT_THAT(c.trusted_keys, ElementsAre(1u, 2u, 5u, 6u, 7u, 8u, 9u, 20u, 21u, 22u, 30u));
  EXPECT_EQ(c.locations.at("trustedkey").line, 1);
}

TEST(ConfigAuthTest, TrustedkeyErrorsAreFatal) {
  Config c = parse(
      "trustedkey 1 x\ntrustedkey 0\ntrustedkey 70000\ntrustedkey (5 9)\ntrustedkey (5 ... 9\n"
      "trustedkey (9 ... 5)\ntrustedkey ( ... 5)\ntrustedkey 1.5\ntrustedkey 3 \\\n  (4 ... z)\n");
  EXPECT_THAT(fatals(c),
              ElementsAre("/etc/ntp.conf:1: trustedkey: 'x' is not a key id (1..65535)",
                          "/etc/ntp.conf:2: trustedkey: '0' is not a key id (1..65535)",
                          "/etc/ntp.conf:3: trustedkey: '70000' is not a key id (1..65535)",
                          "/etc/ntp.conf:4: trustedkey: a range is written (FIRST ... LAST)",
                          "/etc/ntp.conf:5: trustedkey: missing ')' after a range",
                          "/etc/ntp.conf:6: trustedkey: empty range (9 ... 5)",
                          "/etc/ntp.conf:7: trustedkey: expected a key id",
                          "/etc/ntp.conf:8: trustedkey: '1.5' is not a key id (1..65535)",
                          "/etc/ntp.conf:10: trustedkey: 'z' is not a key id (1..65535)"));
  EXPECT_TRUE(c.trusted_keys.empty());
  Config empty = parse("trustedkey\n");
  EXPECT_THAT(warnings(empty), ElementsAre("/etc/ntp.conf:1: trustedkey: no key ids given"));
}

TEST(ConfigAuthTest, KeysLineErrorsAreFatal) {
  Config c = parse("keys\nkeys /a /b\n");
  EXPECT_THAT(fatals(c), ElementsAre("/etc/ntp.conf:1: keys: missing key file name",
                                     "/etc/ntp.conf:2: keys: unexpected '/b' after the file name"));
  EXPECT_FALSE(c.keys_file);
}

TEST(ConfigAuthTest, RequestkeyControlkeyErrorsAreNotFatal) {
  Config c = parse("requestkey 0\ncontrolkey abc\ncontrolkey\nrequestkey 7 8\n");
  EXPECT_THAT(messages(c),
              ElementsAre("/etc/ntp.conf:1: requestkey: key id 0 is out of range (1..65535); line "
                          "ignored",
                          "/etc/ntp.conf:2: controlkey: key id 'abc' is not an integer; line "
                          "ignored",
                          "/etc/ntp.conf:3: controlkey: missing key id; line ignored",
                          "/etc/ntp.conf:4: requestkey: extra '8' ignored",
                          "/etc/ntp.conf:4: 'requestkey' has no effect in Meridian: mode 7 "
                          "(ntpdc) requests are never answered"));
  EXPECT_FALSE(c.has_fatal());
  EXPECT_EQ(c.request_key, 7u);
  EXPECT_FALSE(c.control_key);
}

// Missing: a warning (classic ntpd runs without it; the stock Red Hat
// ntp.conf names /etc/ntp/keys). Present but unreadable: an error.
TEST(ConfigAuthTest, MissingKeyFileIsAWarningUnreadableAnError) {
  Config c = parse("\nkeys /etc/ntp/keys\n");
  EXPECT_THAT(warnings(c), ElementsAre("/etc/ntp.conf:2: keys: cannot read key file "
                                       "(/etc/ntp/keys: no such file)"));
  EXPECT_THAT(errors(c), ::testing::IsEmpty());
  EXPECT_FALSE(c.has_fatal());
  EXPECT_TRUE(c.keys.empty());
  MemoryFileSource files;
  files.add("/etc/ntp/keys/inside", "1 MD5 x\n");  // the key file is a directory
  Config d = parse("\nkeys /etc/ntp/keys\n", files);
  EXPECT_THAT(errors(d), ElementsAre("/etc/ntp.conf:2: keys: cannot read key file "
                                     "(/etc/ntp/keys: is a directory)"));
  EXPECT_FALSE(d.has_fatal());
}

TEST(ConfigAuthTest, BadKeyFileLinesAreFatalWithTheKeyFilesLocation) {
  MemoryFileSource files;
  files.add("/etc/ntp/keys", "# keys\n1 MD5 good\n2 RSA bad\n3 SHA1 0102\n");
  Config c = parse("keys /etc/ntp/keys\n", files);
  EXPECT_THAT(fatals(c),
              ElementsAre("/etc/ntp/keys:3: key 2: type 'RSA' is not supported (M or MD5, SHA1, "
                          "SHA256, AES128CMAC)"));
  EXPECT_TRUE(c.has_fatal());
  ASSERT_EQ(c.keys.size(), 2u);  // the good lines are still read
}

TEST(ConfigAuthTest, SecondKeysLineWins) {
  MemoryFileSource files;
  files.add("/b", "1 M x\n");
  Config c = parse("keys /a\nkeys /b\n", files);
  EXPECT_THAT(messages(c), ElementsAre("/etc/ntp.conf:2: keys: already set to /a at "
                                       "/etc/ntp.conf:1; this line wins"));
  EXPECT_EQ(c.keys_file, "/b");
  EXPECT_EQ(c.keys.size(), 1u);
}

}  // namespace
}  // namespace meridian::config::testing
