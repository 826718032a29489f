// The composed SIV and its per-thread keyed contexts (core/nts/
// openssl_siv_keys.h, used by openssl_aead.h): agreement with OpenSSL's own
// AES-128-SIV cipher, which shares no code with it; the same answers however
// the cache is hit, missed, refilled or shared by threads and instances; and
// that a repeating key (a cookie master key) stays keyed while client keys churn.
#include "core/nts/openssl_siv_keys.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <thread>
#include <vector>

#include "core/nts/openssl_aead.h"
#include "core/random.h"
#include "tests/core/nts/nts_test_support.h"

namespace meridian::nts {
namespace {

using test_support::aead;
using test_support::hex;
using test_support::to_hex;
using Bytes = std::vector<std::byte>;

// Distinct bytes for every (size, seed).
Bytes pattern(size_t size, unsigned seed) {
  SeededRandom random(seed * 1000003ull + size);
  Bytes out(size);
  random.fill(out);
  return out;
}

// OpenSSL's SIV cipher (default library context), for a non-empty plaintext:
// tag ‖ ciphertext, or empty on failure.
Bytes openssl_siv_seal(const Bytes& key, const Bytes& nonce, const Bytes& ad, const Bytes& pt) {
  const auto uc = [](const Bytes& b) { return reinterpret_cast<const unsigned char*>(b.data()); };
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-128-SIV", nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  Bytes out(kSivTagSize + pt.size());
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0;
  bool ok = cipher != nullptr && ctx != nullptr &&
            EVP_EncryptInit_ex2(ctx, cipher, uc(key), nullptr, nullptr) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &n, ad.empty() ? o : uc(ad),
                              static_cast<int>(ad.size())) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &n, uc(nonce), static_cast<int>(nonce.size())) == 1 &&
            EVP_EncryptUpdate(ctx, o + kSivTagSize, &n, uc(pt), static_cast<int>(pt.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx, o + kSivTagSize + n, &n) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kSivTagSize), o) == 1;
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
  return ok ? out : Bytes{};
}

TEST(OpenSslSivKeysTest, AgreesWithOpenSslSivCipher) {
  const Bytes nonce = pattern(16, 1);
  for (const size_t ad_size : {0u, 1u, 16u, 48u, 100u, 229u}) {
    for (const size_t pt_size : {1u, 15u, 16u, 17u, 32u, 68u, 104u, 333u}) {
      const Bytes key = pattern(kKeySize, static_cast<unsigned>(ad_size + pt_size));
      const Bytes ad = pattern(ad_size, 2);
      const Bytes pt = pattern(pt_size, 3);
      const Bytes reference = openssl_siv_seal(key, nonce, ad, pt);
      ASSERT_FALSE(reference.empty()) << "OpenSSL's SIV failed";
      auto sealed = aead().seal(key, nonce, ad, pt);
      ASSERT_TRUE(sealed.ok()) << sealed.error().message;
      EXPECT_EQ(*sealed, reference) << "ad " << ad_size << " plaintext " << pt_size;
      auto opened = aead().open(key, nonce, ad, reference);
      ASSERT_TRUE(opened.ok()) << opened.error().message;
      EXPECT_EQ(*opened, pt);
    }
  }
}

const std::shared_ptr<const siv::Algorithms>& algorithms() {
  static const auto instance = [] {
    auto created = siv::Algorithms::create();
    EXPECT_TRUE(created.ok());
    return created.ok() ? *created : nullptr;
  }();
  return instance;
}

// CMAC under the first half of `key`: ours with `message` split at `split`.
std::string our_cmac(const Bytes& key, const Bytes& message, size_t split) {
  auto keyed = siv::keyed(algorithms(), key);
  if (!keyed) return "keying failed";
  const std::span<const std::byte> m(message);
  auto mac = keyed->cmac(m.first(split), m.subspan(split));
  return mac ? to_hex(*mac) : "CMAC failed";
}

// OpenSSL's CMAC (default library context) with a 16-byte key.
std::string openssl_cmac(std::span<const std::byte> key16, const Bytes& message) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
  EVP_MAC_CTX* ctx = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
  char cipher[] = "AES-128-CBC";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
                               OSSL_PARAM_construct_end()};
  siv::Block out{};
  size_t length = 0;
  const auto* k = reinterpret_cast<const unsigned char*>(key16.data());
  const bool ok =
      ctx != nullptr && EVP_MAC_init(ctx, k, key16.size(), params) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size()) ==
          1 &&
      EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &length, out.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return ok ? to_hex(out) : "OpenSSL CMAC failed";
}

TEST(OpenSslSivKeysTest, CmacRfc4493KnownAnswers) {
  // RFC 4493 §4; our CMAC key is the first half of the 32-byte SIV key.
  Bytes key = hex("2b7e151628aed2a6abf7158809cf4f3c");
  key.resize(kKeySize, std::byte{0xee});
  const Bytes m =
      hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
          "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  const auto first = [&](size_t n) { return Bytes(m.begin(), m.begin() + static_cast<long>(n)); };
  EXPECT_EQ(our_cmac(key, {}, 0), "bb1d6929e95937287fa37d129b756746");
  EXPECT_EQ(our_cmac(key, first(16), 0), "070a16b46b4d4144f79bdd9dd04a287c");
  EXPECT_EQ(our_cmac(key, first(40), 40), "dfa66747de9ae63030ca32611497c827");
  EXPECT_EQ(our_cmac(key, first(64), 20), "51f0bebf7e3b9d92fc49741779363cfe");
}

TEST(OpenSslSivKeysTest, CmacAgreesWithOpenSslForEveryLengthAndSplit) {
  const Bytes key = pattern(kKeySize, 77);
  for (size_t size = 0; size <= 300; size += size < 70 ? 1 : 23) {
    const Bytes message = pattern(size, static_cast<unsigned>(size));
    const std::string expected = openssl_cmac(std::span(key).first(16), message);
    for (const size_t split : {size_t{0}, size / 3, size / 2, size}) {
      EXPECT_EQ(our_cmac(key, message, split), expected) << size << " bytes split at " << split;
    }
  }
}

TEST(OpenSslSivKeysTest, RejectsKeysThatAreNot32Bytes) {
  EXPECT_EQ(siv::keyed(algorithms(), Bytes(16)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(siv::keyed(algorithms(), Bytes(33)).error().code, ErrorCode::kInvalidArgument);
}

// One seal per key, for more keys than a thread keeps keyed.
std::vector<Bytes> seal_with_keys(const OpenSslAead& a, size_t keys, unsigned seed) {
  std::vector<Bytes> out;
  for (size_t k = 0; k < keys; ++k) {
    auto sealed = a.seal(pattern(kKeySize, static_cast<unsigned>(k) + seed), pattern(16, seed),
                         pattern(48, seed), pattern(k % 3 == 0 ? 0 : 68, seed));
    EXPECT_TRUE(sealed.ok());
    out.push_back(sealed.ok() ? *sealed : Bytes{});
  }
  return out;
}

TEST(OpenSslSivKeysTest, SameAnswersWhetherKeysAreCachedOrEvicted) {
  const auto first = seal_with_keys(aead(), 40, 5);  // mostly misses: 40 keys, a few slots
  const auto again = seal_with_keys(aead(), 40, 5);
  EXPECT_EQ(first, again);
  // Backwards, so that the last keys (still keyed) are hit first.
  for (size_t k = 40; k-- > 0;) {
    auto opened = aead().open(pattern(kKeySize, static_cast<unsigned>(k) + 5), pattern(16, 5),
                              pattern(48, 5), first[k]);
    ASSERT_TRUE(opened.ok()) << "key " << k;
    EXPECT_EQ(*opened, pattern(k % 3 == 0 ? 0 : 68, 5));
  }
}

TEST(OpenSslSivKeysTest, RepeatingKeyStaysKeyedWhileClientKeysChurn) {
  // A server's pattern: the master key twice per request, two new client keys.
  const Bytes master = pattern(kKeySize, 99);
  const Bytes nonce = pattern(16, 1);
  ASSERT_TRUE(aead().seal(master, nonce, {}, pattern(68, 1)).ok());
  const size_t before = siv::thread_keyings();
  for (unsigned client = 0; client < 50; ++client) {
    ASSERT_TRUE(aead().seal(master, nonce, {}, pattern(68, client)).ok());
    ASSERT_TRUE(aead().seal(pattern(kKeySize, 1000 + client), nonce, {}, {}).ok());
    ASSERT_TRUE(aead().seal(master, nonce, {}, pattern(68, client)).ok());
    ASSERT_TRUE(aead().seal(pattern(kKeySize, 2000 + client), nonce, {}, {}).ok());
  }
  EXPECT_EQ(siv::thread_keyings() - before, 100u) << "only the client keys are keyed";
}

TEST(OpenSslSivKeysTest, ThreadsSharingOneInstanceGetTheSameAnswers) {
  const auto expected = seal_with_keys(aead(), 20, 11);
  std::vector<std::thread> threads;
  std::array<bool, 4> same{};
  for (size_t t = 0; t < same.size(); ++t) {
    threads.emplace_back([&, t] {
      bool all = true;
      for (int round = 0; round < 25; ++round)
        all = all && seal_with_keys(aead(), 20, 11) == expected;
      same[t] = all;
    });
  }
  for (auto& thread : threads) thread.join();
  for (size_t t = 0; t < same.size(); ++t) EXPECT_TRUE(same[t]) << "thread " << t;
}

TEST(OpenSslSivKeysTest, InstancesTakingTurnsOnOneThreadAgree) {
  auto other = OpenSslAead::create();
  ASSERT_TRUE(other.ok());
  const auto ours = seal_with_keys(aead(), 5, 21);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(seal_with_keys(**other, 5, 21), ours);
    EXPECT_EQ(seal_with_keys(aead(), 5, 21), ours);
  }
  other->reset();  // this thread's cache still holds its algorithms; they must outlive it
  EXPECT_EQ(seal_with_keys(aead(), 5, 21), ours);
}

}  // namespace
}  // namespace meridian::nts
