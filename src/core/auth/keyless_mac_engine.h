// The MacEngine of a daemon with no symmetric keys configured. MACs are only
// computed with a key from the KeyStore (mac.h looks the key up first), so
// with an empty store compute() is never reached; it exists so that the MAC
// framing (crypto-NAKs, malformed trailers, unknown key ids) behaves exactly
// as with keys, without loading a crypto library's providers — about 1.4 MB
// of memory a keyless server does not need (docs/performance.md).
#pragma once

#include "core/auth/mac_engine.h"

namespace meridian::auth {

class KeylessMacEngine final : public MacEngine {
 public:
  Result<MacValue> compute(KeyType, std::span<const std::byte>,
                           std::span<const std::byte>) const override {
    return make_error(ErrorCode::kUnavailable, "no symmetric keys configured");
  }
  bool equal(std::span<const std::byte> a, std::span<const std::byte> b) const override {
    if (a.size() != b.size()) return false;  // lengths are public (on the wire)
    unsigned diff = 0;                       // constant time: no early exit
    for (size_t i = 0; i < a.size(); ++i) diff |= std::to_integer<unsigned>(a[i] ^ b[i]);
    return diff == 0;
  }
};

}  // namespace meridian::auth
