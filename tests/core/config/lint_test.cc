// Lint rules: each has a case that warns (and would fail if the rule were
// removed) and a near miss that must not warn.
#include "core/config/lint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace meridian::config::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A base with nothing to lint: sources with iburst, defaults for both
// families, ntpq allowed from localhost.
constexpr const char* kClean =
    "restrict default kod limited nomodify notrap nopeer noquery\n"
    "restrict 127.0.0.1\n"
    "restrict ::1\n"
    "server a.example iburst\n";

std::vector<std::string> lint(std::string_view text, MemoryFileSource& files) {
  Config c = parse(text, files);
  EXPECT_FALSE(c.has_fatal()) << ::testing::PrintToString(messages(c));
  return messages(lint_config(c));
}

std::vector<std::string> lint(std::string_view text) {
  MemoryFileSource files;
  return lint(text, files);
}

TEST(LintTest, CleanConfigHasNoFindings) {
  EXPECT_THAT(lint(kClean), IsEmpty());
  EXPECT_THAT(lint(std::string(kClean) + "pool 2.pool.ntp.org iburst\nrestrict source nomodify\n"),
              IsEmpty());
}

TEST(LintTest, FindingsAreWarnings) {
  Config c = parse("server a.example\n");
  for (const Diagnostic& d : lint_config(c)) EXPECT_EQ(d.severity, Diagnostic::Severity::kWarning);
  EXPECT_FALSE(lint_config(c).empty());
}

TEST(LintTest, PoolWithDefaultNopeerAndNoRestrictSource) {
  EXPECT_THAT(lint(std::string(kClean) + "pool 2.pool.ntp.org iburst\n"),
              ElementsAre("/etc/ntp.conf:1: restrict default has nopeer and there is no "
                          "'restrict source' line: classic ntpd would refuse the servers from "
                          "'pool 2.pool.ntp.org' (/etc/ntp.conf:5) (Meridian does not); add "
                          "'restrict source' with the default's flags minus nopeer"));
  // The same with `ignore`, and only for the IPv6 default.
  EXPECT_THAT(lint("restrict -4 default kod\nrestrict -6 default ignore\nrestrict 127.0.0.1\n"
                   "pool p.example iburst\n"),
              Contains(HasSubstr("/etc/ntp.conf:2: restrict default has ignore")));
  // Flags ORed in from a second default line count too (classic merges them).
  EXPECT_THAT(lint("restrict default kod\nrestrict default nopeer\nrestrict 127.0.0.1\n"
                   "restrict ::1\npool p.example iburst\n"),
              Contains(HasSubstr("/etc/ntp.conf:2: restrict default has nopeer")));
  // An unrestrict that clears nopeer fixes it.
  EXPECT_THAT(lint("restrict default kod nopeer\nunrestrict default nopeer\nrestrict 127.0.0.1\n"
                   "restrict ::1\npool p.example iburst\n"),
              IsEmpty());
}

TEST(LintTest, ServerRepliesDroppedByDefaultIgnore) {
  const std::string base = "restrict default ignore\nrestrict 127.0.0.1\nrestrict ::1\n";
  EXPECT_THAT(lint(base + "server 192.0.2.1 iburst\nserver b.example iburst\n"),
              ElementsAre("/etc/ntp.conf:4: server 192.0.2.1: its replies match 'restrict ... "
                          "ignore' (/etc/ntp.conf:1), which classic ntpd applies to them "
                          "(Meridian does not); add 'restrict source' or a rule for it",
                          "/etc/ntp.conf:5: server b.example: its replies match 'restrict ... "
                          "ignore' (/etc/ntp.conf:1), which classic ntpd applies to them "
                          "(Meridian does not); add 'restrict source' or a rule for it"));
  EXPECT_THAT(lint(base + "restrict 192.0.2.0/24 nomodify\nserver 192.0.2.1 iburst\n"), IsEmpty());
  EXPECT_THAT(lint(base + "restrict source\nserver b.example iburst\n"), IsEmpty());
}

TEST(LintTest, NoqueryOnEveryManagementAddress) {
  EXPECT_THAT(lint("restrict default noquery\nserver a.example iburst\n"),
              ElementsAre("/etc/ntp.conf:1: noquery applies to every address ntpq can use on this "
                          "host (127.0.0.1, ::1): 'ntpq -p' will be refused; add e.g. 'restrict "
                          "127.0.0.1' and 'restrict ::1'"));
  // One loopback without noquery is enough.
  EXPECT_THAT(lint("restrict default noquery\nrestrict ::1\nserver a.example iburst\n"), IsEmpty());
  EXPECT_THAT(lint("restrict default noquery\nrestrict localhost\nserver a.example iburst\n"),
              IsEmpty());
  // ntpport rules do not match ntpq's ephemeral source port.
  EXPECT_THAT(lint("restrict default noquery\nrestrict 127.0.0.1 ntpport\nrestrict ::1 ntpport\n"
                   "server a.example iburst\n"),
              ElementsAre(HasSubstr("noquery applies to every address")));
  // Listening only on one address: that is the management address.
  EXPECT_THAT(lint("interface ignore all\ninterface listen 10.0.0.1\nrestrict default noquery\n"
                   "restrict 127.0.0.1\nrestrict ::1\nserver a.example iburst\n"),
              ElementsAre(HasSubstr("/etc/ntp.conf:3: noquery applies to every address ntpq can "
                                    "use on this host (10.0.0.1)")));
  EXPECT_THAT(lint("interface ignore all\ninterface listen 10.0.0.1\nrestrict default noquery\n"
                   "restrict 10.0.0.1\nserver a.example iburst\n"),
              IsEmpty());
}

TEST(LintTest, MissingDefaultRestrict) {
  EXPECT_THAT(lint("server a.example iburst\n"),
              ElementsAre("/etc/ntp.conf: no 'restrict default' line: any host may query this "
                          "server (mode 6); consider 'restrict default kod limited nomodify "
                          "noquery nopeer'"));
  EXPECT_THAT(lint("restrict -4 default kod\nserver a.example iburst\n"),
              ElementsAre(HasSubstr("no 'restrict -6 default' line")));
  EXPECT_THAT(lint("restrict -6 default kod\nserver a.example iburst\n"),
              ElementsAre(HasSubstr("no 'restrict -4 default' line")));
}

TEST(LintTest, NonContiguousMask) {
  EXPECT_THAT(lint(std::string(kClean) + "restrict 10.0.0.0 mask 255.0.255.0\n"),
              ElementsAre("/etc/ntp.conf:5: restrict: mask 255.0.255.0 is not contiguous (ones "
                          "then zeros); it matches scattered addresses, which is rarely what is "
                          "meant"));
  EXPECT_THAT(lint(std::string(kClean) + "restrict h.example mask 255.255.0.255\n"),
              ElementsAre(HasSubstr("mask 255.255.0.255 is not contiguous")));
  EXPECT_THAT(lint(std::string(kClean) + "restrict 10.0.0.0 mask 255.255.0.0\n"), IsEmpty());
}

TEST(LintTest, ServerWithoutIburst) {
  EXPECT_THAT(lint("restrict default nomodify\nserver b.example\npool p.example\npeer c.example\n"
                   "restrict source\n"),
              ElementsAre("/etc/ntp.conf:2: server b.example: no 'iburst'; the first "
                          "synchronisation takes minutes instead of seconds",
                          "/etc/ntp.conf:3: pool p.example: no 'iburst'; the first "
                          "synchronisation takes minutes instead of seconds"));
}

TEST(LintTest, DuplicateServers) {
  EXPECT_THAT(lint(std::string(kClean) + "server A.Example. iburst\n"),
              ElementsAre("/etc/ntp.conf:5: A.Example. is already configured at /etc/ntp.conf:4"));
  EXPECT_THAT(lint(std::string(kClean) + "server ::1 iburst\nserver [0::1] iburst\n"),
              ElementsAre(HasSubstr("/etc/ntp.conf:6: 0::1 is already configured at "
                                    "/etc/ntp.conf:5")));
  EXPECT_THAT(lint(std::string(kClean) + "server a.example port 10123 iburst\n"), IsEmpty());
}

TEST(LintTest, KeysReferencedButNotTrusted) {
  MemoryFileSource files;
  files.add("/etc/ntp/keys", "5 MD5 five\n6 MD5 six\n7 MD5 seven\n");
  EXPECT_THAT(lint(std::string(kClean) + "keys /etc/ntp/keys\nserver b.example key 5 iburst\n"
                                         "requestkey 6\ncontrolkey 7\ntrustedkey 6\n",
                   files),
              ElementsAre("/etc/ntp.conf:6: b.example: key 5 is not listed in 'trustedkey'; its "
                          "replies will not be accepted",
                          "/etc/ntp.conf:8: controlkey 7 is not listed in 'trustedkey'; requests "
                          "signed with it will be refused"));
  EXPECT_THAT(lint(std::string(kClean) + "keys /etc/ntp/keys\nserver b.example key 5 iburst\n"
                                         "trustedkey 5\n",
                   files),
              IsEmpty());
}

TEST(LintTest, KeysReferencedButNotDefined) {
  MemoryFileSource files;
  files.add("/etc/ntp/keys", "1 MD5 one\n");
  EXPECT_THAT(lint(std::string(kClean) + "keys /etc/ntp/keys\ntrustedkey 1 2 (3 ... 12)\n"
                                         "server b.example key 2 iburst\n",
                   files),
              ElementsAre("/etc/ntp.conf:7: b.example: key 2 is not in the key file /etc/ntp/keys",
                          "/etc/ntp.conf:6: trustedkey: keys 2, 3, 4, 5, 6, 7, 8, 9 and 3 more "
                          "are not in the key file /etc/ntp/keys"));
  EXPECT_THAT(lint(std::string(kClean) + "trustedkey 1\ncontrolkey 1\n"),
              ElementsAre("/etc/ntp.conf:6: controlkey 1 is used but no 'keys' file is configured",
                          "/etc/ntp.conf:5: trustedkey: key 1 is used but no 'keys' file is "
                          "configured"));
}

TEST(LintTest, LocalClockBelowStratumTenNextToServers) {
  EXPECT_THAT(lint(std::string(kClean) + "server 127.127.1.0\n"),
              ElementsAre("/etc/ntp.conf:5: local clock at stratum 5 may be preferred to the "
                          "network servers; use 'fudge 127.127.1.0 stratum 10' or 'tos orphan "
                          "10'"));
  EXPECT_THAT(lint(std::string(kClean) + "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n"),
              IsEmpty());
}

TEST(LintTest, NoTimeSources) {
  EXPECT_THAT(lint("restrict default nomodify\nrestrict 127.0.0.1\nbroadcastclient\n"),
              ElementsAre("/etc/ntp.conf: no server, pool, peer or local clock: this daemon has "
                          "no time source"));
  EXPECT_THAT(lint("restrict default nomodify\nserver 127.127.1.0\n"),
              Not(Contains(HasSubstr("no time"))));
}

}  // namespace
}  // namespace meridian::config::testing
