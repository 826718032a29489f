// The load generator's AEAD: AEAD_AES_SIV_CMAC_256 (RFC 5297) with OpenSSL
// contexts kept per key, so the generator's CPU goes to the cryptography a
// client must do and not to creating OpenSSL contexts (core/nts/openssl_aead
// creates fresh ones per call and per CMAC, so that one instance can be shared
// by threads: right for a server, but it made the generator cost ~1.7x the
// CPU per request of the chronyd server it measured, i.e. the generator, not
// the server, would have set the rate).
//
// Built on OpenSSL's AES-CMAC (S2V, RFC 5297 §2.4) and AES-128-CTR (§2.5,
// §2.6), not on OpenSSL's SIV cipher, whose contexts cannot be re-armed
// without re-keying. create() checks it against core's OpenSslAead (seal and
// open, empty and non-empty plaintexts) and refuses to run if they disagree;
// in use, every server checks what it seals and the server's replies are
// checked with it, so a wrong implementation cannot go unnoticed.
//
// Single-threaded: seal()/open() mutate the per-key cache (mutable).
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <memory>

#include "core/nts/aead.h"
#include "core/result.h"

namespace meridian::bench {

class KeyedSivAead final : public nts::Aead {
 public:
  static Result<std::unique_ptr<KeyedSivAead>> create();
  ~KeyedSivAead() override;
  KeyedSivAead(const KeyedSivAead&) = delete;
  KeyedSivAead& operator=(const KeyedSivAead&) = delete;

  Result<std::vector<std::byte>> seal(std::span<const std::byte> key,
                                      std::span<const std::byte> nonce,
                                      std::span<const std::byte> associated_data,
                                      std::span<const std::byte> plaintext) const override;
  Result<std::vector<std::byte>> open(std::span<const std::byte> key,
                                      std::span<const std::byte> nonce,
                                      std::span<const std::byte> associated_data,
                                      std::span<const std::byte> sealed) const override;

 private:
  struct Keyed;  // OpenSSL contexts for one 32-byte key
  using Block = std::array<std::byte, 16>;
  KeyedSivAead();
  Result<Keyed*> contexts(std::span<const std::byte> key) const;
  Result<Block> cmac(Keyed& k, std::span<const std::byte> data) const;
  Result<Block> s2v(Keyed& k, std::span<const std::byte> associated_data,
                    std::span<const std::byte> nonce, std::span<const std::byte> text) const;
  bool ctr(Keyed& k, const Block& v, std::span<const std::byte> in, std::byte* out) const;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  mutable std::map<std::array<std::byte, 32>, std::unique_ptr<Keyed>> cache_;
};

}  // namespace meridian::bench
