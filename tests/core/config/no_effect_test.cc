// No silent no-ops, no silent downgrade (issue #12): every directive or
// option Meridian accepts without acting on it says so with one warning,
// "FILE:LINE: 'X' has no effect in Meridian: REASON" (so `ntpd --check` and
// the start-up log show it). docs/ntp.conf.md has the table.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"
#include "core/config/check.h"

namespace meridian::config::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

struct NoEffectCase {
  const char* line;  // one ntp.conf line
  const char* what;  // the 'X' the warning names
};

// Every "warns" row of the table in docs/ntp.conf.md that the issue named as
// silent before, plus the ones that already warned in another format.
constexpr NoEffectCase kNoEffect[] = {
    {"tinker dispersion 15", "tinker dispersion"},
    {"tinker allan 1500", "tinker allan"},
    {"tinker huffpuff 7200", "tinker huffpuff"},
    {"tinker freq -12.5", "tinker freq"},
    {"tinker tick 0.01", "tinker tick"},
    {"tos cohort 1", "tos cohort"},
    {"tos beacon 3600", "tos beacon"},
    {"tos bcpollbstep 3", "tos bcpollbstep"},
    {"tos maxdisp 16", "tos maxdisp"},
    {"discard monitor 3000", "discard monitor"},
    {"mru initalloc 100", "mru initalloc"},
    {"mru minage 64", "mru minage"},
    {"logconfig =syncall +clockall", "logconfig"},
    {"controlkey 1", "controlkey"},
    {"requestkey 1", "requestkey"},
    {"enable auth", "enable auth"},
    {"disable auth", "disable auth"},
    {"enable monitor", "enable monitor"},
    {"disable monitor", "disable monitor"},
    {"enable mode7", "enable mode7"},
    {"enable bclient", "enable bclient"},
    {"enable calibrate", "enable calibrate"},
    {"enable pps", "enable pps"},
    {"statistics clockstats", "statistics clockstats"},
    {"filegen rawstats file raw type day enable", "filegen rawstats"},
    {"restrict 192.0.2.1 lowpriotrap", "restrict lowpriotrap"},
    {"restrict 192.0.2.1 ippeerlimit 2", "restrict ippeerlimit"},
    {"restrict 192.0.2.1 mssntp", "restrict mssntp"},
    {"restrict 192.0.2.1 serverresponse fuzz", "restrict serverresponse fuzz"},
    {"server 192.0.2.1 autokey", "server autokey"},
    {"server 192.0.2.1 xleave", "server xleave"},
    {"server 192.0.2.1 ttl 4", "server ttl"},
    {"pool pool.example preempt", "pool preempt"},
    {"server 127.127.20.0", "server 127.127.20.0"},
    {"refclock gpsd unit 1", "refclock gpsd"},
    {"crypto", "crypto"},
    {"trap 192.0.2.9", "trap"},
    {"setvar foo = bar", "setvar"},
    {"rlimit memlock 32", "rlimit"},
};

TEST(ConfigNoEffectTest, EveryAcceptedNoOpSaysSoInOneFormat) {
  for (const NoEffectCase& c : kNoEffect) {
    const Config config = parse(std::string(c.line) + "\n");
    EXPECT_THAT(warnings(config),
                ElementsAre(StartsWith(fmt::format("/etc/ntp.conf:1: '{}' has no effect in "
                                                   "Meridian: ",
                                                   c.what))))
        << c.line;
    EXPECT_THAT(errors(config), IsEmpty()) << c.line;
    EXPECT_FALSE(config.has_fatal()) << c.line;
  }
}

// The settings Meridian honours stay silent: a warning here would train
// operators to ignore the real ones.
TEST(ConfigNoEffectTest, HonouredSettingsDoNotWarn) {
  const Config c = parse(
      "tinker panic 0 step 0.5 stepout 600 stepback 0 stepfwd 2\n"
      "tos minsane 2 minclock 3 maxclock 8 maxdist 1 orphan 10 orphanwait 60 floor 1 ceiling 15 "
      "mindist 0.005\n"
      "enable ntp kernel stats\ndisable kernel\n"
      "statistics loopstats peerstats sysstats\n"
      "filegen loopstats file loops type day enable\n"
      "discard average 3 minimum 2\nmru maxdepth 1000 mindepth 100 maxage 60 maxmem 512\n"
      "restrict default kod limited nomodify notrap nopeer noquery\nrestrict source nomodify\n"
      "server 192.0.2.1 iburst burst prefer true minpoll 4 maxpoll 8 version 3\n"
      "server 192.0.2.2 noselect port 1123\npool pool.example iburst\n"
      "server 127.127.1.0\nfudge 127.127.1.0 stratum 10 refid LCL\n"
      "driftfile /var/lib/ntp/drift\nstatsdir /var/log/ntpstats/\n");
  EXPECT_THAT(messages(c), IsEmpty());
}

TEST(ConfigNoEffectTest, NoEffectValuesAreNotStoredButHonouredOnesAre) {
  const Config c = parse("tinker dispersion 15 stepback 0.25 stepfwd 0\ntos cohort 1 floor 2\n");
  EXPECT_EQ(c.tinker.stepback_s, 0.25);
  EXPECT_EQ(c.tinker.stepfwd_s, 0.0);
  EXPECT_EQ(c.tos.floor, 2);
}

// Classic loop_config: `step` sets both directions; the last one written wins.
TEST(ConfigNoEffectTest, TinkerStepResetsEarlierStepbackAndStepfwd) {
  const Config c = parse("tinker stepback 2 stepfwd 3 step 0.5\ntinker stepfwd 1\n");
  EXPECT_EQ(c.tinker.step_s, 0.5);
  EXPECT_FALSE(c.tinker.stepback_s);
  EXPECT_EQ(c.tinker.stepfwd_s, 1.0);
}

TEST(ConfigNoEffectTest, PeerSaysItIsPolledAsAServer) {
  const Config c = parse("peer 192.0.2.7 iburst\n");
  EXPECT_THAT(warnings(c), ElementsAre("/etc/ntp.conf:1: peer 192.0.2.7: symmetric mode is not "
                                       "supported; 192.0.2.7 is polled as a server (client mode "
                                       "3), as if the line said 'server'"));
}

// NTS lines parse without a diagnostic now that NTS exists (issue #14);
// `nts` with `key N` cannot be honoured and is fatal (nts_test.cc).
TEST(ConfigNtsTest, ServerAndPoolNtsParseCleanly) {
  for (const char* line : {"server time.cloudflare.com nts iburst", "pool nts.example nts",
                           "server -6 2001:db8::1 iburst nts"}) {
    const Config c = parse(std::string("driftfile /x\n") + line + "\n");
    EXPECT_FALSE(c.has_fatal()) << line;
    EXPECT_THAT(messages(c), IsEmpty()) << line;
    ASSERT_EQ(c.associations.size(), 1u);
    EXPECT_TRUE(c.associations[0].nts);
  }
}

}  // namespace
}  // namespace meridian::config::testing
