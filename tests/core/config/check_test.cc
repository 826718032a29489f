// `ntpd --check`: parse + key file + lint, and the exit code policy.
#include "core/config/check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace meridian::config::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

TEST(ConfigCheckTest, CleanConfigExitsZeroEvenWithLintWarnings) {
  MemoryFileSource files;
  files.add("/etc/ntp.conf", "restrict default nopeer\nserver a.example\nauthenticate yes\n");
  CheckReport r = check_config_file("/etc/ntp.conf", files);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(messages(r.diagnostics), Contains(HasSubstr("no 'iburst'")));  // lint
  EXPECT_THAT(messages(r.diagnostics),
              Contains(HasSubstr("'authenticate' has no effect")));  // parse
  EXPECT_EQ(r.config.associations.size(), 1u);
}

TEST(ConfigCheckTest, AnyErrorExitsOne) {
  MemoryFileSource files;
  files.add("/etc/ntp.conf", "server a.example iburst\nbogus\n");
  EXPECT_EQ(check_config_file("/etc/ntp.conf", files).exit_code, 1);
  files.add("/etc/ntp.conf", "restrict default nomodfy\n");
  EXPECT_EQ(check_config_file("/etc/ntp.conf", files).exit_code, 1);
  files.add("/etc/ntp.conf", "keys /etc/ntp/keys\n");
  files.add("/etc/ntp/keys", "1 M\n");
  CheckReport r = check_config_file("/etc/ntp.conf", files);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.config.has_fatal());
}

TEST(ConfigCheckTest, UnreadableFileExitsOne) {
  MemoryFileSource files;
  CheckReport r = check_config_file("/etc/ntp.conf", files);
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].to_string(),
            "/etc/ntp.conf: cannot read: /etc/ntp.conf: no such file");
  EXPECT_EQ(r.diagnostics[0].severity, Diagnostic::Severity::kFatal);
}

TEST(ConfigCheckTest, SeverityNames) {
  EXPECT_STREQ(severity_name(Diagnostic::Severity::kWarning), "warning");
  EXPECT_STREQ(severity_name(Diagnostic::Severity::kError), "error");
  EXPECT_STREQ(severity_name(Diagnostic::Severity::kFatal), "fatal");
}

}  // namespace
}  // namespace meridian::config::testing
