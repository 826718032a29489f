// The AEAD behind NTS (RFC 8915 §5.1: AEAD_AES_SIV_CMAC_256, RFC 5297) as a
// small interface, so the extension-field and cookie logic stay pure and the
// one OpenSSL implementation (openssl_aead.h) is the only crypto-library code.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "core/result.h"

namespace meridian::nts {

// The synthetic IV that SIV puts in front of the ciphertext; it doubles as
// the authentication tag (RFC 5297 §2.6).
inline constexpr size_t kSivTagSize = 16;

class Aead {
 public:
  virtual ~Aead() = default;

  // AEAD_AES_SIV_CMAC_256 with a 32-byte key: returns tag (16) ‖ ciphertext,
  // the ciphertext as long as `plaintext`. The S2V components are, in order,
  // `associated_data` and then `nonce` (RFC 5297 §3: the nonce is the last
  // associated-data component); an empty `nonce` means no nonce component
  // (deterministic SIV, RFC 5297 Appendix A.1), never used by NTS.
  // Errors: kInvalidArgument for a key that is not 32 bytes; kUnavailable
  // when the crypto library fails.
  virtual Result<std::vector<std::byte>> seal(std::span<const std::byte> key,
                                              std::span<const std::byte> nonce,
                                              std::span<const std::byte> associated_data,
                                              std::span<const std::byte> plaintext) const = 0;

  // The inverse of seal(): the plaintext, or kMalformed when `sealed` is
  // shorter than a tag or the tag does not verify (wrong key, nonce,
  // associated data or any flipped bit); no plaintext is released then.
  virtual Result<std::vector<std::byte>> open(std::span<const std::byte> key,
                                              std::span<const std::byte> nonce,
                                              std::span<const std::byte> associated_data,
                                              std::span<const std::byte> sealed) const = 0;
};

}  // namespace meridian::nts
