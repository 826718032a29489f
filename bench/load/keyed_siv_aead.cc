#include "keyed_siv_aead.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <vector>

#include "core/nts/openssl_aead.h"

namespace meridian::bench {

namespace {

constexpr size_t kBlock = 16;
constexpr size_t kKey = 32;

const unsigned char* uc(std::span<const std::byte> s) {
  return reinterpret_cast<const unsigned char*>(s.data());  // OpenSSL's byte type
}
unsigned char* uc_out(std::byte* p) { return reinterpret_cast<unsigned char*>(p); }

Error crypto_error(const char* what) {
  return make_error(ErrorCode::kUnavailable, std::string("bench AES-SIV: ") + what + " failed");
}

// RFC 5297 §2.3: doubling in GF(2^128).
std::array<std::byte, kBlock> dbl(const std::array<std::byte, kBlock>& in) {
  std::array<std::byte, kBlock> out{};
  for (size_t i = 0; i < kBlock; ++i) {
    const auto hi = std::to_integer<unsigned>(in[i]) << 1;
    const auto carry = i + 1 < kBlock ? std::to_integer<unsigned>(in[i + 1]) >> 7 : 0U;
    out[i] = static_cast<std::byte>((hi | carry) & 0xff);
  }
  if ((std::to_integer<unsigned>(in[0]) & 0x80) != 0) out[kBlock - 1] ^= std::byte{0x87};
  return out;
}

}  // namespace

struct KeyedSivAead::Impl {
  EVP_MAC* cmac = nullptr;
  EVP_CIPHER* ctr = nullptr;
  ~Impl() {
    EVP_MAC_free(cmac);
    EVP_CIPHER_free(ctr);
  }
};

struct KeyedSivAead::Keyed {
  EVP_MAC_CTX* mac = nullptr;     // keyed with K1 (first half)
  EVP_CIPHER_CTX* ctr = nullptr;  // keyed with K2 (second half)
  ~Keyed() {
    EVP_MAC_CTX_free(mac);
    EVP_CIPHER_CTX_free(ctr);
  }
};

KeyedSivAead::KeyedSivAead() : impl_(std::make_unique<Impl>()) {}
KeyedSivAead::~KeyedSivAead() = default;

Result<std::unique_ptr<KeyedSivAead>> KeyedSivAead::create() {
  std::unique_ptr<KeyedSivAead> a(new KeyedSivAead());
  a->impl_->cmac = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
  a->impl_->ctr = EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr);
  if (a->impl_->cmac == nullptr || a->impl_->ctr == nullptr) return crypto_error("fetch");
  // Cross-check with core's implementation before trusting it.
  auto reference = nts::OpenSslAead::create();
  if (!reference) return reference.error();
  std::vector<std::byte> key(kKey), nonce(16), ad(181), text(140);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::byte>(i * 7 + 1);
  for (size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<std::byte>(i * 13 + 5);
  for (size_t i = 0; i < ad.size(); ++i) ad[i] = static_cast<std::byte>(i * 31 + 3);
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<std::byte>(i * 17 + 9);
  for (size_t len : {size_t{0}, size_t{5}, size_t{16}, size_t{100}, size_t{140}}) {
    for (int round = 0; round < 2; ++round) {  // the second round reuses the cached contexts
      const auto pt = std::span<const std::byte>(text).first(len);
      auto ours = a->seal(key, nonce, ad, pt);
      auto theirs = (*reference)->seal(key, nonce, ad, pt);
      if (!ours || !theirs || *ours != *theirs) {
        return make_error(ErrorCode::kUnavailable,
                          "bench AES-SIV disagrees with core's OpenSslAead (seal)");
      }
      auto opened = a->open(key, nonce, ad, *theirs);
      if (!opened || !std::equal(opened->begin(), opened->end(), pt.begin(), pt.end())) {
        return make_error(ErrorCode::kUnavailable, "bench AES-SIV cannot open core's seal");
      }
      auto tampered = *theirs;
      tampered.back() ^= std::byte{1};
      if (a->open(key, nonce, ad, tampered)) {
        return make_error(ErrorCode::kUnavailable, "bench AES-SIV accepted a tampered seal");
      }
    }
  }
  return a;
}

Result<KeyedSivAead::Keyed*> KeyedSivAead::contexts(std::span<const std::byte> key) const {
  if (key.size() != kKey) return make_error(ErrorCode::kInvalidArgument, "key not 32 bytes");
  std::array<std::byte, kKey> id{};
  std::copy(key.begin(), key.end(), id.begin());
  auto it = cache_.find(id);
  if (it != cache_.end()) return it->second.get();
  auto k = std::make_unique<Keyed>();
  k->mac = EVP_MAC_CTX_new(impl_->cmac);
  k->ctr = EVP_CIPHER_CTX_new();
  if (k->mac == nullptr || k->ctr == nullptr) return crypto_error("context");
  char cipher[] = "AES-128-CBC";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(k->mac, uc(key.first(kBlock)), kBlock, params) != 1 ||
      EVP_EncryptInit_ex2(k->ctr, impl_->ctr, uc(key.subspan(kBlock)), nullptr, nullptr) != 1) {
    return crypto_error("keying");
  }
  Keyed* raw = k.get();
  cache_.emplace(id, std::move(k));
  return raw;
}

// AES-CMAC with the context's key: EVP_MAC_init without a key restarts it.
Result<KeyedSivAead::Block> KeyedSivAead::cmac(Keyed& k, std::span<const std::byte> data) const {
  Block out{};
  size_t length = 0;
  if (EVP_MAC_init(k.mac, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(k.mac, uc(data), data.size()) != 1 ||
      EVP_MAC_final(k.mac, uc_out(out.data()), &length, out.size()) != 1 || length != kBlock) {
    return crypto_error("CMAC");
  }
  return out;
}

// RFC 5297 §2.4: S2V(K1, AD, nonce, text), the nonce left out when empty.
Result<KeyedSivAead::Block> KeyedSivAead::s2v(Keyed& k, std::span<const std::byte> associated_data,
                                              std::span<const std::byte> nonce,
                                              std::span<const std::byte> text) const {
  const Block zero{};
  auto d = cmac(k, zero);
  if (!d) return d.error();
  const std::array<std::span<const std::byte>, 2> components{associated_data, nonce};
  for (size_t i = 0; i < (nonce.empty() ? 1 : 2); ++i) {
    auto mac = cmac(k, components[i]);
    if (!mac) return mac.error();
    *d = dbl(*d);
    for (size_t j = 0; j < kBlock; ++j) (*d)[j] ^= (*mac)[j];
  }
  std::vector<std::byte> t;
  if (text.size() >= kBlock) {  // T = Sn xorend D
    t.assign(text.begin(), text.end());
    for (size_t j = 0; j < kBlock; ++j) t[t.size() - kBlock + j] ^= (*d)[j];
  } else {  // T = dbl(D) xor pad(Sn)
    const Block doubled = dbl(*d);
    t.assign(doubled.begin(), doubled.end());
    for (size_t j = 0; j < text.size(); ++j) t[j] ^= text[j];
    t[text.size()] ^= std::byte{0x80};
  }
  return cmac(k, t);
}

// RFC 5297 §2.5/§2.6: CTR with Q = V, bits 63 and 31 (from the right) cleared.
bool KeyedSivAead::ctr(Keyed& k, const Block& v, std::span<const std::byte> in,
                       std::byte* out) const {
  if (in.empty()) return true;
  Block q = v;
  q[8] &= std::byte{0x7f};
  q[12] &= std::byte{0x7f};
  int length = 0;
  return EVP_EncryptInit_ex2(k.ctr, nullptr, nullptr, uc(q), nullptr) == 1 &&
         EVP_EncryptUpdate(k.ctr, uc_out(out), &length, uc(in), static_cast<int>(in.size())) == 1 &&
         static_cast<size_t>(length) == in.size();
}

Result<std::vector<std::byte>> KeyedSivAead::seal(std::span<const std::byte> key,
                                                  std::span<const std::byte> nonce,
                                                  std::span<const std::byte> associated_data,
                                                  std::span<const std::byte> plaintext) const {
  auto k = contexts(key);
  if (!k) return k.error();
  auto v = s2v(**k, associated_data, nonce, plaintext);
  if (!v) return v.error();
  std::vector<std::byte> out(kBlock + plaintext.size());
  std::copy(v->begin(), v->end(), out.begin());
  if (!ctr(**k, *v, plaintext, out.data() + kBlock)) return crypto_error("CTR");
  return out;
}

Result<std::vector<std::byte>> KeyedSivAead::open(std::span<const std::byte> key,
                                                  std::span<const std::byte> nonce,
                                                  std::span<const std::byte> associated_data,
                                                  std::span<const std::byte> sealed) const {
  if (sealed.size() < kBlock) return make_error(ErrorCode::kMalformed, "shorter than a tag");
  auto k = contexts(key);
  if (!k) return k.error();
  Block v{};
  std::copy_n(sealed.begin(), kBlock, v.begin());
  const auto ciphertext = sealed.subspan(kBlock);
  std::vector<std::byte> plaintext(ciphertext.size());
  if (!ctr(**k, v, ciphertext, plaintext.data())) return crypto_error("CTR");
  auto t = s2v(**k, associated_data, nonce, plaintext);
  if (!t) return t.error();
  if (CRYPTO_memcmp(t->data(), v.data(), kBlock) != 0) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return make_error(ErrorCode::kMalformed, "authentication failed");
  }
  return plaintext;
}

}  // namespace meridian::bench
