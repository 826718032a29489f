// The server's NTS cookie (RFC 8915 §6): everything the server needs to
// answer a client later, sealed under one of its own master keys so it can
// forget the client. Our format (the RFC leaves it to the server):
//
//   key id (u32) ‖ nonce (16) ‖ seal(master key, nonce, AD = key id,
//                                      AEAD id (u16) ‖ 0 (u16) ‖ c2s ‖ s2c)
//
// 4 + 16 + 16 (tag) + 68 = 104 bytes. The two zero bytes keep the cookie a
// multiple of 4, so its extension field needs no padding and the cookie a
// client echoes is byte for byte the one we made; they are authenticated
// like the rest and must be zero.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/nts/aead.h"
#include "core/nts/keys.h"
#include "core/result.h"

namespace meridian::nts {

inline constexpr size_t kCookieNonceSize = 16;
inline constexpr size_t kCookiePlaintextSize = 2 + 2 + 2 * kKeySize;
inline constexpr size_t kCookieSize = 4 + kCookieNonceSize + kSivTagSize + kCookiePlaintextSize;

// A master key that seals cookies (AEAD_AES_SIV_CMAC_256, 32 bytes).
struct CookieKey {
  uint32_t id = 0;
  int64_t created_unix_s = 0;  // when it became current; drives rotation
  std::array<std::byte, kKeySize> key{};
  friend bool operator==(const CookieKey&, const CookieKey&) = default;
};

class CookieKeyring;

// Seals `keys` into a cookie under `master` with the caller's random nonce.
// Errors: a nonce that is not 16 bytes (kInvalidArgument); AEAD failure.
Result<std::vector<std::byte>> make_cookie(const Aead& aead, const CookieKey& master,
                                           const NtsKeys& keys, std::span<const std::byte> nonce);

// The key id a cookie names. Errors: kMalformed when it is shorter than 4 bytes.
Result<uint32_t> cookie_key_id(std::span<const std::byte> cookie);

// Opens a cookie with the keyring's key of its id. Errors, each answered by
// the server with an NTS NAK (RFC 8915 §5.7):
//   kUnavailable — no key with that id (rotated out, or another server's);
//   kMalformed   — wrong size, tag does not verify, or not our plaintext
//                  (another AEAD id, non-zero reserved bytes).
Result<NtsKeys> open_cookie(const Aead& aead, const CookieKeyring& keyring,
                            std::span<const std::byte> cookie);

}  // namespace meridian::nts
