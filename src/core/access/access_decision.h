// What the restrict flags mean for one received packet: the first half of the
// server's "ACL → rate limit → reply/KoD/ignore" pipeline (DESIGN.md §2).
// Pure: flags, mode, authentication outcome and version in; decision out.
//
// Order and meaning follow classic ntpd 4.2.8's receive() (ntpd/ntp_proto.c)
// and ntp.conf(5)/accopt.html:
//   ignore       every packet dropped, whatever its mode.
//   mode 0, 7    always dropped (reserved; Meridian never answers ntpdc's mode 7).
//   mode 6       `noquery` drops it; otherwise it is answered, with `nomodify`
//                refusing writes, `notrap` refusing trap set-up, `lowpriotrap`
//                marking traps low priority and `nomrulist` refusing mrulist.
//                Control queries are never rate limited (accopt.html: limited
//                "does not apply to ntpq and ntpdc queries").
//   modes 1–5    `noserve` drops them (this includes replies from our own
//                servers, as in classic — use `restrict source` to exempt them);
//                NTP versions outside 1–4 are dropped; `version` drops v1–v3.
//   auth         (modes 1–5) A request (mode 1 or 3) whose MAC fails or names an
//                unknown/untrusted key is answered with a crypto-NAK (RFC 5905
//                §7.4/§9.2, classic AUTH_ERROR path); a received crypto-NAK is
//                dropped. Replies (2, 4, 5) with a failed MAC are dropped; a
//                crypto-NAK reply is passed on to its association. `notrust`
//                drops every packet that is not authenticated OK.
//   nopeer       A symmetric-active packet (mode 1) may mobilise a passive
//                association only when it is authenticated, or when neither
//                `nopeer`, `notrust` nor "authentication required" (classic
//                `enable auth`, the default) applies. Otherwise it is still
//                answered, statelessly, with a mode-2 reply — classic's
//                behaviour for Windows clients (Microsoft KB 875424), so the
//                peer gets time but no association is created. `noepeer`
//                forbids mobilisation even when authenticated. Mode 5
//                (broadcast) mobilises a broadcast-client association only
//                without `nopeer`.
//   limited/kod  Modes 1–5 are passed through the RateLimiter when `limited`
//                is set; a limited mode 1 or 3 request gets a RATE KoD only
//                with `kod` (classic warns that "KOD does nothing without
//                LIMITED"). No DENY/RSTR kiss is ever sent for a restricted
//                packet: classic ntpd drops them silently, which also keeps
//                the server from being a reflector.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/wire/ntp_packet.h"

namespace meridian::access {

// The authentication outcome of a packet, as the server sees it. Mapping from
// auth::VerifyStatus: kNone → kNone; kOk → kOk; kBadMac, kUnknownKey,
// kUntrustedKey → kFailed; kCryptoNak → kCryptoNak.
enum class PacketAuth : uint8_t { kNone, kOk, kFailed, kCryptoNak };

enum class AccessAction : uint8_t {
  kServe,      // process the packet / answer it normally
  kIgnore,     // drop silently
  kCryptoNak,  // answer with a crypto-NAK instead of time (RFC 5905 §7.4)
};

// Why a packet was dropped or NAKed; one counter each (classic sys_restricted,
// sys_badauth, sys_badlength…).
enum class AccessReason : uint8_t {
  kNone,
  kIgnoreFlag,   // `ignore`
  kBadMode,      // mode 0 or 7
  kBadVersion,   // version 0 or 5–7
  kVersionFlag,  // `version` and not NTPv4
  kNoServe,      // `noserve`
  kNoQuery,      // `noquery`
  kNoTrust,      // `notrust` and not authenticated
  kAuthFailed,   // MAC failed, unknown or untrusted key
  kCryptoNak,    // a crypto-NAK where a request was expected
};
std::string_view to_string(AccessReason reason);

struct AccessDecision {
  AccessAction action = AccessAction::kIgnore;
  AccessReason reason = AccessReason::kNone;
  // Modes 1–5 with `limited`: consult the RateLimiter before answering.
  bool rate_limit = false;
  // `limited kod` on a mode 1 or 3 request: a limited packet earns a RATE KoD
  // (subject to the limiter's own KoD limits) instead of silence.
  bool kod = false;
  // Modes 1 and 5: a new association may be mobilised for this source.
  bool may_mobilize = false;
  // Mode 6 permissions.
  bool may_modify = false;
  bool may_trap = false;
  bool low_priority_trap = false;
  bool may_mrulist = false;

  bool served() const { return action == AccessAction::kServe; }
};

// `flags`: RestrictTable::flags_for() of the source. `require_auth_to_mobilize`:
// classic `enable auth` (on by default), which makes mode 1 mobilisation need
// an authenticated packet regardless of restrict flags.
AccessDecision classify(uint32_t flags, wire::Mode mode, PacketAuth auth, uint8_t version,
                        bool require_auth_to_mobilize = true);

}  // namespace meridian::access
