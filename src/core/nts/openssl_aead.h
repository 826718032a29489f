// Aead on OpenSSL 3: AEAD_AES_SIV_CMAC_256 is OpenSSL's "AES-128-SIV" (a
// 256-bit key: the first half keys S2V's CMAC, the second half CTR, RFC 5297
// §2.2). OpenSSL types stay out of this header.
//
// Like auth/openssl_mac_engine.h, the algorithms are fetched once, at
// create(), from a private OSSL_LIB_CTX (provider loading happens at start-up,
// before any sandbox; a FIPS-only system default cannot take them away), and
// seal()/open() are const and use a fresh context per call, so one instance
// may be shared by worker threads.
//
// OpenSSL 3.0's SIV cipher cannot seal or open an empty plaintext (its final
// step fails: openssl/openssl issues #17268, #26580), yet every NTS client
// request authenticates an empty plaintext (RFC 8915 §5.7). With an empty
// plaintext SIV's output is the S2V value alone, so that case is computed here
// with S2V over OpenSSL's CMAC (RFC 5297 §2.4); s2v() is public so tests can
// hold it against OpenSSL's own SIV and against published vectors.
#pragma once

#include <array>
#include <memory>

#include "core/nts/aead.h"

namespace meridian::nts {

class OpenSslAead final : public Aead {
 public:
  // Errors: OpenSSL could not provide AES-128-SIV or AES-CMAC.
  static Result<std::unique_ptr<OpenSslAead>> create();
  ~OpenSslAead() override;
  OpenSslAead(const OpenSslAead&) = delete;
  OpenSslAead& operator=(const OpenSslAead&) = delete;

  Result<std::vector<std::byte>> seal(std::span<const std::byte> key,
                                      std::span<const std::byte> nonce,
                                      std::span<const std::byte> associated_data,
                                      std::span<const std::byte> plaintext) const override;
  Result<std::vector<std::byte>> open(std::span<const std::byte> key,
                                      std::span<const std::byte> nonce,
                                      std::span<const std::byte> associated_data,
                                      std::span<const std::byte> sealed) const override;

  // RFC 5297 §2.4 S2V(K1, S1, …, Sn) with K1 the first 16 bytes of the
  // 32-byte `key`. REQUIRES: components is not empty (SIV always has the
  // plaintext as the last one). Errors: key not 32 bytes; OpenSSL failure.
  Result<std::array<std::byte, kSivTagSize>> s2v(
      std::span<const std::byte> key, std::span<const std::span<const std::byte>> components) const;

 private:
  Result<std::array<std::byte, kSivTagSize>> empty_plaintext_tag(
      std::span<const std::byte> key, std::span<const std::byte> nonce,
      std::span<const std::byte> associated_data) const;

  struct Impl;
  explicit OpenSslAead(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::nts
