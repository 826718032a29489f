#include "core/nts/openssl_aead.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <climits>

#include "core/nts/keys.h"

namespace meridian::nts {

namespace {

constexpr size_t kBlockSize = 16;
using Block = std::array<std::byte, kBlockSize>;

// OpenSSL's C API speaks unsigned char; std::byte has the same size and
// representation, and these buffers are opaque bytes to both sides. An empty
// span may have a null data(): OpenSSL's SIV reads a null input as "finish",
// not as an empty associated-data component, so empty spans point here.
const unsigned char kNothing = 0;
const unsigned char* uchars(std::span<const std::byte> s) {
  return s.empty() ? &kNothing : reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* uchars_out(std::byte* p) { return reinterpret_cast<unsigned char*>(p); }

Error crypto_error(std::string_view what) {
  return make_error(ErrorCode::kUnavailable, fmt::format("OpenSSL: {} failed", what));
}

Error key_size_error(size_t size) {
  return make_error(
      ErrorCode::kInvalidArgument,
      fmt::format("AEAD_AES_SIV_CMAC_256 needs a {}-byte key, got {}", kKeySize, size));
}

Error auth_error() {
  return make_error(ErrorCode::kMalformed, "AEAD authentication tag does not verify");
}

// RFC 5297 §2.3 dbl(): multiplication by x in GF(2^128).
Block dbl(const Block& in) {
  Block out{};
  const bool carry = (std::to_integer<unsigned>(in[0]) & 0x80) != 0;
  for (size_t i = 0; i < kBlockSize; ++i) {
    const unsigned next = i + 1 < kBlockSize ? std::to_integer<unsigned>(in[i + 1]) >> 7 : 0;
    out[i] = static_cast<std::byte>(((std::to_integer<unsigned>(in[i]) << 1) | next) & 0xff);
  }
  if (carry) out[kBlockSize - 1] ^= std::byte{0x87};
  return out;
}

bool fits_int(size_t n) { return n <= static_cast<size_t>(INT_MAX); }

}  // namespace

struct OpenSslAead::Impl {
  OSSL_LIB_CTX* libctx = nullptr;
  EVP_CIPHER* siv = nullptr;
  EVP_MAC* cmac = nullptr;

  ~Impl() {
    EVP_MAC_free(cmac);
    EVP_CIPHER_free(siv);
    OSSL_LIB_CTX_free(libctx);
  }

  // AES-CMAC (RFC 4493) with the 16-byte key k1.
  Result<Block> cmac_of(std::span<const std::byte> k1, std::span<const std::byte> data) const {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(cmac);
    if (ctx == nullptr) return crypto_error("EVP_MAC_CTX_new");
    char cipher[] = "AES-128-CBC";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
        OSSL_PARAM_construct_end(),
    };
    Block out{};
    size_t length = 0;
    const bool ok = EVP_MAC_init(ctx, uchars(k1), k1.size(), params) == 1 &&
                    EVP_MAC_update(ctx, uchars(data), data.size()) == 1 &&
                    EVP_MAC_final(ctx, uchars_out(out.data()), &length, out.size()) == 1 &&
                    length == kBlockSize;
    EVP_MAC_CTX_free(ctx);
    if (!ok) return crypto_error("AES-CMAC");
    return out;
  }
};

Result<std::unique_ptr<OpenSslAead>> OpenSslAead::create() {
  auto impl = std::make_unique<Impl>();
  impl->libctx = OSSL_LIB_CTX_new();
  if (impl->libctx == nullptr) return crypto_error("OSSL_LIB_CTX_new");
  impl->siv = EVP_CIPHER_fetch(impl->libctx, "AES-128-SIV", nullptr);
  impl->cmac = EVP_MAC_fetch(impl->libctx, "CMAC", nullptr);
  if (impl->siv == nullptr || impl->cmac == nullptr) {
    return crypto_error("fetching AES-128-SIV and CMAC");
  }
  return std::unique_ptr<OpenSslAead>(new OpenSslAead(std::move(impl)));
}

OpenSslAead::OpenSslAead(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OpenSslAead::~OpenSslAead() = default;

Result<std::array<std::byte, kSivTagSize>> OpenSslAead::s2v(
    std::span<const std::byte> key, std::span<const std::span<const std::byte>> components) const {
  if (key.size() != kKeySize) return key_size_error(key.size());
  if (components.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "S2V needs at least one component");
  }
  const auto k1 = key.first(kBlockSize);
  const Block zero{};
  auto d = impl_->cmac_of(k1, zero);
  if (!d) return d.error();
  for (size_t i = 0; i + 1 < components.size(); ++i) {
    auto mac = impl_->cmac_of(k1, components[i]);
    if (!mac) return mac.error();
    *d = dbl(*d);
    for (size_t j = 0; j < kBlockSize; ++j) (*d)[j] ^= (*mac)[j];
  }
  const std::span<const std::byte> last = components.back();
  std::vector<std::byte> t;
  if (last.size() >= kBlockSize) {
    // T = Sn xorend D: D is xored into the last 16 bytes.
    t.assign(last.begin(), last.end());
    for (size_t j = 0; j < kBlockSize; ++j) t[t.size() - kBlockSize + j] ^= (*d)[j];
  } else {
    // T = dbl(D) xor pad(Sn), pad = Sn ‖ 0x80 ‖ 0…
    const Block doubled = dbl(*d);
    t.assign(doubled.begin(), doubled.end());
    for (size_t j = 0; j < last.size(); ++j) t[j] ^= last[j];
    t[last.size()] ^= std::byte{0x80};
  }
  return impl_->cmac_of(k1, t);
}

// SIV of an empty plaintext: the tag S2V(AD, [nonce,] "") and no ciphertext.
Result<std::array<std::byte, kSivTagSize>> OpenSslAead::empty_plaintext_tag(
    std::span<const std::byte> key, std::span<const std::byte> nonce,
    std::span<const std::byte> associated_data) const {
  const std::span<const std::byte> empty;
  if (nonce.empty()) {
    const std::array<std::span<const std::byte>, 2> components{associated_data, empty};
    return s2v(key, components);
  }
  const std::array<std::span<const std::byte>, 3> components{associated_data, nonce, empty};
  return s2v(key, components);
}

Result<std::vector<std::byte>> OpenSslAead::seal(std::span<const std::byte> key,
                                                 std::span<const std::byte> nonce,
                                                 std::span<const std::byte> associated_data,
                                                 std::span<const std::byte> plaintext) const {
  if (key.size() != kKeySize) return key_size_error(key.size());
  if (!fits_int(associated_data.size()) || !fits_int(nonce.size()) ||
      !fits_int(plaintext.size() + kSivTagSize)) {
    return make_error(ErrorCode::kInvalidArgument, "AEAD input too large");
  }
  if (plaintext.empty()) {  // see the header: OpenSSL 3.0 cannot; S2V alone is the output
    auto tag = empty_plaintext_tag(key, nonce, associated_data);
    if (!tag) return tag.error();
    return std::vector<std::byte>(tag->begin(), tag->end());
  }
  std::vector<std::byte> out(kSivTagSize + plaintext.size());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return crypto_error("EVP_CIPHER_CTX_new");
  int length = 0;
  int final_length = 0;
  bool ok = EVP_EncryptInit_ex2(ctx, impl_->siv, uchars(key), nullptr, nullptr) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &length, uchars(associated_data),
                              static_cast<int>(associated_data.size())) == 1;
  if (ok && !nonce.empty()) {
    ok = EVP_EncryptUpdate(ctx, nullptr, &length, uchars(nonce), static_cast<int>(nonce.size())) ==
         1;
  }
  ok =
      ok &&
      EVP_EncryptUpdate(ctx, uchars_out(out.data() + kSivTagSize), &length, uchars(plaintext),
                        static_cast<int>(plaintext.size())) == 1 &&
      static_cast<size_t>(length) == plaintext.size() &&
      EVP_EncryptFinal_ex(ctx, uchars_out(out.data() + kSivTagSize + length), &final_length) == 1 &&
      final_length == 0 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kSivTagSize),
                          uchars_out(out.data())) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return crypto_error("AES-128-SIV seal");
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
  if (!fits_int(associated_data.size()) || !fits_int(nonce.size()) || !fits_int(sealed.size())) {
    return make_error(ErrorCode::kInvalidArgument, "AEAD input too large");
  }
  const auto tag = sealed.first(kSivTagSize);
  const auto ciphertext = sealed.subspan(kSivTagSize);
  if (ciphertext.empty()) {
    auto expected = empty_plaintext_tag(key, nonce, associated_data);
    if (!expected) return expected.error();
    if (CRYPTO_memcmp(expected->data(), tag.data(), kSivTagSize) != 0) return auth_error();
    return std::vector<std::byte>{};
  }
  std::vector<std::byte> out(ciphertext.size());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return crypto_error("EVP_CIPHER_CTX_new");
  std::array<unsigned char, kSivTagSize> tag_copy{};
  std::copy_n(uchars(tag), kSivTagSize, tag_copy.begin());
  int length = 0;
  int final_length = 0;
  bool setup = EVP_DecryptInit_ex2(ctx, impl_->siv, uchars(key), nullptr, nullptr) == 1 &&
               EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kSivTagSize),
                                   tag_copy.data()) == 1 &&
               EVP_DecryptUpdate(ctx, nullptr, &length, uchars(associated_data),
                                 static_cast<int>(associated_data.size())) == 1;
  if (setup && !nonce.empty()) {
    setup = EVP_DecryptUpdate(ctx, nullptr, &length, uchars(nonce),
                              static_cast<int>(nonce.size())) == 1;
  }
  // A tag mismatch makes the ciphertext update (or the final step) fail.
  const bool verified =
      setup &&
      EVP_DecryptUpdate(ctx, uchars_out(out.data()), &length, uchars(ciphertext),
                        static_cast<int>(ciphertext.size())) == 1 &&
      static_cast<size_t>(length) == ciphertext.size() &&
      EVP_DecryptFinal_ex(ctx, uchars_out(out.data() + length), &final_length) == 1 &&
      final_length == 0;
  EVP_CIPHER_CTX_free(ctx);
  if (!setup) return crypto_error("AES-128-SIV open");
  if (!verified) {
    OPENSSL_cleanse(out.data(), out.size());
    return auth_error();
  }
  return out;
}

}  // namespace meridian::nts
