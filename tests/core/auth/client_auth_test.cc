// Client-side symmetric-key authentication (ntpd `server ... key N`,
// ntpdate -a): signing requests, classifying replies, the per-association
// state that decides what to count and when to log.
#include "core/auth/client_auth.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/mac.h"
#include "core/auth/openssl_mac_engine.h"
#include "core/wire/ntp_packet.h"
#include "tests/core/auth/mac_test_support.h"

namespace meridian::auth {
namespace {

using test_support::ascii;
using test_support::hex;
using test_support::kat_packet;
using test_support::to_hex;

// Its MACs computed independently with python3 hashlib / openssl mac (mac_test.cc).
constexpr std::string_view kMd5Expected = "8f18295746b57d89796d9457ecb74c03";
constexpr std::string_view kSha1Expected = "405ccf1e6a09de6adecb30ec451aa620c94a2ff3";
constexpr std::string_view kSha256Expected =
    "9b4d21164b57c3a7c482236cf54bf519b5a98e7116b28fd6aab7f4092bc7851e";
constexpr std::string_view kCmacExpected = "983431efc2a1167f60dce0af162defeb";

// A MacEngine that counts equal() calls, so the tests can tell that digests
// are compared through the engine's constant-time equal(), never memcmp/==.
class CountingEngine final : public MacEngine {
 public:
  explicit CountingEngine(std::unique_ptr<OpenSslMacEngine> real) : real_(std::move(real)) {}
  Result<MacValue> compute(KeyType type, std::span<const std::byte> key,
                           std::span<const std::byte> data) const override {
    return real_->compute(type, key, data);
  }
  bool equal(std::span<const std::byte> a, std::span<const std::byte> b) const override {
    ++equal_calls;
    return real_->equal(a, b);
  }
  mutable int equal_calls = 0;

 private:
  std::unique_ptr<OpenSslMacEngine> real_;
};

class ClientAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = OpenSslMacEngine::create();
    ASSERT_TRUE(e.ok()) << e.error().message;
    engine_ = std::make_unique<CountingEngine>(std::move(*e));
    ASSERT_TRUE(keys_.add({1, KeyType::kMd5, ascii("Meridian!")}).ok());
    ASSERT_TRUE(
        keys_.add({2, KeyType::kSha1, hex("0102030405060708090a0b0c0d0e0f1011121314")}).ok());
    ASSERT_TRUE(keys_
                    .add({3, KeyType::kSha256,
                          hex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f")})
                    .ok());
    ASSERT_TRUE(keys_.add({4, KeyType::kAes128Cmac, hex("000102030405060708090a0b0c0d0e0f")}).ok());
    ASSERT_TRUE(keys_.add({5, KeyType::kMd5, ascii("untrusted")}).ok());
    ASSERT_TRUE(keys_.add({6, KeyType::kMd5, ascii("other-trusted")}).ok());
    keys_.set_trusted({1, 2, 3, 4, 6, 7});  // 7: trusted but not in the key file
  }

  // A server-mode reply (mode 4) signed with `key_id` from this store.
  std::vector<std::byte> reply(uint32_t key_id) {
    auto p = kat_packet();
    p[0] = std::byte{0x24};
    auto r = append_mac(p, key_id, keys_, *engine_);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<std::byte>{};
  }
  ClientAuth verify(std::span<const std::byte> d, uint32_t key_id) {
    return verify_reply(d, key_id, keys_, *engine_);
  }

  std::unique_ptr<CountingEngine> engine_;
  KeyStore keys_;
};

TEST_F(ClientAuthTest, SignedRequestCarriesTheKeyIdAndTheRightMacForEachAlgorithm) {
  const struct {
    uint32_t id;
    std::string_view digest;  // truncated to the NTPv4 wire length
  } cases[] = {{1, kMd5Expected},
               {2, kSha1Expected},
               {3, kSha256Expected.substr(0, 40)},  // first 20 bytes (RFC 7822 §7)
               {4, kCmacExpected}};
  for (const auto& c : cases) {
    auto signed_request = sign_request(kat_packet(), c.id, keys_, *engine_);
    ASSERT_TRUE(signed_request.ok()) << c.id;
    const std::vector<std::byte>& b = *signed_request;
    ASSERT_EQ(b.size(), 48 + 4 + c.digest.size() / 2) << c.id;
    EXPECT_TRUE(std::equal(b.begin(), b.begin() + 48, kat_packet().begin())) << c.id;
    EXPECT_EQ(to_hex(std::span(b).subspan(48, 4)), fmt::format("{:08x}", c.id));
    EXPECT_EQ(to_hex(std::span(b).subspan(52)), c.digest) << c.id;
  }
}

TEST_F(ClientAuthTest, NoRequestWithAMissingOrUntrustedKey) {
  EXPECT_FALSE(sign_request(kat_packet(), 5, keys_, *engine_).ok());   // untrusted
  EXPECT_FALSE(sign_request(kat_packet(), 7, keys_, *engine_).ok());   // not in the file
  EXPECT_FALSE(sign_request(kat_packet(), 99, keys_, *engine_).ok());  // neither
}

TEST_F(ClientAuthTest, ReplySignedWithOurKeyIsAuthenticForEachAlgorithm) {
  for (uint32_t id : {1u, 2u, 3u, 4u}) {
    const int before = engine_->equal_calls;
    EXPECT_EQ(verify(reply(id), id), ClientAuth::kOk) << id;
    EXPECT_EQ(engine_->equal_calls, before + 1) << "digest not compared with MacEngine::equal";
  }
}

TEST_F(ClientAuthTest, ClassifiesEveryKindOfUnauthenticReply) {
  auto unsigned_reply = kat_packet();
  unsigned_reply[0] = std::byte{0x24};
  EXPECT_EQ(verify(unsigned_reply, 1), ClientAuth::kUnsigned);

  EXPECT_EQ(verify(append_crypto_nak(unsigned_reply), 1), ClientAuth::kCryptoNak);

  auto flipped = reply(1);
  flipped.back() ^= std::byte{0x80};
  EXPECT_EQ(verify(flipped, 1), ClientAuth::kBadMac);
  auto header_changed = reply(2);
  header_changed[47] ^= std::byte{0x01};  // a covered byte: the transmit timestamp
  EXPECT_EQ(verify(header_changed, 2), ClientAuth::kBadMac);

  // Signed correctly, but with another (trusted!) key than the association's.
  EXPECT_EQ(verify(reply(6), 1), ClientAuth::kWrongKeyId);
  // The same bytes from a server sharing key 6 are fine for a key-6 association.
  EXPECT_EQ(verify(reply(6), 6), ClientAuth::kOk);

  // A SHA1 digest (20 bytes) under the MD5 key id: wrong length for the key.
  auto wrong_length = reply(2);
  wrong_length[51] = std::byte{1};  // key id 2 -> 1
  EXPECT_EQ(verify(wrong_length, 1), ClientAuth::kBadMac);

  std::vector<std::byte> junk = unsigned_reply;
  junk.resize(48 + 7);  // 7 trailing bytes: neither a MAC nor an extension field
  EXPECT_EQ(verify(junk, 1), ClientAuth::kMalformed);
}

TEST_F(ClientAuthTest, OurKeyMissingOrUntrustedAuthenticatesNothing) {
  EXPECT_EQ(verify(reply(1), 5), ClientAuth::kKeyUnavailable);
  EXPECT_EQ(verify(reply(1), 7), ClientAuth::kKeyUnavailable);
  // Even a reply "signed" with the untrusted key's secret.
  KeyStore all_trusted = keys_;
  all_trusted.trust(5);
  auto p = kat_packet();
  p[0] = std::byte{0x24};
  auto signed5 = append_mac(p, 5, all_trusted, *engine_);
  ASSERT_TRUE(signed5.ok());
  EXPECT_EQ(verify(*signed5, 5), ClientAuth::kKeyUnavailable);
}

TEST(ClientAuthState, CountsEveryVerdictAndLogsOncePerStateChange) {
  ClientAuthState s(4);
  EXPECT_EQ(s.view().key_id, 4u);
  EXPECT_FALSE(s.view().last.has_value());
  EXPECT_FALSE(s.record(ClientAuth::kOk, "192.0.2.1")) << "the first success is not news";
  EXPECT_TRUE(s.view().authentic());

  auto line = s.record(ClientAuth::kBadMac, "192.0.2.1");
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, "server 192.0.2.1: reply failed authentication (bad MAC); key 4 expected");
  EXPECT_FALSE(s.view().authentic());
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(s.record(ClientAuth::kBadMac, "192.0.2.1"));
  line = s.record(ClientAuth::kCryptoNak, "192.0.2.1");
  ASSERT_TRUE(line);
  EXPECT_NE(line->find("(crypto-NAK)"), std::string::npos);
  EXPECT_TRUE(s.record(ClientAuth::kUnsigned, "192.0.2.1"));
  EXPECT_TRUE(s.record(ClientAuth::kWrongKeyId, "192.0.2.1"));
  line = s.record(ClientAuth::kOk, "192.0.2.1");
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, "server 192.0.2.1: replies authenticated again with key 4");
  EXPECT_FALSE(s.record(ClientAuth::kOk, "192.0.2.1"));
  line = s.record(ClientAuth::kKeyUnavailable, "192.0.2.1");
  ASSERT_TRUE(line);
  EXPECT_NE(line->find("no requests are sent"), std::string::npos);
  EXPECT_FALSE(s.record(ClientAuth::kKeyUnavailable, "192.0.2.1"));

  const ClientAuthCounters& c = s.view().counters;
  EXPECT_EQ(c.ok, 3u);
  EXPECT_EQ(c.bad_mac, 6u);
  EXPECT_EQ(c.crypto_nak, 1u);
  EXPECT_EQ(c.unsigned_, 1u);
  EXPECT_EQ(c.wrong_key, 1u);
  EXPECT_EQ(c.not_sent, 2u);
  EXPECT_EQ(c.dropped(), 9u);
}

}  // namespace
}  // namespace meridian::auth
