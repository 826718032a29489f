// One association's poll process (RFC 5905 §13) and reply handling:
// iburst/burst timing, reach register, poll jitter, unreachable back-off,
// KoD RATE/DENY, duplicate and forged replies. Replies are real packets run
// through evaluate_reply, so the engine's path is exercised end to end.
// Sign convention: offset θ = server − local (positive ⇒ our clock is behind).
#include "core/source/association.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
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

constexpr int8_t kLocalPrecision = -20;
// Monotonic 0 s on our (NTP) clock: 2025-01-01T00:00:00Z.
const NtpTimestamp kEpoch = NtpTimestamp::from_parts(3'944'678'400u, 0);

NtpTimestamp at(double mono_s) { return kEpoch + NtpDuration::from_seconds(mono_s); }

// Drives one association against a simulated server 0.25 s ahead of us with
// a 10 ms one-way path.
class Harness {
 public:
  explicit Harness(AssociationOptions o, uint64_t seed = 1)
      : rng_(seed), assoc_(std::move(o), 0.0, rng_) {}

  Association& assoc() { return assoc_; }
  double now() const { return now_; }
  const std::vector<double>& sent() const { return sent_; }

  // Waits for the next due request and sends it.
  double poll() {
    now_ = std::max(now_, assoc_.next_poll_s());
    last_request_ = assoc_.make_request(at(now_), now_);
    sent_.push_back(now_);
    return now_;
  }

  // The server's reply to the last request (T2/T3 later for each reply).
  NtpHeader reply() {
    NtpHeader r;
    r.leap = LeapIndicator::kNoWarning;
    r.version = 4;
    r.mode = Mode::kServer;
    r.stratum = 2;
    r.poll = last_request_.poll;
    r.precision = -20;
    r.root_delay = NtpShort::from_seconds(0.004);
    r.root_dispersion = NtpShort::from_seconds(0.002);
    r.reference_id = 0xC0000201;
    r.origin = last_request_.transmit;
    r.receive = last_request_.transmit + NtpDuration::from_seconds(0.010 + 0.25);
    r.transmit = r.receive + NtpDuration::from_seconds(0.0001);
    r.reference = r.receive + NtpDuration::from_seconds(-10);
    return r;
  }

  NtpHeader kiss(uint32_t code) {
    NtpHeader r = reply();
    r.stratum = 0;
    r.reference_id = code;
    r.reference = NtpTimestamp{};
    return r;
  }

  // Evaluates `r` as received 20.1 ms after the last request and hands it over.
  bool deliver(const NtpHeader& r, Verdict expected) {
    const double rx = now_ + 0.0201;
    const Evaluation e = evaluate_reply(r, assoc_.pending(), at(rx), kLocalPrecision);
    EXPECT_EQ(e.verdict, expected) << describe(e.verdict);
    return assoc_.on_reply(e, rx);
  }
  bool answer() { return deliver(reply(), Verdict::kAccepted); }

 private:
  SeededRandom rng_;
  Association assoc_;
  double now_ = 0;
  NtpHeader last_request_;
  std::vector<double> sent_;
};

AssociationOptions opts(bool iburst = false, int minpoll = 6, int maxpoll = 10) {
  AssociationOptions o;
  o.name = "ntp.example";
  o.iburst = iburst;
  o.minpoll = minpoll;
  o.maxpoll = maxpoll;
  return o;
}

// Nominal interval 2^poll, jittered by [0, +10 %).
void expect_poll_interval(double gap_s, int poll_log2, const std::string& where) {
  const double nominal = std::ldexp(1.0, poll_log2);
  EXPECT_GE(gap_s, nominal) << where;
  EXPECT_LT(gap_s, nominal * (1 + kPollJitterFraction)) << where;
}

TEST(AssociationTest, FirstRequestGoesOutPromptly) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    SeededRandom rng(seed);
    Association a(opts(true), 1000.0, rng);
    EXPECT_GE(a.next_poll_s(), 1000.1);
    EXPECT_LT(a.next_poll_s(), 1001.0);
  }
}

TEST(AssociationTest, IburstSixRequestsTwoSecondsApartThenPollInterval) {
  Harness h(opts(true));
  for (int i = 0; i < kIburstCount + 3; ++i) {
    h.poll();
    h.answer();
  }
  const auto& s = h.sent();
  for (int i = 1; i < kIburstCount; ++i) EXPECT_DOUBLE_EQ(s[i] - s[i - 1], 2.0) << i;
  for (size_t i = kIburstCount; i < s.size(); ++i) {
    expect_poll_interval(s[i] - s[i - 1], 6, "request " + std::to_string(i));
  }
  // The burst counted as one poll, so the reach register reads the classic way.
  EXPECT_EQ(h.assoc().view(h.now()).reach, 0b1111);
  EXPECT_EQ(h.assoc().view(h.now()).poll_log2, 6);
}

TEST(AssociationTest, IburstUnansweredDoesNotRepeatEveryPoll) {
  Harness h(opts(true));
  for (int i = 0; i < kIburstCount + 3; ++i) h.poll();
  const auto& s = h.sent();
  EXPECT_DOUBLE_EQ(s[kIburstCount - 1] - s[0], 2.0 * (kIburstCount - 1));
  for (size_t i = kIburstCount; i < s.size(); ++i) {
    expect_poll_interval(s[i] - s[i - 1], 6, "request " + std::to_string(i));
  }
}

TEST(AssociationTest, IburstAgainWhenReachDropsToZero) {
  Harness h(opts(true));
  for (int i = 0; i < kIburstCount; ++i) {
    h.poll();
    h.answer();
  }
  ASSERT_EQ(h.assoc().view(h.now()).reach, 1);
  // Silence: polls 2..8 shift the one bit out; poll 9 finds reach = 0 and bursts.
  for (int i = 2; i <= 8; ++i) h.poll();
  EXPECT_EQ(h.assoc().view(h.now()).reach, 0b10000000);
  const size_t before = h.sent().size();
  h.poll();
  EXPECT_EQ(h.assoc().view(h.now()).reach, 0);
  h.poll();
  EXPECT_DOUBLE_EQ(h.sent()[before + 1] - h.sent()[before], 2.0) << "re-acquisition burst";
}

TEST(AssociationTest, ReachRegisterFollowsAnsweredPolls) {
  Harness h(opts());
  // Answered (1) or not (0), poll by poll, and the register after each.
  const bool answered[] = {1, 1, 0, 1, 0, 0, 1, 1, 1, 1};
  const uint8_t expected[] = {0x01, 0x03, 0x06, 0x0D, 0x1A, 0x34, 0x69, 0xD3, 0xA7, 0x4F};
  for (size_t i = 0; i < std::size(answered); ++i) {
    h.poll();
    if (i == 6) {
      EXPECT_EQ(h.assoc().view(h.now()).unreach, 3) << "polls since the last reply";
    }
    if (answered[i]) h.answer();
    EXPECT_EQ(h.assoc().view(h.now()).reach, expected[i]) << "poll " << i + 1;
  }
  EXPECT_EQ(h.assoc().view(h.now()).unreach, 0);
}

TEST(AssociationTest, AcceptedReplyFeedsTheFilter) {
  Harness h(opts());
  h.poll();
  EXPECT_TRUE(h.answer());
  const AssociationView v = h.assoc().view(h.now());
  ASSERT_TRUE(v.filter);
  EXPECT_NEAR(v.filter->offset_s, 0.25, 1e-6);
  EXPECT_NEAR(v.filter->delay_s, 0.020, 1e-6);
  ASSERT_TRUE(v.last_sample);
  EXPECT_EQ(v.last_sample->stratum, 2);
  EXPECT_NEAR(v.last_reply_s, h.now() + 0.0201, 1e-9);
}

// A reply to a request that went out before a clock step measured T1 before
// the step and T4 after it: no sample, counted; the next exchange is used.
TEST(AssociationTest, ReplyToARequestSentBeforeAStepIsDropped) {
  Harness h(opts());
  h.poll();
  h.assoc().on_clock_adjusted(-0.1);
  EXPECT_FALSE(h.answer());
  AssociationView v = h.assoc().view(h.now());
  EXPECT_EQ(v.drops.crossed_step, 1u);
  EXPECT_FALSE(v.filter);
  EXPECT_EQ(v.reach, 0);  // not an answer to count
  h.poll();
  EXPECT_TRUE(h.answer());
  v = h.assoc().view(h.now());
  EXPECT_EQ(v.drops.crossed_step, 1u);
  ASSERT_TRUE(v.filter);
  EXPECT_NEAR(v.filter->offset_s, 0.25, 1e-6);
}

// Every reply that is no sample is counted by reason.
TEST(AssociationTest, DroppedRepliesAreCountedByReason) {
  Harness h(opts());
  h.poll();
  NtpHeader bad = h.reply();
  bad.transmit = bad.receive + NtpDuration::from_seconds(-0.001);  // T3 < T2 by 1 ms
  h.deliver(bad, Verdict::kBadTimestamps);
  h.poll();
  NtpHeader unsync = h.reply();
  unsync.leap = LeapIndicator::kUnsynchronised;
  h.deliver(unsync, Verdict::kUnsynchronised);
  h.poll();
  NtpHeader forged = h.reply();
  forged.origin = forged.origin + NtpDuration::from_seconds(1);
  h.deliver(forged, Verdict::kBogusOrigin);
  const AssociationView v = h.assoc().view(h.now());
  EXPECT_EQ(v.drops.bad_timestamps, 1u);
  EXPECT_EQ(v.drops.unsynchronised, 1u);
  EXPECT_EQ(v.drops.unmatched, 1u);
  EXPECT_EQ(v.drops.kiss, 0u);
  EXPECT_EQ(v.drops.crossed_step, 0u);
}

TEST(AssociationTest, UnansweredPollsAgeTheFilter) {
  Harness h(opts());
  h.poll();
  h.answer();
  for (int i = 0; i < 3; ++i) h.poll();
  EXPECT_TRUE(h.assoc().filter().stages()[0].has_value());
  EXPECT_LT(h.assoc().filter().stages()[0]->dispersion_s, kMaxDispersion_s) << "no dummy yet";
  h.poll();  // three polls unanswered: from now on each poll shifts in a dummy
  EXPECT_EQ(h.assoc().filter().stages()[0]->dispersion_s, kMaxDispersion_s);
  EXPECT_NEAR(h.assoc().filter().stages()[1]->delay_s, 0.020, 1e-6);
}

TEST(AssociationTest, PollJitterWithinBoundsAndSpread) {
  Harness h(opts(false, 6, 6), 7);
  std::vector<double> gaps;
  for (int i = 0; i < 300; ++i) {
    h.poll();
    h.answer();
  }
  const auto& s = h.sent();
  for (size_t i = 1; i < s.size(); ++i) {
    gaps.push_back(s[i] - s[i - 1]);
    expect_poll_interval(gaps.back(), 6, "gap " + std::to_string(i));
  }
  const auto [lo, hi] = std::minmax_element(gaps.begin(), gaps.end());
  EXPECT_GT(*hi - *lo, 5.0) << "jitter should spread the polls";
}

TEST(AssociationTest, RequestsNeverCloserThanTwoSeconds) {
  // A random mix of everything that moves the schedule.
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    AssociationOptions o = opts(seed % 2 == 0, 3, 8);
    o.burst = seed % 3 == 0;
    Harness h(o, seed);
    SeededRandom chaos(seed * 77);
    for (int i = 0; i < 200; ++i) {
      h.poll();
      const uint64_t r = chaos.next_u64() % 10;
      if (r < 6) h.answer();
      if (r == 6) h.deliver(h.kiss(wire::kKissRate), Verdict::kKissRate);
      if (r == 7) h.assoc().set_poll(static_cast<int>(chaos.next_u64() % 12));
    }
    const auto& s = h.sent();
    for (size_t i = 1; i < s.size(); ++i) {
      // 1 ns of slack for the rounding of (now + 2.0) − now.
      ASSERT_GE(s[i] - s[i - 1], kMinRequestSpacing_s - 1e-9)
          << "seed " << seed << " request " << i;
    }
  }
}

TEST(AssociationTest, SetPollClampsAndReschedules) {
  Harness h(opts(false, 6, 10));
  const double t = h.poll();
  h.answer();
  h.assoc().set_poll(2);
  EXPECT_EQ(h.assoc().view(t).poll_log2, 6);
  h.assoc().set_poll(30);
  EXPECT_EQ(h.assoc().view(t).poll_log2, 10);
  EXPECT_GE(h.assoc().next_poll_s() - t, 1024);
  EXPECT_LT(h.assoc().next_poll_s() - t, 1024 * 1.1);
  h.assoc().set_poll(8);
  EXPECT_EQ(h.assoc().view(t).poll_log2, 8);
  EXPECT_GE(h.assoc().next_poll_s() - t, 256);
  EXPECT_LT(h.assoc().next_poll_s() - t, 256 * 1.1);
}

TEST(AssociationTest, KissRateBacksOff) {
  Harness h(opts(false, 6, 10));
  const double t = h.poll();
  EXPECT_FALSE(h.deliver(h.kiss(wire::kKissRate), Verdict::kKissRate));
  AssociationView v = h.assoc().view(t);
  EXPECT_EQ(v.kiss, "RATE");
  EXPECT_EQ(v.poll_log2, 7);  // max(6 + 1, minpoll + 1)
  EXPECT_EQ(v.reach, 0) << "a kiss is not an answer";
  EXPECT_GE(h.assoc().next_poll_s() - t, 128);
  // The system cannot pull the poll back under the kiss floor.
  h.assoc().set_poll(6);
  EXPECT_EQ(h.assoc().view(t).poll_log2, 7);
  // A second kiss whose poll field asks for 2^9 s.
  const double t2 = h.poll();
  Evaluation e;
  e.verdict = Verdict::kKissRate;
  e.kiss_code = "RATE";
  e.sample.poll = 9;
  EXPECT_FALSE(h.assoc().on_reply(e, t2 + 0.02));
  EXPECT_EQ(h.assoc().view(t2).poll_log2, 9);
  EXPECT_GE(h.assoc().next_poll_s() - t2, 512);
}

TEST(AssociationTest, KissRateStopsABurst) {
  Harness h(opts(true));
  const double t = h.poll();
  h.deliver(h.kiss(wire::kKissRate), Verdict::kKissRate);
  EXPECT_GE(h.assoc().next_poll_s() - t, 128) << "no more burst requests after RATE";
}

TEST(AssociationTest, KissDenyStops) {
  for (uint32_t code : {wire::kKissDeny, wire::kKissRestrict}) {
    Harness h(opts(true));
    h.poll();
    h.answer();
    h.poll();
    EXPECT_FALSE(h.deliver(h.kiss(code),
                           code == wire::kKissDeny ? Verdict::kKissDeny : Verdict::kKissRestrict));
    const AssociationView v = h.assoc().view(h.now());
    EXPECT_TRUE(v.stopped);
    EXPECT_EQ(v.kiss, code == wire::kKissDeny ? "DENY" : "RSTR");
    EXPECT_TRUE(std::isinf(h.assoc().next_poll_s()));
  }
}

TEST(AssociationTest, UnknownKissIsIgnored) {
  Harness h(opts());
  h.poll();
  EXPECT_FALSE(h.deliver(h.kiss(wire::kKissInit), Verdict::kKissOther));
  const AssociationView v = h.assoc().view(h.now());
  EXPECT_FALSE(v.stopped);
  EXPECT_EQ(v.kiss, "INIT");
  EXPECT_EQ(v.reach, 0);
  EXPECT_EQ(v.poll_log2, 6);
}

TEST(AssociationTest, DuplicateReplyDoesNotCountOrConsumeTheRequest) {
  Harness h(opts());
  h.poll();
  const NtpHeader first = h.reply();
  ASSERT_TRUE(h.deliver(first, Verdict::kAccepted));
  // The same datagram again, now while the next request is in flight.
  h.poll();
  EXPECT_FALSE(h.deliver(first, Verdict::kDuplicate));
  EXPECT_EQ(h.assoc().view(h.now()).reach, 0b10);
  // The genuine answer still matches.
  EXPECT_TRUE(h.answer());
  EXPECT_EQ(h.assoc().view(h.now()).reach, 0b11);
  // And once answered, a replay of it is refused.
  EXPECT_FALSE(h.deliver(h.reply(), Verdict::kDuplicate));
  EXPECT_EQ(h.assoc().view(h.now()).reach, 0b11);
}

TEST(AssociationTest, ForgedOrMalformedReplyDoesNotConsumeTheRequest) {
  Harness h(opts());
  h.poll();
  NtpHeader forged = h.reply();
  forged.origin = forged.origin + NtpDuration::from_seconds(1);
  EXPECT_FALSE(h.deliver(forged, Verdict::kBogusOrigin));
  // A forged DENY with the wrong origin must not stop us either.
  NtpHeader forged_deny = h.kiss(wire::kKissDeny);
  forged_deny.origin = NtpTimestamp::from_raw(12345);
  EXPECT_FALSE(h.deliver(forged_deny, Verdict::kBogusOrigin));
  NtpHeader wrong_mode = h.reply();
  wrong_mode.mode = Mode::kClient;
  EXPECT_FALSE(h.deliver(wrong_mode, Verdict::kNotServerMode));
  EXPECT_FALSE(h.assoc().view(h.now()).stopped);
  EXPECT_TRUE(h.answer());
  EXPECT_EQ(h.assoc().view(h.now()).reach, 1);
}

// A late reply to the previous request (or a replay of one) is no answer to
// the request in flight: ignored, counted, and the real answer still counts.
TEST(AssociationTest, ReplyToAnOldRequestIsIgnored) {
  Harness h(opts());
  h.poll();
  const NtpHeader late = h.reply();  // lost in the network for a poll interval
  h.poll();
  EXPECT_FALSE(h.deliver(late, Verdict::kBogusOrigin));
  EXPECT_EQ(h.assoc().view(h.now()).drops.unmatched, 1u);
  EXPECT_FALSE(h.assoc().view(h.now()).filter);
  EXPECT_TRUE(h.answer());
}

TEST(AssociationTest, UnreachableBackOffAndRecovery) {
  Harness h(opts(false, 6, 10));
  for (int i = 0; i < 14; ++i) h.poll();
  const auto& s = h.sent();
  // Polls 1–8 at 64 s; from the 9th on (8 unanswered), the poll doubles to maxpoll.
  const int expected_poll_after[] = {6, 6, 6, 6, 6, 6, 6, 6, 7, 8, 9, 10, 10};
  for (size_t i = 1; i < s.size(); ++i) {
    expect_poll_interval(s[i] - s[i - 1], expected_poll_after[i - 1],
                         "after poll " + std::to_string(i));
  }
  EXPECT_EQ(h.assoc().view(h.now()).unreach, 14);
  EXPECT_EQ(h.assoc().view(h.now()).poll_log2, 10);
  // The server answers again: back to minpoll at once.
  const double t = h.now();
  EXPECT_TRUE(h.answer());
  EXPECT_EQ(h.assoc().view(t).poll_log2, 6);
  EXPECT_EQ(h.assoc().view(t).unreach, 0);
  EXPECT_LT(h.assoc().next_poll_s() - t, 64 * 1.1);
}

TEST(AssociationTest, BurstWhileReachable) {
  AssociationOptions o = opts();
  o.burst = true;
  Harness h(o);
  // Poll 1: unreachable so far, a single request.
  h.poll();
  h.answer();
  const double first_gap_start = h.now();
  // Poll 2: reachable, so kBurstCount requests 2 s apart.
  for (int i = 0; i < kBurstCount; ++i) {
    h.poll();
    h.answer();
  }
  const auto& s = h.sent();
  expect_poll_interval(s[1] - first_gap_start, 6, "before the burst");
  for (int i = 2; i <= kBurstCount; ++i) EXPECT_DOUBLE_EQ(s[i] - s[i - 1], 2.0) << i;
  h.poll();
  expect_poll_interval(h.sent().back() - s[kBurstCount], 6, "after the burst");
  EXPECT_EQ(h.assoc().view(h.now()).reach, 0b110);
}

TEST(AssociationTest, RequestCarriesPollAndVersion) {
  AssociationOptions o = opts(false, 7, 9);
  o.version = 3;
  SeededRandom rng(3);
  Association a(o, 0, rng);
  const NtpHeader req = a.make_request(at(1), 1);
  EXPECT_EQ(req.mode, Mode::kClient);
  EXPECT_EQ(req.version, 3);
  EXPECT_EQ(req.poll, 7);
  EXPECT_EQ(req.transmit, at(1));
  EXPECT_EQ(a.pending().transmit, at(1));
}

TEST(AssociationTest, ClockAdjustmentShiftsFilterOffsets) {
  Harness h(opts());
  h.poll();
  h.answer();
  h.assoc().on_clock_adjusted(0.25);  // we stepped forward by what the server said
  EXPECT_NEAR(h.assoc().view(h.now()).filter->offset_s, 0.0, 1e-6);
}

}  // namespace
}  // namespace meridian::source
