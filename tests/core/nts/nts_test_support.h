// Helpers shared by the NTS tests: one OpenSSL AEAD for the whole binary,
// fixed test keys, a mode-3/mode-4 header, byte-string helpers.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "core/nts/keys.h"
#include "core/nts/openssl_aead.h"
#include "core/wire/ntp_packet.h"
#include "tests/core/auth/mac_test_support.h"

namespace meridian::nts::test_support {

using auth::test_support::hex;
using auth::test_support::to_hex;

inline const OpenSslAead& aead() {
  static const std::unique_ptr<OpenSslAead> instance = [] {
    auto created = OpenSslAead::create();
    EXPECT_TRUE(created.ok());
    return created.ok() ? std::move(*created) : nullptr;
  }();
  return *instance;
}

// Bytes first, first + 1, … (mod 256).
template <size_t N>
std::array<std::byte, N> counting(uint8_t first) {
  std::array<std::byte, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = static_cast<std::byte>((first + i) & 0xff);
  return out;
}

inline NtsKeys test_keys(uint8_t first = 0) {
  NtsKeys keys;
  keys.c2s = counting<kKeySize>(first);
  keys.s2c = counting<kKeySize>(static_cast<uint8_t>(first + 0x20));
  return keys;
}

// A serialized 48-byte NTPv4 header of `mode` with a recognisable transmit time.
inline std::array<std::byte, wire::kHeaderSize> header(wire::Mode mode, uint8_t stratum = 2) {
  wire::NtpHeader h;
  h.mode = mode;
  h.stratum = stratum;
  h.poll = 6;
  h.precision = -20;
  h.reference_id = 0x7f000001;
  h.transmit = time::NtpTimestamp::from_raw(0xe9a1b2c3d4e5f607ull);
  std::array<std::byte, wire::kHeaderSize> out{};
  wire::serialize_header_to(h, out);
  return out;
}

}  // namespace meridian::nts::test_support
