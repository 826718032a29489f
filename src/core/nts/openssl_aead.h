// Aead on OpenSSL 3: AEAD_AES_SIV_CMAC_256 (RFC 5297 with a 256-bit key: the
// first half keys S2V's CMAC, the second half CTR, §2.2), composed here from
// AES-CMAC and AES-CTR exactly as RFC 5297 §2.6–2.7 define SIV, on OpenSSL's
// AES (openssl_siv_keys.h).
// OpenSSL types stay out of this header.
//
// Why not OpenSSL's own "AES-128-SIV" cipher: its contexts cannot be re-armed
// without re-keying, and keying one looks algorithms up by name and allocates
// several contexts; that set-up cost ~3x the AES work of an NTS answer. The
// composed SIV keeps keyed contexts per thread (openssl_siv_keys.h), so a
// cookie master key is keyed once per thread and a client's key is keyed in
// place without allocation. It also covers the empty plaintext every NTS
// request authenticates (RFC 8915 §5.7), which OpenSSL 3.0's SIV cipher cannot
// seal or open (openssl/openssl issues #17268, #26580). The tests hold it
// against RFC 5297's vectors and against OpenSSL's SIV cipher.
//
// Like auth/openssl_mac_engine.h, the algorithms are fetched once, at
// create(), from a private OSSL_LIB_CTX. seal(), open() and s2v() are const
// and keep their contexts in thread-local storage, so one instance may be
// shared by worker threads.
#pragma once

#include <array>
#include <memory>

#include "core/nts/aead.h"

namespace meridian::nts {

namespace siv {
class Algorithms;
}

class OpenSslAead final : public Aead {
 public:
  // Errors: OpenSSL could not provide AES-128 (CBC and ECB).
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
  explicit OpenSslAead(std::shared_ptr<const siv::Algorithms> algorithms);
  std::shared_ptr<const siv::Algorithms> algorithms_;
};

}  // namespace meridian::nts
