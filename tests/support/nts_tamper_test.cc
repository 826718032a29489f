// The tamper relay's byte selection: it must hit the NTS authenticator's tag
// wherever the fields before it put it, and never read outside a malformed
// packet.
#include "tests/support/nts_tamper.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/wire/byte_reader.h"

namespace meridian::testing {
namespace {

using Where = TamperRule::Where;
constexpr uint16_t kUniqueIdentifierType = 0x0104;  // RFC 8915 §5.3

// A 48-byte header (bytes 0..47 = their index), then a Unique Identifier
// field of `uid_bytes` and an authenticator with the given nonce and
// ciphertext lengths (bytes 0xc0 + i, so a flipped one is recognisable).
std::vector<std::byte> nts_packet(size_t uid_bytes, uint16_t nonce_len, uint16_t ct_len) {
  std::vector<std::byte> p;
  wire::ByteWriter w(p);
  for (int i = 0; i < 48; ++i) w.u8(static_cast<uint8_t>(i));
  w.u16(kUniqueIdentifierType);
  w.u16(static_cast<uint16_t>(4 + uid_bytes));
  w.zeros(uid_bytes);
  const size_t padded_nonce = (nonce_len + 3u) / 4u * 4u;
  const size_t padded_ct = (ct_len + 3u) / 4u * 4u;
  w.u16(kNtsAuthenticatorType);
  w.u16(static_cast<uint16_t>(8 + padded_nonce + padded_ct));
  w.u16(nonce_len);
  w.u16(ct_len);
  w.zeros(padded_nonce);
  for (size_t i = 0; i < padded_ct; ++i) w.u8(static_cast<uint8_t>(0xc0 + i));
  return p;
}

TEST(NtsTamper, FindsTheTagAfterTheUniqueIdentifier) {
  auto p = nts_packet(32, 16, 16 + 104);
  // 48 header + 36 unique identifier + 4 field header + 4 lengths + 16 nonce
  EXPECT_EQ(tamper_position(p, {Where::kNtsTag, 0}), 108u);
  ASSERT_TRUE(tamper(p, {Where::kNtsTag, 0}));
  EXPECT_EQ(p[108], std::byte{0x3f});  // ~0xc0
  EXPECT_EQ(p[109], std::byte{0xc1});  // only one byte changed
  ASSERT_TRUE(tamper(p, {Where::kNtsTag, 0}));
  EXPECT_EQ(p, nts_packet(32, 16, 16 + 104));
}

TEST(NtsTamper, NonceIsPaddedToFourBytes) {
  const auto p = nts_packet(16, 13, 16);
  EXPECT_EQ(tamper_position(p, {Where::kNtsTag, 0}), 48u + 20u + 8u + 16u);
}

TEST(NtsTamper, NoAuthenticatorNoPosition) {
  auto p = nts_packet(32, 16, 16);
  p.resize(48 + 36);  // header and unique identifier only
  EXPECT_EQ(tamper_position(p, {Where::kNtsTag, 0}), std::nullopt);
  p.resize(48);
  EXPECT_EQ(tamper_position(p, {Where::kNtsTag, 0}), std::nullopt);
  p.resize(40);
  EXPECT_EQ(tamper_position(p, {Where::kNtsTag, 0}), std::nullopt);
  EXPECT_FALSE(tamper(p, {Where::kNtsTag, 0}));
}

TEST(NtsTamper, MalformedChainsAreRejected) {
  const auto good = nts_packet(32, 16, 32);
  auto truncated = good;
  truncated.resize(good.size() - 4);  // the authenticator's length runs past the end
  EXPECT_EQ(tamper_position(truncated, {Where::kNtsTag, 0}), std::nullopt);
  auto zero_length = good;
  zero_length[50] = zero_length[51] = std::byte{0};  // unique identifier length 0
  EXPECT_EQ(tamper_position(zero_length, {Where::kNtsTag, 0}), std::nullopt);
  auto odd_length = good;
  odd_length[51] = std::byte{35};
  EXPECT_EQ(tamper_position(odd_length, {Where::kNtsTag, 0}), std::nullopt);
  auto long_ciphertext = good;
  long_ciphertext[84 + 7] = std::byte{33};  // ciphertext length 33 > the 32 present
  EXPECT_EQ(tamper_position(long_ciphertext, {Where::kNtsTag, 0}), std::nullopt);
  auto empty_ciphertext = good;
  empty_ciphertext[84 + 7] = std::byte{0};
  EXPECT_EQ(tamper_position(empty_ciphertext, {Where::kNtsTag, 0}), std::nullopt);
}

TEST(NtsTamper, OffsetsFromStartAndEnd) {
  auto p = nts_packet(32, 16, 16);
  const size_t n = p.size();
  EXPECT_EQ(tamper_position(p, {Where::kOffset, 0}), 0u);
  EXPECT_EQ(tamper_position(p, {Where::kOffset, 40}), 40u);
  EXPECT_EQ(tamper_position(p, {Where::kOffset, -1}), n - 1);
  EXPECT_EQ(tamper_position(p, {Where::kOffset, static_cast<std::ptrdiff_t>(n)}), std::nullopt);
  EXPECT_EQ(tamper_position(p, {Where::kOffset, -static_cast<std::ptrdiff_t>(n) - 1}),
            std::nullopt);
  ASSERT_TRUE(tamper(p, {Where::kOffset, 40}));
  EXPECT_EQ(p[40], std::byte{0xd7});  // ~40
  EXPECT_EQ(tamper_position(p, {Where::kNone, 0}), std::nullopt);
}

}  // namespace
}  // namespace meridian::testing
