// The pieces of AEAD_AES_SIV_CMAC_256 (RFC 5297) on keyed OpenSSL contexts,
// and the per-thread cache that keeps those contexts keyed. Internal to
// openssl_aead.cc (and its tests); OpenSSL types stay out of this header.
//
// Why a cache: setting up OpenSSL contexts for a key (allocation, algorithm
// look-ups by name, AES key schedules, CMAC subkeys) cost ~4x the AES work of
// an NTS answer. A server uses the same cookie master key twice per request
// (open the cookie, seal a new one), so each thread keeps a few keys' contexts
// keyed and reuses them; a key it has not seen (a client's C2S/S2C key) is
// keyed into the least useful slot in place, with no allocation and no look-up.
//
// Why AES-CMAC (RFC 4493) is written here over an AES-128-CBC context, and
// CTR over AES-128-ECB, rather than using OpenSSL's CMAC and CTR: OpenSSL 3.0
// looks parameters up by name (OSSL_PARAM strcmp) every time a MAC restarts or
// a CTR context takes a new IV, which was half the remaining cost. Blocks go
// through EVP_Cipher() on contexts keyed once; the tests hold CMAC against
// RFC 4493's vectors and OpenSSL's CMAC, and SIV against RFC 5297 and
// OpenSSL's SIV cipher.
//
// Thread safety: the cache is thread_local, so const Aead methods may run on
// any number of threads at once with no shared mutable state. Each thread's
// cache holds a reference to the algorithms it keyed from, so they outlive it.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>

#include "core/result.h"

namespace meridian::nts::siv {

inline constexpr size_t kBlockSize = 16;
using Block = std::array<std::byte, kBlockSize>;

// The algorithms one OpenSslAead fetched at create(), from its own library
// context. Immutable after create(); shared by every thread's cache.
class Algorithms {
 public:
  // Errors: the library context, AES-128-CBC or AES-128-ECB are unavailable.
  static Result<std::shared_ptr<const Algorithms>> create();
  ~Algorithms();
  Algorithms(const Algorithms&) = delete;
  Algorithms& operator=(const Algorithms&) = delete;

  struct Handles;  // OpenSSL objects
  const Handles& handles() const { return *handles_; }

 private:
  Algorithms();
  std::unique_ptr<Handles> handles_;
};

// Contexts keyed with one 32-byte key: K1 (first half) keys S2V's CMAC, K2
// (second half) keys CTR (RFC 5297 §2.2). Valid until the next keyed() call
// on the same thread.
class KeyedSiv {
 public:
  // RFC 5297 §2.4 S2V(K1, components…). REQUIRES: components not empty.
  Result<Block> s2v(std::span<const std::span<const std::byte>> components);
  // RFC 4493 AES-CMAC under K1 of head ‖ tail.
  Result<Block> cmac(std::span<const std::byte> head, std::span<const std::byte> tail);
  // RFC 5297 §2.5–2.6: CTR mode with the counter derived from `v`, `in` to
  // `out` (same length; encryption and decryption are the same operation).
  bool ctr(const Block& v, std::span<const std::byte> in, std::span<std::byte> out);

  struct Contexts;  // OpenSSL contexts and the key they hold
  explicit KeyedSiv(Contexts& contexts) : contexts_(&contexts) {}

 private:
  Contexts* contexts_;
};

// This thread's contexts for `key` under `algorithms`, keyed on first use.
// Errors: key not 32 bytes (kInvalidArgument); OpenSSL failure (kUnavailable).
Result<KeyedSiv> keyed(const std::shared_ptr<const Algorithms>& algorithms,
                       std::span<const std::byte> key);

// For tests: how many keyings (cache misses) this thread has done.
size_t thread_keyings();

}  // namespace meridian::nts::siv
