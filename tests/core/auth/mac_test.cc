// Symmetric-key MACs: known-answer tests for each key type, RFC 4493 AES-CMAC
// vectors, and verify_request / append_mac as the server uses them.
#include "core/auth/mac.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/openssl_mac_engine.h"
#include "core/wire/ntp_packet.h"
#include "tests/core/auth/mac_test_support.h"

namespace meridian::auth {
namespace {

using test_support::ascii;
using test_support::hex;
using test_support::kat_packet;
using test_support::to_hex;

// Known-answer keys. Expected values below were computed independently of
// this code with:
//   python3 -c 'import hashlib; pkt=bytes([0x23]+list(range(1,48)));
//               print(hashlib.md5(b"Meridian!"+pkt).hexdigest(),
//                     hashlib.sha1(bytes(range(1,21))+pkt).hexdigest(),
//                     hashlib.sha256(bytes(range(0x20,0x40))+pkt).hexdigest())'
//   openssl mac -cipher AES-128-CBC -macopt hexkey:000102030405060708090a0b0c0d0e0f
//       -in pkt.bin CMAC        (pkt.bin = the same 48 bytes)
const std::vector<std::byte> kMd5Key = ascii("Meridian!");
const std::vector<std::byte> kSha1Key = hex("0102030405060708090a0b0c0d0e0f1011121314");
const std::vector<std::byte> kSha256Key =
    hex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");
const std::vector<std::byte> kCmacKey = hex("000102030405060708090a0b0c0d0e0f");
constexpr std::string_view kMd5Expected = "8f18295746b57d89796d9457ecb74c03";
constexpr std::string_view kSha1Expected = "405ccf1e6a09de6adecb30ec451aa620c94a2ff3";
constexpr std::string_view kSha256Expected =
    "9b4d21164b57c3a7c482236cf54bf519b5a98e7116b28fd6aab7f4092bc7851e";
constexpr std::string_view kCmacExpected = "983431efc2a1167f60dce0af162defeb";

class MacTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = OpenSslMacEngine::create();
    ASSERT_TRUE(e.ok()) << e.error().message;
    engine_ = std::move(*e);
    ASSERT_TRUE(keys_.add({1, KeyType::kMd5, kMd5Key}).ok());
    ASSERT_TRUE(keys_.add({2, KeyType::kSha1, kSha1Key}).ok());
    ASSERT_TRUE(keys_.add({3, KeyType::kSha256, kSha256Key}).ok());
    ASSERT_TRUE(keys_.add({4, KeyType::kAes128Cmac, kCmacKey}).ok());
    ASSERT_TRUE(keys_.add({5, KeyType::kMd5, ascii("untrusted")}).ok());
    keys_.set_trusted({1, 2, 3, 4});
  }

  std::string mac_hex(KeyType type, const std::vector<std::byte>& key) {
    auto v = engine_->compute(type, key, kat_packet());
    EXPECT_TRUE(v.ok());
    return v.ok() ? to_hex(v->view()) : "";
  }

  // A signed request for `key_id`, parsed as the server would.
  std::vector<std::byte> signed_request(uint32_t key_id) {
    auto r = append_mac(kat_packet(), key_id, keys_, *engine_);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::vector<std::byte>{};
  }

  VerifyResult verify(const std::vector<std::byte>& datagram) {
    auto parsed = wire::parse_packet(datagram);
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
    if (!parsed.ok()) return {};
    return verify_request(datagram, *parsed, keys_, *engine_);
  }

  std::unique_ptr<OpenSslMacEngine> engine_;
  KeyStore keys_;
};

TEST_F(MacTest, Md5KnownAnswer) { EXPECT_EQ(mac_hex(KeyType::kMd5, kMd5Key), kMd5Expected); }
TEST_F(MacTest, Sha1KnownAnswer) { EXPECT_EQ(mac_hex(KeyType::kSha1, kSha1Key), kSha1Expected); }
TEST_F(MacTest, Sha256KnownAnswer) {
  EXPECT_EQ(mac_hex(KeyType::kSha256, kSha256Key), kSha256Expected);
}
TEST_F(MacTest, Aes128CmacKnownAnswer) {
  EXPECT_EQ(mac_hex(KeyType::kAes128Cmac, kCmacKey), kCmacExpected);
}

// RFC 4493 §4, Examples 1–4 (K = 2b7e1516 28aed2a6 abf71588 09cf4f3c).
TEST_F(MacTest, Rfc4493AesCmacVectors) {
  const auto key = hex("2b7e151628aed2a6abf7158809cf4f3c");
  const std::string m =
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
  const struct {
    size_t length;
    std::string_view tag;
  } vectors[] = {
      {0, "bb1d6929e95937287fa37d129b756746"},
      {16, "070a16b46b4d4144f79bdd9dd04a287c"},
      {40, "dfa66747de9ae63030ca32611497c827"},
      {64, "51f0bebf7e3b9d92fc49741779363cfe"},
  };
  for (const auto& v : vectors) {
    const auto msg = hex(std::string_view(m).substr(0, 2 * v.length));
    auto tag = engine_->compute(KeyType::kAes128Cmac, key, msg);
    ASSERT_TRUE(tag.ok());
    EXPECT_EQ(to_hex(tag->view()), v.tag) << "Mlen " << v.length;
  }
}

TEST_F(MacTest, CmacRejectsWrongKeyLengthAtEngine) {
  EXPECT_FALSE(engine_->compute(KeyType::kAes128Cmac, hex("0001"), kat_packet()).ok());
}

TEST_F(MacTest, WireLengths) {
  EXPECT_EQ(wire_digest_length(KeyType::kMd5), 16u);
  EXPECT_EQ(wire_digest_length(KeyType::kSha1), 20u);
  EXPECT_EQ(wire_digest_length(KeyType::kSha256), 20u);  // truncated, RFC 7822 §7
  EXPECT_EQ(wire_digest_length(KeyType::kAes128Cmac), 16u);
}

TEST_F(MacTest, AppendMacFramesKeyIdAndTruncatedDigest) {
  const struct {
    uint32_t key_id;
    std::string_view digest;
  } cases[] = {
      {1, kMd5Expected},
      {2, kSha1Expected},
      {3, kSha256Expected.substr(0, 40)},
      {4, kCmacExpected},
  };
  for (const auto& c : cases) {
    const auto datagram = signed_request(c.key_id);
    ASSERT_EQ(datagram.size(), 48 + 4 + c.digest.size() / 2);
    EXPECT_EQ(to_hex(std::span(datagram).subspan(48, 4)), "0000000" + std::to_string(c.key_id));
    EXPECT_EQ(to_hex(std::span(datagram).subspan(52)), c.digest);
  }
}

TEST_F(MacTest, VerifyOkForEveryKeyType) {
  for (const uint32_t id : {1u, 2u, 3u, 4u}) {
    const auto r = verify(signed_request(id));
    EXPECT_EQ(r.status, VerifyStatus::kOk) << "key " << id << ": " << to_string(r.status);
    EXPECT_EQ(r.key_id, id);
    EXPECT_TRUE(r.ok());
  }
}

TEST_F(MacTest, VerifyNoMac) {
  const auto r = verify(kat_packet());
  EXPECT_EQ(r.status, VerifyStatus::kNone);
}

TEST_F(MacTest, VerifyBadMacOnAnyFlippedBit) {
  const auto good = signed_request(2);
  for (size_t i = 0; i < good.size(); ++i) {
    if (i >= 48 && i < 52) continue;  // the key id itself: that is "unknown key"
    auto bad = good;
    bad[i] ^= std::byte{0x01};
    auto parsed = wire::parse_packet(bad);
    if (!parsed.ok()) continue;  // e.g. mode bits now 0/6/7
    EXPECT_EQ(verify_request(bad, *parsed, keys_, *engine_).status, VerifyStatus::kBadMac)
        << "byte " << i;
  }
}

TEST_F(MacTest, VerifyUnknownAndUntrustedKeys) {
  auto unknown = signed_request(1);
  unknown[51] = std::byte{99};  // key id 1 → 99
  EXPECT_EQ(verify(unknown).status, VerifyStatus::kUnknownKey);
  EXPECT_EQ(verify(unknown).key_id, 99u);

  KeyStore all_trusted = keys_;
  all_trusted.trust(5);
  auto signed5 = append_mac(kat_packet(), 5, all_trusted, *engine_);
  ASSERT_TRUE(signed5.ok());
  EXPECT_EQ(verify(*signed5).status, VerifyStatus::kUntrustedKey);
}

TEST_F(MacTest, VerifyCryptoNak) {
  const auto nak = append_crypto_nak(kat_packet());
  ASSERT_EQ(nak.size(), 52u);
  EXPECT_EQ(verify(nak).status, VerifyStatus::kCryptoNak);
}

TEST_F(MacTest, VerifyWrongDigestLengthForKeyIsBadMac) {
  // An MD5 key id with a 20-byte digest (24-byte trailer).
  auto datagram = signed_request(2);
  datagram[51] = std::byte{1};
  EXPECT_EQ(verify(datagram).status, VerifyStatus::kBadMac);
}

TEST_F(MacTest, VerifyRejectsDatagramThatDoesNotMatchParsedTrailer) {
  const auto datagram = signed_request(1);
  auto parsed = wire::parse_packet(datagram);
  ASSERT_TRUE(parsed.ok());
  auto other = datagram;
  other[50] = std::byte{7};  // trailer key id now differs from parsed.mac->key_id
  EXPECT_EQ(verify_request(other, *parsed, keys_, *engine_).status, VerifyStatus::kBadMac);
  const std::vector<std::byte> tiny(10);
  EXPECT_EQ(verify_request(tiny, *parsed, keys_, *engine_).status, VerifyStatus::kBadMac);
}

TEST_F(MacTest, MacCoversExtensionFields) {
  wire::NtpPacket p;
  p.extensions.push_back({0x2005, std::vector<std::byte>(28, std::byte{0xab})});
  auto datagram = append_mac(wire::serialize_packet(p), 4, keys_, *engine_);
  ASSERT_TRUE(datagram.ok());
  EXPECT_EQ(verify(*datagram).status, VerifyStatus::kOk);
  auto tampered = *datagram;
  tampered[60] ^= std::byte{0x80};  // inside the extension field value
  EXPECT_EQ(verify(tampered).status, VerifyStatus::kBadMac);
}

TEST_F(MacTest, AppendMacErrors) {
  EXPECT_FALSE(append_mac(kat_packet(), 77, keys_, *engine_).ok());  // unknown
  EXPECT_FALSE(append_mac(kat_packet(), 5, keys_, *engine_).ok());   // untrusted
}

TEST_F(MacTest, ConstantTimeEqualSemantics) {
  const auto a = hex("00112233");
  EXPECT_TRUE(engine_->equal(a, hex("00112233")));
  EXPECT_FALSE(engine_->equal(a, hex("00112234")));
  EXPECT_FALSE(engine_->equal(a, hex("001122")));
  EXPECT_TRUE(engine_->equal({}, {}));
}

TEST_F(MacTest, PacketAuthMapping) {
  EXPECT_EQ(packet_auth(VerifyStatus::kNone), access::PacketAuth::kNone);
  EXPECT_EQ(packet_auth(VerifyStatus::kOk), access::PacketAuth::kOk);
  EXPECT_EQ(packet_auth(VerifyStatus::kBadMac), access::PacketAuth::kFailed);
  EXPECT_EQ(packet_auth(VerifyStatus::kUnknownKey), access::PacketAuth::kFailed);
  EXPECT_EQ(packet_auth(VerifyStatus::kUntrustedKey), access::PacketAuth::kFailed);
  EXPECT_EQ(packet_auth(VerifyStatus::kCryptoNak), access::PacketAuth::kCryptoNak);
}

// A fake engine shows the MAC framing is independent of OpenSSL (and pins
// that verify_request fails closed when the engine errors).
class FailingEngine final : public MacEngine {
 public:
  Result<MacValue> compute(KeyType, std::span<const std::byte>,
                           std::span<const std::byte>) const override {
    return make_error(ErrorCode::kUnavailable, "no crypto");
  }
  bool equal(std::span<const std::byte>, std::span<const std::byte>) const override { return true; }
};

TEST_F(MacTest, EngineFailureIsBadMacNotOk) {
  const auto datagram = signed_request(1);
  auto parsed = wire::parse_packet(datagram);
  ASSERT_TRUE(parsed.ok());
  FailingEngine failing;
  EXPECT_EQ(verify_request(datagram, *parsed, keys_, failing).status, VerifyStatus::kBadMac);
  EXPECT_FALSE(append_mac(kat_packet(), 1, keys_, failing).ok());
}

}  // namespace
}  // namespace meridian::auth
