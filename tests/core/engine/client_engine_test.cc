// The client engine in closed loop with ideal servers built from the real
// server answer function: time is simulated, nothing touches a clock.
#include "core/engine/client_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/server/answer.h"

namespace meridian::engine {
namespace {

using time::NtpDuration;
using time::NtpTime;

const NtpTime kEpoch = NtpTime::from_unix({1'800'000'000, 0});

struct FakeServer {
  net::Endpoint endpoint;
  double offset_s = 0;  // server clock − true time
  uint8_t stratum = 2;
  std::optional<uint32_t> kiss;
  double silent_until_s = 0;      // not answering yet (still starting up)
  std::optional<uint32_t> refid;  // the server's refid (default "GPS")
};

// The client's clock: true time + offset, running at (freq_error + correction) ppm.
struct SimClock {
  double offset_s = 0;
  double freq_error_ppm = 0;
  double correction_ppm = 0;
  void advance(double dt_s) { offset_s += dt_s * (freq_error_ppm + correction_ppm) * 1e-6; }
};

class Harness {
 public:
  Harness(std::vector<FakeServer> servers, double client_offset_s, double freq_error_ppm)
      : servers_(std::move(servers)), random_(7) {
    clock_.offset_s = client_offset_s;
    clock_.freq_error_ppm = freq_error_ppm;
    ClientConfig config;
    for (const auto& s : servers_) {
      source::AssociationOptions o;
      o.endpoint = s.endpoint;
      o.iburst = true;
      config.servers.push_back(o);
    }
    engine_ = std::make_unique<ClientEngine>(config, random_, 0.0);
  }

  NtpTime true_time() const { return kEpoch + NtpDuration::from_seconds(now_s_); }
  NtpTime client_time() const { return true_time() + NtpDuration::from_seconds(clock_.offset_s); }

  // Runs until `until_s`, delivering each request to its server and the
  // reply back after `one_way_s`.
  void run(double until_s, double one_way_s = 0.001) {
    while (now_s_ < until_s) {
      const double next = std::min(engine_->next_wakeup_s(), until_s);
      clock_.advance(next - now_s_);
      now_s_ = next;
      std::vector<Action> out;
      engine_->on_timer(now_s_, client_time(), out);
      handle(out, one_way_s);
    }
  }

  const SimClock& clock() const { return clock_; }
  ClientEngine& engine() { return *engine_; }
  std::vector<std::string> logs;
  int steps = 0;
  bool writes_fail = false;  // the clock refuses steps and frequency changes (no CAP_SYS_TIME)

 private:
  void handle(std::vector<Action>& out, double one_way_s) {
    for (size_t i = 0; i < out.size(); ++i) {
      if (auto* send = std::get_if<SendRequest>(&out[i])) {
        const FakeServer& s = servers_[send->association];
        if (now_s_ < s.silent_until_s) continue;
        auto request = wire::parse_header(send->bytes);
        ASSERT_TRUE(request.ok());
        const NtpTime server_rx = true_time() + NtpDuration::from_seconds(one_way_s + s.offset_s);
        server::ServerView view = server::local_clock_view(
            static_cast<uint8_t>(s.stratum - 1), wire::kiss_code("GPS\0"), -20, server_rx);
        view.stratum = s.stratum;
        if (s.refid) view.reference_id = *s.refid;
        server::Admission admission;
        if (s.kiss) admission.verdict = server::Admission::Verdict::kKissRate;
        const auto answer =
            server::answer_request(*request, admission, view, server_rx, server_rx, false);
        ASSERT_TRUE(answer.has_reply());
        // Deliver the reply 2 × one-way later, on the client's clock.
        clock_.advance(2 * one_way_s);
        now_s_ += 2 * one_way_s;
        std::vector<Action> more;
        engine_->on_packet(s.endpoint, server::serialize_reply(answer.header), client_time(),
                           now_s_, more);
        out.insert(out.end(), more.begin(), more.end());
      } else if (auto* step = std::get_if<StepClock>(&out[i])) {
        // What the daemon does: carry the write out (or fail), then report.
        if (!writes_fail) {
          clock_.offset_s += step->by_s;
          ++steps;
        }
        std::vector<Action> more;
        engine_->on_clock_write(write_result(), more);
        out.insert(out.end(), more.begin(), more.end());
      } else if (auto* freq = std::get_if<SetFrequency>(&out[i])) {
        if (!writes_fail) clock_.correction_ppm = freq->ppm;
        std::vector<Action> more;
        engine_->on_clock_write(write_result(), more);
        out.insert(out.end(), more.begin(), more.end());
      } else if (auto* log = std::get_if<LogEvent>(&out[i])) {
        logs.push_back(log->text);
      }
    }
  }

  Status write_result() const {
    if (writes_fail) return make_error(ErrorCode::kPermissionDenied, "Operation not permitted");
    return {};
  }

  std::vector<FakeServer> servers_;
  SeededRandom random_;
  SimClock clock_;
  std::unique_ptr<ClientEngine> engine_;
  double now_s_ = 0;
};

net::Endpoint server_at(uint8_t last) { return {net::IpAddress::v4({192, 0, 2, last}), 123}; }

TEST(ClientEngine, IburstSynchronisesAndStepsWithinSeconds) {
  Harness h({{server_at(1), 0.0, 2}}, 0.25, 0);
  h.run(3.0);
  const SystemView sys = h.engine().system(3.0);
  ASSERT_TRUE(sys.system_peer.has_value());
  EXPECT_EQ(sys.server.stratum, 3);
  EXPECT_EQ(sys.server.reference_id, server_at(1).address.v4_value());
  EXPECT_EQ(h.steps, 1);
  EXPECT_LT(std::fabs(h.clock().offset_s), 0.001);
}

TEST(ClientEngine, WhatWeServeRightAfterAStepIsConsistent) {
  Harness h({{server_at(1), 0.0, 2}}, 0.25, 0);
  double t = 0;
  while (h.steps == 0 && t < 3) h.run(t += 0.01);
  ASSERT_EQ(h.steps, 1);
  // A reference time not in our (stepped) future, and a root dispersion
  // without the offset the step already removed.
  const SystemView sys = h.engine().system(t);
  EXPECT_LE((sys.server.reference_time - h.client_time()).to_seconds(), 0.0);
  EXPECT_LT(sys.server.root_dispersion_s, 0.05);
}

TEST(ClientEngine, TracksAFrequencyError) {
  Harness h({{server_at(1), 0.0, 2}}, 0.0, 40);
  h.run(4 * 3600.0);
  EXPECT_LT(std::fabs(h.clock().offset_s), 0.0005);
  EXPECT_NEAR(h.clock().correction_ppm, -40, 1.0);
}

TEST(ClientEngine, NeverFollowsAFalseticker) {
  Harness h({{server_at(1), 0.0, 3}, {server_at(2), 0.0003, 3}, {server_at(3), 0.5, 1}}, 0.1, 0);
  for (double t = 1; t < 600; t += 1) {
    h.run(t);
    const auto sys = h.engine().system(t);
    if (sys.system_peer) {
      ASSERT_NE(*sys.system_peer, 2u) << "followed the falseticker at " << t;
    }
  }
  EXPECT_LT(std::fabs(h.clock().offset_s), 0.002);
  const auto peers = h.engine().peers(600);
  EXPECT_EQ(peers[2].tally, select::Tally::kFalseticker);
}

TEST(ClientEngine, RemovingTheSystemPeerSwitchesToAnotherAtOnce) {
  Harness h({{server_at(1), 0.0, 2}, {server_at(2), 0.0002, 3}}, 0.0, 0);
  h.run(20);
  auto sys = h.engine().system(20);
  ASSERT_TRUE(sys.system_peer.has_value());
  const size_t gone = *sys.system_peer;
  std::vector<Action> out;
  h.engine().remove_server(gone, 20, h.client_time(), out);
  EXPECT_FALSE(h.engine().has_server(gone));
  EXPECT_EQ(h.engine().live_count(), 1u);
  sys = h.engine().system(20);
  ASSERT_TRUE(sys.system_peer.has_value());
  EXPECT_NE(*sys.system_peer, gone);
  const auto peers = h.engine().peers(20);
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].id, 1 - gone);  // ids are stable: no renumbering
  // And it keeps running without the removed one.
  h.run(60);
  EXPECT_TRUE(h.engine().system(60).system_peer.has_value());
}

TEST(ClientEngine, GoodServersLateToStartDoNotLeaveTheLiarAMajorityOfOne) {
  // The two good servers miss the first iburst polls (their filters then
  // carry MAXDISP stages and fail maxdist for a while); the liar answers
  // from the start.
  Harness h({{server_at(1), 0.0, 3, std::nullopt, 5.0},
             {server_at(2), 0.0002, 3, std::nullopt, 5.0},
             {server_at(3), 0.5, 1}},
            0.1, 0);
  for (double t = 0.5; t < 900; t += 0.5) {
    h.run(t);
    const auto sys = h.engine().system(t);
    if (sys.system_peer) {
      ASSERT_NE(*sys.system_peer, 2u) << "followed the falseticker at " << t;
    }
  }
  EXPECT_LT(std::fabs(h.clock().offset_s), 0.002);
}

// Issue 11: two falsetickers that agree with each other answer first, with
// one good server; two more good servers answer a few seconds later. The
// liars' clique must never step the clock: start-up waits until the
// truechimers are a majority of the servers that may still answer.
TEST(ClientEngine, TwoAgreeingFalsetickersAnsweringFirstNeverSetTheClock) {
  Harness h({{server_at(1), 0.0, 2},
             {server_at(2), 0.0002, 2, std::nullopt, 6.0},
             {server_at(3), -0.0002, 2, std::nullopt, 6.0},
             {server_at(4), 0.5, 2},
             {server_at(5), 0.5001, 2}},
            0.0, 0);
  for (double t = 0.25; t < 900; t += 0.25) {
    h.run(t);
    const auto sys = h.engine().system(t);
    if (sys.system_peer) {
      ASSERT_LT(*sys.system_peer, 3u) << "followed a falseticker at " << t;
    }
    ASSERT_LT(std::fabs(h.clock().offset_s), 0.01) << "moved toward the liars at " << t;
  }
  EXPECT_TRUE(h.engine().system(900).system_peer.has_value());
  const auto peers = h.engine().peers(900);
  EXPECT_EQ(peers[3].tally, select::Tally::kFalseticker);
  EXPECT_EQ(peers[4].tally, select::Tally::kFalseticker);
}

// RFC 9109: the transmit field of a request is a random nonce, not our
// clock, so an off-path attacker cannot guess the origin a reply must echo.
TEST(ClientEngine, RequestsCarryARandomTransmitField) {
  SeededRandom random(3);
  ClientConfig config;
  source::AssociationOptions o;
  o.endpoint = server_at(1);
  config.servers.push_back(o);
  ClientEngine engine(config, random, 0.0);
  std::vector<uint64_t> fields;
  double now = 0;
  for (int i = 0; i < 1000 && fields.size() < 3; ++i) {
    now = engine.next_wakeup_s();
    std::vector<Action> out;
    const NtpTime clock = kEpoch + NtpDuration::from_seconds(now);
    engine.on_timer(now, clock, out);
    for (const auto& a : out) {
      const auto* send = std::get_if<SendRequest>(&a);
      if (send == nullptr) continue;
      auto h = wire::parse_header(send->bytes);
      ASSERT_TRUE(h.ok());
      EXPECT_GT(std::fabs((h->transmit - clock.to_timestamp()).to_seconds()), 1.0);
      fields.push_back(h->transmit.raw());
    }
  }
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_NE(fields[0], fields[1]);
  EXPECT_NE(fields[1], fields[2]);
  // A reply echoing our clock reading instead of the nonce is not ours.
  server::ServerView view = server::local_clock_view(1, wire::kiss_code("GPS\0"), -20, kEpoch);
  wire::NtpHeader guess;
  guess.mode = wire::Mode::kClient;
  guess.version = 4;
  guess.transmit = (kEpoch + NtpDuration::from_seconds(now)).to_timestamp();
  const auto answer = server::answer_request(guess, {}, view, kEpoch, kEpoch, false);
  ASSERT_TRUE(answer.has_reply());
  std::vector<Action> out;
  engine.on_packet(server_at(1), server::serialize_reply(answer.header), kEpoch, now + 0.01, out);
  EXPECT_EQ(engine.peers(now + 0.01)[0].state.drops.unmatched, 1u);
  EXPECT_FALSE(engine.peers(now + 0.01)[0].state.filter.has_value());
}

// Issue 12: a server that takes its time from us (its refid is one of our
// addresses) is not selectable, even when it is the better server.
TEST(ClientEngine, ServerSynchronisedToUsIsNotSelectable) {
  const auto ours = net::IpAddress::v4({198, 51, 100, 7});
  Harness h({{server_at(1), 0.0, 3}, {server_at(2), 0.0001, 2, std::nullopt, 0, ours.v4_value()}},
            0.0, 0);
  const std::vector<net::IpAddress> own{net::IpAddress::v4_loopback(), ours};
  h.engine().set_own_addresses(own);
  h.run(120);
  auto sys = h.engine().system(120);
  ASSERT_TRUE(sys.system_peer.has_value());
  EXPECT_EQ(*sys.system_peer, 0u);
  EXPECT_EQ(h.engine().peers(120)[1].tally, select::Tally::kReject);
  EXPECT_EQ(std::count_if(h.logs.begin(), h.logs.end(),
                          [](const std::string& l) { return l.find("timing loop") != l.npos; }),
            1);
  // Our address went away: no loop any more, and the better stratum wins.
  h.engine().set_own_addresses(std::vector<net::IpAddress>{net::IpAddress::v4_loopback()});
  h.run(400);
  sys = h.engine().system(400);
  ASSERT_TRUE(sys.system_peer.has_value());
  EXPECT_EQ(*sys.system_peer, 1u);
}

// Loopback addresses are not loop evidence: 127.0.0.1 is every orphan's refid.
TEST(ClientEngine, LoopbackRefidIsNotALoop) {
  Harness h({{server_at(1), 0.0, 3, std::nullopt, 0, net::IpAddress::v4_loopback().v4_value()}},
            0.0, 0);
  const std::vector<net::IpAddress> own{net::IpAddress::v4_loopback()};
  h.engine().set_own_addresses(own);
  h.run(30);
  EXPECT_TRUE(h.engine().system(30).system_peer.has_value());
}

TEST(ClientEngine, KissRateIsLoggedAndBacksOff) {
  Harness h({{server_at(1), 0.0, 2, wire::kKissRate}}, 0.0, 0);
  h.run(30);
  bool logged = false;
  for (const auto& l : h.logs) logged |= l.find("RATE") != std::string::npos;
  EXPECT_TRUE(logged);
  EXPECT_FALSE(h.engine().system(30).system_peer.has_value());
  EXPECT_GT(h.engine().peers(30)[0].state.poll_log2, 6);
}

// A clock that refuses writes (e.g. no CAP_SYS_TIME) must not be served as
// synchronised: the engine believes it corrected it, but it did not.
TEST(ClientEngine, FailedClockWritesMakeItUnsynchronisedUntilOneSucceeds) {
  Harness h({{server_at(1), 0.0, 2}}, 0.25, 0);
  h.writes_fail = true;
  h.run(20.0);
  SystemView sys = h.engine().system(20.0);
  EXPECT_EQ(h.steps, 0);
  EXPECT_EQ(sys.server.leap, wire::LeapIndicator::kUnsynchronised);
  EXPECT_EQ(sys.server.stratum, server::kStratumUnsynchronised);
  EXPECT_FALSE(sys.server.synchronised());
  EXPECT_FALSE(sys.system_peer.has_value());
  EXPECT_TRUE(sys.clock_write_failed);  // ntpd then does not write the drift file
  const auto count = [&](const std::string& what) {
    return std::count_if(h.logs.begin(), h.logs.end(),
                         [&](const std::string& l) { return l.find(what) != std::string::npos; });
  };
  // Said once, with the reason, however many writes failed.
  EXPECT_EQ(count("cannot adjust the clock: Operation not permitted"), 1);
  // The writes work again: the next one (here the step the discipline
  // retries when the next polls still see the offset) restores it.
  h.writes_fail = false;
  h.run(1000.0);
  sys = h.engine().system(1000.0);
  EXPECT_TRUE(sys.server.synchronised());
  EXPECT_EQ(sys.server.stratum, 3);
  ASSERT_TRUE(sys.system_peer.has_value());
  EXPECT_FALSE(sys.clock_write_failed);
  EXPECT_EQ(h.steps, 1);
  EXPECT_LT(std::fabs(h.clock().offset_s), 0.001);
  EXPECT_EQ(count("the clock can be adjusted again"), 1);
  EXPECT_EQ(count("cannot adjust the clock"), 1);
}

TEST(ClientEngine, OneAssociationPerEndpoint) {
  SeededRandom random(1);
  ClientEngine engine(ClientConfig{}, random, 0);
  source::AssociationOptions o;
  o.endpoint = server_at(1);
  const auto first = engine.add_server(o, 0);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(engine.add_server(o, 0).has_value());  // same address and port
  o.endpoint.port = 1123;
  EXPECT_TRUE(engine.add_server(o, 0).has_value());  // another port: another server
  std::vector<Action> out;
  engine.remove_server(*first, 0, kEpoch, out);
  o.endpoint = server_at(1);
  EXPECT_TRUE(engine.add_server(o, 0).has_value());  // free again once removed
  EXPECT_EQ(engine.live_count(), 2u);
}

// Replies through on_reply (the daemon's per-association sockets): only the
// association's own server, only an answer to its latest request.
class OnReply : public ::testing::Test {
 protected:
  OnReply() : random_(5) {
    ClientConfig config;
    for (uint8_t i : {1, 2}) {
      source::AssociationOptions o;
      o.endpoint = server_at(i);
      config.servers.push_back(o);
    }
    engine_ = std::make_unique<ClientEngine>(config, random_, 0);
  }
  // Runs the timers until association `id` sends a request; returns it and
  // sets now_s_ to when it was sent.
  SendRequest poll(size_t id) {
    for (int i = 0; i < 100; ++i) {
      now_s_ = engine_->next_wakeup_s();
      std::vector<Action> out;
      engine_->on_timer(now_s_, clock(now_s_), out);
      for (auto& a : out) {
        if (auto* s = std::get_if<SendRequest>(&a); s != nullptr && s->association == id) return *s;
      }
    }
    ADD_FAILURE() << "association " << id << " sent nothing";
    return {};
  }
  static NtpTime clock(double now_s) { return kEpoch + NtpDuration::from_seconds(now_s); }
  static std::vector<std::byte> reply_to(const SendRequest& send, double now_s) {
    auto request = wire::parse_header(send.bytes);
    const NtpTime t = clock(now_s);
    const auto view = server::local_clock_view(1, wire::kiss_code("GPS\0"), -20, t);
    const auto answer = server::answer_request(*request, server::Admission{}, view, t, t, false);
    return server::serialize_reply(answer.header);
  }
  int reach(size_t id, double now_s) {
    for (const auto& p : engine_->peers(now_s)) {
      if (p.id == id) return p.state.reach;
    }
    return -1;
  }
  bool deliver(size_t id, const net::Endpoint& from, const std::vector<std::byte>& bytes,
               double now_s) {
    std::vector<Action> out;
    return engine_->on_reply(id, from, bytes, clock(now_s), now_s, out);
  }

  SeededRandom random_;
  std::unique_ptr<ClientEngine> engine_;
  double now_s_ = 0;
};

TEST_F(OnReply, CountsOnlyFromItsOwnServer) {
  const SendRequest sent = poll(0);
  const double t = now_s_ + 0.01;
  const auto reply = reply_to(sent, t);
  // Association 0's reply claimed by association 1, or from another port,
  // or for an association that does not exist: not accepted.
  EXPECT_FALSE(deliver(1, server_at(1), reply, t));
  EXPECT_FALSE(deliver(0, net::Endpoint{server_at(1).address, 1123}, reply, t));
  EXPECT_FALSE(deliver(7, server_at(1), reply, t));
  EXPECT_EQ(reach(0, t), 0);
  EXPECT_EQ(reach(1, t), 0);
  // The real thing.
  EXPECT_TRUE(deliver(0, server_at(1), reply, t));
  EXPECT_EQ(reach(0, t), 1);
}

TEST_F(OnReply, AReplyToAnOldRequestIsNoSample) {
  const SendRequest first = poll(0);
  const auto old_reply = reply_to(first, now_s_ + 0.01);  // captured, not delivered yet
  const SendRequest second = poll(0);
  const double t = now_s_ + 0.01;
  // The old reply (origin = the first request's T1) arrives now: no sample.
  deliver(0, server_at(1), old_reply, t);
  EXPECT_EQ(reach(0, t), 0);
  // The reply to the current request counts, once; a replay of it does not.
  const auto reply = reply_to(second, t);
  deliver(0, server_at(1), reply, t);
  EXPECT_EQ(reach(0, t), 1);
  const double first_reply_s = engine_->peers(t)[0].state.last_reply_s;
  deliver(0, server_at(1), reply, t + 0.01);
  EXPECT_EQ(engine_->peers(t + 0.01)[0].state.last_reply_s, first_reply_s);
}

}  // namespace
}  // namespace meridian::engine
