// Real-world files as operators wrote them, the guide's ntp.conf, the NTPsec
// sample configs, and the error policy for unknown/obsolete/refused lines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace meridian::config::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The operator's guide's ntp.conf (classic-formats.md), verbatim.
constexpr const char* kGuideConf =
    "driftfile /var/lib/ntp/drift\n"
    "restrict default kod nomodify notrap nopeer noquery\n"
    "restrict -6 default kod nomodify notrap nopeer noquery\n"
    "restrict 127.0.0.1\n"
    "restrict -6 ::1\n"
    "restrict 192.168.1.0 mask 255.255.255.0 nomodify notrap\n"
    "server 0.rhel.pool.ntp.org\n"
    "server 1.rhel.pool.ntp.org\n"
    "server 2.rhel.pool.ntp.org\n"
    "includefile /etc/ntp/crypto/pw\n"
    "keys /etc/ntp/keys\n";

TEST(ConfigMessyTest, GuideConfigParsesWithOnlyTheMissingFilesReported) {
  Config c = parse(kGuideConf);
  EXPECT_FALSE(c.has_fatal());
  EXPECT_THAT(messages(c),
              ElementsAre("/etc/ntp.conf:10: includefile /etc/ntp/crypto/pw: cannot read "
                          "(/etc/ntp/crypto/pw: no such file); skipped",
                          "/etc/ntp.conf:11: keys: cannot read key file (/etc/ntp/keys: no such "
                          "file)"));
  EXPECT_EQ(c.driftfile, "/var/lib/ntp/drift");
  ASSERT_EQ(c.restricts.size(), 5u);
  EXPECT_EQ(c.restricts[1].family, net::Family::kIPv6);
  EXPECT_EQ(c.restricts[4].mask, ip("255.255.255.0"));
  ASSERT_EQ(c.associations.size(), 3u);
  EXPECT_EQ(c.associations[2].host, "2.rhel.pool.ntp.org");
  EXPECT_EQ(c.keys_file, "/etc/ntp/keys");
}

TEST(ConfigMessyTest, GuideConfigWithItsFilesPresentIsClean) {
  MemoryFileSource files;
  files.add("/etc/ntp/crypto/pw", "# crypto pw serverpassword\n");
  files.add("/etc/ntp/keys", "# PLEASE DO NOT USE THE DEFAULT VALUES HERE.\n");
  Config c = parse(kGuideConf, files);
  EXPECT_THAT(messages(c), IsEmpty());
}

// samples/ntp.conf.txt and samples/ntp.conf-synced.txt (NTPsec 1.2.2 captures), verbatim.
constexpr const char* kNtpsecSamples[] = {
    "# NTPsec ntpd as a client of chronyd on 198.18.0.2:123 (private netns)\n"
    "disable ntp\n"
    "disable kernel\n"
    "server 198.18.0.2 iburst\n"
    "# no wildcard sockets: NTPsec binds 0.0.0.0:123 without SO_REUSEADDR, which\n"
    "# would collide with chronyd on 198.18.0.2:123\n"
    "interface ignore wildcard\n"
    "interface ignore all\n"
    "interface listen 127.0.0.1\n"
    "interface listen ::1\n"
    "restrict default kod nomodify nopeer noquery limited\n"
    "restrict 127.0.0.1\n"
    "restrict ::1\n"
    "driftfile WORKDIR/sync/ref-disable-ntp/ntpsec/ntp.drift\n"
    "logfile WORKDIR/sync/ref-disable-ntp/ntpsec/ntpd.log\n"
    "leapfile /usr/share/zoneinfo/leap-seconds.list\n",
    "# NTPsec ntpd as a client of chronyd on 198.18.0.2:123 (private netns)\n"
    "disable kernel\n"
    "server 198.18.0.2 iburst\n"
    "# no wildcard sockets: NTPsec binds 0.0.0.0:123 without SO_REUSEADDR, which\n"
    "# would collide with chronyd on 198.18.0.2:123\n"
    "interface ignore wildcard\n"
    "interface ignore all\n"
    "interface listen 127.0.0.1\n"
    "interface listen ::1\n"
    "restrict default kod nomodify nopeer noquery limited\n"
    "restrict 127.0.0.1\n"
    "restrict ::1\n"
    "driftfile WORKDIR/sync/ref-sandbox/ntpsec/ntp.drift\n"
    "logfile WORKDIR/sync/ref-sandbox/ntpsec/ntpd.log\n"
    "leapfile /usr/share/zoneinfo/leap-seconds.list\n"};

TEST(ConfigMessyTest, NtpsecSampleConfigsParseClean) {
  for (const char* text : kNtpsecSamples) {
    Config c = parse(text);
    EXPECT_THAT(messages(c), IsEmpty());
    EXPECT_EQ(c.associations.size(), 1u);
    EXPECT_EQ(c.interfaces.size(), 4u);
    EXPECT_EQ(c.restricts.size(), 3u);
    EXPECT_FALSE(c.system_flags.at("kernel"));
    EXPECT_EQ(c.leapfile, "/usr/share/zoneinfo/leap-seconds.list");
  }
}

TEST(ConfigMessyTest, EverythingAtOnce) {
  // CRLF, tabs, runs of blanks, leading/trailing blanks, UTF-8 comments,
  // trailing comments, quoted paths, odd numbers, repeated pairs, bracketed
  // IPv6, names, IPv6 masks, CIDR, bare directives, logconfig, NTPsec.
  const std::string text =
      "# Zeitserver für das Büro — gepflegt von Jürgen\r\n"
      "\t driftfile\t/var/lib/ntp/drift   \r\n"
      "restrict\tdefault   kod nomodify notrap nopeer # noquery limited\r\n"
      "restrict [::1]\r\n"
      "restrict localhost\r\n"
      "restrict 0.pool.ntp.org mask 255.255.255.255 nomodify notrap noquery\r\n"
      "restrict 2001:db8:: mask ffff:ffff:: nomodify\r\n"
      "restrict 10.0.0.0/8\r\n"
      "restrict source nomodify\r\n"
      "interface ignore fe80::/10\r\n"
      "leapfile \"/x y\" # c\r\n"
      "tinker panic 0 stepout 1 dispersion 50000000.0\r\n"
      "tinker freq -.000097\r\n"
      "broadcastclient\r\n"
      "crypto\r\n"
      "logconfig =syncall +clockall -syncstatus\r\n"
      "refclock shm unit 0 refid GPS prefer\r\n"
      "server time.cloudflare.com iburst\r\n"
      "pool 2.pool.ntp.org iburst\r\n"
      "server 127.127.1.0\r\n"
      "fudge 127.127.1.0 stratum 10\r\n"
      "   server   192.0.2.1    iburst   ";  // no final newline
  Config c = parse(text);
  EXPECT_THAT(errors(c), IsEmpty());
  EXPECT_THAT(fatals(c), IsEmpty());
  EXPECT_THAT(warnings(c),
              ElementsAre(HasSubstr(":12: 'tinker dispersion' has no effect in Meridian"),
                          HasSubstr(":13: 'tinker freq' has no effect in Meridian"),
                          "/etc/ntp.conf:14: 'broadcastclient' has no effect in Meridian: "
                          "broadcast client mode is not supported; use server or pool lines",
                          "/etc/ntp.conf:15: 'crypto' has no effect in Meridian: Autokey is not "
                          "supported",
                          HasSubstr(":16: 'logconfig' has no effect in Meridian"),
                          HasSubstr(":17: 'refclock shm' has no effect in Meridian")));
  EXPECT_EQ(c.restricts[0].flags, uint32_t{kKod | kNoModify | kNoTrap | kNoPeer});
  EXPECT_EQ(c.restricts.size(), 7u);
  EXPECT_EQ(c.leapfile, "/x y");
  EXPECT_EQ(c.tinker.panic_s, 0.0);
  EXPECT_EQ(c.logconfig.size(), 3u);
  EXPECT_EQ(c.refclocks.size(), 1u);
  EXPECT_EQ(c.local_clocks.size(), 1u);
  EXPECT_EQ(c.local_clocks[0].stratum, 10);
  ASSERT_EQ(c.associations.size(), 3u);
  EXPECT_EQ(c.associations[2].host, "192.0.2.1");
  EXPECT_EQ(c.associations[2].where.line, 22);
}

TEST(ConfigMessyTest, LoneCrLineEndings) {
  Config c = parse("server a.example iburst\rrestrict default nopeer\rbogus\r");
  EXPECT_THAT(messages(c), ElementsAre("/etc/ntp.conf:3: unknown directive 'bogus'; line "
                                       "ignored"));
  EXPECT_EQ(c.associations.size(), 1u);
  EXPECT_EQ(c.restricts.size(), 1u);
}

TEST(ConfigMessyTest, ContinuationLinesReportTheRightLine) {
  Config c = parse("restrict default kod \\\n  nomodify \\\n  nopeeer\n");
  EXPECT_THAT(fatals(c), ElementsAre("/etc/ntp.conf:3: restrict: unknown flag 'nopeeer'"));
}

TEST(ConfigPolicyTest, UnknownDirectiveAndStrayTextAreSkippedErrors) {
  Config c = parse("server a.example iburst\nfrobnicate 1 2\n-- stray --\n\"quoted\"\n");
  EXPECT_THAT(errors(c),
              ElementsAre("/etc/ntp.conf:2: unknown directive 'frobnicate'; line ignored",
                          "/etc/ntp.conf:3: unknown directive '--'; line ignored",
                          "/etc/ntp.conf:4: unknown directive 'quoted'; line ignored"));
  EXPECT_FALSE(c.has_fatal());
  EXPECT_EQ(c.associations.size(), 1u);
}

TEST(ConfigPolicyTest, ObsoleteDirectivesWarnAndAreIgnored) {
  const char* lines[] = {"authenticate yes",
                         "automax 12",
                         "broadcastclient novolley",
                         "broadcastdelay 0.008",
                         "calldelay 5",
                         "crypto pw secret randfile /dev/u",
                         "dscp 46",
                         "ident x",
                         "keysdir /etc/ntp",
                         "manycastclient 224.0.1.1",
                         "manycastserver 224.0.1.1",
                         "mdnstries 5",
                         "multicastclient 224.0.1.1",
                         "nonvolatile 1e-7",
                         "phone ATDT555",
                         "pidfile /run/ntpd.pid",
                         "pps /dev/pps0",
                         "qos lowdelay",
                         "revoke 17",
                         "rlimit memlock 32",
                         "saveconfigdir /var/tmp",
                         "setvar a = b",
                         "trap 192.0.2.1",
                         "ttl 1 2 3"};
  for (const char* line : lines) {
    Config c = parse(std::string(line) + "\n");
    EXPECT_TRUE(errors(c).empty() && fatals(c).empty()) << line;
    ASSERT_EQ(warnings(c).size(), 1u) << line;
    EXPECT_THAT(warnings(c)[0], HasSubstr("has no effect in Meridian: ")) << line;
  }
}

TEST(ConfigPolicyTest, RefusedDirectivesAreErrorsNotFatal) {
  Config c = parse("broadcast 192.0.2.255\nleapsmearinterval 86400\n");
  EXPECT_THAT(errors(c),
              ElementsAre("/etc/ntp.conf:1: 'broadcast' refused: sending broadcast or multicast "
                          "time is not supported; line ignored",
                          "/etc/ntp.conf:2: 'leapsmearinterval' refused: leap smearing is not "
                          "supported; line ignored"));
  EXPECT_FALSE(c.has_fatal());
}

TEST(ConfigPolicyTest, SimulateBlockIsSkippedAsAWhole) {
  Config c = parse(
      "simulate {\n  simulation_duration = 86400;\n  server = {\n    server_offset = 0;\n  }\n"
      "}\nserver a.example iburst\n");
  EXPECT_THAT(messages(c), ElementsAre("/etc/ntp.conf:1: 'simulate' refused: the classic "
                                       "simulator configuration is not supported; line ignored"));
  EXPECT_EQ(c.associations.size(), 1u);
}

TEST(ConfigPolicyTest, FatalOnlyForAccessControlLines) {
  Config ok = parse("server a\ntinker panic x\nfoo\nstatistics bad\ndriftfile\n");
  EXPECT_FALSE(ok.has_fatal());
  for (const char* line : {"restrict default bogus", "unrestrict", "keys", "trustedkey x",
                           "interface listen", "nic"}) {
    Config c = parse(std::string(line) + "\n");
    EXPECT_TRUE(c.has_fatal()) << line;
  }
}

TEST(ConfigPolicyTest, UnterminatedQuoteOnANonAccessLineIsAnError) {
  Config c = parse("leapfile \"/usr/share/zoneinfo\n");
  EXPECT_THAT(errors(c), ElementsAre("/etc/ntp.conf:1: leapfile: unterminated quoted string; line "
                                     "ignored"));
  EXPECT_FALSE(c.leapfile);
}

TEST(ConfigDiagnosticTest, ToStringAndHasFatal) {
  Diagnostic d{Diagnostic::Severity::kError, {"/etc/ntp.conf", 12}, "bad"};
  EXPECT_EQ(d.to_string(), "/etc/ntp.conf:12: bad");
  d.where.line = 0;
  EXPECT_EQ(d.to_string(), "/etc/ntp.conf: bad");
  d.where.file.clear();
  EXPECT_EQ(d.to_string(), "bad");
  Config c;
  EXPECT_FALSE(c.has_fatal());
  c.diagnostics.push_back(Diagnostic{Diagnostic::Severity::kError, {}, "e"});
  EXPECT_FALSE(c.has_fatal());
  c.diagnostics.push_back(Diagnostic{Diagnostic::Severity::kFatal, {}, "f"});
  EXPECT_TRUE(c.has_fatal());
}

}  // namespace
}  // namespace meridian::config::testing
