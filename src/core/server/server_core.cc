#include "core/server/server_core.h"

#include <algorithm>

#include "core/access/access_decision.h"
#include "core/auth/mac.h"

namespace meridian::server {

size_t ServerCore::drop(Outcome why) {
  ++counters_[static_cast<size_t>(why)];
  return 0;
}

access::AccessDecision ServerCore::control_access(const net::Endpoint& client) {
  ++received_;
  ++counters_[static_cast<size_t>(Outcome::kControl)];
  const uint32_t flags = policy_.restrict.flags_for(client.address, client.port);
  return access::classify(flags, wire::Mode::kControl, access::PacketAuth::kNone, 2);
}

std::optional<std::vector<std::byte>> ServerCore::handle(std::span<const std::byte> datagram,
                                                         const net::Endpoint& client,
                                                         time::NtpTime rx, time::NtpTime tx,
                                                         double now_s) {
  std::array<std::byte, kMaxReplySize> buffer;
  const size_t n = handle_into(datagram, client, rx, tx, now_s, buffer);
  if (n == 0) return std::nullopt;
  return std::vector<std::byte>(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(n));
}

size_t ServerCore::handle_into(std::span<const std::byte> datagram, const net::Endpoint& client,
                               time::NtpTime rx, time::NtpTime tx, double now_s,
                               std::span<std::byte> out) {
  ++received_;
  auto header = wire::parse_header(datagram);
  if (!header) return drop(Outcome::kDroppedMalformed);
  if (header->mode == wire::Mode::kControl) {
    // Mode 6 has its own parser and access rules (control/); not answered here.
    return drop(Outcome::kControl);
  }
  if (header->version == 4) {
    ++current_version_;
  } else if (header->version >= 1 && header->version < 4) {
    ++old_version_;
  }

  // Only packets with trailing bytes need the full parse (MAC / extensions).
  auth::VerifyResult verified;
  if (datagram.size() > wire::kHeaderSize) {
    auto packet = wire::parse_packet(datagram);
    if (!packet) return drop(Outcome::kDroppedMalformed);
    if (packet->mac) {
      if (!policy_.mac_engine) {
        verified.status = auth::VerifyStatus::kUnknownKey;
      } else {
        verified = auth::verify_request(datagram, *packet, policy_.keys, *policy_.mac_engine);
      }
    }
  }

  const uint32_t flags = policy_.restrict.flags_for(client.address, client.port);
  const access::AccessDecision decision =
      access::classify(flags, header->mode, auth::packet_auth(verified.status), header->version);
  if (decision.action == access::AccessAction::kIgnore) {
    const bool auth_problem = decision.reason == access::AccessReason::kAuthFailed ||
                              decision.reason == access::AccessReason::kCryptoNak ||
                              decision.reason == access::AccessReason::kNoTrust;
    if (decision.reason == access::AccessReason::kBadMode) return drop(Outcome::kDroppedMode);
    if (decision.reason == access::AccessReason::kBadVersion)
      return drop(Outcome::kDroppedMalformed);
    return drop(auth_problem ? Outcome::kDroppedAuth : Outcome::kDroppedRestricted);
  }

  // Every admitted packet is recorded in the MRU list (for mrulist), and
  // judged by the rate limiter when `limited` applies.
  const access::RateVerdict rate = policy_.limiter.observe(
      client.address, client.port, header->mode, header->version, flags, now_s);
  Admission admission;
  if (decision.rate_limit && rate != access::RateVerdict::kPass) {
    if (rate == access::RateVerdict::kKod && decision.kod) {
      admission.verdict = Admission::Verdict::kKissRate;
    } else {
      admission = Admission{Admission::Verdict::kDrop, Outcome::kDroppedRateLimited};
    }
  }

  // Mode 1 gets a stateless mode-2 answer (classic); no association is made here.
  const Answer a = answer_request(*header, admission, view_, rx, tx, true);
  if (!a.has_reply()) return drop(a.outcome);
  if (out.size() < kMaxReplySize) return drop(Outcome::kDroppedMalformed);  // caller's bug
  const bool crypto_nak = decision.action == access::AccessAction::kCryptoNak;
  if (!crypto_nak && !verified.ok()) {
    // The common case: a plain 48-byte reply, written in place.
    wire::serialize_header_to(a.header, out.first<wire::kHeaderSize>());
    ++counters_[static_cast<size_t>(a.outcome)];
    return wire::kHeaderSize;
  }
  std::vector<std::byte> reply = serialize_reply(a.header);
  if (crypto_nak) {
    // RFC 5905 §7.4: the client's MAC failed; tell it so (4 bytes < its MAC).
    ++counters_[static_cast<size_t>(Outcome::kKissDeny)];
    reply = auth::append_crypto_nak(std::move(reply));
  } else {
    auto signed_reply =
        auth::append_mac(std::move(reply), verified.key_id, policy_.keys, *policy_.mac_engine);
    if (!signed_reply || signed_reply->size() > out.size()) return drop(Outcome::kDroppedAuth);
    reply = std::move(*signed_reply);
    ++counters_[static_cast<size_t>(a.outcome)];
  }
  if (reply.size() > out.size()) return 0;
  std::copy(reply.begin(), reply.end(), out.begin());
  return reply.size();
}

}  // namespace meridian::server
