// MacEngine on OpenSSL 3 (EVP digests, EVP_MAC "CMAC" over AES-128-CBC,
// CRYPTO_memcmp). OpenSSL types stay out of this header.
//
// The engine fetches its algorithms once, at create(), from a private
// OSSL_LIB_CTX. Two reasons: all library initialisation (provider loading)
// happens at start-up, before any sandbox is applied, rather than on the
// first packet; and the NTP keyed-MD5 MAC — which classic ntp.keys files rely
// on — keeps working on hosts whose system-wide openssl.cnf enables a FIPS-only
// default (NTPsec sets EVP_MD_CTX_FLAG_NON_FIPS_ALLOW for the same reason).
//
// compute() and equal() are const and allocate a fresh EVP context per call,
// so one engine may be shared by worker threads.
#pragma once

#include <memory>

#include "core/auth/mac_engine.h"

namespace meridian::auth {

class OpenSslMacEngine final : public MacEngine {
 public:
  // Errors: OpenSSL could not provide MD5, SHA1, SHA256 or AES-128 CMAC.
  static Result<std::unique_ptr<OpenSslMacEngine>> create();
  ~OpenSslMacEngine() override;
  OpenSslMacEngine(const OpenSslMacEngine&) = delete;
  OpenSslMacEngine& operator=(const OpenSslMacEngine&) = delete;

  Result<MacValue> compute(KeyType type, std::span<const std::byte> key,
                           std::span<const std::byte> data) const override;
  bool equal(std::span<const std::byte> a, std::span<const std::byte> b) const override;

 private:
  struct Impl;
  explicit OpenSslMacEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::auth
