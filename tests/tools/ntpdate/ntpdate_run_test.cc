// ntpdate end to end in-process: real sockets on loopback, test responders,
// and a virtual clock that records the correction ntpdate applied.
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>

#include "core/config/file_source.h"
#include "core/random.h"
#include "platform/clock.h"
#include "tests/support/ntp_responder.h"
#include "tests/tools/ntpdate/capture_output.h"
#include "tools/ntpdate/ntpdate.h"

namespace meridian::ntpdate {
namespace {

using testing::NtpResponder;
using testing::ResponderBehaviour;

struct Run {
  int status = -1;
  CaptureOutput out;
  std::unique_ptr<platform::VirtualClock> clock;
  double stepped_s() const { return clock->total_stepped().to_seconds(); }
  double slewing_s() const { return clock->pending_slew().to_seconds(); }
};

Options base_options(std::initializer_list<const NtpResponder*> servers, uint16_t port) {
  Options o;
  o.port = port;
  o.samples = 2;
  o.timeout_s = 0.3;
  o.interval_s = 0.05;
  o.clock = "virtual";
  for (const auto* r : servers) o.servers.push_back(r->endpoint().address.to_string());
  return o;
}

// The number after "offset " in an ntpdate line (NaN if absent).
double offset_in(const std::string& line) {
  std::smatch m;
  if (!std::regex_search(line, m, std::regex(R"(offset (-?\d+\.\d{6}))"))) return NAN;
  return std::stod(m[1]);
}

// "adjust time server ADDR offset X sec" with X within 5 ms of `offset`.
void expect_verdict(const std::string& line, const std::string& prefix, double offset) {
  EXPECT_EQ(line.rfind(prefix + " offset ", 0), 0u) << line;
  EXPECT_NEAR(offset_in(line), offset, 0.005) << line;
  EXPECT_TRUE(line.size() > 4 && line.substr(line.size() - 4) == " sec") << line;
}

std::unique_ptr<Run> run_with(const Options& o, double virtual_offset_s = 0) {
  auto r = std::make_unique<Run>();
  r->clock = std::make_unique<platform::VirtualClock>(
      platform::VirtualClockOptions{.initial_offset_s = virtual_offset_s});
  SeededRandom random(42);
  config::MemoryFileSource files;
  files.add("/keys", "1 MD5 secret1\n");
  r->status = run(o, *r->clock, random, r->out, files);
  return r;
}

TEST(NtpdateRun, SmallOffsetIsSlewedAndReportedClassically) {
  NtpResponder server({.offset_s = 0.3, .stratum = 3});
  auto r = run_with(base_options({&server}, server.port()));
  ASSERT_EQ(r->status, 0) << (r->out.errors.empty() ? "" : r->out.errors[0]);
  ASSERT_EQ(r->out.infos.size(), 1u);
  expect_verdict(r->out.infos[0], "adjust time server 127.0.0.1", 0.3);
  EXPECT_NEAR(r->slewing_s(), 0.3, 0.01);  // slew registered with the clock
  EXPECT_EQ(r->stepped_s(), 0);
  EXPECT_EQ(server.requests_seen(), 2);
}

TEST(NtpdateRun, LargeOffsetIsStepped) {
  NtpResponder server({.offset_s = -2.0});
  auto r = run_with(base_options({&server}, server.port()));
  ASSERT_EQ(r->status, 0);
  ASSERT_EQ(r->out.infos.size(), 1u);
  expect_verdict(r->out.infos[0], "step time server 127.0.0.1", -2.0);
  EXPECT_NEAR(r->stepped_s(), -2.0, 0.01);
}

TEST(NtpdateRun, VirtualClockStartedWrongIsCorrected) {
  NtpResponder server({.offset_s = 0});
  auto r = run_with(base_options({&server}, server.port()), /*virtual_offset_s=*/5.0);
  ASSERT_EQ(r->status, 0);
  EXPECT_NEAR(r->stepped_s(), -5.0, 0.01);
  EXPECT_NEAR((r->clock->now() - platform::read_realtime()).to_seconds(), 0, 0.01);
}

TEST(NtpdateRun, DashBStepsEvenSmallOffsets) {
  NtpResponder server({.offset_s = 0.1});
  Options o = base_options({&server}, server.port());
  o.always_step = true;
  auto r = run_with(o);
  ASSERT_EQ(r->status, 0);
  EXPECT_EQ(r->out.infos[0].rfind("step time server", 0), 0u);
  EXPECT_NEAR(r->stepped_s(), 0.1, 0.01);
}

TEST(NtpdateRun, DashCapitalBSlewsEvenLargeOffsets) {
  NtpResponder server({.offset_s = 3.0});
  Options o = base_options({&server}, server.port());
  o.always_slew = true;
  auto r = run_with(o);
  ASSERT_EQ(r->status, 0);
  EXPECT_EQ(r->out.infos[0].rfind("adjust time server", 0), 0u);
  EXPECT_NEAR(r->slewing_s(), 3.0, 0.01);
  EXPECT_EQ(r->stepped_s(), 0);
}

TEST(NtpdateRun, QueryOnlyPrintsServerLinesAndChangesNothing) {
  NtpResponder a({.offset_s = 0.25, .stratum = 2});
  Options o = base_options({&a}, a.port());
  o.query_only = true;
  auto r = run_with(o);
  ASSERT_EQ(r->status, 0);
  ASSERT_EQ(r->out.plains.size(), 1u);
  EXPECT_TRUE(std::regex_match(
      r->out.plains[0],
      std::regex(R"(server 127\.0\.0\.1, stratum 2, offset 0\.2\d{5}, delay 0\.\d{5})")))
      << r->out.plains[0];
  ASSERT_EQ(r->out.infos.size(), 1u);
  expect_verdict(r->out.infos[0], "adjust time server 127.0.0.1", 0.25);
  EXPECT_EQ(r->stepped_s(), 0);
  EXPECT_EQ(r->slewing_s(), 0);
}

TEST(NtpdateRun, DebugTracesPacketsAndChangesNothing) {
  NtpResponder server({.offset_s = 1.5});
  Options o = base_options({&server}, server.port());
  o.debug = true;
  auto r = run_with(o);
  ASSERT_EQ(r->status, 0);
  int transmits = 0, receives = 0;
  for (const auto& l : r->out.plains) {
    transmits += l.rfind("transmit(127.0.0.1)", 0) == 0;
    receives += l.rfind("receive(127.0.0.1)", 0) == 0;
  }
  EXPECT_EQ(transmits, 2);
  EXPECT_EQ(receives, 2);
  EXPECT_EQ(r->stepped_s(), 0);
}

TEST(NtpdateRun, SamplesOptionControlsRequestCount) {
  NtpResponder server({});
  Options o = base_options({&server}, server.port());
  o.samples = 5;
  auto r = run_with(o);
  ASSERT_EQ(r->status, 0);
  EXPECT_EQ(server.requests_seen(), 5);
}

TEST(NtpdateRun, UnsynchronisedServerIsNotSuitable) {
  NtpResponder server({.leap = wire::LeapIndicator::kUnsynchronised});
  auto r = run_with(base_options({&server}, server.port()));
  EXPECT_EQ(r->status, 1);
  EXPECT_TRUE(r->out.has_error_containing("no server suitable for synchronization found"));
  EXPECT_EQ(r->stepped_s(), 0);
  EXPECT_EQ(r->slewing_s(), 0);
}

TEST(NtpdateRun, StratumSixteenAndMissingReferenceAreNotSuitable) {
  NtpResponder s16({.stratum = 16});
  auto r = run_with(base_options({&s16}, s16.port()));
  EXPECT_EQ(r->status, 1);
  NtpResponder noref({.unset_reference = true});
  auto r2 = run_with(base_options({&noref}, noref.port()));
  EXPECT_EQ(r2->status, 1);
}

TEST(NtpdateRun, GarbageAndWrongOriginAreIgnored) {
  NtpResponder garbage({.garbage = true});
  auto r = run_with(base_options({&garbage}, garbage.port()));
  EXPECT_EQ(r->status, 1);
  NtpResponder spoof({.wrong_origin = true});
  auto r2 = run_with(base_options({&spoof}, spoof.port()));
  EXPECT_EQ(r2->status, 1);
}

TEST(NtpdateRun, SilentServerTimesOutWithinBound) {
  NtpResponder silent({.silent = true});
  Options o = base_options({&silent}, silent.port());
  o.timeout_s = 0.2;
  const int64_t t0 = platform::read_monotonic_ns();
  auto r = run_with(o);
  const double took_s = static_cast<double>(platform::read_monotonic_ns() - t0) * 1e-9;
  EXPECT_EQ(r->status, 1);
  EXPECT_EQ(silent.requests_seen(), 2);  // it retried up to -p samples
  EXPECT_LT(took_s, 2.0);
  EXPECT_GE(took_s, 0.35);
}

TEST(NtpdateRun, KissRateStopsFurtherRequests) {
  NtpResponder server({.kiss = wire::kKissRate});
  Options o = base_options({&server}, server.port());
  o.samples = 4;
  auto r = run_with(o);
  EXPECT_EQ(r->status, 1);
  EXPECT_EQ(server.requests_seen(), 1);
  EXPECT_TRUE(r->out.has_error_containing("RATE"));
}

TEST(NtpdateRun, KissDenyDropsThatServerButOthersStillWork) {
  NtpResponder deny({.kiss = wire::kKissDeny});
  // Same address, different ports: give the good one via a second run option set.
  auto r = run_with(base_options({&deny}, deny.port()));
  EXPECT_EQ(r->status, 1);
  EXPECT_TRUE(r->out.has_error_containing("DENY"));
  EXPECT_EQ(deny.requests_seen(), 1);
}

// Several servers on one port need distinct addresses: every 127.0.0.x is
// local on Linux loopback.
net::IpAddress lo(uint8_t last) { return net::IpAddress::v4({127, 0, 0, last}); }

TEST(NtpdateRun, PrefersLowerStratumAmongServers) {
  NtpResponder s3({.offset_s = 0.2, .stratum = 3}, lo(2));
  NtpResponder s1({.offset_s = 0.1, .stratum = 1}, lo(3), s3.port());
  Options o = base_options({&s3, &s1}, s3.port());
  auto r = run_with(o);
  ASSERT_EQ(r->status, 0);
  ASSERT_EQ(r->out.infos.size(), 1u);
  expect_verdict(r->out.infos[0], "adjust time server 127.0.0.3", 0.1);
}

TEST(NtpdateRun, FalsetickerAmongThreeIsNeverChosen) {
  // The falseticker has the lowest stratum, so only the majority test can stop it.
  NtpResponder liar(
      {.offset_s = 0.5, .stratum = 1, .root_delay_s = 0.0001, .root_dispersion_s = 0.0001}, lo(2));
  NtpResponder good1({.offset_s = 0.0, .stratum = 2}, lo(3), liar.port());
  NtpResponder good2({.offset_s = 0.001, .stratum = 2}, lo(4), liar.port());
  Options o = base_options({&liar, &good1, &good2}, liar.port());
  o.query_only = true;
  auto r = run_with(o);
  ASSERT_EQ(r->status, 0);
  EXPECT_EQ(r->out.plains.size(), 3u);
  ASSERT_EQ(r->out.infos.size(), 1u);
  EXPECT_EQ(r->out.infos[0].find("127.0.0.2"), std::string::npos) << r->out.infos[0];
}

TEST(NtpdateRun, KissDenyServerIsDroppedAndTheOtherUsed) {
  NtpResponder deny({.offset_s = 0.3, .stratum = 1, .kiss = wire::kKissDeny}, lo(2));
  NtpResponder good({.offset_s = 0.2, .stratum = 4}, lo(3), deny.port());
  auto r = run_with(base_options({&deny, &good}, deny.port()));
  ASSERT_EQ(r->status, 0);
  EXPECT_EQ(r->out.infos[0].rfind("adjust time server 127.0.0.3", 0), 0u) << r->out.infos[0];
  EXPECT_EQ(deny.requests_seen(), 1);
}

TEST(NtpdateRun, Ipv6ServerWorks) {
  std::unique_ptr<NtpResponder> v6;
  try {
    v6 = std::make_unique<NtpResponder>(ResponderBehaviour{.offset_s = 0.1},
                                        *net::IpAddress::parse("::1"));
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no IPv6 loopback: " << e.what();
  }
  Options o = base_options({v6.get()}, v6->port());
  auto r = run_with(o);
  ASSERT_EQ(r->status, 0);
  expect_verdict(r->out.infos[0], "adjust time server ::1", 0.1);
}

TEST(NtpdateRun, UnresolvableNameIsReportedAndOthersUsed) {
  NtpResponder server({.offset_s = 0.2});
  Options o = base_options({&server}, server.port());
  o.servers.insert(o.servers.begin(), "no-such-host.invalid");
  auto r = run_with(o);
  EXPECT_EQ(r->status, 0);
  EXPECT_TRUE(r->out.has_error_containing("can't find host no-such-host.invalid"));
}

TEST(NtpdateRun, AuthenticationNeedsAReadableKeyFileWithTheKey) {
  NtpResponder server({});
  Options o = base_options({&server}, server.port());
  o.key_id = 1;  // default key file /etc/ntp.keys is not in the memory file source
  auto r = run_with(o);
  EXPECT_EQ(r->status, 1);
  EXPECT_TRUE(r->out.has_error_containing("cannot read key file: /etc/ntp.keys"));
  o.key_file = "/keys";
  o.key_id = 2;
  auto r2 = run_with(o);
  EXPECT_EQ(r2->status, 1);
  EXPECT_TRUE(r2->out.has_error_containing("key 2 not found in /keys"));
  EXPECT_EQ(server.requests_seen(), 0);
}

TEST(NtpdateRun, AuthenticatedQueryIgnoresUnsignedReplies) {
  NtpResponder server({});  // the test responder never signs its replies
  Options o = base_options({&server}, server.port());
  o.key_id = 1;
  o.key_file = "/keys";
  auto r = run_with(o);
  EXPECT_EQ(r->status, 1);
  EXPECT_TRUE(r->out.has_error_containing("no server suitable"));
  EXPECT_EQ(server.requests_seen(), 2);
}

TEST(NtpdateRun, ReadonlyClockFailureIsReportedAfterTheOffset) {
  NtpResponder server({.offset_s = 0.2});
  Options o = base_options({&server}, server.port());
  auto clock = platform::make_readonly_clock();
  SeededRandom random(1);
  CaptureOutput out;
  config::MemoryFileSource files;
  EXPECT_EQ(run(o, *clock, random, out, files), 1);
  ASSERT_EQ(out.plains.size(), 1u);
  EXPECT_EQ(out.plains[0].rfind("server 127.0.0.1, stratum 2, offset ", 0), 0u);
  EXPECT_NEAR(offset_in(out.plains[0]), 0.2, 0.005);
  EXPECT_TRUE(out.has_error_containing("cannot slew the clock by 0."));
  EXPECT_TRUE(out.has_error_containing("readonly clock: refusing to slew"));
  EXPECT_TRUE(out.infos.empty());
}

}  // namespace
}  // namespace meridian::ntpdate
