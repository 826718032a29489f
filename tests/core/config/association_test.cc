// server / pool / peer lines, 127.127.t.u reference clocks, fudge, NTPsec refclock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace meridian::config::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ConfigServerTest, AllClassicOptions) {
  Config c = parse(
      "server 192.0.2.1 iburst burst prefer minpoll 4 maxpoll 10 key 5 version 3 noselect true\n");
  EXPECT_THAT(messages(c), IsEmpty());
  ASSERT_EQ(c.associations.size(), 1u);
  const AssociationConfig& a = c.associations[0];
  EXPECT_EQ(a.kind, AssociationKind::kServer);
  EXPECT_EQ(a.host, "192.0.2.1");
  EXPECT_TRUE(a.iburst && a.burst && a.prefer && a.noselect && a.true_ticker);
  EXPECT_FALSE(a.nts);
  EXPECT_EQ(a.minpoll, 4);
  EXPECT_EQ(a.maxpoll, 10);
  EXPECT_EQ(a.key, 5u);
  EXPECT_EQ(a.version, 3);
  EXPECT_FALSE(a.port);
  EXPECT_EQ(a.where, (SourceLocation{kConfPath, 1}));
}

TEST(ConfigServerTest, PoolPeerAndKinds) {
  Config c = parse("pool 0.pool.ntp.org iburst\npeer 192.0.2.7\nSERVER Time.Example.COM\n");
  EXPECT_THAT(messages(c), ElementsAre(HasSubstr(":2: peer 192.0.2.7: symmetric mode is not "
                                                 "supported")));
  ASSERT_EQ(c.associations.size(), 3u);
  EXPECT_EQ(c.associations[0].kind, AssociationKind::kPool);
  EXPECT_EQ(c.associations[1].kind, AssociationKind::kPeer);
  EXPECT_EQ(c.associations[2].kind, AssociationKind::kServer);
  EXPECT_EQ(c.associations[2].host, "Time.Example.COM");
  EXPECT_EQ(c.associations[2].where.line, 3);
}

TEST(ConfigServerTest, AddressForms) {
  Config c = parse(
      "server 2001:db8::1\nserver [2001:db8::2] iburst\nserver -4 ntp.example.org\n"
      "server -6 ntp6.example.org\n");
  EXPECT_THAT(messages(c), IsEmpty());
  ASSERT_EQ(c.associations.size(), 4u);
  EXPECT_EQ(c.associations[0].host, "2001:db8::1");
  EXPECT_EQ(c.associations[1].host, "2001:db8::2");
  EXPECT_TRUE(c.associations[1].iburst);
  EXPECT_EQ(c.associations[2].family, net::Family::kIPv4);
  EXPECT_EQ(c.associations[3].family, net::Family::kIPv6);
}

TEST(ConfigServerTest, MeridianPortAndNtpsecNts) {
  Config c = parse("server 127.0.0.1 port 10123 iburst\nserver time.cloudflare.com nts iburst\n");
  EXPECT_THAT(warnings(c), IsEmpty());
  EXPECT_THAT(fatals(c), IsEmpty());
  ASSERT_EQ(c.associations.size(), 2u);
  EXPECT_EQ(c.associations[0].port, 10123);
  EXPECT_TRUE(c.associations[1].nts);
}

TEST(ConfigServerTest, BadOptionValuesAreErrorsAndTheServerIsKept) {
  Config c = parse(
      "server a.example minpoll 99 maxpoll 2 key 0 version 5 port 70000 iburst\n"
      "server b.example key x frobnicate\n"
      "server c.example minpoll\n");
  EXPECT_THAT(errors(c),
              ElementsAre("/etc/ntp.conf:1: server: minpoll 99 is out of range (3..17); option "
                          "ignored",
                          "/etc/ntp.conf:1: server: maxpoll 2 is out of range (3..17); option "
                          "ignored",
                          "/etc/ntp.conf:1: server: key 0 is out of range (1..65535); option "
                          "ignored",
                          "/etc/ntp.conf:1: server: version 5 is out of range (1..4); option "
                          "ignored",
                          "/etc/ntp.conf:1: server: port 70000 is out of range (1..65535); option "
                          "ignored",
                          "/etc/ntp.conf:2: server: key 'x' is not an integer; option ignored",
                          "/etc/ntp.conf:2: server: unknown option 'frobnicate'; option ignored",
                          "/etc/ntp.conf:3: server: option 'minpoll' needs a value"));
  EXPECT_FALSE(c.has_fatal());
  ASSERT_EQ(c.associations.size(), 3u);
  EXPECT_TRUE(c.associations[0].iburst);
  EXPECT_FALSE(c.associations[0].minpoll);
  EXPECT_FALSE(c.associations[0].key);
}

TEST(ConfigServerTest, MinpollAboveMaxpollWarns) {
  Config c = parse("server a.example minpoll 10 maxpoll 6\n");
  EXPECT_THAT(warnings(c), ElementsAre("/etc/ntp.conf:1: server a.example: minpoll 10 is greater "
                                       "than maxpoll 6"));
}

TEST(ConfigServerTest, UnusableAddressSkipsTheLine) {
  Config c = parse("server\nserver 300.1.2.3\npool 127.127.1.0\nserver -4 ::1\nserver a!b\n");
  EXPECT_THAT(errors(c),
              ElementsAre("/etc/ntp.conf:1: server: missing address or host name; line ignored",
                          "/etc/ntp.conf:2: server: '300.1.2.3' is not a valid IPv4 address; line "
                          "ignored",
                          "/etc/ntp.conf:3: pool: reference clock address 127.127.1.0 is only "
                          "valid with 'server'; line ignored",
                          "/etc/ntp.conf:4: server: ::1 is not an IPv4 address; line ignored",
                          "/etc/ntp.conf:5: server: 'a!b' is neither an IP address nor a host "
                          "name; line ignored"));
  EXPECT_TRUE(c.associations.empty());
  EXPECT_FALSE(c.has_fatal());
}

TEST(ConfigServerTest, RecognisedButIgnoredOptionsWarn) {
  Config c = parse("server a.example autokey xleave ttl 5 mode 3 preempt iburst\n");
  EXPECT_THAT(warnings(c),
              ElementsAre("/etc/ntp.conf:1: 'server autokey' has no effect in Meridian: Autokey "
                          "is not supported",
                          "/etc/ntp.conf:1: 'server xleave' has no effect in Meridian: "
                          "interleaved mode is not supported",
                          "/etc/ntp.conf:1: 'server ttl' has no effect in Meridian: only used by "
                          "broadcast and manycast modes",
                          "/etc/ntp.conf:1: 'server mode' has no effect in Meridian: only used by "
                          "reference clocks",
                          "/etc/ntp.conf:1: 'server preempt' has no effect in Meridian: pool "
                          "associations are always preemptible"));
  ASSERT_EQ(c.associations.size(), 1u);
  EXPECT_TRUE(c.associations[0].iburst);
}

TEST(ConfigLocalClockTest, ServerThenFudge) {
  Config c = parse("server 127.127.1.0 prefer\nfudge 127.127.1.0 stratum 10 refid LCL\n");
  EXPECT_THAT(messages(c), IsEmpty());
  EXPECT_TRUE(c.associations.empty());
  ASSERT_EQ(c.local_clocks.size(), 1u);
  EXPECT_EQ(c.local_clocks[0].unit, 0);
  EXPECT_EQ(c.local_clocks[0].stratum, 10);
  EXPECT_EQ(c.local_clocks[0].refid, "LCL");
  EXPECT_TRUE(c.local_clocks[0].prefer);
  EXPECT_EQ(c.local_clocks[0].where.line, 1);
}

TEST(ConfigLocalClockTest, FudgeBeforeServerAndDefaults) {
  Config c = parse("fudge 127.127.1.1 stratum 12\nserver 127.127.1.1\nserver 127.127.1.0\n");
  EXPECT_THAT(messages(c), IsEmpty());
  ASSERT_EQ(c.local_clocks.size(), 2u);
  EXPECT_EQ(c.local_clocks[0].unit, 1);
  EXPECT_EQ(c.local_clocks[0].stratum, 12);
  EXPECT_EQ(c.local_clocks[1].stratum, 5);  // the LOCAL driver's default
  EXPECT_FALSE(c.local_clocks[1].refid);
}

TEST(ConfigLocalClockTest, FudgeProblems) {
  Config c = parse(
      "server 127.127.1.0\n"
      "fudge 127.127.1.0 stratum 16 refid TOOLONG time1 0.5 bogus 1\n"
      "fudge 127.127.1.3 stratum 3\n"
      "fudge 192.0.2.1 stratum 3\n"
      "fudge\n"
      "server 127.127.1.0\n");
  EXPECT_THAT(messages(c),
              ElementsAre("/etc/ntp.conf:2: fudge: stratum 16 is out of range (0..15); option "
                          "ignored",
                          "/etc/ntp.conf:2: fudge: refid 'TOOLONG' must be 1 to 4 printable "
                          "characters; option ignored",
                          "/etc/ntp.conf:2: fudge: unknown option 'bogus'; option ignored",
                          "/etc/ntp.conf:4: fudge: '192.0.2.1' is not a reference clock address "
                          "(127.127.t.u); line ignored",
                          "/etc/ntp.conf:5: fudge: missing reference clock address; line ignored",
                          "/etc/ntp.conf:6: server 127.127.1.0: local clock unit 0 already "
                          "configured at /etc/ntp.conf:1; line ignored",
                          "/etc/ntp.conf:2: fudge 127.127.1.0: 'time1' has no effect on the local "
                          "clock; ignored",
                          "/etc/ntp.conf:3: fudge 127.127.1.3: no 'server 127.127.1.3' line; "
                          "ignored"));
  ASSERT_EQ(c.local_clocks.size(), 1u);
  EXPECT_EQ(c.local_clocks[0].stratum, 5);
}

TEST(ConfigRefclockTest, ClassicPseudoAddressAndFudge) {
  Config c = parse(
      "server 127.127.20.0 mode 17 prefer minpoll 4\n"
      "fudge 127.127.20.0 time1 -.000097 flag1 1 refid GPS stratum 0\n");
  EXPECT_THAT(messages(c), ElementsAre("/etc/ntp.conf:1: 'server 127.127.20.0' has no effect in "
                                       "Meridian: reference clock drivers other than LOCAL "
                                       "(127.127.1.u) are not supported; it will not be used"));
  ASSERT_EQ(c.refclocks.size(), 1u);
  const RefclockConfig& r = c.refclocks[0];
  EXPECT_EQ(r.driver, "127.127.20.0");
  EXPECT_EQ(r.unit, 0);
  EXPECT_EQ(r.options.at("mode"), "17");
  EXPECT_EQ(r.options.count("prefer"), 1u);
  EXPECT_EQ(r.options.at("time1"), "-.000097");
  EXPECT_EQ(r.options.at("flag1"), "1");
  EXPECT_EQ(r.options.at("refid"), "GPS");
  EXPECT_EQ(r.options.at("stratum"), "0");
}

TEST(ConfigRefclockTest, NtpsecRefclockLine) {
  Config c = parse(
      "refclock nmea unit 0 path /dev/gps0 ppspath /dev/pps0 baud 9600 time1 0.1 refid GPS "
      "flag1 prefer\n"
      "refclock shm unit 2 refid PPS noselect\n"
      "refclock local stratum 10\n");
  EXPECT_THAT(messages(c), ElementsAre(HasSubstr(":1: 'refclock nmea' has no effect in Meridian"),
                                       HasSubstr(":2: 'refclock shm' has no effect in Meridian")));
  ASSERT_EQ(c.refclocks.size(), 2u);
  EXPECT_EQ(c.refclocks[0].driver, "nmea");
  EXPECT_EQ(c.refclocks[0].unit, 0);
  EXPECT_EQ(c.refclocks[0].options.at("path"), "/dev/gps0");
  EXPECT_EQ(c.refclocks[0].options.at("ppspath"), "/dev/pps0");
  EXPECT_EQ(c.refclocks[0].options.at("baud"), "9600");
  EXPECT_EQ(c.refclocks[0].options.at("flag1"), "1");
  EXPECT_EQ(c.refclocks[0].options.count("prefer"), 1u);
  EXPECT_EQ(c.refclocks[1].unit, 2);
  EXPECT_EQ(c.refclocks[1].options.count("noselect"), 1u);
  ASSERT_EQ(c.local_clocks.size(), 1u);
  EXPECT_EQ(c.local_clocks[0].stratum, 10);
}

TEST(ConfigRefclockTest, NtpsecRefclockErrors) {
  Config c = parse("refclock\nrefclock shm unit 999\nrefclock shm wibble path\n");
  EXPECT_THAT(errors(c),
              ElementsAre("/etc/ntp.conf:1: refclock: missing driver name; line ignored",
                          "/etc/ntp.conf:2: refclock: unit 999 is out of range (0..255); line "
                          "ignored",
                          "/etc/ntp.conf:3: refclock: unknown option 'wibble'; option ignored",
                          "/etc/ntp.conf:3: refclock: option 'path' needs a value"));
  ASSERT_EQ(c.refclocks.size(), 1u);
}

TEST(ConfigRefclockTest, ClassicRefclockOptionErrors) {
  Config c = parse("server 127.127.20.1 mode x wobble minpoll\n");
  EXPECT_THAT(errors(c),
              ElementsAre("/etc/ntp.conf:1: server: mode 'x' is not an integer; option ignored",
                          "/etc/ntp.conf:1: server: unknown option 'wobble' for a reference "
                          "clock; option ignored",
                          "/etc/ntp.conf:1: server: option 'minpoll' needs a value"));
  ASSERT_EQ(c.refclocks.size(), 1u);
  EXPECT_EQ(c.refclocks[0].unit, 1);
}

}  // namespace
}  // namespace meridian::config::testing
