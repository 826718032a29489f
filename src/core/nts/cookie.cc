#include "core/nts/cookie.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/nts/cookie_keyring.h"
#include "core/wire/byte_reader.h"

namespace meridian::nts {

namespace {

std::array<std::byte, 4> id_bytes(uint32_t id) {
  return {static_cast<std::byte>(id >> 24), static_cast<std::byte>((id >> 16) & 0xff),
          static_cast<std::byte>((id >> 8) & 0xff), static_cast<std::byte>(id & 0xff)};
}

// Volatile writes so the compiler cannot drop the wipe as a dead store.
void wipe(std::span<std::byte> bytes) {
  volatile std::byte* p = bytes.data();
  for (size_t i = 0; i < bytes.size(); ++i) p[i] = std::byte{0};
}

}  // namespace

Result<std::vector<std::byte>> make_cookie(const Aead& aead, const CookieKey& master,
                                           const NtsKeys& keys, std::span<const std::byte> nonce) {
  if (nonce.size() != kCookieNonceSize) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("cookie nonce of {} bytes (need {})",
                                                               nonce.size(), kCookieNonceSize));
  }
  // AEAD id ‖ 0 ‖ c2s ‖ s2c, on the stack (no allocation), zeroed after use.
  std::array<std::byte, kCookiePlaintextSize> plaintext{};
  plaintext[0] = static_cast<std::byte>(kAeadAesSivCmac256 >> 8);
  plaintext[1] = static_cast<std::byte>(kAeadAesSivCmac256 & 0xff);
  std::copy(keys.c2s.begin(), keys.c2s.end(), plaintext.begin() + 4);
  std::copy(keys.s2c.begin(), keys.s2c.end(), plaintext.begin() + 4 + kKeySize);
  const auto ad = id_bytes(master.id);
  auto sealed = aead.seal(master.key, nonce, ad, plaintext);
  wipe(plaintext);
  if (!sealed) return sealed.error();

  std::vector<std::byte> cookie;
  cookie.reserve(kCookieSize);
  wire::ByteWriter w(cookie);
  w.bytes(ad);
  w.bytes(nonce);
  w.bytes(*sealed);
  return cookie;
}

Result<uint32_t> cookie_key_id(std::span<const std::byte> cookie) {
  wire::ByteReader r(cookie);
  auto id = r.u32();
  if (!id) return make_error(ErrorCode::kMalformed, "cookie shorter than its key id");
  return *id;
}

Result<NtsKeys> open_cookie(const Aead& aead, const CookieKeyring& keyring,
                            std::span<const std::byte> cookie) {
  if (cookie.size() != kCookieSize) {
    return make_error(ErrorCode::kMalformed,
                      fmt::format("cookie of {} bytes is not one of ours ({} bytes)", cookie.size(),
                                  kCookieSize));
  }
  wire::ByteReader r(cookie);
  const auto ad = *r.bytes(4);
  const uint32_t id = *cookie_key_id(cookie);
  const auto nonce = *r.bytes(kCookieNonceSize);
  const auto sealed = *r.bytes(r.remaining());
  const CookieKey* master = keyring.find(id);
  if (master == nullptr) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("cookie key id {} is unknown (rotated out or not ours)", id));
  }
  auto plaintext = aead.open(master->key, nonce, ad, sealed);
  if (!plaintext) {
    return make_error(ErrorCode::kMalformed,
                      fmt::format("cookie under key id {}: {}", id, plaintext.error().message));
  }
  wire::ByteReader p(*plaintext);
  const auto aead_id = p.u16();
  const auto reserved = p.u16();
  NtsKeys keys;
  const auto c2s = p.bytes(kKeySize);
  const auto s2c = p.bytes(kKeySize);
  if (!s2c || p.remaining() != 0 || *aead_id != kAeadAesSivCmac256 || *reserved != 0) {
    return make_error(ErrorCode::kMalformed,
                      fmt::format("cookie under key id {} does not hold AES-SIV keys", id));
  }
  std::copy(c2s->begin(), c2s->end(), keys.c2s.begin());
  std::copy(s2c->begin(), s2c->end(), keys.s2c.begin());
  wipe(*plaintext);
  return keys;
}

}  // namespace meridian::nts
