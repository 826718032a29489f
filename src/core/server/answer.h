// The server's per-packet decision as a pure function (DESIGN.md §7):
// request bytes + access decision + system view in, reply bytes (or nothing)
// out. The caller reads the clock for the transmit timestamp immediately
// before calling, so that timestamp is as late as possible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/server/server_view.h"
#include "core/time/ntp_timestamp.h"
#include "core/wire/ntp_packet.h"

namespace meridian::server {

// Why a request was or was not answered: one counter per value.
enum class Outcome : uint8_t {
  kReplied,
  kKissRate,  // limited + kod: answered with a RATE kiss-o'-death
  kKissDeny,  // denied by an auth/access rule and told so (crypto-NAK)
  kDroppedMalformed,
  kDroppedMode,        // not a request we answer (server/broadcast/mode 7 …)
  kDroppedRestricted,  // restrict ignore/noserve/version/notrust…
  kDroppedRateLimited,
  kDroppedAuth,  // bad MAC / unknown key and no NAK allowed
  kControl,      // mode 6: handed to the control module
  kCount,
};
std::string_view outcome_name(Outcome o);

// What access control and authentication concluded for this request.
struct Admission {
  enum class Verdict { kServe, kKissRate, kDrop } verdict = Verdict::kServe;
  Outcome drop_reason = Outcome::kDroppedRestricted;  // when kDrop
};

struct Answer {
  Outcome outcome = Outcome::kDroppedMalformed;
  wire::NtpHeader header;  // valid when outcome is kReplied or kKissRate
  bool has_reply() const { return outcome == Outcome::kReplied || outcome == Outcome::kKissRate; }
};

// RFC 5905 §9.2 fast_xmit: mode 3 → 4, mode 1 → 2 (when the caller allows
// symmetric passive replies), version echoed, origin = client transmit.
// REQUIRES: request parsed from the datagram; rx = receive time, tx = a
// clock read taken just now.
Answer answer_request(const wire::NtpHeader& request, const Admission& admission,
                      const ServerView& view, time::NtpTime rx, time::NtpTime tx,
                      bool allow_symmetric_passive);

// Serialises a reply header; appends nothing else (MACs are added by auth).
std::vector<std::byte> serialize_reply(const wire::NtpHeader& header);

}  // namespace meridian::server
