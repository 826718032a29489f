#include "core/server/answer.h"

#include <gtest/gtest.h>

#include "core/source/exchange.h"

namespace meridian::server {
namespace {

using time::NtpDuration;
using time::NtpTime;

const NtpTime kNow = NtpTime::from_unix({1'800'000'000, 250'000'000});

wire::NtpHeader client_request(uint8_t version = 4, wire::Mode mode = wire::Mode::kClient) {
  wire::NtpHeader h = source::make_client_request(kNow.to_timestamp(), 6, version);
  h.mode = mode;
  return h;
}

ServerView synced_view() {
  ServerView v =
      local_clock_view(3, wire::kiss_code("LOCL"), -22, kNow - NtpDuration::from_seconds_int(100));
  v.root_delay_s = 0.01;
  return v;
}

TEST(AnswerRequest, ClientGetsServerReplyWithEchoedOriginAndTimes) {
  const auto req = client_request();
  const NtpTime rx = kNow + NtpDuration::from_seconds(0.001);
  const NtpTime tx = rx + NtpDuration::from_seconds(0.00002);
  const Answer a = answer_request(req, Admission{}, synced_view(), rx, tx, false);
  ASSERT_EQ(a.outcome, Outcome::kReplied);
  const wire::NtpHeader& h = a.header;
  EXPECT_EQ(h.mode, wire::Mode::kServer);
  EXPECT_EQ(h.version, 4);
  EXPECT_EQ(h.leap, wire::LeapIndicator::kNoWarning);
  EXPECT_EQ(h.stratum, 3);
  EXPECT_EQ(h.precision, -22);
  EXPECT_EQ(h.reference_id, wire::kiss_code("LOCL"));
  EXPECT_EQ(h.origin, req.transmit);
  EXPECT_EQ(h.receive, rx.to_timestamp());
  EXPECT_EQ(h.transmit, tx.to_timestamp());
  EXPECT_EQ(h.reference, (kNow - NtpDuration::from_seconds_int(100)).to_timestamp());
  EXPECT_NEAR(h.root_delay.to_seconds(), 0.01, 1e-4);
  // 0.01 s + Φ · 100 s of growth since the reference time.
  EXPECT_NEAR(h.root_dispersion.to_seconds(), 0.01 + 15e-6 * 100, 1e-4);
}

TEST(AnswerRequest, AClientAcceptsOurReply) {
  const auto req = client_request();
  const NtpTime rx = kNow + NtpDuration::from_seconds(0.001);
  const Answer a = answer_request(req, Admission{}, synced_view(), rx, rx, false);
  source::PendingRequest pending{req.transmit, {}};
  const auto eval = source::evaluate_reply(
      a.header, pending, (rx + NtpDuration::from_seconds(0.001)).to_timestamp(), -20);
  EXPECT_EQ(eval.verdict, source::Verdict::kAccepted);
  EXPECT_NEAR(eval.sample.offset_s, 0, 1e-6);
  EXPECT_NEAR(eval.sample.delay_s, 0.002, 1e-6);
}

TEST(AnswerRequest, VersionIsEchoedForV1ToV4) {
  for (uint8_t v = 1; v <= 4; ++v) {
    const Answer a =
        answer_request(client_request(v), Admission{}, synced_view(), kNow, kNow, false);
    ASSERT_EQ(a.outcome, Outcome::kReplied) << int{v};
    EXPECT_EQ(a.header.version, v);
  }
  EXPECT_EQ(
      answer_request(client_request(0), Admission{}, synced_view(), kNow, kNow, false).outcome,
      Outcome::kDroppedMalformed);
  EXPECT_EQ(
      answer_request(client_request(5), Admission{}, synced_view(), kNow, kNow, false).outcome,
      Outcome::kDroppedMalformed);
}

TEST(AnswerRequest, NtpV1ModeZeroIsAClient) {
  const Answer a = answer_request(client_request(1, wire::Mode::kReserved), Admission{},
                                  synced_view(), kNow, kNow, false);
  EXPECT_EQ(a.outcome, Outcome::kReplied);
  EXPECT_EQ(answer_request(client_request(4, wire::Mode::kReserved), Admission{}, synced_view(),
                           kNow, kNow, false)
                .outcome,
            Outcome::kDroppedMode);
}

TEST(AnswerRequest, UnsynchronisedServerSaysSo) {
  const Answer a = answer_request(client_request(), Admission{}, ServerView::unsynchronised(-20),
                                  kNow, kNow, false);
  ASSERT_EQ(a.outcome, Outcome::kReplied);
  EXPECT_EQ(a.header.leap, wire::LeapIndicator::kUnsynchronised);
  EXPECT_EQ(a.header.stratum, 16);
  EXPECT_TRUE(a.header.reference.is_zero());
  // And a client must refuse it.
  source::PendingRequest pending{client_request().transmit, {}};
  EXPECT_EQ(source::evaluate_reply(a.header, pending, kNow.to_timestamp(), -20).verdict,
            source::Verdict::kUnsynchronised);
}

TEST(AnswerRequest, ModesWeDoNotAnswer) {
  for (auto m : {wire::Mode::kServer, wire::Mode::kSymmetricPassive, wire::Mode::kBroadcast,
                 wire::Mode::kPrivate}) {
    EXPECT_EQ(
        answer_request(client_request(4, m), Admission{}, synced_view(), kNow, kNow, true).outcome,
        Outcome::kDroppedMode);
  }
  EXPECT_EQ(answer_request(client_request(4, wire::Mode::kControl), Admission{}, synced_view(),
                           kNow, kNow, true)
                .outcome,
            Outcome::kControl);
}

TEST(AnswerRequest, SymmetricActiveOnlyWhenAllowed) {
  const auto req = client_request(4, wire::Mode::kSymmetricActive);
  EXPECT_EQ(answer_request(req, Admission{}, synced_view(), kNow, kNow, false).outcome,
            Outcome::kDroppedRestricted);
  const Answer a = answer_request(req, Admission{}, synced_view(), kNow, kNow, true);
  ASSERT_EQ(a.outcome, Outcome::kReplied);
  EXPECT_EQ(a.header.mode, wire::Mode::kSymmetricPassive);
}

TEST(AnswerRequest, AdmissionDropAndKissRate) {
  Admission drop{Admission::Verdict::kDrop, Outcome::kDroppedRateLimited};
  EXPECT_EQ(answer_request(client_request(), drop, synced_view(), kNow, kNow, false).outcome,
            Outcome::kDroppedRateLimited);
  Admission kod{Admission::Verdict::kKissRate, Outcome::kDroppedRateLimited};
  const auto req = client_request();
  const Answer a = answer_request(req, kod, synced_view(), kNow, kNow, false);
  ASSERT_EQ(a.outcome, Outcome::kKissRate);
  EXPECT_EQ(a.header.stratum, 0);
  EXPECT_EQ(a.header.reference_id, wire::kKissRate);
  EXPECT_EQ(a.header.origin, req.transmit);
  source::PendingRequest pending{req.transmit, {}};
  EXPECT_EQ(source::evaluate_reply(a.header, pending, kNow.to_timestamp(), -20).verdict,
            source::Verdict::kKissRate);
}

TEST(AnswerRequest, ReplyIsNeverLargerThanAPlainRequest) {
  const Answer a = answer_request(client_request(), Admission{}, synced_view(), kNow, kNow, false);
  EXPECT_EQ(serialize_reply(a.header).size(), wire::kHeaderSize);
}

}  // namespace
}  // namespace meridian::server
