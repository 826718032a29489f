// ntpq/ntpstat output formats, pinned to the classic layouts and samples
// (shared/reference/classic-formats.md, samples/ntpq-*.txt, ntpstat*.txt).
#include "tools/ntpq/format.h"

#include <gtest/gtest.h>

#include "tools/ntpq/session.h"
#include "tools/ntpstat/ntpstat.h"

namespace meridian::ntpq {
namespace {

TEST(NtpqFormat, PeersHeaderIsTheClassicOne) {
  EXPECT_EQ(peers_header(),
            "     remote           refid      st t when poll reach   delay   offset  jitter\n" +
                std::string(78, '=') + "\n");
}

TEST(NtpqFormat, PeerRowMatchesTheOperatorGuide) {
  PeerRow r;
  r.tally = '*';
  r.remote = "180.153.100.115";
  r.refid = "223.255.185.2";
  r.stratum = 2;
  r.type = 'u';
  r.when = "33";
  r.poll = "64";
  r.reach = 0377;
  r.delay_ms = 30.442;
  r.offset_ms = 1.705;
  r.jitter_ms = 4.958;
  EXPECT_EQ(format_peer_row(r),
            "*180.153.100.115 223.255.185.2    2 u   33   64  377   30.442    1.705   4.958\n");
  r.remote = "ntpserver.example.com";  // cut to 15
  r.refid = "180.153.100.115";
  r.stratum = 3;
  r.when = "12";
  r.reach = 037;
  r.delay_ms = 0.286;
  r.offset_ms = 2.020;
  r.jitter_ms = 0.265;
  EXPECT_EQ(format_peer_row(r),
            "*ntpserver.examp 180.153.100.115  3 u   12   64   37    0.286    2.020   0.265\n");
}

TEST(NtpqFormat, PeerRowFromVariables) {
  const Variables vars = {{"srcadr", "198.18.0.2"},
                          {"stratum", "16"},
                          {"refid", "INIT"},
                          {"hmode", "3"},
                          {"hpoll", "6"},
                          {"reach", "0x00"},
                          {"rec", "0x00000000.00000000"},
                          {"delay", "0.000"}};
  const PeerRow r = make_peer_row(5, 0x8011, vars, 3900000000.0, {});
  EXPECT_EQ(format_peer_row(r),
            " 198.18.0.2      .INIT.          16 u    -   64    0    0.000    0.000   0.000\n");
}

TEST(NtpqFormat, PrettyIntervalAbbreviations) {
  EXPECT_EQ(pretty_interval(-1), "-");
  EXPECT_EQ(pretty_interval(2048), "2048");
  EXPECT_EQ(pretty_interval(4096), "68m");
  EXPECT_EQ(pretty_interval(3 * 3600), "180m");
  EXPECT_EQ(pretty_interval(6 * 3600), "6h");
  EXPECT_EQ(pretty_interval(5 * 86400), "5d");
}

TEST(NtpqFormat, AssociationsMatchTheSample) {
  EXPECT_EQ(associations_table({{17767, 0xb61a}}),
            "\nind assid status  conf reach auth condition  last_event cnt\n"
            "===========================================================\n"
            "  1 17767  b61a   yes   yes  none  sys.peer    sys_peer  1\n");
}

TEST(NtpqFormat, ReadvarMatchesTheNtpsecSample) {
  // samples/ntpq-rv-synced.txt, from the wire text NTPsec's ntpd sent.
  const auto vars = parse_variables(
      "leap=0, stratum=11, precision=-24, rootdelay=0.033, rootdisp=187.927,\r\n"
      "refid=198.18.0.2, reftime=0xeeb07bee.8023fcc0, tc=6, peer=17767,\r\n"
      "offset=0.014308, frequency=0.000000, sys_jitter=0.000000,\r\n"
      "clk_jitter=0.004970, clock=0xeeb07c09.61d6cd54, processor=\"x86_64\",\r\n"
      "system=\"Linux/6.18.44-fc-v657\", version=\"ntpd ntpsec-1.2.2\", clk_wander=0.000000,\r\n"
      "tai=37, leapsec=2017-01-01T00:00Z, expire=2026-06-28T00:00Z, mintc=0\r\n");
  EXPECT_EQ(readvar_text(0, 0x0014, vars),
            "associd=0 status=0014 leap_none, sync_unspec, 1 event, freq_mode,\n"
            "leap=00, stratum=11, precision=-24, rootdelay=0.033, rootdisp=187.927,\n"
            "refid=198.18.0.2, reftime=eeb07bee.8023fcc0 2026-11-24T21:11:10.500Z, tc=6,\n"
            "peer=17767, offset=0.014308, frequency=0.0, sys_jitter=0.0,\n"
            "clk_jitter=0.00497, clock=eeb07c09.61d6cd54 2026-11-24T21:11:37.382Z,\n"
            "processor=\"x86_64\", system=\"Linux/6.18.44-fc-v657\",\n"
            "version=\"ntpd ntpsec-1.2.2\", clk_wander=0.0, tai=37,\n"
            "leapsec=\"2017-01-01T00:00Z\", expire=\"2026-06-28T00:00Z\", mintc=0\n");
}

TEST(NtpqFormat, StatusWords) {
  EXPECT_EQ(system_status_text(0xc016), "leap_alarm, sync_unspec, 1 event, restart");
  EXPECT_EQ(peer_status_text(0xb61a), "conf, auth, reach, sel_sys.peer, 1 event, sys_peer");
}

TEST(NtpqSession, ParsesVariablesWithQuotedCommas) {
  const auto v = parse_variables("a=1, b=\"x, y\",\r\nc=0x10\r\n");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[1].second, "\"x, y\"");
  EXPECT_EQ(v[2].first, "c");
}

TEST(Ntpstat, ClassicThreeLinesAndExitCodes) {
  const Variables vars = {{"stratum", "4"},
                          {"refid", "192.168.1.101"},
                          {"rootdelay", "30.0"},
                          {"rootdisp", "540.0"},
                          {"tc", "6"}};
  auto r = ntpstat::make_report(0x0615, vars, false);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.text,
            "synchronised to NTP server (192.168.1.101) at stratum 4 \n"
            "   time correct to within 555 ms\n"
            "   polling server every 64 s\n");
  r = ntpstat::make_report(0x0515, {{"stratum", "6"}, {"tc", "6"}}, false);
  EXPECT_EQ(r.text.substr(0, 39), "synchronised to local net at stratum 6 ");
  r = ntpstat::make_report(0xc011, {{"tc", "3"}}, false);
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.text, "unsynchronised\n  time server re-starting\n   polling server every 8 s\n");
  r = ntpstat::make_report(0xc011, {{"tc", "3"}}, true);
  EXPECT_NE(r.text.find("\"synchronised\":false"), std::string::npos);
}

}  // namespace
}  // namespace meridian::ntpq
