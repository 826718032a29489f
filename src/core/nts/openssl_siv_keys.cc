#include "core/nts/openssl_siv_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstdint>
#include <cstring>

#include "core/nts/keys.h"

namespace meridian::nts::siv {

namespace {

// A thread keeps this many keys keyed: the current and previous cookie master
// keys stay among them while each request also brings two client keys.
constexpr size_t kSlotsPerThread = 8;

// Blocks per EVP_Cipher() call: data passes through a stack buffer of this size.
constexpr size_t kChunkBlocks = 16;

// OpenSSL's C API speaks unsigned char; std::byte has the same size and
// representation, and these buffers are opaque bytes to both sides.
const unsigned char* uchars(std::span<const std::byte> s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* uchars_out(std::span<std::byte> s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

Error crypto_error(const char* what) {
  return make_error(ErrorCode::kUnavailable, std::string("OpenSSL: ") + what + " failed");
}

// Big-endian 64-bit words (RFC 5297's bit strings), one load or store each.
uint64_t load_be64(const std::byte* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, sizeof(v));
  return std::endian::native == std::endian::little ? __builtin_bswap64(v) : v;
}
void store_be64(uint64_t v, std::byte* p) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, sizeof(v));
}

// RFC 5297 §2.3 dbl() (RFC 4493 §2.3's subkey step): multiplication by x in
// GF(2^128). Branch-free: the values are secret.
Block dbl(const Block& in) {
  const uint64_t hi = load_be64(in.data());
  const uint64_t lo = load_be64(in.data() + 8);
  const uint64_t reduce = (0 - (hi >> 63)) & 0x87;
  Block out;
  store_be64((hi << 1) | (lo >> 63), out.data());
  store_be64((lo << 1) ^ reduce, out.data() + 8);
  return out;
}

// acc ^= with, over the shorter of the two; eight bytes at a time.
void xor_into(std::span<std::byte> acc, std::span<const std::byte> with) {
  const size_t n = std::min(acc.size(), with.size());
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t a = 0, b = 0;
    std::memcpy(&a, acc.data() + i, 8);
    std::memcpy(&b, with.data() + i, 8);
    a ^= b;
    std::memcpy(acc.data() + i, &a, 8);
  }
  for (; i < n; ++i) acc[i] ^= with[i];
}

// Constant-time equality of two keys (no early exit on the first difference).
bool same_key(std::span<const std::byte, kKeySize> a, std::span<const std::byte> b) {
  uint64_t diff = 0;
  for (size_t i = 0; i < kKeySize; i += 8) {
    uint64_t x = 0, y = 0;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    diff |= x ^ y;
  }
  return diff == 0;
}

// EVP_Cipher() on whole blocks: straight to the provider, without the
// parameter look-ups OpenSSL 3.0 does on every (re)initialisation.
bool cipher_blocks(EVP_CIPHER_CTX* ctx, std::span<std::byte> inout) {
  return EVP_Cipher(ctx, uchars_out(inout), uchars(inout), static_cast<unsigned>(inout.size())) > 0;
}

}  // namespace

struct Algorithms::Handles {
  OSSL_LIB_CTX* libctx = nullptr;
  EVP_CIPHER* cbc = nullptr;  // AES-128-CBC: CMAC's CBC-MAC (RFC 4493)
  EVP_CIPHER* ecb = nullptr;  // AES-128-ECB: CTR's key stream (RFC 5297 §2.5)
  ~Handles() {
    EVP_CIPHER_free(ecb);
    EVP_CIPHER_free(cbc);
    OSSL_LIB_CTX_free(libctx);
  }
};

Algorithms::Algorithms() : handles_(std::make_unique<Handles>()) {}
Algorithms::~Algorithms() = default;

Result<std::shared_ptr<const Algorithms>> Algorithms::create() {
  std::shared_ptr<Algorithms> a(new Algorithms());
  Handles& h = *a->handles_;
  // A private library context: provider loading happens here, at start-up
  // (before any sandbox), and a FIPS-only system default cannot take the
  // algorithms away.
  h.libctx = OSSL_LIB_CTX_new();
  if (h.libctx == nullptr) return crypto_error("OSSL_LIB_CTX_new");
  h.cbc = EVP_CIPHER_fetch(h.libctx, "AES-128-CBC", nullptr);
  h.ecb = EVP_CIPHER_fetch(h.libctx, "AES-128-ECB", nullptr);
  if (h.cbc == nullptr || h.ecb == nullptr) return crypto_error("fetching AES-128-CBC and -ECB");
  return std::shared_ptr<const Algorithms>(std::move(a));
}

struct KeyedSiv::Contexts {
  std::array<std::byte, kKeySize> key{};
  EVP_CIPHER_CTX* mac = nullptr;  // AES-128-CBC keyed with K1, chaining value `chain`
  EVP_CIPHER_CTX* ctr = nullptr;  // AES-128-ECB keyed with K2
  Block chain{};                  // the CBC chaining value `mac` holds: its last output block
  Block k1{}, k2{};               // CMAC subkeys of K1 (RFC 4493 §2.3)
  Block d0{};                     // CMAC_K1(0^128): where every S2V starts (RFC 5297 §2.4)
  bool keyed = false;
  bool reused = false;  // found again after keying: a long-lived key (a cookie master key)
  uint64_t last_use = 0;

  void forget() {
    for (Block* b : {&chain, &k1, &k2, &d0}) OPENSSL_cleanse(b->data(), b->size());
    OPENSSL_cleanse(key.data(), key.size());
    keyed = false;
    reused = false;
  }
  void release() {
    EVP_CIPHER_CTX_free(mac);  // cleanses the key schedules
    EVP_CIPHER_CTX_free(ctr);
    mac = nullptr;
    ctr = nullptr;
    forget();
  }

  // Keys the contexts in place; they are created only the first time the
  // slot is used.
  bool rekey(const Algorithms::Handles& h, std::span<const std::byte> new_key);
};

namespace {

// Streaming AES-CMAC (RFC 4493 §2.4) on a slot's CBC context. The context is
// never re-initialised between messages: its chaining value is xored into a
// message's first block instead, which makes CBC start from a zero IV.
class Cmac {
 public:
  explicit Cmac(KeyedSiv::Contexts& c) : c_(c) {}

  bool update(std::span<const std::byte> data) {
    while (!data.empty()) {
      if (pending_size_ == kBlockSize) {  // more follows: the pending block is not the last
        if (!process(pending_)) return false;
        pending_size_ = 0;
      }
      if (pending_size_ == 0 && data.size() > kBlockSize) {
        // Whole blocks straight through, keeping the last (full or not) for final().
        const size_t whole = (data.size() - 1) / kBlockSize * kBlockSize;
        if (!process(data.first(whole))) return false;
        data = data.subspan(whole);
        continue;
      }
      const size_t take = std::min(kBlockSize - pending_size_, data.size());
      std::copy_n(data.begin(), take, pending_.begin() + static_cast<ptrdiff_t>(pending_size_));
      pending_size_ += take;
      data = data.subspan(take);
    }
    return true;
  }

  // RFC 4493 §2.4 steps 3–6: the last block xored with K1 when complete,
  // else padded with 10* and xored with K2.
  bool final(Block& out) {
    Block last{};
    std::copy_n(pending_.begin(), pending_size_, last.begin());
    if (pending_size_ == kBlockSize) {
      xor_into(last, c_.k1);
    } else {
      last[pending_size_] = std::byte{0x80};
      xor_into(last, c_.k2);
    }
    const bool ok = process(last);
    OPENSSL_cleanse(pending_.data(), pending_.size());
    OPENSSL_cleanse(last.data(), last.size());
    if (ok) out = c_.chain;
    return ok;
  }

 private:
  // CBC over whole blocks, in chunks through a stack buffer.
  bool process(std::span<const std::byte> blocks) {
    std::array<std::byte, kChunkBlocks * kBlockSize> buffer;
    bool ok = true;
    while (ok && !blocks.empty()) {
      const size_t n = std::min(blocks.size(), buffer.size());
      const auto chunk = std::span(buffer).first(n);
      std::copy_n(blocks.begin(), n, chunk.begin());
      if (first_) xor_into(chunk, c_.chain);  // cancels the chaining value: IV 0
      first_ = false;
      ok = cipher_blocks(c_.mac, chunk);
      if (ok) std::copy_n(chunk.end() - kBlockSize, kBlockSize, c_.chain.begin());
      blocks = blocks.subspan(n);
    }
    // No cleansing needed: every byte copied in was overwritten by its CBC output.
    return ok;
  }

  KeyedSiv::Contexts& c_;
  Block pending_{};
  size_t pending_size_ = 0;
  bool first_ = true;
};

bool cmac_into(KeyedSiv::Contexts& c, std::span<const std::byte> head,
               std::span<const std::byte> tail, Block& out) {
  Cmac mac(c);
  return mac.update(head) && mac.update(tail) && mac.final(out);
}

EVP_CIPHER_CTX* keyed_context(EVP_CIPHER_CTX* ctx, const EVP_CIPHER* cipher,
                              std::span<const std::byte> key) {
  const Block zero_iv{};
  if (ctx == nullptr) {
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr) return nullptr;
    if (EVP_EncryptInit_ex2(ctx, cipher, uchars(key), uchars(zero_iv), nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
      EVP_CIPHER_CTX_free(ctx);
      return nullptr;
    }
    return ctx;
  }
  if (EVP_EncryptInit_ex2(ctx, nullptr, uchars(key), uchars(zero_iv), nullptr) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

}  // namespace

bool KeyedSiv::Contexts::rekey(const Algorithms::Handles& h, std::span<const std::byte> new_key) {
  forget();
  mac = keyed_context(mac, h.cbc, new_key.first(kBlockSize));
  ctr = keyed_context(ctr, h.ecb, new_key.subspan(kBlockSize));
  // RFC 4493 §2.3: L = AES_K1(0^128), subkeys dbl(L) and dbl(dbl(L)). With
  // the chaining value at zero, CBC over a zero block gives L.
  Block l{};
  bool ok = mac != nullptr && ctr != nullptr && cipher_blocks(mac, l);
  if (ok) {
    chain = l;
    k1 = dbl(l);
    k2 = dbl(k1);
    const Block zero{};
    ok = cmac_into(*this, zero, {}, d0);
  }
  OPENSSL_cleanse(l.data(), l.size());
  if (!ok) {
    release();  // a half-keyed context is never reused
    return false;
  }
  std::copy(new_key.begin(), new_key.end(), key.begin());
  keyed = true;
  return true;
}

namespace {

// One thread's keyed contexts, for the Algorithms it last served.
class ThreadCache {
 public:
  ThreadCache() = default;
  ThreadCache(const ThreadCache&) = delete;
  ThreadCache& operator=(const ThreadCache&) = delete;
  ~ThreadCache() { clear(); }

  Result<KeyedSiv> get(const std::shared_ptr<const Algorithms>& algorithms,
                       std::span<const std::byte> key) {
    if (owner_ != algorithms) {  // another OpenSslAead: its contexts came from another library
      clear();
      owner_ = algorithms;
    }
    ++uses_;
    for (KeyedSiv::Contexts& slot : slots_) {
      if (slot.keyed && same_key(slot.key, key)) {
        slot.reused = true;
        slot.last_use = uses_;
        return KeyedSiv(slot);
      }
    }
    KeyedSiv::Contexts& slot = victim();
    if (!slot.rekey(owner_->handles(), key)) return crypto_error("keying AES-CMAC and AES-CTR");
    ++keyings_;
    slot.last_use = uses_;
    return KeyedSiv(slot);
  }

  size_t keyings() const { return keyings_; }

 private:
  // An empty slot, else the least recently used key that was never found
  // again (a client's key), else the least recently used.
  KeyedSiv::Contexts& victim() {
    KeyedSiv::Contexts* best = &slots_[0];
    for (KeyedSiv::Contexts& slot : slots_) {
      if (!slot.keyed) return slot;
      const bool better =
          slot.reused != best->reused ? !slot.reused : slot.last_use < best->last_use;
      if (better) best = &slot;
    }
    return *best;
  }

  void clear() {
    for (KeyedSiv::Contexts& slot : slots_) slot.release();
    owner_.reset();
  }

  std::shared_ptr<const Algorithms> owner_;  // keeps the library context alive for the contexts
  std::array<KeyedSiv::Contexts, kSlotsPerThread> slots_;
  uint64_t uses_ = 0;
  size_t keyings_ = 0;
};

thread_local ThreadCache cache;

}  // namespace

Result<Block> KeyedSiv::cmac(std::span<const std::byte> head, std::span<const std::byte> tail) {
  Block out{};
  if (!cmac_into(*contexts_, head, tail, out)) {
    contexts_->release();  // its chaining value is unknown now: key it afresh next time
    return crypto_error("AES-CMAC");
  }
  return out;
}

Result<Block> KeyedSiv::s2v(std::span<const std::span<const std::byte>> components) {
  if (components.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "S2V needs at least one component");
  }
  Block d = contexts_->d0;
  for (size_t i = 0; i + 1 < components.size(); ++i) {
    auto mac = cmac(components[i], {});
    if (!mac) return mac.error();
    d = dbl(d);
    xor_into(d, *mac);
  }
  const std::span<const std::byte> last = components.back();
  if (last.size() >= kBlockSize) {
    // T = Sn xorend D: D is xored into the last 16 bytes, MACed after the rest.
    Block tail{};
    std::copy(last.end() - kBlockSize, last.end(), tail.begin());
    xor_into(tail, d);
    return cmac(last.first(last.size() - kBlockSize), tail);
  }
  // T = dbl(D) xor pad(Sn), pad = Sn ‖ 0x80 ‖ 0…
  Block t = dbl(d);
  xor_into(t, last);
  t[last.size()] ^= std::byte{0x80};
  return cmac(t, {});
}

bool KeyedSiv::ctr(const Block& v, std::span<const std::byte> in, std::span<std::byte> out) {
  if (out.size() != in.size() || in.size() > static_cast<size_t>(INT_MAX)) return false;
  // RFC 5297 §2.5: Q = V with bits 63 and 31 (from the right) cleared; the
  // key stream is AES_K2(Q), AES_K2(Q + 1), … (Q as a 128-bit big-endian
  // integer, mod 2^128), xored into the input.
  // (Both cleared bits are in the low 64 bits: bytes 8 and 12 of V.)
  uint64_t counter_hi = load_be64(v.data());
  uint64_t counter_lo = load_be64(v.data() + 8) & ~((uint64_t{1} << 63) | (uint64_t{1} << 31));
  std::array<std::byte, kChunkBlocks * kBlockSize> stream;
  bool ok = true;
  size_t used = 0;
  for (size_t done = 0; ok && done < in.size();) {
    const size_t n = std::min(in.size() - done, stream.size());
    const size_t blocks = (n + kBlockSize - 1) / kBlockSize;
    for (size_t b = 0; b < blocks; ++b) {
      store_be64(counter_hi, stream.data() + b * kBlockSize);
      store_be64(counter_lo, stream.data() + b * kBlockSize + 8);
      // Q + 1 (mod 2^128); the counter derives from V, which is public (the tag).
      if (++counter_lo == 0) ++counter_hi;
    }
    used = std::max(used, blocks * kBlockSize);
    ok = cipher_blocks(contexts_->ctr, std::span(stream).first(blocks * kBlockSize));
    if (ok) {
      std::copy_n(in.begin() + static_cast<ptrdiff_t>(done), n,
                  out.begin() + static_cast<ptrdiff_t>(done));
      xor_into(out.subspan(done, n), std::span(stream).first(n));
    }
    done += n;
  }
  OPENSSL_cleanse(stream.data(), used);  // the key stream
  if (!ok) contexts_->release();         // never reuse contexts in an unknown state
  return ok;
}

Result<KeyedSiv> keyed(const std::shared_ptr<const Algorithms>& algorithms,
                       std::span<const std::byte> key) {
  if (key.size() != kKeySize) {
    return make_error(ErrorCode::kInvalidArgument,
                      "AEAD_AES_SIV_CMAC_256 needs a " + std::to_string(kKeySize) +
                          "-byte key, got " + std::to_string(key.size()));
  }
  return cache.get(algorithms, key);
}

size_t thread_keyings() { return cache.keyings(); }

}  // namespace meridian::nts::siv
