// One client/server exchange: request construction, reply sanity tests
// (RFC 5905 §8) and the offset/delay/dispersion arithmetic.
// Sign convention: offset θ = server − local (positive ⇒ our clock is behind).
#include "core/source/exchange.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "core/random.h"

namespace meridian::source {
namespace {

using time::NtpDuration;
using time::NtpShort;
using time::NtpTimestamp;
using wire::LeapIndicator;
using wire::Mode;
using wire::NtpHeader;

constexpr int8_t kLocalPrecision = -20;  // ≈ 0.95 µs

NtpDuration secs(double s) { return NtpDuration::from_seconds(s); }

// One exchange's four timestamps plus the reply that carries T2 and T3.
struct Exchange {
  NtpTimestamp t1, t2, t3, t4;
  PendingRequest request;
  NtpHeader reply;
};

// Server `ahead_s` ahead of us, one-way path `path_s` each way, server hold
// time `hold_s`. All local times are relative to `t1`.
Exchange make_exchange(NtpTimestamp t1, double ahead_s, double path_s, double hold_s) {
  Exchange x;
  x.t1 = t1;
  x.t2 = t1 + secs(path_s + ahead_s);
  x.t3 = x.t2 + secs(hold_s);
  x.t4 = t1 + secs(2 * path_s + hold_s);
  x.request.transmit = t1;
  x.reply.leap = LeapIndicator::kNoWarning;
  x.reply.version = 4;
  x.reply.mode = Mode::kServer;
  x.reply.stratum = 2;
  x.reply.poll = 6;
  x.reply.precision = -20;
  x.reply.root_delay = NtpShort::from_seconds(0.004);
  x.reply.root_dispersion = NtpShort::from_seconds(0.002);
  x.reply.reference_id = 0xC0000201;
  x.reply.reference = x.t2 + secs(-30);
  x.reply.origin = t1;
  x.reply.receive = x.t2;
  x.reply.transmit = x.t3;
  return x;
}

// 2025-01-01T00:00:00Z as an NTP timestamp (era 0).
const NtpTimestamp kT1 = NtpTimestamp::from_parts(3'944'678'400u, 0x10000000);

Exchange typical() { return make_exchange(kT1, 1.0, 0.010, 0.001); }

Evaluation evaluate(const Exchange& x, int8_t local_precision = kLocalPrecision) {
  return evaluate_reply(x.reply, x.request, x.t4, local_precision);
}

TEST(ExchangeTest, ServerOneSecondAheadSymmetricPath) {
  const Exchange x = typical();
  // Hand-computed: T2−T1 = 1.010, T3−T4 = 1.011 − 0.021 = 0.990.
  EXPECT_NEAR((x.t2 - x.t1).to_seconds(), 1.010, 1e-9);
  EXPECT_NEAR((x.t3 - x.t4).to_seconds(), 0.990, 1e-9);
  const Evaluation e = evaluate(x);
  ASSERT_EQ(e.verdict, Verdict::kAccepted) << describe(e.verdict);
  EXPECT_NEAR(e.sample.offset_s, 1.0, 1e-9);
  EXPECT_NEAR(e.sample.delay_s, 0.020, 1e-9);
  EXPECT_TRUE(e.kiss_code.empty());
}

TEST(ExchangeTest, ServerBehindGivesNegativeOffset) {
  const Exchange x = make_exchange(kT1, -2.5, 0.050, 0.0002);
  const Evaluation e = evaluate(x);
  ASSERT_EQ(e.verdict, Verdict::kAccepted) << describe(e.verdict);
  EXPECT_NEAR(e.sample.offset_s, -2.5, 1e-9);
  EXPECT_NEAR(e.sample.delay_s, 0.100, 1e-9);
}

TEST(ExchangeTest, AsymmetricPathBiasesOffsetByHalfTheAsymmetry) {
  // Outbound 30 ms, return 10 ms, clocks agree: θ = (0.030 − 0.010)/2 = +0.010.
  Exchange x = make_exchange(kT1, 0.0, 0.0, 0.0);
  x.t2 = kT1 + secs(0.030);
  x.t3 = x.t2 + secs(0.001);
  x.t4 = kT1 + secs(0.041);
  x.reply.receive = x.t2;
  x.reply.transmit = x.t3;
  const Evaluation e = evaluate(x);
  ASSERT_EQ(e.verdict, Verdict::kAccepted);
  EXPECT_NEAR(e.sample.offset_s, 0.010, 1e-9);
  EXPECT_NEAR(e.sample.delay_s, 0.040, 1e-9);
}

TEST(ExchangeTest, OffsetIsExactForExactBinaryTimes) {
  Exchange x = typical();
  x.t2 = kT1 + secs(3.0);
  x.t3 = kT1 + secs(3.25);
  x.t4 = kT1 + secs(0.5);
  x.reply.receive = x.t2;
  x.reply.transmit = x.t3;
  const Evaluation e = evaluate(x);
  ASSERT_EQ(e.verdict, Verdict::kAccepted);
  EXPECT_EQ(e.sample.offset_s, (3.0 + 2.75) / 2);
  EXPECT_EQ(e.sample.delay_s, 0.25);
}

TEST(ExchangeTest, DispersionFormula) {
  Exchange x = typical();
  x.reply.precision = -10;
  const Evaluation e = evaluate(x, -18);
  ASSERT_EQ(e.verdict, Verdict::kAccepted);
  const double round_trip = (x.t4 - x.t1).to_seconds();
  EXPECT_DOUBLE_EQ(e.sample.dispersion_s,
                   std::ldexp(1.0, -10) + std::ldexp(1.0, -18) + kPhi * round_trip);
  EXPECT_NEAR(e.sample.dispersion_s, 0.0009765625 + 0.000003814697265625 + 15e-6 * 0.021, 1e-12);
}

TEST(ExchangeTest, SampleCarriesServerFields) {
  Exchange x = typical();
  x.reply.leap = LeapIndicator::kInsertSecond;
  x.reply.stratum = 3;
  x.reply.precision = -23;
  x.reply.poll = 10;
  x.reply.reference_id = 0x7F7F0001;
  const Evaluation e = evaluate(x);
  ASSERT_EQ(e.verdict, Verdict::kAccepted);
  EXPECT_EQ(e.sample.leap, LeapIndicator::kInsertSecond);
  EXPECT_EQ(e.sample.stratum, 3);
  EXPECT_EQ(e.sample.precision, -23);
  EXPECT_EQ(e.sample.poll, 10);
  EXPECT_EQ(e.sample.reference_id, 0x7F7F0001u);
  EXPECT_EQ(e.sample.server_transmit, x.t3);
  EXPECT_EQ(e.sample.root_delay_s, x.reply.root_delay.to_seconds());
  EXPECT_EQ(e.sample.root_dispersion_s, x.reply.root_dispersion.to_seconds());
  EXPECT_NEAR(e.sample.root_delay_s, 0.004, 1e-5);
  const Sample& s = e.sample;
  EXPECT_DOUBLE_EQ(s.root_distance_s(),
                   (s.root_delay_s + s.delay_s) / 2 + s.root_dispersion_s + s.dispersion_s);
}

TEST(ExchangeTest, DelayClampedToLocalPrecision) {
  // Round trip equal to the hold time: computed delay 0, clamped to 2^−10 s.
  Exchange x = make_exchange(kT1, 0.5, 0.0, 0.003);
  Evaluation e = evaluate(x, -10);
  ASSERT_EQ(e.verdict, Verdict::kAccepted);
  EXPECT_EQ(e.sample.delay_s, std::ldexp(1.0, -10));
  // 100 µs true delay is also below 2^−10 ≈ 977 µs.
  x = make_exchange(kT1, 0.5, 0.00005, 0.003);
  e = evaluate(x, -10);
  ASSERT_EQ(e.verdict, Verdict::kAccepted);
  EXPECT_EQ(e.sample.delay_s, std::ldexp(1.0, -10));
  // With a finer local precision the true value shows.
  e = evaluate(x, -20);
  EXPECT_NEAR(e.sample.delay_s, 0.0001, 1e-9);
}

TEST(ExchangeTest, NotServerMode) {
  for (Mode m : {Mode::kReserved, Mode::kSymmetricActive, Mode::kSymmetricPassive, Mode::kClient,
                 Mode::kBroadcast, Mode::kControl, Mode::kPrivate}) {
    Exchange x = typical();
    x.reply.mode = m;
    EXPECT_EQ(evaluate(x).verdict, Verdict::kNotServerMode) << static_cast<int>(m);
  }
}

TEST(ExchangeTest, Versions) {
  for (uint8_t v = 0; v < 8; ++v) {
    Exchange x = typical();
    x.reply.version = v;
    const Verdict want = (v >= 1 && v <= 4) ? Verdict::kAccepted : Verdict::kBadVersion;
    EXPECT_EQ(evaluate(x).verdict, want) << int{v};
  }
}

TEST(ExchangeTest, DuplicateT3) {
  Exchange x = typical();
  x.request.previous_server_transmit = x.t3;
  EXPECT_EQ(evaluate(x).verdict, Verdict::kDuplicate);
  x.request.previous_server_transmit = x.t3 + secs(-64);
  EXPECT_EQ(evaluate(x).verdict, Verdict::kAccepted);
}

TEST(ExchangeTest, OriginMismatchIsBogus) {
  Exchange x = typical();
  x.reply.origin = x.t1 + NtpDuration::from_raw(1);
  EXPECT_EQ(evaluate(x).verdict, Verdict::kBogusOrigin);
  x.reply.origin = NtpTimestamp();
  EXPECT_EQ(evaluate(x).verdict, Verdict::kBogusOrigin);
}

TEST(ExchangeTest, ZeroOriginInPendingRequestIsBogus) {
  Exchange x = typical();
  x.request.transmit = NtpTimestamp();
  x.reply.origin = NtpTimestamp();  // a reply "matching" an unset T1 must not pass
  EXPECT_EQ(evaluate(x).verdict, Verdict::kBogusOrigin);
}

Exchange kiss(uint32_t code) {
  Exchange x = typical();
  x.reply.stratum = 0;
  x.reply.reference_id = code;
  x.reply.leap = LeapIndicator::kUnsynchronised;
  return x;
}

TEST(ExchangeTest, KissOfDeathCodes) {
  Evaluation e = evaluate(kiss(wire::kKissRate));
  EXPECT_EQ(e.verdict, Verdict::kKissRate);
  EXPECT_EQ(e.kiss_code, "RATE");
  e = evaluate(kiss(wire::kKissDeny));
  EXPECT_EQ(e.verdict, Verdict::kKissDeny);
  EXPECT_EQ(e.kiss_code, "DENY");
  e = evaluate(kiss(wire::kKissRestrict));
  EXPECT_EQ(e.verdict, Verdict::kKissRestrict);
  EXPECT_EQ(e.kiss_code, "RSTR");
  e = evaluate(kiss(wire::kKissInit));
  EXPECT_EQ(e.verdict, Verdict::kKissOther);
  EXPECT_EQ(e.kiss_code, "INIT");
  e = evaluate(kiss(0x58010000));  // "X", a control byte, then NULs
  EXPECT_EQ(e.verdict, Verdict::kKissOther);
  EXPECT_EQ(e.kiss_code, "X?");
}

TEST(ExchangeTest, KissWithWrongOriginIsBogusNotAKiss) {
  for (uint32_t code : {wire::kKissRate, wire::kKissDeny, wire::kKissRestrict}) {
    Exchange x = kiss(code);
    x.reply.origin = x.t1 + secs(1);
    const Evaluation e = evaluate(x);
    EXPECT_EQ(e.verdict, Verdict::kBogusOrigin);
    EXPECT_TRUE(e.kiss_code.empty());
    EXPECT_EQ(action_for(e.verdict), ServerAction::kIgnoreReply);
  }
}

TEST(ExchangeTest, Unsynchronised) {
  Exchange x = typical();
  x.reply.leap = LeapIndicator::kUnsynchronised;
  EXPECT_EQ(evaluate(x).verdict, Verdict::kUnsynchronised);
  for (uint8_t stratum : {16, 17, 255}) {
    x = typical();
    x.reply.stratum = stratum;
    EXPECT_EQ(evaluate(x).verdict, Verdict::kUnsynchronised) << int{stratum};
  }
  x = typical();
  x.reply.stratum = 15;
  EXPECT_EQ(evaluate(x).verdict, Verdict::kAccepted);
  // A zero reference time with LI 0 and a valid stratum (NTPsec's orphan
  // mode) is a synchronised server, as for chronyd and classic ntpd.
  x = typical();
  x.reply.reference = NtpTimestamp();
  EXPECT_EQ(evaluate(x).verdict, Verdict::kAccepted);
}

TEST(ExchangeTest, ReferenceAfterTransmitIsRejected) {
  Exchange x = typical();
  x.reply.reference = x.t3 + NtpDuration::from_raw(1);
  EXPECT_EQ(evaluate(x).verdict, Verdict::kUnsynchronised);
  x.reply.reference = x.t3;  // equal is fine
  EXPECT_EQ(evaluate(x).verdict, Verdict::kAccepted);
}

TEST(ExchangeTest, BadTimestamps) {
  Exchange x = typical();
  x.reply.receive = NtpTimestamp();
  EXPECT_EQ(evaluate(x).verdict, Verdict::kBadTimestamps);
  x = typical();
  x.reply.transmit = NtpTimestamp();
  EXPECT_EQ(evaluate(x).verdict, Verdict::kBadTimestamps);
  x = typical();  // T3 < T2 by more than the server's precision (2^-20 s)
  x.reply.transmit = x.t2 + secs(-2e-6);
  x.reply.reference = x.t2 + secs(-60);
  EXPECT_EQ(evaluate(x).verdict, Verdict::kBadTimestamps);
  x = typical();  // T4 < T1
  x.t4 = x.t1 + NtpDuration::from_raw(-1);
  EXPECT_EQ(evaluate(x).verdict, Verdict::kBadTimestamps);
}

// chronyd fuzzes T2 and T3 below its precision; answering at once, its T3
// then reads before T2 in about half the replies. Within the precision that
// is rounding: the reply is a sample, its hold time counted as zero.
TEST(ExchangeTest, HoldTimeBelowZeroWithinServerPrecisionIsRounding) {
  Exchange x = make_exchange(NtpTimestamp::from_raw(uint64_t{3'900'000'000} << 32), 0.25, 0.001, 0);
  x.reply.precision = -23;  // 119 ns
  x.reply.transmit = x.t2 + secs(-100e-9);
  const Evaluation e = evaluate(x);
  ASSERT_EQ(e.verdict, Verdict::kAccepted);
  EXPECT_NEAR(e.sample.delay_s, 0.002, 1e-8);  // the round trip, no negative hold added
  EXPECT_NEAR(e.sample.offset_s, 0.25, 1e-6);
  x.reply.transmit = x.t2 + secs(-200e-9);  // beyond 2^-23 s
  EXPECT_EQ(evaluate(x).verdict, Verdict::kBadTimestamps);
  // A server claiming a coarse precision gets no more than 1 ms of slack.
  x.reply.precision = 2;
  x.reply.transmit = x.t2 + secs(-0.5e-3);
  EXPECT_EQ(evaluate(x).verdict, Verdict::kAccepted);
  x.reply.transmit = x.t2 + secs(-2e-3);
  EXPECT_EQ(evaluate(x).verdict, Verdict::kBadTimestamps);
}

// RFC 9109: the transmit field is a random nonce; T1 is kept locally and
// the offset and delay come from it, not from the echoed origin.
TEST(ExchangeTest, RandomTransmitFieldWithLocalT1) {
  Exchange x = typical();
  const NtpTimestamp nonce = NtpTimestamp::from_raw(0x0123456789abcdefULL);
  const Evaluation expected = evaluate(x);
  x.request.local_transmit = x.t1;
  x.request.transmit = nonce;
  x.reply.origin = nonce;
  const Evaluation e = evaluate(x);
  ASSERT_EQ(e.verdict, Verdict::kAccepted);
  EXPECT_DOUBLE_EQ(e.sample.offset_s, expected.sample.offset_s);
  EXPECT_DOUBLE_EQ(e.sample.delay_s, expected.sample.delay_s);
  x.reply.origin = x.t1;  // a spoofer who guessed our clock, not the nonce
  EXPECT_EQ(evaluate(x).verdict, Verdict::kBogusOrigin);
}

TEST(ExchangeTest, RootDistanceLimit) {
  Exchange x = typical();
  x.reply.root_delay = NtpShort::from_seconds(30.0);
  x.reply.root_dispersion = NtpShort::from_seconds(1.0);
  EXPECT_EQ(evaluate(x).verdict, Verdict::kBadDistance);  // 15 + 1 = 16
  x.reply.root_delay = NtpShort();
  x.reply.root_dispersion = NtpShort::from_seconds(16.0);
  EXPECT_EQ(evaluate(x).verdict, Verdict::kBadDistance);
  x.reply.root_dispersion = NtpShort::from_raw(16 * 65536 - 1);
  EXPECT_EQ(evaluate(x).verdict, Verdict::kAccepted);
  x.reply.root_delay = NtpShort::from_seconds(31.9);
  x.reply.root_dispersion = NtpShort();
  EXPECT_EQ(evaluate(x).verdict, Verdict::kAccepted);
}

TEST(ExchangeTest, ActionForEveryVerdict) {
  EXPECT_EQ(action_for(Verdict::kAccepted), ServerAction::kUse);
  EXPECT_EQ(action_for(Verdict::kKissRate), ServerAction::kBackOff);
  EXPECT_EQ(action_for(Verdict::kKissDeny), ServerAction::kStopUsing);
  EXPECT_EQ(action_for(Verdict::kKissRestrict), ServerAction::kStopUsing);
  for (Verdict v : {Verdict::kNotServerMode, Verdict::kBadVersion, Verdict::kDuplicate,
                    Verdict::kBogusOrigin, Verdict::kKissOther, Verdict::kUnsynchronised,
                    Verdict::kBadTimestamps, Verdict::kBadDistance}) {
    EXPECT_EQ(action_for(v), ServerAction::kIgnoreReply) << describe(v);
  }
}

TEST(ExchangeTest, DescribeIsDistinctForEveryVerdict) {
  std::set<std::string> seen;
  for (int v = 0; v <= static_cast<int>(Verdict::kBadDistance); ++v) {
    const char* text = describe(static_cast<Verdict>(v));
    ASSERT_NE(text, nullptr);
    EXPECT_GT(std::strlen(text), 3u);
    seen.insert(text);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(Verdict::kBadDistance) + 1);
}

TEST(ExchangeTest, MakeClientRequest) {
  const NtpTimestamp t1 = NtpTimestamp::from_parts(0xEB000000, 0xDEADBEEF);
  const NtpHeader h = make_client_request(t1, 6);
  EXPECT_EQ(h.leap, LeapIndicator::kUnsynchronised);
  EXPECT_EQ(h.version, 4);
  EXPECT_EQ(h.mode, Mode::kClient);
  EXPECT_EQ(h.stratum, 0);
  EXPECT_EQ(h.poll, 6);
  EXPECT_EQ(h.precision, 0);
  EXPECT_EQ(h.root_delay.raw(), 0u);
  EXPECT_EQ(h.root_dispersion.raw(), 0u);
  EXPECT_EQ(h.reference_id, 0u);
  EXPECT_TRUE(h.reference.is_zero());
  EXPECT_TRUE(h.origin.is_zero());
  EXPECT_TRUE(h.receive.is_zero());
  EXPECT_EQ(h.transmit, t1);
  const NtpHeader v3 = make_client_request(t1, 10, 3);
  EXPECT_EQ(v3.version, 3);
  EXPECT_EQ(v3.poll, 10);
  // On the wire: 0xE3 = LI 3, VN 4, mode 3; 0xDB for v3.
  std::vector<std::byte> out;
  wire::serialize_header(h, out);
  wire::serialize_header(v3, out);
  EXPECT_EQ(std::to_integer<int>(out[0]), 0xE3);
  EXPECT_EQ(std::to_integer<int>(out[48]), 0xDB);
}

TEST(ExchangeTest, StraddlingThe2036EraBoundary) {
  // T1 62.5 ms before the era-0 → era-1 rollover; T2, T3, T4 after it.
  const NtpTimestamp t1 = NtpTimestamp::from_parts(0xFFFFFFFF, 0xF0000000);
  Exchange x = make_exchange(t1, 1.0, 0.050, 0.001);
  ASSERT_EQ(x.t1.seconds(), 0xFFFFFFFFu);
  ASSERT_LT(x.t4.seconds(), 10u);  // wrapped into era 1
  ASSERT_LT(x.t2.seconds(), 10u);
  x.reply.reference = NtpTimestamp::from_parts(0xFFFFFF00, 0);  // era 0
  const Evaluation e = evaluate(x);
  ASSERT_EQ(e.verdict, Verdict::kAccepted) << describe(e.verdict);
  EXPECT_NEAR(e.sample.offset_s, 1.0, 1e-9);
  EXPECT_NEAR(e.sample.delay_s, 0.100, 1e-9);
  // Only T4 across the boundary.
  const NtpTimestamp t1b = NtpTimestamp::from_parts(0xFFFFFFFF, 0xFF000000);
  const Exchange y = make_exchange(t1b, -0.25, 0.004, 0.0001);
  ASSERT_GT(y.t3.seconds(), 0xFFFFFFF0u);
  ASSERT_LT(y.t4.seconds(), 10u);
  const Evaluation f = evaluate(y);
  ASSERT_EQ(f.verdict, Verdict::kAccepted) << describe(f.verdict);
  EXPECT_NEAR(f.sample.offset_s, -0.25, 1e-9);
  EXPECT_NEAR(f.sample.delay_s, 0.008, 1e-9);
}

TEST(ExchangeTest, OffsetPropertyForRandomExchanges) {
  SeededRandom rng(0x5eed'0601);
  for (int i = 0; i < 20'000; ++i) {
    const NtpTimestamp t1 = NtpTimestamp::from_raw(rng.next_u64() | 1);
    const double ahead = (rng.next_unit() - 0.5) * 2e6;  // ±11.6 days
    const double path = rng.next_unit() * 0.5;
    const double hold = rng.next_unit() * 0.01;
    Exchange x = make_exchange(t1, ahead, path, hold);
    if (x.t2.is_zero() || x.t3.is_zero()) continue;  // 2^-64 chance, but be exact
    x.reply.reference = x.t2 + secs(-1);
    const Evaluation e = evaluate(x);
    ASSERT_EQ(e.verdict, Verdict::kAccepted) << describe(e.verdict);
    ASSERT_NEAR(e.sample.offset_s, ahead, 1e-6);
    ASSERT_NEAR(e.sample.delay_s, std::max(2 * path, std::ldexp(1.0, kLocalPrecision)), 1e-6);
  }
}

// Regression: this once overflowed int64 (UB) before the 128-bit fix.
TEST(ExchangeTest, ClientClockAt1970ServerIn2025) {
  const NtpTimestamp t1 = NtpTimestamp::from_parts(2'208'988'800u, 0);  // 1970-01-01
  const double ahead = 1'735'689'600.0;                                 // to 2025-01-01
  const Exchange x = make_exchange(t1, ahead, 0.010, 0.001);
  const Evaluation e = evaluate(x);
  ASSERT_EQ(e.verdict, Verdict::kAccepted) << describe(e.verdict);
  EXPECT_NEAR(e.sample.offset_s, ahead, 1e-6);
  EXPECT_NEAR(e.sample.delay_s, 0.020, 1e-6);
}

}  // namespace
}  // namespace meridian::source
