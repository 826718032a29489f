// Mode 6 control messages (core/control): the parser and the whole
// responder (READSTAT, READVAR, nonce, READ_MRU) on arbitrary datagrams.
// Checks: no crash/UB, responses parse back, and unproven answers stay
// within the amplification bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/access/mru_table.h"
#include "core/control/control_responder.h"

using namespace meridian;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  (void)control::parse_message(bytes);

  // Unlimited: a rate-limited responder would drop every input after the first 64.
  static control::ControlResponder responder({0x1234, 0x5678},
                                             control::ControlRateLimit::unlimited());
  control::ControlSnapshot s;
  s.server = server::ServerView::unsynchronised(-20);
  s.clock = time::NtpTime::from_parts(3'900'000'000, 0);
  engine::PeerView p;
  p.id = 0;
  s.peers.push_back(p);
  static access::MruTable mru(access::MruLimits{});
  mru.touch(net::IpAddress::v4_loopback(), 1);
  const net::Endpoint client{net::IpAddress::v4_loopback(), 1234};
  const auto decision = access::classify(0, wire::Mode::kControl, access::PacketAuth::kNone, 2);
  const auto out = responder.handle(bytes, client, decision, s, &mru);
  size_t total = 0;
  for (const auto& f : out) {
    if (!control::parse_message(f)) std::abort();
    total += f.size();
  }
  const auto parsed = control::parse_message(bytes);
  const bool mru_op = parsed && parsed->header.opcode == 10;
  if (!mru_op && total > control::kMaxAmplification * size && total > 16) std::abort();
  return 0;
}
