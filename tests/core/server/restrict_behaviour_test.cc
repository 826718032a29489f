// nomodify, notrap and nopeer by what a client sees, through the real
// ServerCore (restrict table, classify) and the mode 6 ControlResponder — the
// path the daemon's loop takes for every datagram — rather than by the
// AccessDecision fields.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/control/control_responder.h"
#include "core/server/server_core.h"
#include "core/source/exchange.h"

namespace meridian::server {
namespace {

using control::ControlError;
using control::Opcode;
using time::NtpDuration;
using time::NtpTime;

const NtpTime kNow = NtpTime::from_unix({1'800'000'000, 0});
// The default rule restricts; 192.0.2.50 has a rule without flags.
const net::Endpoint kRestricted{*net::IpAddress::parse("192.0.2.7"), 40000};
const net::Endpoint kOpen{*net::IpAddress::parse("192.0.2.50"), 40000};

std::unique_ptr<ServerCore> make_core(uint32_t default_flags) {
  config::RestrictRule def;
  def.target = config::RestrictRule::Target::kDefault;
  def.flags = default_flags;
  config::RestrictRule open;
  open.target = config::RestrictRule::Target::kAddress;
  open.address = kOpen.address;
  open.mask = net::IpAddress::v4({255, 255, 255, 255});
  const std::vector<config::RestrictRule> rules = {def, open};
  auto table = access::RestrictTable::build(rules);
  EXPECT_TRUE(table.ok());
  ServerPolicy policy{std::move(*table),
                      access::RateLimiter(config::DiscardConfig{}, config::MruConfig{}, 1),
                      auth::KeyStore{}, nullptr};
  auto core = std::make_unique<ServerCore>(std::move(policy));
  core->set_view(
      local_clock_view(6, wire::kiss_code("LOCL"), -20, kNow - NtpDuration::from_seconds_int(10)));
  return core;
}

std::vector<std::byte> control_request(Opcode op, std::string_view data = {}) {
  control::ControlHeader h;
  h.version = 2;
  h.opcode = static_cast<uint8_t>(op);
  h.sequence = 9;
  return control::serialize(h, control::as_bytes(data));
}

control::ControlSnapshot snapshot(const ServerCore& core) {
  control::ControlSnapshot s;
  s.server = core.view();
  s.clock = kNow;
  s.now_s = 100;
  return s;
}

// What the loop does with a mode 6 datagram: ServerCore's access decision,
// then the responder. Returns the responses.
std::vector<std::vector<std::byte>> ask(ServerCore& core, control::ControlResponder& responder,
                                        const net::Endpoint& from,
                                        const std::vector<std::byte>& request) {
  const access::AccessDecision decision = core.control_access(from);
  if (!decision.served()) return {};
  return responder.handle(request, from, decision, snapshot(core), &core.limiter().mru());
}

int error_code(const std::vector<std::vector<std::byte>>& responses) {
  if (responses.size() != 1) return -1;
  const auto m = control::parse_message(responses[0]);
  if (!m || !m->header.error) return 0;
  return m->header.status >> 8;
}

constexpr int kProhibited = static_cast<int>(ControlError::kAdministrativelyProhibited);

TEST(RestrictBehaviourTest, NomodifyRefusesModeSixWritesButNotReads) {
  auto core = make_core(config::kNoModify);
  control::ControlResponder responder({1, 2});
  for (Opcode write :
       {Opcode::kWriteVariables, Opcode::kWriteClock, Opcode::kConfigure, Opcode::kSaveConfig}) {
    EXPECT_EQ(error_code(ask(*core, responder, kRestricted, control_request(write, "leap=1"))),
              kProhibited)
        << static_cast<int>(write);
  }
  EXPECT_EQ(responder.counters().refused_restricted, 4u);
  // Reading is still allowed: it is writing that nomodify refuses.
  EXPECT_EQ(error_code(ask(*core, responder, kRestricted, control_request(Opcode::kReadVariables))),
            0);
  // An address without nomodify is refused too (no controlkey support), but
  // not on nomodify's account.
  EXPECT_EQ(error_code(ask(*core, responder, kOpen, control_request(Opcode::kWriteVariables))),
            kProhibited);
  EXPECT_EQ(responder.counters().refused_restricted, 4u);
}

TEST(RestrictBehaviourTest, NotrapRefusesTrapRequests) {
  auto core = make_core(config::kNoTrap);
  control::ControlResponder responder({1, 2});
  EXPECT_EQ(error_code(ask(*core, responder, kRestricted, control_request(Opcode::kSetTrap))),
            kProhibited);
  EXPECT_EQ(error_code(ask(*core, responder, kRestricted, control_request(Opcode::kUnsetTrap))),
            kProhibited);
  EXPECT_EQ(responder.counters().refused_restricted, 2u);
  EXPECT_EQ(error_code(ask(*core, responder, kOpen, control_request(Opcode::kSetTrap))),
            kProhibited);
  EXPECT_EQ(responder.counters().refused_restricted, 2u);
  // notrap is not nomodify: a write from the notrap address is not counted as restricted.
  ask(*core, responder, kRestricted, control_request(Opcode::kWriteVariables));
  EXPECT_EQ(responder.counters().refused_restricted, 2u);
}

std::vector<std::byte> ntp_packet(wire::Mode mode) {
  wire::NtpHeader h = source::make_client_request(kNow.to_timestamp(), 6, 4);
  h.mode = mode;
  std::vector<std::byte> out;
  wire::serialize_header(h, out);
  return out;
}

std::optional<std::vector<std::byte>> send(ServerCore& core, const std::vector<std::byte>& packet,
                                           const net::Endpoint& from) {
  return core.handle(packet, from, kNow, kNow + NtpDuration::from_seconds(1e-5), 100);
}

// nopeer: a symmetric-active (mode 1) packet never makes this server a peer.
// Classic answers it statelessly with mode 2 (Microsoft KB 875424); nothing
// is remembered, so a symmetric-passive (mode 2) packet that follows, as a
// peer association would exchange, is not taken up either.
TEST(RestrictBehaviourTest, NopeerAnswersModeOneStatelesslyAndRefusesPeering) {
  auto core = make_core(config::kNoPeer);
  for (int i = 0; i < 2; ++i) {
    const auto reply = send(*core, ntp_packet(wire::Mode::kSymmetricActive), kRestricted);
    ASSERT_TRUE(reply.has_value());
    const auto h = wire::parse_header(*reply);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->mode, wire::Mode::kSymmetricPassive);
    EXPECT_EQ(h->stratum, 6);  // our time, as to any client (the view's stratum)
  }
  EXPECT_FALSE(send(*core, ntp_packet(wire::Mode::kSymmetricPassive), kRestricted).has_value());
  // Time service itself is not refused by nopeer.
  EXPECT_TRUE(send(*core, ntp_packet(wire::Mode::kClient), kRestricted).has_value());
}

}  // namespace
}  // namespace meridian::server
