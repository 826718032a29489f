// The fixed 48-byte NTP header (RFC 5905 §7.3): parse, serialize, peek_mode,
// reference-id text and kiss codes.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/random.h"
#include "core/wire/ntp_packet.h"

namespace meridian::wire {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

// A hand-assembled NTPv4 server reply.
std::vector<std::byte> sample_reply_bytes() {
  return bytes_of({
      0x24, 0x02, 0x06, 0xEC,  // LI 0, VN 4, mode 4; stratum 2; poll 6; prec −20
      0x00, 0x00, 0x01, 0x23,  // root delay
      0x00, 0x01, 0x80, 0x00,  // root dispersion 1.5 s
      0xC0, 0x00, 0x02, 0x01,  // refid 192.0.2.1
      0xEB, 0x0A, 0x0B, 0x0C, 0x80, 0x00, 0x00, 0x00,  // reference
      0xEB, 0x0A, 0x0B, 0x0D, 0x00, 0x00, 0x00, 0x01,  // origin
      0xEB, 0x0A, 0x0B, 0x0E, 0x12, 0x34, 0x56, 0x78,  // receive
      0xEB, 0x0A, 0x0B, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF,  // transmit
  });
}

NtpHeader random_header(RandomSource& rng) {
  NtpHeader h;
  const uint64_t bits = rng.next_u64();
  h.leap = static_cast<LeapIndicator>(bits & 0x3);
  h.version = static_cast<uint8_t>((bits >> 2) & 0x7);
  h.mode = static_cast<Mode>((bits >> 5) & 0x7);
  h.stratum = static_cast<uint8_t>(bits >> 8);
  h.poll = static_cast<int8_t>(static_cast<uint8_t>(bits >> 16));
  h.precision = static_cast<int8_t>(static_cast<uint8_t>(bits >> 24));
  h.root_delay = time::NtpShort::from_raw(static_cast<uint32_t>(bits >> 32));
  const uint64_t more = rng.next_u64();
  h.root_dispersion = time::NtpShort::from_raw(static_cast<uint32_t>(more));
  h.reference_id = static_cast<uint32_t>(more >> 32);
  h.reference = time::NtpTimestamp::from_raw(rng.next_u64());
  h.origin = time::NtpTimestamp::from_raw(rng.next_u64());
  h.receive = time::NtpTimestamp::from_raw(rng.next_u64());
  h.transmit = time::NtpTimestamp::from_raw(rng.next_u64());
  return h;
}

bool is_data_mode(Mode m) {
  return m != Mode::kReserved && m != Mode::kControl && m != Mode::kPrivate;
}

TEST(NtpHeaderTest, ShortInputIsTruncated) {
  const auto full = sample_reply_bytes();
  for (size_t n = 0; n < kHeaderSize; ++n) {
    auto h = parse_header(std::span(full).first(n));
    ASSERT_FALSE(h) << n;
    EXPECT_EQ(h.error().code, ErrorCode::kTruncated) << n;
    EXPECT_FALSE(h.error().message.empty());
    auto p = parse_packet(std::span(full).first(n));
    ASSERT_FALSE(p) << n;
    EXPECT_EQ(p.error().code, ErrorCode::kTruncated) << n;
  }
}

TEST(NtpHeaderTest, ParsesEveryField) {
  const auto bytes = sample_reply_bytes();
  auto h = parse_header(bytes);
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->leap, LeapIndicator::kNoWarning);
  EXPECT_EQ(h->version, 4);
  EXPECT_EQ(h->mode, Mode::kServer);
  EXPECT_EQ(h->stratum, 2);
  EXPECT_EQ(h->poll, 6);
  EXPECT_EQ(h->precision, -20);
  EXPECT_EQ(h->root_delay.raw(), 0x123u);
  EXPECT_EQ(h->root_dispersion.to_seconds(), 1.5);
  EXPECT_EQ(h->reference_id, 0xC0000201u);
  EXPECT_EQ(h->reference, time::NtpTimestamp::from_parts(0xEB0A0B0C, 0x80000000));
  EXPECT_EQ(h->origin, time::NtpTimestamp::from_parts(0xEB0A0B0D, 1));
  EXPECT_EQ(h->receive, time::NtpTimestamp::from_parts(0xEB0A0B0E, 0x12345678));
  EXPECT_EQ(h->transmit, time::NtpTimestamp::from_parts(0xEB0A0B0F, 0xFFFFFFFF));
}

TEST(NtpHeaderTest, FirstByteBitfields) {
  auto bytes = sample_reply_bytes();
  bytes[0] = std::byte{0xE3};  // LI 3, VN 4, mode 3
  auto h = parse_header(bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->leap, LeapIndicator::kUnsynchronised);
  EXPECT_EQ(h->version, 4);
  EXPECT_EQ(h->mode, Mode::kClient);
  bytes[0] = std::byte{0x5D};  // LI 1, VN 3, mode 5
  h = parse_header(bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->leap, LeapIndicator::kInsertSecond);
  EXPECT_EQ(h->version, 3);
  EXPECT_EQ(h->mode, Mode::kBroadcast);
  bytes[0] = std::byte{0xBF};  // LI 2, VN 7, mode 7
  h = parse_header(bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->leap, LeapIndicator::kDeleteSecond);
  EXPECT_EQ(h->version, 7);
  EXPECT_EQ(h->mode, Mode::kPrivate);
}

TEST(NtpHeaderTest, ParseHeaderIgnoresTrailingBytes) {
  auto bytes = sample_reply_bytes();
  const auto expected = parse_header(bytes);
  ASSERT_TRUE(expected);
  bytes.resize(bytes.size() + 7, std::byte{0x55});
  auto h = parse_header(bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(*h, *expected);
}

TEST(NtpHeaderTest, SerializeMatchesHandAssembledBytes) {
  const auto bytes = sample_reply_bytes();
  auto h = parse_header(bytes);
  ASSERT_TRUE(h);
  std::vector<std::byte> out;
  serialize_header(*h, out);
  EXPECT_EQ(out, bytes);
  // serialize_header appends.
  serialize_header(*h, out);
  EXPECT_EQ(out.size(), 2 * kHeaderSize);
}

TEST(NtpHeaderTest, SerializeMasksOutOfRangeBitfields) {
  NtpHeader h;
  h.version = 0xFF;  // only 3 bits go on the wire
  h.mode = Mode::kClient;
  std::vector<std::byte> out;
  serialize_header(h, out);
  EXPECT_EQ(std::to_integer<int>(out[0]), 0x3B);  // LI 0, VN 7, mode 3
}

TEST(NtpHeaderTest, RoundTripPropertyOverRandomHeaders) {
  SeededRandom rng(0x5eed'0401);
  int data_modes = 0;
  for (int i = 0; i < 20'000; ++i) {
    const NtpHeader h = random_header(rng);
    std::vector<std::byte> bytes;
    serialize_header(h, bytes);
    ASSERT_EQ(bytes.size(), kHeaderSize);
    auto parsed = parse_header(bytes);
    ASSERT_TRUE(parsed);
    ASSERT_EQ(*parsed, h);
    ASSERT_EQ(peek_mode(bytes), h.mode);

    NtpPacket packet;
    packet.header = h;
    ASSERT_EQ(serialize_packet(packet), bytes);
    auto full = parse_packet(bytes);
    if (is_data_mode(h.mode)) {
      ++data_modes;
      ASSERT_TRUE(full) << full.error().message;
      ASSERT_EQ(full->header, h);
      ASSERT_TRUE(full->extensions.empty());
      ASSERT_FALSE(full->mac.has_value());
    } else {
      ASSERT_FALSE(full);
      ASSERT_EQ(full.error().code, ErrorCode::kMalformed);
    }
  }
  EXPECT_GT(data_modes, 10'000);  // the generator covers both branches
}

TEST(NtpHeaderTest, ParsePacketRejectsModes0And6And7) {
  auto bytes = sample_reply_bytes();
  for (int mode = 0; mode < 8; ++mode) {
    bytes[0] = static_cast<std::byte>(0x20 | mode);
    auto p = parse_packet(bytes);
    if (mode == 0 || mode == 6 || mode == 7) {
      ASSERT_FALSE(p) << mode;
      EXPECT_EQ(p.error().code, ErrorCode::kMalformed);
      EXPECT_TRUE(parse_header(bytes)) << "parse_header accepts any mode";
    } else {
      ASSERT_TRUE(p) << mode << ": " << p.error().message;
      EXPECT_EQ(static_cast<int>(p->header.mode), mode);
    }
  }
}

TEST(NtpHeaderTest, PeekMode) {
  EXPECT_EQ(peek_mode({}), std::nullopt);
  EXPECT_EQ(peek_mode(bytes_of({0x1B})), Mode::kClient);
  EXPECT_EQ(peek_mode(bytes_of({0x24, 0, 0})), Mode::kServer);
  EXPECT_EQ(peek_mode(bytes_of({0x16})), Mode::kControl);
  EXPECT_EQ(peek_mode(bytes_of({0x17})), Mode::kPrivate);
  EXPECT_EQ(peek_mode(bytes_of({0xC0})), Mode::kReserved);
}

TEST(RefidTest, KissCodeConstants) {
  EXPECT_EQ(kKissRate, 0x52415445u);
  EXPECT_EQ(kKissDeny, 0x44454E59u);
  EXPECT_EQ(kKissRestrict, 0x52535452u);
  EXPECT_EQ(kKissInit, 0x494E4954u);
  static_assert(kiss_code("STEP") == 0x53544550u);
  EXPECT_EQ(kiss_code("\xff\x01\x02\x03"), 0xFF010203u);
}

TEST(RefidTest, PrintableCodes) {
  EXPECT_EQ(refid_to_ascii(kKissRate), "RATE");
  EXPECT_EQ(refid_to_ascii(kKissDeny), "DENY");
  EXPECT_EQ(refid_to_ascii(kiss_code("GPS\0")), "GPS");
  EXPECT_EQ(refid_to_ascii(kiss_code("a~ !")), "a~ !");
}

TEST(RefidTest, StopsAtNul) {
  EXPECT_EQ(refid_to_ascii(0), "");
  EXPECT_EQ(refid_to_ascii(0x41000000), "A");
  EXPECT_EQ(refid_to_ascii(0x41004243), "A");
  EXPECT_EQ(refid_to_ascii(0x00414243), "");
}

TEST(RefidTest, NonPrintablesBecomeQuestionMarks) {
  EXPECT_EQ(refid_to_ascii(0x01424344), "?BCD");
  EXPECT_EQ(refid_to_ascii(0x41427F44), "AB?D");
  EXPECT_EQ(refid_to_ascii(0x80FF1F20), "??? ");
  EXPECT_EQ(refid_to_ascii(0xC0000201), "?");  // an IPv4 refid is not text
}

}  // namespace
}  // namespace meridian::wire
