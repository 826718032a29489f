// The legacy symmetric-key MAC trailer of NTP data packets (RFC 5905 §7.3,
// Figure 8: 32-bit key id, then the digest), shaped for the server: verify a
// request as received, append a MAC to a reply.
//
// What goes on the wire — the same as NTPsec (libntp/macencrypt.c,
// MAX_BARE_MAC_LENGTH) and chrony (ntp_auth.c, NTP_MAX_V4_MAC_LENGTH):
//   MD5         MD5(key || packet)                       16 bytes → 20-byte trailer
//   SHA1        SHA1(key || packet)                      20 bytes → 24-byte trailer
//   SHA256      SHA256(key || packet), first 20 bytes    20 bytes → 24-byte trailer
//   AES128CMAC  AES-CMAC(key, packet) (RFC 4493/8573)    16 bytes → 20-byte trailer
// "packet" is every byte before the trailer: header and extension fields.
// Digests longer than 20 bytes are truncated because RFC 7822 §7 caps an
// NTPv4 MAC at 24 bytes so that it can be told apart from extension fields.
// chrony sends a full 32-byte SHA256 MAC in NTPv3 packets; verify_request
// accepts that length too, should the wire parser hand one over.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/access/access_decision.h"
#include "core/auth/key_store.h"
#include "core/auth/mac_engine.h"
#include "core/result.h"
#include "core/wire/ntp_packet.h"

namespace meridian::auth {

// Digest bytes on the wire for a key type (16 or 20).
size_t wire_digest_length(KeyType type);

enum class VerifyStatus : uint8_t {
  kNone,          // no MAC: an unauthenticated packet
  kOk,            // MAC verified with a trusted key (key_id)
  kBadMac,        // wrong digest, wrong digest length for the key, or crypto failure
  kUnknownKey,    // key_id is not in the key store
  kUntrustedKey,  // key_id exists but is not in `trustedkey`
  kCryptoNak,     // a bare key id 0: the sender could not authenticate us (RFC 5905 §7.4)
};
std::string_view to_string(VerifyStatus status);

struct VerifyResult {
  VerifyStatus status = VerifyStatus::kNone;
  uint32_t key_id = 0;  // from the trailer (0 for kNone/kCryptoNak)
  bool ok() const { return status == VerifyStatus::kOk; }
};

// How access control sees a verification outcome (access_decision.h).
access::PacketAuth packet_auth(VerifyStatus status);

// Verifies `parsed.mac` against `datagram`, the exact bytes `parsed` came from
// (wire::parse_packet(datagram)). The MAC is recomputed over the datagram's
// bytes before the trailer and compared in constant time. Never fails open:
// any inconsistency between datagram and parsed trailer is kBadMac.
VerifyResult verify_request(std::span<const std::byte> datagram, const wire::NtpPacket& parsed,
                            const KeyStore& keys, const MacEngine& engine);

// Appends key id `key_id` and the MAC over all of `packet` (header plus any
// extension fields). Errors: unknown key, untrusted key (classic ntpd only
// sends with trusted keys), crypto failure.
Result<std::vector<std::byte>> append_mac(std::vector<std::byte> packet, uint32_t key_id,
                                          const KeyStore& keys, const MacEngine& engine);

// Appends a crypto-NAK (a 4-byte zero key id, RFC 5905 §7.4) — the answer to
// a request whose MAC failed.
std::vector<std::byte> append_crypto_nak(std::vector<std::byte> packet);

}  // namespace meridian::auth
