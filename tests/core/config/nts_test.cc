// `nts …` directives (NTPsec syntax) and the NTS options of server lines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace meridian::config::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ConfigNtsTest, FilesAndPortAreRecorded) {
  Config c = parse(
      "nts cert /etc/ntp/cert.pem\nnts key /etc/ntp/key.pem\nnts ca /etc/ntp/ca.pem\n"
      "nts cookie /var/lib/ntp/nts-keys\nnts port 14460\n");
  EXPECT_THAT(messages(c), IsEmpty());
  EXPECT_EQ(c.nts.cert, "/etc/ntp/cert.pem");
  EXPECT_EQ(c.nts.key, "/etc/ntp/key.pem");
  EXPECT_EQ(c.nts.ca, "/etc/ntp/ca.pem");
  EXPECT_EQ(c.nts.cookie, "/var/lib/ntp/nts-keys");
  EXPECT_EQ(c.nts.port, 14460);
  EXPECT_EQ(c.locations.at("nts cookie"), (SourceLocation{kConfPath, 4}));
}

TEST(ConfigNtsTest, MistakesAreFatalWithFileAndLine) {
  Config c = parse("nts\nnts cert\nnts port 0\nnts frobnicate\nnts aead AES_128_GCM\n");
  EXPECT_THAT(fatals(c), ElementsAre(HasSubstr(":2: nts cert: missing file name"),
                                     HasSubstr(":3: nts port 0 is out of range (1..65535)"),
                                     HasSubstr(":4: nts: unknown keyword 'frobnicate'"),
                                     HasSubstr(":5: nts aead: 'AES_128_GCM' is not supported")));
  EXPECT_THAT(errors(c), ElementsAre(HasSubstr(":1: nts: missing keyword")));
  EXPECT_FALSE(c.nts.cert.has_value());
  EXPECT_FALSE(c.nts.port.has_value());
}

TEST(ConfigNtsTest, TlsTuningIsSaidToHaveNoEffect) {
  Config c = parse("nts mintls TLS1.3\nnts tlsciphersuites TLS_AES_256_GCM_SHA384\n");
  EXPECT_THAT(warnings(c), ElementsAre(HasSubstr(":1: 'nts mintls' has no effect in Meridian"),
                                       HasSubstr(":2: 'nts tlsciphersuites' has no effect")));
  EXPECT_THAT(fatals(c), IsEmpty());
}

TEST(ConfigNtsTest, ServerNtsOptions) {
  Config c = parse("server ntp.test iburst nts ntsport 14460 ca /etc/ntp/test-ca.pem\n");
  ASSERT_EQ(c.associations.size(), 1u);
  EXPECT_EQ(c.associations[0].nts_port, 14460);
  EXPECT_EQ(c.associations[0].nts_ca, "/etc/ntp/test-ca.pem");
  Config bad = parse("server ntp.test nts ntsport 99999\n");
  EXPECT_THAT(fatals(bad), ::testing::Contains(HasSubstr(":1: server: ntsport 99999 is out of "
                                                         "range")));
}

TEST(ConfigNtsTest, NtsOptionsWithoutNtsAndNtsWithKey) {
  Config c = parse("server a.example ntsport 14460\nserver b.example nts key 5\n");
  EXPECT_THAT(warnings(c), ElementsAre(HasSubstr(":1: 'server ntsport' has no effect in Meridian: "
                                                 "it applies to NTS servers only")));
  EXPECT_THAT(fatals(c), ::testing::Contains(HasSubstr(":2: server b.example: 'nts' and 'key' "
                                                       "exclude each other")));
}

}  // namespace
}  // namespace meridian::config::testing
