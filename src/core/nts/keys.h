// Key material an NTS-KE handshake (RFC 8915 §4, §5.1) hands to the NTP
// side: the negotiated AEAD algorithm's two keys. Shared with the NTS-KE
// code (core/nts/ke_records.*, platform/nts_ke_*), which exports them from
// the TLS session; everything under core/nts/ consumes them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace meridian::nts {

constexpr uint16_t kAeadAesSivCmac256 = 15;  // IANA AEAD id, RFC 8915 §5.1
constexpr size_t kKeySize = 32;              // AEAD_AES_SIV_CMAC_256 key

struct NtsKeys {
  std::array<std::byte, kKeySize> c2s{}, s2c{};  // client-to-server, server-to-client
};

}  // namespace meridian::nts
