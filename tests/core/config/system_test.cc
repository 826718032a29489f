// tinker, tos, discard, mru, enable/disable, threads, file paths,
// statistics, filegen, logconfig.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace meridian::config::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ConfigTinkerTest, RepeatedPairsOnOneLine) {
  Config c = parse(
      "tinker panic 0 stepout 1 dispersion 50000000.0\n"
      "tinker step 0.128 allan 1500 huffpuff 7200 freq -.000097 stepback 0.5 "
      "stepfwd 2\n");
  // dispersion, allan, huffpuff and freq are checked and said to have no effect.
  EXPECT_THAT(messages(c),
              ElementsAre(HasSubstr(":1: 'tinker dispersion' has no effect in Meridian: "),
                          HasSubstr(":2: 'tinker allan' has no effect in Meridian: "),
                          HasSubstr(":2: 'tinker huffpuff' has no effect in Meridian: "),
                          HasSubstr(":2: 'tinker freq' has no effect in Meridian: ")));
  EXPECT_EQ(c.tinker.panic_s, 0.0);
  EXPECT_EQ(c.tinker.stepout_s, 1.0);
  EXPECT_EQ(c.tinker.step_s, 0.128);
  EXPECT_EQ(c.tinker.stepback_s, 0.5);
  EXPECT_EQ(c.tinker.stepfwd_s, 2.0);
}

TEST(ConfigTinkerTest, BadPairsAreSkippedOthersApply) {
  Config c = parse(
      "tinker panic -1 step x wobble 3 stepout 5 tick 0.01 freq 900\ntinker\n"
      "tinker panic\n");
  EXPECT_THAT(messages(c),
              ElementsAre("/etc/ntp.conf:1: tinker: panic -1 must be at least 0; option ignored",
                          "/etc/ntp.conf:1: tinker: step 'x' is not a number; option ignored",
                          "/etc/ntp.conf:1: tinker: unknown option 'wobble'; option ignored",
                          "/etc/ntp.conf:1: 'tinker tick' has no effect in Meridian: the kernel "
                          "tick is never changed",
                          "/etc/ntp.conf:1: tinker: freq 900 is out of range (-500..500); option "
                          "ignored",
                          "/etc/ntp.conf:2: tinker: no options given",
                          "/etc/ntp.conf:3: tinker: option 'panic' needs a value"));
  EXPECT_FALSE(c.tinker.panic_s);
  EXPECT_EQ(c.tinker.stepout_s, 5.0);
  EXPECT_FALSE(c.has_fatal());
}

TEST(ConfigTosTest, EveryOption) {
  Config c = parse(
      "tos orphan 10 minsane 2 minclock 3 maxclock 10 maxdist 1.5\n"
      "tos orphanwait 300 ceiling 15 floor 1 cohort 1 beacon 3600 mindist 0.001\n");
  EXPECT_THAT(messages(c), ElementsAre(HasSubstr(":2: 'tos cohort' has no effect in Meridian: "),
                                       HasSubstr(":2: 'tos beacon' has no effect in Meridian: ")));
  EXPECT_EQ(c.tos.orphan, 10);
  EXPECT_EQ(c.tos.minsane, 2);
  EXPECT_EQ(c.tos.minclock, 3);
  EXPECT_EQ(c.tos.maxclock, 10);
  EXPECT_EQ(c.tos.maxdist_s, 1.5);
  EXPECT_EQ(c.tos.orphanwait_s, 300);
  EXPECT_EQ(c.tos.ceiling, 15);
  EXPECT_EQ(c.tos.floor, 1);
  EXPECT_EQ(c.tos.mindist_s, 0.001);
}

TEST(ConfigTosTest, Errors) {
  Config c = parse("tos orphan 16 minclock 2.5 cohort 2 bcpollbstep 3\n");
  EXPECT_THAT(messages(c),
              ElementsAre("/etc/ntp.conf:1: tos: orphan 16 is out of range (1..15); option ignored",
                          "/etc/ntp.conf:1: tos: minclock '2.5' is not an integer; option ignored",
                          "/etc/ntp.conf:1: tos: cohort 2 is out of range (0..1); option ignored",
                          "/etc/ntp.conf:1: 'tos bcpollbstep' has no effect in Meridian: "
                          "broadcast and manycast modes are not supported"));
  EXPECT_FALSE(c.tos.orphan);
}

TEST(ConfigDiscardTest, AllOptionsAndErrors) {
  Config c = parse("discard average 4 minimum 1 monitor 3000\ndiscard average 99\n");
  EXPECT_THAT(messages(c), ElementsAre(HasSubstr(":1: 'discard monitor' has no effect in "
                                                 "Meridian: "),
                                       "/etc/ntp.conf:2: discard: average 99 is out of range "
                                       "(0..16); option ignored"));
  EXPECT_EQ(c.discard.average_log2, 4);
  EXPECT_EQ(c.discard.minimum_s, 1);
}

TEST(ConfigMruTest, AllOptionsAndErrors) {
  Config c = parse(
      "mru maxdepth 8192 mindepth 300 maxage 120 maxmem 4096 initalloc 100\n"
      "mru maxdepth -1\n");
  EXPECT_THAT(messages(c),
              ElementsAre("/etc/ntp.conf:1: 'mru initalloc' has no effect in Meridian: the MRU "
                          "list is sized by maxdepth/maxmem and allocated once",
                          "/etc/ntp.conf:2: mru: maxdepth -1 is out of range (0..1000000000); "
                          "option ignored"));
  EXPECT_EQ(c.mru.maxdepth, 8192);
  EXPECT_EQ(c.mru.mindepth, 300);
  EXPECT_EQ(c.mru.maxage_s, 120);
  EXPECT_EQ(c.mru.maxmem_kib, 4096);
}

TEST(ConfigEnableTest, EnableDisableEveryFlag) {
  Config c = parse(
      "enable auth bclient calibrate kernel mode7 monitor ntp stats pps\n"
      "disable kernel monitor\nenable\ndisable bogus\n");
  // Only ntp, kernel and stats act; the others say they have no effect.
  EXPECT_THAT(errors(c), ElementsAre("/etc/ntp.conf:4: disable: unknown flag 'bogus'; flag "
                                     "ignored"));
  EXPECT_THAT(warnings(c),
              ElementsAre(HasSubstr(":1: 'enable auth' has no effect in Meridian: "),
                          HasSubstr(":1: 'enable bclient' has no effect in Meridian: "),
                          HasSubstr(":1: 'enable calibrate' has no effect in Meridian: "),
                          HasSubstr(":1: 'enable mode7' has no effect in Meridian: "),
                          HasSubstr(":1: 'enable monitor' has no effect in Meridian: "),
                          HasSubstr(":1: 'enable pps' has no effect in Meridian: "),
                          HasSubstr(":2: 'disable monitor' has no effect in Meridian: "),
                          "/etc/ntp.conf:3: enable: no flags given"));
  EXPECT_EQ(c.system_flags.size(), 9u);
  EXPECT_TRUE(c.system_flags.at("auth"));
  EXPECT_TRUE(c.system_flags.at("ntp"));
  EXPECT_FALSE(c.system_flags.at("kernel"));
  EXPECT_FALSE(c.system_flags.at("monitor"));
}

TEST(ConfigThreadsTest, MeridianExtension) {
  Config c = parse("threads 4\n");
  // The fast path exists (daemon/fast_path.h): no "has no effect" warning.
  EXPECT_THAT(messages(c), ElementsAre());
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.locations.at("threads"), (SourceLocation{kConfPath, 1}));
  Config bad = parse("threads 0\nthreads 257\nthreads\nthreads two\n");
  EXPECT_THAT(errors(bad),
              ElementsAre("/etc/ntp.conf:1: threads: threads 0 is out of range (1..256); line "
                          "ignored",
                          "/etc/ntp.conf:2: threads: threads 257 is out of range (1..256); line "
                          "ignored",
                          "/etc/ntp.conf:3: threads: missing thread count; line ignored",
                          "/etc/ntp.conf:4: threads: threads 'two' is not an integer; line "
                          "ignored"));
  EXPECT_FALSE(bad.threads);
}

TEST(ConfigPathDirectivesTest, AllFour) {
  Config c = parse(
      "driftfile /var/lib/ntp/drift\nlogfile /var/log/ntp.log\n"
      "leapfile \"/usr/share/zoneinfo/leap seconds.list\" # quoted\n"
      "statsdir /var/log/ntpstats/\n");
  EXPECT_THAT(messages(c), IsEmpty());
  EXPECT_EQ(c.driftfile, "/var/lib/ntp/drift");
  EXPECT_EQ(c.logfile, "/var/log/ntp.log");
  EXPECT_EQ(c.leapfile, "/usr/share/zoneinfo/leap seconds.list");
  EXPECT_EQ(c.statsdir, "/var/log/ntpstats/");
  EXPECT_EQ(c.locations.at("leapfile").line, 3);
}

TEST(ConfigPathDirectivesTest, Problems) {
  Config c = parse("driftfile\ndriftfile /a 1e-7\ndriftfile /b\nlogfile \"\"\nleapfile /x y\n");
  EXPECT_THAT(messages(c),
              ElementsAre("/etc/ntp.conf:1: driftfile: missing file name; line ignored",
                          "/etc/ntp.conf:2: driftfile: extra '1e-7' ignored (quote a file name "
                          "that has blanks)",
                          "/etc/ntp.conf:3: driftfile: was /a; now /b",
                          "/etc/ntp.conf:4: logfile: empty file name; line ignored",
                          "/etc/ntp.conf:5: leapfile: extra 'y' ignored (quote a file name that "
                          "has blanks)"));
  EXPECT_EQ(c.driftfile, "/b");
  EXPECT_FALSE(c.logfile);
  EXPECT_EQ(c.leapfile, "/x");
}

TEST(ConfigStatisticsTest, NamesFilegenAndErrors) {
  Config c = parse(
      "statistics loopstats peerstats clockstats rawstats sysstats protostats\n"
      "statistics loopstats bogusstats\n"
      "filegen loopstats file loops type day link enable\n"
      "filegen peerstats type week nolink disable\n"
      "filegen clockstats type fortnight frob\n"
      "filegen nosuchstats\n");
  EXPECT_THAT(messages(c),
              ElementsAre(HasSubstr(":1: 'statistics clockstats' has no effect in Meridian: "),
                          HasSubstr(":1: 'statistics rawstats' has no effect in Meridian: "),
                          HasSubstr(":1: 'statistics protostats' has no effect in Meridian: "),
                          "/etc/ntp.conf:2: statistics: unknown statistics 'bogusstats'; ignored",
                          "/etc/ntp.conf:5: filegen: type 'fortnight' is not none, pid, day, week, "
                          "month, year or age; option ignored",
                          "/etc/ntp.conf:5: filegen: unknown option 'frob'; option ignored",
                          HasSubstr(":5: 'filegen clockstats' has no effect in Meridian: "),
                          "/etc/ntp.conf:6: filegen: unknown statistics 'nosuchstats'; line "
                          "ignored"));
  EXPECT_THAT(c.statistics, ElementsAre("loopstats", "peerstats", "clockstats", "rawstats",
                                        "sysstats", "protostats"));
  ASSERT_EQ(c.filegens.size(), 3u);
  EXPECT_EQ(c.filegens[0].name, "loopstats");
  EXPECT_EQ(c.filegens[0].file, "loops");
  EXPECT_EQ(c.filegens[0].type, "day");
  EXPECT_TRUE(c.filegens[0].link);
  EXPECT_EQ(c.filegens[0].enable, true);
  EXPECT_EQ(c.filegens[1].type, "week");
  EXPECT_FALSE(c.filegens[1].link);
  EXPECT_EQ(c.filegens[1].enable, false);
  EXPECT_FALSE(c.filegens[2].type);
}

TEST(ConfigLogconfigTest, ClassesAndPrefixes) {
  Config c = parse(
      "logconfig =syncall +clockall -syncstatus\nlogconfig sysevents all "
      "+peerinfo =bogus\n");
  EXPECT_THAT(messages(c),
              ElementsAre(HasSubstr(":1: 'logconfig' has no effect in Meridian: "),
                          HasSubstr(":2: 'logconfig' has no effect in Meridian: "),
                          "/etc/ntp.conf:2: logconfig: unknown keyword '=bogus'; ignored"));
  EXPECT_THAT(c.logconfig,
              ElementsAre("=syncall", "+clockall", "-syncstatus", "sysevents", "all", "+peerinfo"));
}

}  // namespace
}  // namespace meridian::config::testing
