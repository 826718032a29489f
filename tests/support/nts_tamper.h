// Where the interop tests' tamper relay (meridian-test-relay) corrupts an NTP
// packet, so that an NTS client or server must reject it (RFC 8915 §5.6: the
// NTS Authenticator's AEAD covers the header and every extension field
// before it; the ciphertext carries the SIV tag and the encrypted fields).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace meridian::testing {

struct TamperRule {
  enum class Where {
    kNone,    // forward unchanged
    kOffset,  // the byte at `offset` (negative: counted from the end, -1 = last)
    kNtsTag,  // the first ciphertext byte of the NTS Authenticator extension
              // field (type 0x0404): the start of the AES-SIV tag
  };
  Where where = Where::kNone;
  std::ptrdiff_t offset = 0;
};

// The extension field type of the NTS Authenticator and Encrypted Extension
// Fields (RFC 8915 §5.6, IANA "NTP Extension Field Types").
inline constexpr uint16_t kNtsAuthenticatorType = 0x0404;

// The offset of the byte `rule` selects in `packet`, or nullopt if the packet
// has no such byte (too short, no well-formed authenticator field). Never
// reads outside `packet`; a malformed extension field chain yields nullopt.
std::optional<size_t> tamper_position(std::span<const std::byte> packet, const TamperRule& rule);

// Inverts every bit of the selected byte; returns whether one was changed.
bool tamper(std::span<std::byte> packet, const TamperRule& rule);

}  // namespace meridian::testing
