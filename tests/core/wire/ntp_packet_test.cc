// Extension fields (RFC 7822) and the legacy MAC trailer after the header.
#include "core/wire/ntp_packet.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/random.h"
#include "core/wire/byte_reader.h"

namespace meridian::wire {
namespace {

using Bytes = std::vector<std::byte>;

NtpHeader v4_server_header(uint8_t version = 4) {
  NtpHeader h;
  h.version = version;
  h.mode = Mode::kServer;
  h.stratum = 2;
  h.poll = 6;
  h.precision = -20;
  h.reference_id = 0xC0000201;
  h.reference = time::NtpTimestamp::from_parts(0xEB000000, 1);
  h.origin = time::NtpTimestamp::from_parts(0xEB000001, 2);
  h.receive = time::NtpTimestamp::from_parts(0xEB000002, 3);
  h.transmit = time::NtpTimestamp::from_parts(0xEB000003, 4);
  return h;
}

Bytes header_bytes(uint8_t version = 4) {
  Bytes out;
  serialize_header(v4_server_header(version), out);
  return out;
}

// Appends an extension field with an explicit on-wire length field and
// `value_size` bytes of patterned value (which may disagree with `length`).
void append_ef(Bytes& out, uint16_t type, uint16_t length, size_t value_size) {
  ByteWriter w(out);
  w.u16(type);
  w.u16(length);
  for (size_t i = 0; i < value_size; ++i) w.u8(static_cast<uint8_t>(i * 7 + 1));
}

void append_ef(Bytes& out, uint16_t type, uint16_t length) {
  append_ef(out, type, length, length - 4u);
}

void append_mac(Bytes& out, uint32_t key_id, size_t digest_size) {
  ByteWriter w(out);
  w.u32(key_id);
  for (size_t i = 0; i < digest_size; ++i) w.u8(static_cast<uint8_t>(0xA0 + i));
}

TEST(NtpPacketTest, HeaderOnly) {
  auto p = parse_packet(header_bytes());
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->header, v4_server_header());
  EXPECT_TRUE(p->extensions.empty());
  EXPECT_FALSE(p->mac);
}

TEST(NtpPacketTest, SingleExtensionField) {
  Bytes b = header_bytes();
  append_ef(b, 0x0104, 16);
  auto p = parse_packet(b);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->extensions.size(), 1u);
  EXPECT_EQ(p->extensions[0].type, 0x0104);
  ASSERT_EQ(p->extensions[0].value.size(), 12u);
  EXPECT_EQ(std::to_integer<int>(p->extensions[0].value[0]), 1);
  EXPECT_EQ(std::to_integer<int>(p->extensions[0].value[11]), 78);
  EXPECT_FALSE(p->mac);
}

TEST(NtpPacketTest, MultipleExtensionFields) {
  Bytes b = header_bytes();
  append_ef(b, 0x0104, 16);
  append_ef(b, 0x0204, 32);
  append_ef(b, 0x0304, 28);
  auto p = parse_packet(b);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->extensions.size(), 3u);
  EXPECT_EQ(p->extensions[0].type, 0x0104);
  EXPECT_EQ(p->extensions[1].type, 0x0204);
  EXPECT_EQ(p->extensions[2].type, 0x0304);
  EXPECT_EQ(p->extensions[0].value.size(), 12u);
  EXPECT_EQ(p->extensions[1].value.size(), 28u);
  EXPECT_EQ(p->extensions[2].value.size(), 24u);
  EXPECT_FALSE(p->mac);
}

TEST(NtpPacketTest, ExtensionFieldLengthBelow16IsMalformed) {
  for (uint16_t length : {0, 4, 8, 12}) {
    Bytes b = header_bytes();
    append_ef(b, 0x0104, length, 28);  // 32 trailing bytes: not a MAC length
    auto p = parse_packet(b);
    ASSERT_FALSE(p) << length;
    EXPECT_EQ(p.error().code, ErrorCode::kMalformed);
  }
}

TEST(NtpPacketTest, ExtensionFieldLengthNotMultipleOf4IsMalformed) {
  for (uint16_t length : {17, 18, 19, 30}) {
    Bytes b = header_bytes();
    append_ef(b, 0x0104, length, 28);
    auto p = parse_packet(b);
    ASSERT_FALSE(p) << length;
    EXPECT_EQ(p.error().code, ErrorCode::kMalformed);
  }
}

TEST(NtpPacketTest, ExtensionFieldPastTheEndIsMalformed) {
  Bytes b = header_bytes();
  append_ef(b, 0x0104, 64, 28);  // claims 64, only 32 present
  auto p = parse_packet(b);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kMalformed);
  Bytes c = header_bytes();
  append_ef(c, 0x0104, 0xFFFC, 28);
  EXPECT_FALSE(parse_packet(c));
  // A valid first field followed by a truncated second one.
  Bytes d = header_bytes();
  append_ef(d, 0x0104, 16);
  append_ef(d, 0x0204, 40, 24);
  auto q = parse_packet(d);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kMalformed);
}

TEST(NtpPacketTest, ShortNonMacTrailerIsMalformed) {
  for (size_t extra : {1, 2, 3, 5, 8, 12, 15}) {
    Bytes b = header_bytes();
    b.resize(b.size() + extra, std::byte{0});
    auto p = parse_packet(b);
    ASSERT_FALSE(p) << extra;
    EXPECT_EQ(p.error().code, ErrorCode::kMalformed) << extra;
  }
}

TEST(NtpPacketTest, CryptoNakWithKeyZeroIsAccepted) {
  Bytes b = header_bytes();
  append_mac(b, 0, 0);
  auto p = parse_packet(b);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE(p->mac);
  EXPECT_EQ(p->mac->key_id, 0u);
  EXPECT_TRUE(p->mac->digest.empty());
  EXPECT_TRUE(p->extensions.empty());
}

TEST(NtpPacketTest, FourByteTrailerWithNonzeroKeyIsMalformed) {
  for (uint32_t key : {1u, 42u, 0xFFFFFFFFu}) {
    Bytes b = header_bytes();
    append_mac(b, key, 0);
    auto p = parse_packet(b);
    ASSERT_FALSE(p) << key;
    EXPECT_EQ(p.error().code, ErrorCode::kMalformed);
  }
}

TEST(NtpPacketTest, Mac20And24) {
  for (size_t digest : {16u, 20u}) {
    Bytes b = header_bytes();
    append_mac(b, 7, digest);
    auto p = parse_packet(b);
    ASSERT_TRUE(p) << digest << ": " << p.error().message;
    ASSERT_TRUE(p->mac);
    EXPECT_EQ(p->mac->key_id, 7u);
    ASSERT_EQ(p->mac->digest.size(), digest);
    EXPECT_EQ(std::to_integer<int>(p->mac->digest[0]), 0xA0);
    EXPECT_EQ(std::to_integer<int>(p->mac->digest.back()), static_cast<int>(0xA0 + digest - 1));
    EXPECT_TRUE(p->extensions.empty());
  }
}

TEST(NtpPacketTest, ExtensionFieldsThenMac) {
  Bytes b = header_bytes();
  append_ef(b, 0x0104, 32);
  append_ef(b, 0x0204, 16);
  append_mac(b, 99, 20);
  auto p = parse_packet(b);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->extensions.size(), 2u);
  EXPECT_EQ(p->extensions[1].type, 0x0204);
  ASSERT_TRUE(p->mac);
  EXPECT_EQ(p->mac->key_id, 99u);
  EXPECT_EQ(p->mac->digest.size(), 20u);
}

TEST(NtpPacketTest, TrailerOfMacLengthIsAlwaysAMac) {
  // RFC 7822 §7: after the header (or a field), exactly 20 or 24 remaining
  // bytes are a MAC even if they look like an extension field. Hence the
  // last field must be longer (≥ 28 octets without a MAC) to be seen as one.
  Bytes b = header_bytes();
  append_ef(b, 0x0104, 20);
  auto p = parse_packet(b);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE(p->extensions.empty());
  ASSERT_TRUE(p->mac);
  EXPECT_EQ(p->mac->key_id, 0x01040014u);
  EXPECT_EQ(p->mac->digest.size(), 16u);
}

TEST(NtpPacketTest, NtpV3WithTrailingNonMacBytesIsMalformed) {
  Bytes b = header_bytes(3);
  // A valid-looking field, but v3 has no extension fields, and 76 bytes is
  // longer than any MAC (key id + SHA-512 = 68).
  append_ef(b, 0x0104, 76);
  auto p = parse_packet(b);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kMalformed);
  Bytes c = header_bytes(3);
  c.resize(c.size() + 8, std::byte{0});
  EXPECT_FALSE(parse_packet(c));
}

TEST(NtpPacketTest, NtpV3WithMacIsAccepted) {
  Bytes b = header_bytes(3);
  append_mac(b, 5, 16);
  auto p = parse_packet(b);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->header.version, 3);
  ASSERT_TRUE(p->mac);
  EXPECT_EQ(p->mac->key_id, 5u);
}

TEST(NtpPacketTest, SerializeKnownLayout) {
  NtpPacket packet;
  packet.header = v4_server_header();
  packet.extensions.push_back({0x0104, Bytes(12, std::byte{0x11})});
  packet.mac = MacTrailer{0x01020304, Bytes(16, std::byte{0x22})};
  const Bytes out = serialize_packet(packet);
  ASSERT_EQ(out.size(), kHeaderSize + 16 + 20);
  Bytes head(out.begin(), out.begin() + kHeaderSize);
  EXPECT_EQ(head, header_bytes());
  EXPECT_EQ(std::to_integer<int>(out[48]), 0x01);
  EXPECT_EQ(std::to_integer<int>(out[49]), 0x04);
  EXPECT_EQ(std::to_integer<int>(out[50]), 0x00);
  EXPECT_EQ(std::to_integer<int>(out[51]), 16);
  EXPECT_EQ(std::to_integer<int>(out[52]), 0x11);
  EXPECT_EQ(std::to_integer<int>(out[64]), 0x01);
  EXPECT_EQ(std::to_integer<int>(out[67]), 0x04);
  EXPECT_EQ(std::to_integer<int>(out[68]), 0x22);
}

TEST(NtpPacketTest, SerializePadsShortExtensionValues) {
  NtpPacket packet;
  packet.header = v4_server_header();
  packet.extensions.push_back({0x0104, Bytes(5, std::byte{0x11})});
  const Bytes out = serialize_packet(packet);
  ASSERT_EQ(out.size(), kHeaderSize + 16);  // padded up to the 16-octet minimum
  EXPECT_EQ(std::to_integer<int>(out[51]), 16);
  EXPECT_EQ(std::to_integer<int>(out[56]), 0x11);
  EXPECT_EQ(std::to_integer<int>(out[57]), 0x00);
  EXPECT_EQ(std::to_integer<int>(out[63]), 0x00);
}

TEST(NtpPacketTest, RoundTripPropertyWithExtensionFieldsAndMac) {
  SeededRandom rng(0x5eed'0501);
  for (int i = 0; i < 5'000; ++i) {
    NtpPacket packet;
    packet.header = v4_server_header();
    packet.header.transmit = time::NtpTimestamp::from_raw(rng.next_u64());
    packet.header.mode = (rng.next_u64() & 1) ? Mode::kServer : Mode::kClient;
    const size_t ef_count = rng.next_u64() % 4;
    size_t expected_size = kHeaderSize;
    for (size_t k = 0; k < ef_count; ++k) {
      // Values are multiples of 4 and ≥ 24 (≥ 28 octets on the wire), so no
      // suffix of fields + MAC ever has a bare MAC's length (4, 20, 24).
      const size_t value_size = 24 + 4 * (rng.next_u64() % 12);
      ExtensionField ef;
      ef.type = static_cast<uint16_t>(rng.next_u64());
      for (size_t j = 0; j < value_size; ++j)
        ef.value.push_back(static_cast<std::byte>(rng.next_u64()));
      packet.extensions.push_back(std::move(ef));
      expected_size += 4 + value_size;
    }
    switch (rng.next_u64() % 4) {
      case 0:
        break;
      case 1:
        packet.mac = MacTrailer{0, {}};
        expected_size += 4;
        break;
      case 2:
        packet.mac =
            MacTrailer{static_cast<uint32_t>(rng.next_u64() | 1), Bytes(16, std::byte{0x5a})};
        expected_size += 20;
        break;
      default:
        packet.mac =
            MacTrailer{static_cast<uint32_t>(rng.next_u64() | 1), Bytes(20, std::byte{0xa5})};
        expected_size += 24;
        break;
    }
    const Bytes wire = serialize_packet(packet);
    ASSERT_EQ(wire.size(), expected_size);
    auto parsed = parse_packet(wire);
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_EQ(*parsed, packet);
    ASSERT_EQ(serialize_packet(*parsed), wire);
  }
}

TEST(NtpPacketTest, RoundTripOfMinimumSizeFieldsFollowedByALongerOne) {
  // 16-octet fields are fine as long as the remainder is not a MAC length.
  NtpPacket packet;
  packet.header = v4_server_header();
  packet.extensions.push_back({0x0001, Bytes(12, std::byte{1})});
  packet.extensions.push_back({0x0002, Bytes(12, std::byte{2})});
  packet.extensions.push_back({0x0003, Bytes(28, std::byte{3})});
  packet.mac = MacTrailer{1, Bytes(20, std::byte{4})};
  auto parsed = parse_packet(serialize_packet(packet));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, packet);
}

TEST(NtpPacketTest, EveryPrefixParsesOrFailsCleanly) {
  NtpPacket packet;
  packet.header = v4_server_header();
  packet.extensions.push_back({0x0104, Bytes(12, std::byte{0x01})});
  packet.extensions.push_back({0x0204, Bytes(36, std::byte{0x02})});
  packet.mac = MacTrailer{0x0000BEEF, Bytes(20, std::byte{0x03})};
  const Bytes wire = serialize_packet(packet);
  ASSERT_EQ(wire.size(), 48u + 16 + 40 + 24);
  int ok = 0;
  for (size_t n = 0; n <= wire.size(); ++n) {
    auto p = parse_packet(std::span(wire).first(n));
    if (n < kHeaderSize) {
      ASSERT_FALSE(p);
      EXPECT_EQ(p.error().code, ErrorCode::kTruncated);
      continue;
    }
    if (p) {
      ++ok;
      EXPECT_EQ(p->header, packet.header);
    } else {
      EXPECT_EQ(p.error().code, ErrorCode::kMalformed) << n;
    }
  }
  // The header alone, header + 20 (read as MAC), header + 16 + 40 (two
  // fields) and the full packet all parse; most other cuts do not.
  auto full = parse_packet(wire);
  ASSERT_TRUE(full);
  EXPECT_EQ(*full, packet);
  EXPECT_TRUE(parse_packet(std::span(wire).first(kHeaderSize)));
  EXPECT_TRUE(parse_packet(std::span(wire).first(kHeaderSize + 56)));
  EXPECT_GE(ok, 4);
  EXPECT_LT(ok, 20);
}

TEST(NtpPacketTest, RandomGarbageNeverCrashes) {
  SeededRandom rng(0x5eed'0502);
  for (int i = 0; i < 20'000; ++i) {
    Bytes b(rng.next_u64() % 160);
    for (auto& x : b) x = static_cast<std::byte>(rng.next_u64());
    if (b.size() >= 52 && (i & 1)) {  // make some trailers look like fields
      b[50] = std::byte{0};
      b[51] = static_cast<std::byte>(4 * (rng.next_u64() % 30));
      b[0] = std::byte{0x24};
    }
    auto p = parse_packet(b);
    if (p) {
      ASSERT_EQ(serialize_packet(*p), b);
    }
  }
}

}  // namespace
}  // namespace meridian::wire

namespace meridian::wire {
namespace {

TEST(NtpPacketLegacyMac, NtpV3AcceptsLongDigests) {
  NtpHeader h;
  h.version = 3;
  h.mode = Mode::kClient;
  std::vector<std::byte> bytes;
  serialize_header(h, bytes);
  for (int i = 0; i < 36; ++i) bytes.push_back(std::byte{0x11});  // key id + 32-byte SHA-256
  auto p = parse_packet(bytes);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE(p->mac.has_value());
  EXPECT_EQ(p->mac->digest.size(), 32u);
  bytes.push_back(std::byte{0});  // not a multiple of 4: not a MAC
  EXPECT_FALSE(parse_packet(bytes).ok());
}

TEST(NtpPacketLegacyMac, NtpV4KeepsTheRfc7822Rule) {
  NtpHeader h;
  h.version = 4;
  h.mode = Mode::kClient;
  std::vector<std::byte> bytes;
  serialize_header(h, bytes);
  for (int i = 0; i < 36; ++i) bytes.push_back(std::byte{0x11});
  auto p =
      parse_packet(bytes);  // parsed as an extension field of type 0x1111, length 0x1111: invalid
  EXPECT_FALSE(p.ok());
}

}  // namespace
}  // namespace meridian::wire
