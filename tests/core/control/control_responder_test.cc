// Mode 6 (RFC 9327) answers: READSTAT, READVAR, errors, fragmentation,
// nonce-gated READ_MRU and the anti-amplification bound.
#include "core/control/control_responder.h"

#include <gtest/gtest.h>

#include <string>

#include "core/access/mru_table.h"

namespace meridian::control {
namespace {

std::vector<std::byte> request(Opcode op, uint16_t assoc, std::string_view data = {},
                               uint16_t sequence = 7) {
  ControlHeader h;
  h.version = 2;
  h.opcode = static_cast<uint8_t>(op);
  h.sequence = sequence;
  h.association = assoc;
  return serialize(h, as_bytes(data));
}

std::string text_of(const ControlMessage& m) {
  return {reinterpret_cast<const char*>(m.data.data()), m.data.size()};
}

access::AccessDecision allowed() {
  return access::classify(0, wire::Mode::kControl, access::PacketAuth::kNone, 2);
}

ControlSnapshot synced_snapshot() {
  ControlSnapshot s;
  s.server.leap = wire::LeapIndicator::kNoWarning;
  s.server.stratum = 3;
  s.server.precision = -20;
  s.server.root_delay_s = 0.030;
  s.server.root_dispersion_s = 0.010;
  s.server.reference_id = 0xC0000201;  // 192.0.2.1
  s.clock = time::NtpTime::from_parts(3'900'000'000, 0);
  s.server.reference_time = s.clock;
  s.now_s = 100;
  engine::SystemView sys;
  sys.server = s.server;
  sys.system_peer = 0;
  sys.poll_log2 = 6;
  sys.discipline.synchronised = true;
  s.system = sys;
  engine::PeerView p;
  p.id = 0;
  p.options.endpoint = {*net::IpAddress::parse("192.0.2.1"), 123};
  p.state.reach = 0xff;
  p.state.poll_log2 = 6;
  source::Sample sample;
  sample.stratum = 2;
  sample.reference_id = 0x0A000001;
  sample.poll = 6;
  p.state.last_sample = sample;
  source::FilterOutput f;
  f.delay_s = 0.0304;
  f.offset_s = 0.0017;
  f.jitter_s = 0.0049;
  p.state.filter = f;
  p.state.last_reply_s = 67;
  p.tally = select::Tally::kSystemPeer;
  s.peers.push_back(p);
  s.processor = "x86_64";
  s.system_name = "Linux/6.1";
  return s;
}

const net::Endpoint kClient{net::IpAddress::v4_loopback(), 40000};

TEST(ControlMessage, RejectsShortWrongModeAndOverlongCount) {
  EXPECT_FALSE(parse_message(std::vector<std::byte>(11)));
  auto r = request(Opcode::kReadStatus, 0);
  r[0] = std::byte{0x13};  // mode 3
  EXPECT_FALSE(parse_message(r));
  auto c = request(Opcode::kReadVariables, 0, "abcd");
  c[11] = std::byte{200};  // count past the end
  EXPECT_FALSE(parse_message(c));
}

TEST(ControlMessage, AcceptsClassicNtpstatPaddedRequest) {
  // Classic ntpstat sends its whole 576-octet struct: header + zeros.
  auto r = request(Opcode::kReadVariables, 0);
  r.resize(576);
  auto m = parse_message(r);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data.size(), 0u);
  EXPECT_FALSE(m->has_mac());
}

TEST(ControlResponder, ReadStatusListsAssociationsWithPeerStatus) {
  ControlResponder c({1, 2});
  const auto s = synced_snapshot();
  auto out = c.handle(request(Opcode::kReadStatus, 0), kClient, allowed(), s, nullptr);
  ASSERT_EQ(out.size(), 1u);
  auto m = parse_message(out[0]);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->header.response);
  EXPECT_EQ(m->header.sequence, 7);
  EXPECT_EQ(m->header.version, 2);
  EXPECT_EQ(m->header.status, 0x0615);  // leap_none, sync_ntp, 1 event, clock_sync
  ASSERT_EQ(m->data.size(), 4u);
  EXPECT_EQ(std::to_integer<int>(m->data[1]), 1);     // association id 1
  EXPECT_EQ(std::to_integer<int>(m->data[2]), 0xb6);  // conf, auth, reach, sel_sys.peer
  EXPECT_EQ(std::to_integer<int>(m->data[3]), 0x1a);  // 1 event, sys_peer
}

TEST(ControlResponder, ReadVarSystemHasWhatNtpstatParsesInTheFirstFragment) {
  ControlResponder c({1, 2});
  auto out =
      c.handle(request(Opcode::kReadVariables, 0), kClient, allowed(), synced_snapshot(), nullptr);
  ASSERT_EQ(out.size(), 1u);
  auto m = parse_message(out[0]);
  ASSERT_TRUE(m);
  const std::string t = text_of(*m);
  for (const char* v : {"stratum=3,", "rootdelay=30.000,", "rootdisp=10.000,", "refid=192.0.2.1,",
                        "tc=6,", "peer=1,", "processor=\"x86_64\"", "version=\"ntpd Meridian\""}) {
    EXPECT_NE(t.find(v), std::string::npos) << v << " in " << t;
  }
  EXPECT_LE(m->data.size(), kMaxFragmentData);
  EXPECT_EQ(t.substr(t.size() - 2), "\r\n");
}

TEST(ControlResponder, ReadVarNamedVariablesAndUnknownOnes) {
  ControlResponder c({1, 2});
  auto out = c.handle(request(Opcode::kReadVariables, 0, "stratum, tc"), kClient, allowed(),
                      synced_snapshot(), nullptr);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(text_of(*parse_message(out[0])), "stratum=3, tc=6\r\n");
  out = c.handle(request(Opcode::kReadVariables, 0, "nosuchvar"), kClient, allowed(),
                 synced_snapshot(), nullptr);
  ASSERT_EQ(out.size(), 1u);
  auto m = parse_message(out[0]);
  EXPECT_TRUE(m->header.error);
  EXPECT_EQ(m->header.status >> 8, static_cast<int>(ControlError::kUnknownVariable));
}

TEST(ControlResponder, PeerVariablesAndUnknownAssociation) {
  ControlResponder c({1, 2});
  auto out =
      c.handle(request(Opcode::kReadVariables, 1), kClient, allowed(), synced_snapshot(), nullptr);
  std::string t;
  for (const auto& f : out) t += text_of(*parse_message(f));
  for (const char* v :
       {"srcadr=192.0.2.1,", "srcport=123,", "stratum=2,", "refid=10.0.0.1,", "reach=0xff,",
        "hpoll=6,", "delay=30.400000,", "offset=1.700000,", "jitter=4.900000,", "hmode=3,"}) {
    EXPECT_NE(t.find(v), std::string::npos) << v << " in " << t;
  }
  out =
      c.handle(request(Opcode::kReadVariables, 99), kClient, allowed(), synced_snapshot(), nullptr);
  ASSERT_EQ(out.size(), 1u);
  auto m = parse_message(out[0]);
  EXPECT_TRUE(m->header.error);
  EXPECT_EQ(m->header.status >> 8, static_cast<int>(ControlError::kUnknownAssociation));
}

TEST(ControlResponder, PeerFilterStagesNewestFirstInMilliseconds) {
  ControlResponder c({1, 2});
  auto s = synced_snapshot();
  // newest first: two real samples, one "no reply" dummy, the rest empty
  s.peers[0].filter_stages[0] = source::FilterSample{
      .offset_s = 0.00123, .delay_s = 0.0304, .dispersion_s = 0.0001, .time_s = 100};
  s.peers[0].filter_stages[1] =
      source::FilterSample{.offset_s = -0.0021,
                           .delay_s = 0.0411,
                           .dispersion_s = 0.0001,
                           .time_s = 36};  // grown by 15 µs/s × 64 s = 0.96 ms
  s.peers[0].filter_stages[2] = source::FilterSample{
      .offset_s = 0, .delay_s = 16, .dispersion_s = 16, .time_s = 20};  // dummy
  auto out = c.handle(request(Opcode::kReadVariables, 1), kClient, allowed(), s, nullptr);
  std::string t;
  for (const auto& f : out) t += text_of(*parse_message(f));
  EXPECT_NE(t.find("filtdelay= 30.40 41.10 0.00 0.00 0.00 0.00 0.00 0.00"), std::string::npos) << t;
  EXPECT_NE(t.find("filtoffset= 1.23 -2.10 0.00 0.00 0.00 0.00 0.00 0.00"), std::string::npos) << t;
  EXPECT_NE(t.find("filtdisp= 0.10 1.06 16000.00 16000.00 16000.00 16000.00 16000.00 16000.00"),
            std::string::npos)
      << t;
  // and by name, as ntpq asks for them
  out = c.handle(request(Opcode::kReadVariables, 1, "filtdelay,filtdisp"), kClient, allowed(), s,
                 nullptr);
  t.clear();
  for (const auto& f : out) t += text_of(*parse_message(f));
  EXPECT_EQ(t.find("srcadr"), std::string::npos) << t;
  EXPECT_NE(t.find("filtdelay= 30.40"), std::string::npos) << t;
  EXPECT_NE(t.find("filtdisp= 0.10"), std::string::npos) << t;
}

// The classic flash bits of the last reply and Meridian's drop counters.
TEST(ControlResponder, PeerFlashAndDropCounters) {
  ControlResponder c({1, 2});
  auto s = synced_snapshot();
  s.peers[0].state.flash = source::flash_bits(source::Verdict::kBadTimestamps);
  s.peers[0].state.drops.bad_timestamps = 7;
  s.peers[0].state.drops.crossed_step = 2;
  auto out = c.handle(request(Opcode::kReadVariables, 1, "flash,drop_time,drop_step,drop_origin"),
                      kClient, allowed(), s, nullptr);
  std::string t;
  for (const auto& f : out) t += text_of(*parse_message(f));
  EXPECT_NE(t.find("flash=0x4"), std::string::npos) << t;
  EXPECT_NE(t.find("drop_time=7"), std::string::npos) << t;
  EXPECT_NE(t.find("drop_step=2"), std::string::npos) << t;
  EXPECT_NE(t.find("drop_origin=0"), std::string::npos) << t;
}

TEST(ControlResponder, BadOpcodeAndRefusedWrites) {
  ControlResponder c({1, 2});
  auto out =
      c.handle(request(static_cast<Opcode>(20), 0), kClient, allowed(), synced_snapshot(), nullptr);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse_message(out[0])->header.status >> 8, static_cast<int>(ControlError::kBadOpcode));
  out = c.handle(request(Opcode::kWriteVariables, 0, "leap=1"), kClient, allowed(),
                 synced_snapshot(), nullptr);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse_message(out[0])->header.status >> 8,
            static_cast<int>(ControlError::kAdministrativelyProhibited));
}

TEST(ControlResponder, NeverAnswersResponsesNorNoquery) {
  ControlResponder c({1, 2});
  auto r = request(Opcode::kReadStatus, 0);
  r[1] = std::byte{0x81};  // R bit: a response
  EXPECT_TRUE(c.handle(r, kClient, allowed(), synced_snapshot(), nullptr).empty());
  const auto noquery =
      access::classify(config::kNoQuery, wire::Mode::kControl, access::PacketAuth::kNone, 2);
  EXPECT_TRUE(
      c.handle(request(Opcode::kReadStatus, 0), kClient, noquery, synced_snapshot(), nullptr)
          .empty());
}

TEST(ControlResponder, AnswersStayWithinTheAmplificationBound) {
  ControlResponder c({1, 2});
  auto s = synced_snapshot();
  for (size_t i = 1; i < 400; ++i) {  // many associations: READSTAT grows
    auto p = s.peers[0];
    p.id = i;
    s.peers.push_back(p);
  }
  const auto req = request(Opcode::kReadStatus, 0);
  auto out = c.handle(req, kClient, allowed(), s, nullptr);
  size_t bytes = 0;
  for (const auto& f : out) bytes += f.size();
  EXPECT_LE(bytes, kMaxAmplification * req.size());
  EXPECT_EQ(c.counters().refused_size, 1u);
  // A full peer READVAR (IPv6 addresses) from a minimal request still fits.
  s.peers.resize(1);
  s.peers[0].options.endpoint = {*net::IpAddress::parse("2001:db8:ffff:ffff:ffff:ffff:ffff:1"),
                                 123};
  s.local_address = *net::IpAddress::parse("2001:db8:ffff:ffff:ffff:ffff:ffff:2");
  out = c.handle(request(Opcode::kReadVariables, 1), kClient, allowed(), s, nullptr);
  ASSERT_FALSE(out.empty());
  EXPECT_FALSE(parse_message(out[0])->header.error);
}

TEST(ControlResponder, RateLimitIsATokenBucketPerSourceAddress) {
  ControlResponder c({1, 2}, ControlRateLimit{.per_second = 4, .burst = 8});
  auto s = synced_snapshot();
  s.now_s = 1000;
  const auto req = request(Opcode::kReadStatus, 0);
  for (int i = 0; i < 8; ++i) {
    EXPECT_FALSE(c.handle(req, kClient, allowed(), s, nullptr).empty()) << i;
  }
  // the burst is spent: dropped silently (no error response to amplify)
  EXPECT_TRUE(c.handle(req, kClient, allowed(), s, nullptr).empty());
  EXPECT_TRUE(c.handle(request(Opcode::kReadVariables, 0), kClient, allowed(), s, nullptr).empty());
  EXPECT_EQ(c.counters().rate_limited, 2u);
  // another source has its own bucket
  const net::Endpoint other{*net::IpAddress::parse("192.0.2.77"), 40000};
  EXPECT_FALSE(c.handle(req, other, allowed(), s, nullptr).empty());
  // 4 per second come back: after 0.5 s two more, then none
  s.now_s += 0.5;
  EXPECT_FALSE(c.handle(req, kClient, allowed(), s, nullptr).empty());
  EXPECT_FALSE(c.handle(req, kClient, allowed(), s, nullptr).empty());
  EXPECT_TRUE(c.handle(req, kClient, allowed(), s, nullptr).empty());
  // a long pause refills only up to the burst
  s.now_s += 3600;
  int answered = 0;
  for (int i = 0; i < 100; ++i)
    answered += c.handle(req, kClient, allowed(), s, nullptr).empty() ? 0 : 1;
  EXPECT_EQ(answered, 8);
  // refused (noquery) requests take no tokens and are not counted as limited
  const uint64_t limited = c.counters().rate_limited;
  const auto noquery =
      access::classify(config::kNoQuery, wire::Mode::kControl, access::PacketAuth::kNone, 2);
  const net::Endpoint third{*net::IpAddress::parse("192.0.2.78"), 40000};
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(c.handle(req, third, noquery, s, nullptr).empty());
  EXPECT_EQ(c.counters().rate_limited, limited);
  EXPECT_FALSE(c.handle(req, third, allowed(), s, nullptr).empty());
}

TEST(ControlResponder, RateLimitDefaultsAndUnlimited) {
  ControlResponder def({1, 2});
  ControlResponder off({1, 2}, ControlRateLimit::unlimited());
  auto s = synced_snapshot();
  const auto req = request(Opcode::kReadStatus, 0);
  int answered_def = 0;
  int answered_off = 0;
  for (int i = 0; i < 1000; ++i) {  // same instant: only the default burst passes
    answered_def += def.handle(req, kClient, allowed(), s, nullptr).empty() ? 0 : 1;
    answered_off += off.handle(req, kClient, allowed(), s, nullptr).empty() ? 0 : 1;
  }
  EXPECT_EQ(answered_def, static_cast<int>(ControlRateLimit{}.burst));
  EXPECT_EQ(answered_off, 1000);
}

TEST(ControlResponder, LongResponsesAreFragmented) {
  ControlHeader h;
  h.response = true;
  h.opcode = 2;
  const std::string body(1000, 'x');
  auto frags = fragment(h, as_bytes(body));
  ASSERT_EQ(frags.size(), 3u);
  auto a = parse_message(frags[0]);
  auto c = parse_message(frags[2]);
  EXPECT_TRUE(a->header.more);
  EXPECT_EQ(a->header.count, kMaxFragmentData);
  EXPECT_FALSE(c->header.more);
  EXPECT_EQ(c->header.offset, 2 * kMaxFragmentData);
  EXPECT_EQ(frags[2].size() % 4, 0u);
}

TEST(ControlResponder, MruNeedsAValidNonceFromTheSameAddress) {
  ControlResponder c({1, 2});
  auto s = synced_snapshot();
  access::MruTable mru(access::MruLimits{});
  auto t = mru.touch(*net::IpAddress::parse("192.0.2.9"), 90);
  t.entry->port = 123;
  t.entry->mode = 3;
  t.entry->version = 4;
  t.entry->count = 5;
  // Without a nonce: refused.
  auto out = c.handle(request(Opcode::kReadMru, 0, "frags=4"), kClient, allowed(), s, &mru);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(parse_message(out[0])->header.error);
  // The nonce handshake.
  out = c.handle(request(Opcode::kRequestNonce, 0), kClient, allowed(), s, &mru);
  ASSERT_EQ(out.size(), 1u);
  std::string nonce = text_of(*parse_message(out[0]));
  nonce = nonce.substr(0, nonce.find('\r'));
  ASSERT_EQ(nonce.rfind("nonce=", 0), 0u);
  // Another address cannot use it.
  const net::Endpoint other{*net::IpAddress::parse("198.51.100.7"), 40000};
  out = c.handle(request(Opcode::kReadMru, 0, nonce + ", frags=4"), other, allowed(), s, &mru);
  EXPECT_TRUE(parse_message(out[0])->header.error);
  // The right address gets the list with the end marker.
  out = c.handle(request(Opcode::kReadMru, 0, nonce + ", frags=4"), kClient, allowed(), s, &mru);
  std::string text;
  for (const auto& f : out) text += text_of(*parse_message(f));
  EXPECT_NE(text.find("addr.0=192.0.2.9:123"), std::string::npos) << text;
  EXPECT_NE(text.find("ct.0=5"), std::string::npos);
  EXPECT_NE(text.find("mv.0=35"), std::string::npos);
  EXPECT_NE(text.find("now=0x"), std::string::npos);
  // Expired after its lifetime.
  auto later = s;
  later.clock = time::NtpTime::from_parts(s.clock.seconds_since_1900() + 60, 0);
  out =
      c.handle(request(Opcode::kReadMru, 0, nonce + ", frags=4"), kClient, allowed(), later, &mru);
  EXPECT_TRUE(parse_message(out[0])->header.error);
  // `nomrulist`-style refusal.
  auto no_mru = allowed();
  no_mru.may_mrulist = false;
  out = c.handle(request(Opcode::kReadMru, 0, nonce + ", frags=4"), kClient, no_mru, s, &mru);
  EXPECT_TRUE(parse_message(out[0])->header.error);
}

TEST(ControlVariables, UnsynchronisedSystemSaysRestarting) {
  ControlSnapshot s;
  s.server = server::ServerView::unsynchronised(-20);
  EXPECT_EQ(system_status(s) >> 14, 3);
  EXPECT_EQ(system_status(s) & 0xf, kEventFreqNotSet);
  EXPECT_EQ(refid_text(wire::kKissInit, 16), "INIT");
}

}  // namespace
}  // namespace meridian::control

namespace meridian::control {
namespace {

TEST(ControlResponder, SysstatsCountersOnlyWhenAskedByName) {
  ControlResponder c({1, 2});
  ControlSnapshot s = synced_snapshot();
  s.stats.uptime_s = 3600.7;
  s.stats.received = 42;
  s.stats.kod_sent = 3;
  s.stats.processed = 39;
  auto named =
      c.handle(request(Opcode::kReadVariables, 0, "ss_uptime,ss_received,ss_kodsent,ss_processed"),
               kClient, allowed(), s, nullptr);
  ASSERT_EQ(named.size(), 1u);
  auto m = parse_message(named[0]);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(text_of(*m), "ss_uptime=3600, ss_received=42, ss_kodsent=3, ss_processed=39\r\n");
  // The default `rv` list stays classic: no ss_* variables.
  auto all = c.handle(request(Opcode::kReadVariables, 0), kClient, allowed(), s, nullptr);
  ASSERT_FALSE(all.empty());
  auto first = parse_message(all[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(text_of(*first).find("ss_"), std::string::npos);
}

}  // namespace
}  // namespace meridian::control

namespace meridian::control {
namespace {

std::string value_of(const std::vector<Variable>& vars, std::string_view name) {
  for (const auto& v : vars) {
    if (v.name == name) return v.value;
  }
  return "<absent>";
}

TEST(ControlVariables, LeapfileVariablesAsNtpsec) {
  ControlSnapshot s = synced_snapshot();
  EXPECT_EQ(value_of(system_variables(s), "tai"), "<absent>");  // no leapfile
  leap::LeapTable t;
  t.entries = {{3644697600, 36}, {3692217600, 37}};
  t.updated_ntp_s = 3960835200;
  t.expires_ntp_s = 3991593600;
  s.system->leap_table = t;
  s.server.leap = wire::LeapIndicator::kInsertSecond;
  const auto vars = system_variables(s);
  EXPECT_EQ(value_of(vars, "leap"), "1");
  EXPECT_EQ(value_of(vars, "tai"), "37");
  EXPECT_EQ(value_of(vars, "leapsec"), "2017-01-01T00:00Z");
  EXPECT_EQ(value_of(vars, "expire"), "2026-06-28T00:00Z");
  EXPECT_EQ(vars.back().name, "mintc");
  EXPECT_EQ(system_status(s) >> 14, 1);  // leap_add_sec in the status word
}

}  // namespace
}  // namespace meridian::control
