#include "core/auth/openssl_mac_engine.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace meridian::auth {

namespace {

// OpenSSL's C API speaks unsigned char; std::byte has the same size and
// representation, and these buffers are opaque bytes to both sides.
const unsigned char* uchars(std::span<const std::byte> s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Error crypto_error(std::string_view what) {
  return make_error(ErrorCode::kUnavailable, fmt::format("OpenSSL: {} failed", what));
}

}  // namespace

struct OpenSslMacEngine::Impl {
  OSSL_LIB_CTX* libctx = nullptr;
  EVP_MD* md5 = nullptr;
  EVP_MD* sha1 = nullptr;
  EVP_MD* sha256 = nullptr;
  EVP_MAC* cmac = nullptr;

  ~Impl() {
    EVP_MAC_free(cmac);
    EVP_MD_free(sha256);
    EVP_MD_free(sha1);
    EVP_MD_free(md5);
    OSSL_LIB_CTX_free(libctx);
  }

  const EVP_MD* digest(KeyType type) const {
    switch (type) {
      case KeyType::kMd5:
        return md5;
      case KeyType::kSha1:
        return sha1;
      case KeyType::kSha256:
        return sha256;
      case KeyType::kAes128Cmac:
        return nullptr;
    }
    return nullptr;
  }
};

Result<std::unique_ptr<OpenSslMacEngine>> OpenSslMacEngine::create() {
  auto impl = std::make_unique<Impl>();
  impl->libctx = OSSL_LIB_CTX_new();
  if (impl->libctx == nullptr) return crypto_error("OSSL_LIB_CTX_new");
  impl->md5 = EVP_MD_fetch(impl->libctx, "MD5", nullptr);
  impl->sha1 = EVP_MD_fetch(impl->libctx, "SHA1", nullptr);
  impl->sha256 = EVP_MD_fetch(impl->libctx, "SHA256", nullptr);
  impl->cmac = EVP_MAC_fetch(impl->libctx, "CMAC", nullptr);
  if (!impl->md5 || !impl->sha1 || !impl->sha256 || !impl->cmac) {
    return crypto_error("fetching MD5, SHA1, SHA256 and CMAC");
  }
  return std::unique_ptr<OpenSslMacEngine>(new OpenSslMacEngine(std::move(impl)));
}

OpenSslMacEngine::OpenSslMacEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OpenSslMacEngine::~OpenSslMacEngine() = default;

Result<MacValue> OpenSslMacEngine::compute(KeyType type, std::span<const std::byte> key,
                                           std::span<const std::byte> data) const {
  MacValue out;
  auto* out_bytes = reinterpret_cast<unsigned char*>(out.bytes.data());

  if (const EVP_MD* md = impl_->digest(type)) {
    // Classic keyed hash: DIGEST(key || data), no HMAC construction.
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) return crypto_error("EVP_MD_CTX_new");
    unsigned int length = 0;
    const bool ok = EVP_DigestInit_ex2(ctx, md, nullptr) == 1 &&
                    EVP_DigestUpdate(ctx, uchars(key), key.size()) == 1 &&
                    EVP_DigestUpdate(ctx, uchars(data), data.size()) == 1 &&
                    static_cast<size_t>(EVP_MD_get_size(md)) <= out.bytes.size() &&
                    EVP_DigestFinal_ex(ctx, out_bytes, &length) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) return crypto_error("digest");
    out.size = length;
    return out;
  }

  // RFC 8573: AES-CMAC (RFC 4493) with a 128-bit key.
  if (key.size() != kAes128KeyLength) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("AES-128-CMAC needs a 16-byte key, got {}", key.size()));
  }
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(impl_->cmac);
  if (ctx == nullptr) return crypto_error("EVP_MAC_CTX_new");
  char cipher[] = "AES-128-CBC";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
      OSSL_PARAM_construct_end(),
  };
  size_t length = 0;
  const bool ok = EVP_MAC_init(ctx, uchars(key), key.size(), params) == 1 &&
                  EVP_MAC_update(ctx, uchars(data), data.size()) == 1 &&
                  EVP_MAC_final(ctx, out_bytes, &length, out.bytes.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!ok) return crypto_error("AES-128-CMAC");
  out.size = length;
  return out;
}

bool OpenSslMacEngine::equal(std::span<const std::byte> a, std::span<const std::byte> b) const {
  if (a.size() != b.size()) return false;  // lengths are public (they are on the wire)
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace meridian::auth
