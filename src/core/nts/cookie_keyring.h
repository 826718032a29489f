// The server's cookie master keys (RFC 8915 §6): the current key seals new
// cookies; up to `max_previous` older keys still open the cookies clients
// hold. Rotation is a pure decision on a given time, so the daemon, tests
// and the simulator drive it alike.
//
// The key file keeps the keys across restarts and lets several servers
// behind one name share them (one writes, all read):
//
//   # comment
//   ID CREATED_UNIX_S HEX_KEY      [# comment]
//
// ID is a decimal u32, CREATED_UNIX_S a decimal non-negative integer, HEX_KEY
// 64 hex digits. Blank lines and comments are ignored; line endings LF or
// CRLF. The key created last is current (the later line on a tie).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/nts/cookie.h"
#include "core/random.h"
#include "core/result.h"

namespace meridian::nts {

struct KeyringPolicy {
  int64_t rotate_interval_s = 86400;  // a new current key once a day
  size_t max_previous = 7;            // cookies stay valid about a week
};

class CookieKeyring {
 public:
  explicit CookieKeyring(KeyringPolicy policy = {}) : policy_(policy) {}

  const KeyringPolicy& policy() const { return policy_; }
  // Oldest first; the last one is current.
  const std::vector<CookieKey>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }
  // REQUIRES: !empty().
  const CookieKey& current() const { return keys_.back(); }
  const CookieKey* find(uint32_t id) const;

  // Adds a key, ordered by creation time (it becomes current if it is the
  // newest), then drops the oldest beyond max_previous + 1.
  // Errors: kInvalidArgument when the id is already present.
  Status add(const CookieKey& key);

  // True when there is no key, the current key is rotate_interval_s old or
  // older, or it claims to be created more than rotate_interval_s in the
  // future (the clock that made it, or ours, was wrong: a fresh key is safe).
  bool needs_rotation(int64_t now_unix_s) const;

  // If needs_rotation(now): adds a new current key made from `random` (a
  // fresh non-zero id not in the ring, created now) and returns true. Then,
  // rotated or not, drops previous keys that have outlived
  // (max_previous + 1) × rotate_interval_s (a server that was down for a
  // month must not honour month-old cookies).
  bool rotate(int64_t now_unix_s, RandomSource& random);

 private:
  void trim();

  KeyringPolicy policy_;
  std::vector<CookieKey> keys_;
};

// The key file text for `keyring` (header comment, then oldest first).
std::string serialize_keyring(const CookieKeyring& keyring);

struct KeyringFileError {
  size_t line = 0;  // 1-based
  std::string message;
};

struct KeyringFile {
  CookieKeyring keyring;
  std::vector<KeyringFileError> errors;  // the caller prefixes "FILE:LINE: "
  bool ok() const { return errors.empty(); }
};

// Every good line becomes a key, every bad one an error (a repeated id is an
// error on its second line). More keys than the policy keeps: the oldest go.
KeyringFile parse_keyring(std::string_view text, KeyringPolicy policy = {});

}  // namespace meridian::nts
