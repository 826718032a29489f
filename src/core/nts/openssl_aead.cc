#include "core/nts/openssl_aead.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <climits>

#include "core/nts/keys.h"
#include "core/nts/openssl_siv_keys.h"

namespace meridian::nts {

namespace {

Error key_size_error(size_t size) {
  return make_error(
      ErrorCode::kInvalidArgument,
      fmt::format("AEAD_AES_SIV_CMAC_256 needs a {}-byte key, got {}", kKeySize, size));
}

Error auth_error() {
  return make_error(ErrorCode::kMalformed, "AEAD authentication tag does not verify");
}

bool fits_int(size_t n) { return n <= static_cast<size_t>(INT_MAX); }

// The S2V components of SIV (RFC 5297 §2.6): the associated data, then the
// nonce when there is one, then the plaintext.
struct Components {
  std::array<std::span<const std::byte>, 3> all;
  size_t count;
  std::span<const std::span<const std::byte>> view() const { return std::span(all).first(count); }
};
Components components(std::span<const std::byte> associated_data, std::span<const std::byte> nonce,
                      std::span<const std::byte> plaintext) {
  if (nonce.empty()) return {{associated_data, plaintext, {}}, 2};
  return {{associated_data, nonce, plaintext}, 3};
}

}  // namespace

Result<std::unique_ptr<OpenSslAead>> OpenSslAead::create() {
  auto algorithms = siv::Algorithms::create();
  if (!algorithms) return algorithms.error();
  return std::unique_ptr<OpenSslAead>(new OpenSslAead(std::move(*algorithms)));
}

OpenSslAead::OpenSslAead(std::shared_ptr<const siv::Algorithms> algorithms)
    : algorithms_(std::move(algorithms)) {}
OpenSslAead::~OpenSslAead() = default;

Result<std::array<std::byte, kSivTagSize>> OpenSslAead::s2v(
    std::span<const std::byte> key, std::span<const std::span<const std::byte>> components) const {
  if (key.size() != kKeySize) return key_size_error(key.size());
  auto keyed = siv::keyed(algorithms_, key);
  if (!keyed) return keyed.error();
  return keyed->s2v(components);
}

Result<std::vector<std::byte>> OpenSslAead::seal(std::span<const std::byte> key,
                                                 std::span<const std::byte> nonce,
                                                 std::span<const std::byte> associated_data,
                                                 std::span<const std::byte> plaintext) const {
  if (key.size() != kKeySize) return key_size_error(key.size());
  if (!fits_int(plaintext.size() + kSivTagSize)) {
    return make_error(ErrorCode::kInvalidArgument, "AEAD input too large");
  }
  auto keyed = siv::keyed(algorithms_, key);
  if (!keyed) return keyed.error();
  // RFC 5297 §2.6: V = S2V(K1, AD, nonce, P); C = CTR(K2, V, P); out = V ‖ C.
  auto v = keyed->s2v(components(associated_data, nonce, plaintext).view());
  if (!v) return v.error();
  std::vector<std::byte> out(kSivTagSize + plaintext.size());
  std::copy(v->begin(), v->end(), out.begin());
  if (!keyed->ctr(*v, plaintext, std::span(out).subspan(kSivTagSize))) {
    return make_error(ErrorCode::kUnavailable, "OpenSSL: AES-128-CTR failed");
  }
  return out;
}

Result<std::vector<std::byte>> OpenSslAead::open(std::span<const std::byte> key,
                                                 std::span<const std::byte> nonce,
                                                 std::span<const std::byte> associated_data,
                                                 std::span<const std::byte> sealed) const {
  if (key.size() != kKeySize) return key_size_error(key.size());
  if (sealed.size() < kSivTagSize) {
    return make_error(ErrorCode::kMalformed,
                      fmt::format("AEAD output of {} bytes is shorter than its {}-byte tag",
                                  sealed.size(), kSivTagSize));
  }
  if (!fits_int(sealed.size())) {
    return make_error(ErrorCode::kInvalidArgument, "AEAD input too large");
  }
  auto keyed = siv::keyed(algorithms_, key);
  if (!keyed) return keyed.error();
  // RFC 5297 §2.7: P = CTR(K2, V, C), then V must equal S2V(K1, AD, nonce, P);
  // P is released only when it does.
  siv::Block v{};
  std::copy_n(sealed.begin(), kSivTagSize, v.begin());
  const auto ciphertext = sealed.subspan(kSivTagSize);
  std::vector<std::byte> out(ciphertext.size());
  if (!keyed->ctr(v, ciphertext, out)) {
    return make_error(ErrorCode::kUnavailable, "OpenSSL: AES-128-CTR failed");
  }
  auto expected = keyed->s2v(components(associated_data, nonce, out).view());
  const bool verified = expected && CRYPTO_memcmp(expected->data(), v.data(), kSivTagSize) == 0;
  if (!verified) {
    OPENSSL_cleanse(out.data(), out.size());
    if (!expected) return expected.error();
    return auth_error();
  }
  return out;
}

}  // namespace meridian::nts
