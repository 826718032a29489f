// NTS key material shared by NTS-KE (RFC 8915 §4) and NTS for NTPv4 (§5):
// the negotiated AEAD and the two directional keys exported from TLS.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

// Kept byte-identical to the shared definition (branch nts-core), hence unformatted.
// clang-format off
namespace meridian::nts {
constexpr uint16_t kAeadAesSivCmac256 = 15;   // IANA AEAD id, RFC 8915 §5.1
constexpr size_t kKeySize = 32;                // AEAD_AES_SIV_CMAC_256 key
struct NtsKeys { std::array<std::byte, kKeySize> c2s{}, s2c{}; };
}
// clang-format on
