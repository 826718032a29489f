// Symmetric-key authentication of a client's exchanges with one server: the
// `server HOST key N` association of ntpd and `ntpdate -a N` share it.
//
// Classic rules (ntp 4.2.8 authkeys.c authhavekey/authencrypt, ntp_proto.c
// receive/peer_xmit; NTPsec ntp_proto.c):
//  * A request is signed with key N only if N is in the key file AND listed
//    in `trustedkey`; otherwise no request is sent at all (classic logs
//    "no key" and counts an authentication error; it never falls back to an
//    unsigned request).
//  * A reply is a sample only if it carries a MAC made with key N itself
//    (since 4.2.8p6, CVE-2015-7974 "skeleton key": another trusted key is not
//    good enough) that verifies; the digest is compared in constant time
//    (MacEngine::equal). An unsigned reply, a crypto-NAK (RFC 5905 §7.4: the
//    server could not verify our request), a reply signed with another key id
//    and a wrong digest are each dropped before any other test, so they never
//    reach the clock filter, the reach register or the kiss-o'-death logic (a
//    forged DENY cannot stop a keyed association).
//  * `authenticate` / `enable auth` concern unconfigured (ephemeral)
//    associations only, which Meridian does not create: a configured server
//    without `key` stays unauthenticated, as in classic ntpd.
//
// Pure: all crypto goes through MacEngine (mac_engine.h); MAC framing is mac.h's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/key_store.h"
#include "core/auth/mac_engine.h"
#include "core/result.h"

namespace meridian::auth {

// What a client needs to authenticate its associations. Shared, immutable
// snapshots: a reload replaces `keys` as a whole.
struct ClientKeys {
  std::shared_ptr<const KeyStore> keys;
  std::shared_ptr<const MacEngine> engine;
  bool usable() const { return keys != nullptr && engine != nullptr; }
};

// The verdict on one reply to a keyed association, or on sending a request.
enum class ClientAuth : uint8_t {
  kOk,              // signed with the association's key; the MAC verified
  kUnsigned,        // the reply carries no MAC
  kBadMac,          // our key id, wrong digest (or a digest length the key type cannot have)
  kCryptoNak,       // a bare key id 0: the server could not verify our request
  kWrongKeyId,      // signed with another key than the association's
  kMalformed,       // not parseable as header + extension fields + MAC
  kKeyUnavailable,  // our key is not in the key file or not trusted: nothing is sent
};
std::string_view to_string(ClientAuth a);

// Appends the MAC of key `key_id` to `request` (header + any extension fields).
// Errors: key unknown or not trusted (kKeyUnavailable's cause), crypto failure.
Result<std::vector<std::byte>> sign_request(std::vector<std::byte> request, uint32_t key_id,
                                            const KeyStore& keys, const MacEngine& engine);

// Whether `datagram` (a whole received reply) is authenticated with key
// `key_id`. kKeyUnavailable when the key is missing or untrusted here.
ClientAuth verify_reply(std::span<const std::byte> datagram, uint32_t key_id, const KeyStore& keys,
                        const MacEngine& engine);

// Per-association counters (mode 6 `badauth` and Meridian's break-down).
struct ClientAuthCounters {
  uint64_t ok = 0;          // authentic replies
  uint64_t unsigned_ = 0;   // replies without a MAC, dropped
  uint64_t bad_mac = 0;     // wrong digest, dropped
  uint64_t crypto_nak = 0;  // crypto-NAKs, dropped
  uint64_t wrong_key = 0;   // signed with another key id, dropped
  uint64_t malformed = 0;   // unparseable trailer, dropped
  uint64_t not_sent = 0;    // requests not sent: our key unavailable
  // Replies dropped for authentication (classic `badauth`).
  uint64_t dropped() const { return unsigned_ + bad_mac + crypto_nak + wrong_key + malformed; }
};

// What ntpq shows for a keyed association.
struct ClientAuthView {
  uint32_t key_id = 0;
  ClientAuthCounters counters;
  std::optional<ClientAuth> last;  // the latest verdict (nullopt: nothing happened yet)
  // Classic FLAG_AUTHENTIC: the latest reply verified (and nothing failed since).
  bool authentic() const { return last == ClientAuth::kOk; }
};

// One keyed association's authentication state: counts verdicts and says
// when to log — once per change of state (ok → failing, one failure kind →
// another, failing → ok), never once per packet.
class ClientAuthState {
 public:
  explicit ClientAuthState(uint32_t key_id) { view_.key_id = key_id; }
  uint32_t key_id() const { return view_.key_id; }
  const ClientAuthView& view() const { return view_; }

  // Records a verdict. Returns the log line when the state changed.
  // `server` names the association in the message (its address).
  std::optional<std::string> record(ClientAuth verdict, std::string_view server);

 private:
  ClientAuthView view_;
};

}  // namespace meridian::auth
