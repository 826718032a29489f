#include "core/server/server_core.h"

#include <algorithm>

#include "core/access/access_decision.h"
#include "core/auth/mac.h"
#include "core/nts/ntp_fields.h"
#include "core/nts/server_answer.h"

namespace meridian::server {

namespace {

// RFC 8915 §5.7: an NTS request carries a Unique Identifier field.
bool is_nts_request(std::span<const std::byte> datagram) {
  auto fields = nts::walk_fields(datagram, wire::kHeaderSize, 16);
  if (!fields) return false;
  for (const auto& f : *fields) {
    if (f.type == nts::kEfUniqueIdentifier) return true;
  }
  return false;
}

}  // namespace

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
  // An NTS reply may be as long as its request (never longer).
  std::vector<std::byte> buffer(std::max(kMaxReplySize, datagram.size()));
  const size_t n = handle_into(datagram, client, rx, tx, now_s, buffer);
  if (n == 0) return std::nullopt;
  buffer.resize(n);
  return buffer;
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
  // An NTS request is authenticated by its cookie and authenticator, checked
  // when it is answered (a failure is answered with an NTS NAK only, never
  // longer than the request): for `restrict … notrust` it counts as
  // authenticated.
  auth::VerifyResult verified;
  const bool nts = policy_.nts != nullptr && datagram.size() > wire::kHeaderSize &&
                   header->mode == wire::Mode::kClient && is_nts_request(datagram);
  if (nts) {
    verified.status = auth::VerifyStatus::kOk;
  } else if (datagram.size() > wire::kHeaderSize) {
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
  if (nts) return nts_reply(datagram, a, out);
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

size_t ServerCore::nts_reply(std::span<const std::byte> datagram, const Answer& a,
                             std::span<std::byte> out) {
  const NtsServerContext& ctx = *policy_.nts;
  const auto keyring = ctx.keyring();
  if (!keyring) return drop(Outcome::kDroppedAuth);
  std::array<std::byte, wire::kHeaderSize> header{};
  wire::serialize_header_to(a.header, header);
  const nts::ServerAnswer answer =
      nts::answer_request(ctx.aead(), *keyring, datagram, header, ctx.random());
  if (answer.outcome == nts::ServerOutcome::kDrop || answer.bytes.size() > out.size()) {
    ctx.counters().dropped.fetch_add(1, std::memory_order_relaxed);
    return drop(Outcome::kDroppedAuth);
  }
  if (answer.outcome == nts::ServerOutcome::kNak) {
    ctx.counters().naks.fetch_add(1, std::memory_order_relaxed);
    ++counters_[static_cast<size_t>(Outcome::kKissDeny)];
  } else {
    ctx.counters().replies.fetch_add(1, std::memory_order_relaxed);
    ++counters_[static_cast<size_t>(a.outcome)];
  }
  std::copy(answer.bytes.begin(), answer.bytes.end(), out.begin());
  return answer.bytes.size();
}

}  // namespace meridian::server
