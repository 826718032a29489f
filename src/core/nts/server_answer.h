// The server's whole answer to one NTS-protected request (RFC 8915 §5.7),
// composed from ntp_fields.h and cookie.h: parse, open the cookie, verify the
// authenticator, then reply with fresh cookies sealed under the cookie's
// s2c key — or a NAK, or nothing.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/nts/aead.h"
#include "core/nts/cookie_keyring.h"
#include "core/nts/ntp_fields.h"
#include "core/random.h"

namespace meridian::nts {

enum class ServerOutcome {
  kReply,  // `bytes` is the authenticated reply
  kNak,    // `bytes` is an NTS NAK: unknown cookie key, bad cookie or bad authenticator
  kDrop,   // not a well-formed NTS request (or no cookie key at all): send nothing
};

struct ServerAnswer {
  ServerOutcome outcome = ServerOutcome::kDrop;
  std::vector<std::byte> bytes;
  std::string detail;  // why, for logs and counters; empty on kReply
};

// `reply_header` is the 48-byte mode-4 header the plain NTP server would send
// (timestamps filled in); a NAK reuses it with stratum 0 and kiss code NTSN.
// New cookies are sealed under the keyring's current key. `random` gives the
// reply's and the cookies' nonces. The answer is never longer than `request`.
ServerAnswer answer_request(const Aead& aead, const CookieKeyring& keyring,
                            std::span<const std::byte> request, HeaderBytes reply_header,
                            RandomSource& random);

}  // namespace meridian::nts
