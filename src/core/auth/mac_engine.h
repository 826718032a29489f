// The crypto primitive behind the legacy NTP MAC, as a small interface so the
// MAC framing, key policy and server logic stay pure and testable with a
// fake, and the one OpenSSL-backed implementation (openssl_mac_engine.h) is
// the only code that touches a crypto library.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "core/auth/key_store.h"
#include "core/result.h"

namespace meridian::auth {

// A MAC or digest value; the largest we produce is SHA-256's 32 bytes.
struct MacValue {
  std::array<std::byte, 32> bytes{};
  size_t size = 0;
  std::span<const std::byte> view() const { return std::span<const std::byte>(bytes).first(size); }
};

class MacEngine {
 public:
  virtual ~MacEngine() = default;

  // The untruncated value over `data`:
  //   kMd5, kSha1, kSha256: DIGEST(key || data) — the classic "keyed hash"
  //                         (RFC 5905 §7.3; NTPsec macencrypt.c, chrony keys.c),
  //                         16, 20 and 32 bytes;
  //   kAes128Cmac:          AES-CMAC(key, data), 16 bytes (RFC 4493, RFC 8573).
  // Framing and truncation to the wire length are the caller's (mac.h).
  // Errors: the crypto library refused (e.g. a CMAC key that is not 16 bytes).
  virtual Result<MacValue> compute(KeyType type, std::span<const std::byte> key,
                                   std::span<const std::byte> data) const = 0;

  // Equality whose running time does not depend on where a and b differ, so a
  // forger learns nothing from response timing. Different sizes → false.
  virtual bool equal(std::span<const std::byte> a, std::span<const std::byte> b) const = 0;
};

}  // namespace meridian::auth
