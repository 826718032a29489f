// One NTS association's client state (RFC 8915 §5.7): the keys and cookie
// jar from NTS-KE, the outstanding request's UID and nonce, and counters.
// Pure: the caller brings the header, the randomness and the datagrams, and
// decides from needs_key_exchange() when to run NTS-KE again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "core/nts/aead.h"
#include "core/nts/keys.h"
#include "core/nts/ntp_fields.h"
#include "core/random.h"
#include "core/result.h"

namespace meridian::nts {

struct NtsClientCounters {
  uint64_t requests = 0;
  uint64_t authentic_replies = 0;  // kOk
  uint64_t bad_authenticator = 0;  // kBadAuth
  uint64_t naks = 0;               // kNak
  uint64_t malformed = 0;          // kMalformed
  uint64_t not_ours = 0;           // kNotOurs
  uint64_t cookies_received = 0;   // from authentic replies
};

class NtsClientState {
 public:
  // `aead` must outlive this state.
  explicit NtsClientState(const Aead& aead) : aead_(&aead) {}

  // After a successful NTS-KE: new keys and cookies (oldest first, at most
  // kMaxCookies kept; empty ones dropped). Clears the NAK flag and forgets
  // the outstanding request (its reply would be under the old keys).
  void set_keys(const NtsKeys& keys, std::vector<std::vector<std::byte>> cookies);

  // RFC 8915 §5.7: time for NTS-KE when there are no keys, no cookie left,
  // or the server sent a NAK (an authentic reply to the same request clears
  // it: a NAK is unauthenticated).
  bool needs_key_exchange() const;

  size_t cookies_held() const { return cookies_.size(); }
  bool has_keys() const { return keys_.has_value(); }
  bool nak_received() const { return nak_; }
  const NtsClientCounters& counters() const { return counters_; }

  // A request carrying `header` (48 bytes, mode 3, transmit timestamp set):
  // spends the oldest cookie, draws a fresh UID and nonce from `random`, and
  // asks with kMaxCookies - cookies held placeholders for enough cookies to
  // refill the jar. The new request replaces any outstanding one.
  // Errors: kUnavailable when needs_key_exchange() (nothing is spent).
  Result<std::vector<std::byte>> make_request(HeaderBytes header, RandomSource& random);

  // Checks a datagram against the outstanding request. kOk stores the new
  // cookies and closes the request (a replayed copy is then kNotOurs); kNak
  // sets the NAK flag; nothing else changes state beyond the counters.
  ReplyVerdict on_reply(std::span<const std::byte> datagram);

  // The last on_reply()'s explanation (empty after kOk), for logs.
  const std::string& last_detail() const { return last_detail_; }

 private:
  struct Outstanding {
    std::array<std::byte, kUidSize> uid{};
  };

  const Aead* aead_;
  std::optional<NtsKeys> keys_;
  std::deque<std::vector<std::byte>> cookies_;
  std::optional<Outstanding> outstanding_;
  bool nak_ = false;
  NtsClientCounters counters_;
  std::string last_detail_;
};

}  // namespace meridian::nts
