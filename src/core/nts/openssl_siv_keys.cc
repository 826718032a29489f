#include "core/nts/openssl_siv_keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "core/nts/keys.h"

namespace meridian::nts::siv {

namespace {

// A thread keeps this many keys keyed: the current and previous cookie master
// keys stay among them while each request also brings two client keys.
constexpr size_t kSlotsPerThread = 8;

// OpenSSL's C API speaks unsigned char; std::byte has the same size and
// representation, and these buffers are opaque bytes to both sides. An empty
// span may have a null data(), which OpenSSL may read as "no input": point
// empty spans here instead.
const unsigned char kNothing = 0;
const unsigned char* uchars(std::span<const std::byte> s) {
  return s.empty() ? &kNothing : reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* uchars_out(std::byte* p) { return reinterpret_cast<unsigned char*>(p); }

Error crypto_error(const char* what) {
  return make_error(ErrorCode::kUnavailable, std::string("OpenSSL: ") + what + " failed");
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

void xor_into(Block& acc, std::span<const std::byte> with) {
  for (size_t i = 0; i < with.size() && i < kBlockSize; ++i) acc[i] ^= with[i];
}

// AES-CMAC (RFC 4493) of head ‖ tail on a keyed context. EVP_MAC_init with
// no key and no parameters restarts the MAC under the key it holds.
bool cmac_into(EVP_MAC_CTX* mac, std::span<const std::byte> head, std::span<const std::byte> tail,
               Block& out) {
  size_t length = 0;
  return EVP_MAC_init(mac, nullptr, 0, nullptr) == 1 &&
         EVP_MAC_update(mac, uchars(head), head.size()) == 1 &&
         EVP_MAC_update(mac, uchars(tail), tail.size()) == 1 &&
         EVP_MAC_final(mac, uchars_out(out.data()), &length, out.size()) == 1 &&
         length == kBlockSize;
}

}  // namespace

struct Algorithms::Handles {
  OSSL_LIB_CTX* libctx = nullptr;
  EVP_MAC* cmac = nullptr;
  EVP_CIPHER* ctr = nullptr;
  ~Handles() {
    EVP_CIPHER_free(ctr);
    EVP_MAC_free(cmac);
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
  h.cmac = EVP_MAC_fetch(h.libctx, "CMAC", nullptr);
  h.ctr = EVP_CIPHER_fetch(h.libctx, "AES-128-CTR", nullptr);
  if (h.cmac == nullptr || h.ctr == nullptr) return crypto_error("fetching CMAC and AES-128-CTR");
  return std::shared_ptr<const Algorithms>(std::move(a));
}

struct KeyedSiv::Contexts {
  std::array<std::byte, kKeySize> key{};
  EVP_MAC_CTX* mac = nullptr;     // CMAC keyed with K1
  EVP_CIPHER_CTX* ctr = nullptr;  // AES-128-CTR keyed with K2
  Block d0{};                     // CMAC_K1(0^128): where every S2V starts (RFC 5297 §2.4)
  bool keyed = false;
  bool reused = false;  // found again after keying: a long-lived key (a cookie master key)
  uint64_t last_use = 0;

  void forget() {
    OPENSSL_cleanse(key.data(), key.size());
    OPENSSL_cleanse(d0.data(), d0.size());
    keyed = false;
    reused = false;
  }
  void release() {
    EVP_MAC_CTX_free(mac);  // both free functions cleanse the key schedules
    EVP_CIPHER_CTX_free(ctr);
    mac = nullptr;
    ctr = nullptr;
    forget();
  }

  // Keys the contexts in place; they are created (and CMAC's cipher looked
  // up by name) only the first time the slot is used.
  bool rekey(const Algorithms::Handles& h, std::span<const std::byte> new_key) {
    forget();
    const unsigned char* k1 = uchars(new_key.first(kBlockSize));
    const unsigned char* k2 = uchars(new_key.subspan(kBlockSize));
    bool ok = true;
    if (mac == nullptr) {
      mac = EVP_MAC_CTX_new(h.cmac);
      char cipher[] = "AES-128-CBC";
      const OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
          OSSL_PARAM_construct_end(),
      };
      ok = mac != nullptr && EVP_MAC_init(mac, k1, kBlockSize, params) == 1;
    } else {
      ok = EVP_MAC_init(mac, k1, kBlockSize, nullptr) == 1;
    }
    if (ok && ctr == nullptr) {
      ctr = EVP_CIPHER_CTX_new();
      ok = ctr != nullptr && EVP_EncryptInit_ex2(ctr, h.ctr, k2, nullptr, nullptr) == 1;
    } else if (ok) {
      ok = EVP_EncryptInit_ex2(ctr, nullptr, k2, nullptr, nullptr) == 1;
    }
    const Block zero{};
    ok = ok && cmac_into(mac, zero, {}, d0);
    if (!ok) {
      release();  // a half-keyed context is never reused
      return false;
    }
    std::copy(new_key.begin(), new_key.end(), key.begin());
    keyed = true;
    return true;
  }
};

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
      if (slot.keyed && CRYPTO_memcmp(slot.key.data(), key.data(), kKeySize) == 0) {
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
  if (!cmac_into(contexts_->mac, head, tail, out)) return crypto_error("AES-CMAC");
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
  if (in.empty()) return true;
  if (out.size() != in.size() || in.size() > static_cast<size_t>(INT_MAX)) return false;
  // RFC 5297 §2.5: Q = V with bits 63 and 31 (from the right) cleared.
  Block q = v;
  q[8] &= std::byte{0x7f};
  q[12] &= std::byte{0x7f};
  int length = 0;
  return EVP_EncryptInit_ex2(contexts_->ctr, nullptr, nullptr, uchars(q), nullptr) == 1 &&
         EVP_EncryptUpdate(contexts_->ctr, uchars_out(out.data()), &length, uchars(in),
                           static_cast<int>(in.size())) == 1 &&
         static_cast<size_t>(length) == in.size();
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
