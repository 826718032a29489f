// ByteReader / ByteWriter: big-endian, bounds-checked, a failed read consumes nothing.
#include "core/wire/byte_reader.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/random.h"

namespace meridian::wire {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST(ByteReaderTest, EmptyInputFailsEveryRead) {
  ByteReader r(std::span<const std::byte>{});
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.u8());
  EXPECT_FALSE(r.u16());
  EXPECT_FALSE(r.u32());
  EXPECT_FALSE(r.u64());
  EXPECT_FALSE(r.bytes(1));
  auto none = r.bytes(0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(r.position(), 0u);
}

TEST(ByteReaderTest, ReadsBigEndian) {
  const auto data = bytes_of(
      {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f});
  ByteReader r(data);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u32(), 0x04050607u);
  EXPECT_EQ(r.u64(), 0x08090a0b0c0d0e0full);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.position(), 15u);
}

TEST(ByteReaderTest, HighBitsAreNotSignExtended) {
  const auto data = bytes_of(
      {0xff, 0xfe, 0x80, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  ByteReader r(data);
  EXPECT_EQ(r.u8(), 0xff);
  EXPECT_EQ(r.u16(), 0xfe80);
  EXPECT_EQ(r.u32(), 0x000001ffu);
  EXPECT_EQ(r.u64(), 0xffffffffffffffffull);
}

TEST(ByteReaderTest, ShortReadFailsWithoutConsuming) {
  const auto data = bytes_of({0xaa, 0xbb, 0xcc});
  ByteReader r(data);
  EXPECT_FALSE(r.u32());
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_EQ(r.position(), 0u);
  EXPECT_FALSE(r.u64());
  EXPECT_FALSE(r.bytes(4));
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_EQ(r.u16(), 0xaabb);
  EXPECT_FALSE(r.u16());
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_EQ(r.u8(), 0xcc);
  EXPECT_FALSE(r.u8());
}

TEST(ByteReaderTest, BytesReturnsAViewAndAdvances) {
  const auto data = bytes_of({1, 2, 3, 4, 5});
  ByteReader r(data);
  auto first = r.bytes(2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ(first->data(), data.data());
  EXPECT_EQ(std::to_integer<int>((*first)[1]), 2);
  auto rest = r.bytes(3);
  ASSERT_TRUE(rest);
  EXPECT_EQ(std::to_integer<int>((*rest)[2]), 5);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.bytes(1));
  // A huge request must not overflow the bounds check.
  ByteReader r2(data);
  EXPECT_FALSE(r2.bytes(static_cast<size_t>(-1)));
  EXPECT_EQ(r2.remaining(), 5u);
}

TEST(ByteWriterTest, WritesBigEndian) {
  std::vector<std::byte> out;
  ByteWriter w(out);
  w.u8(0x01);
  w.u16(0x0203);
  w.u32(0x04050607);
  w.u64(0x08090a0b0c0d0e0full);
  w.zeros(2);
  w.bytes(bytes_of({0xee}));
  EXPECT_EQ(out, bytes_of({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0xee}));
}

TEST(ByteWriterTest, ReaderReadsWhatWriterWrote) {
  SeededRandom rng(0x5eed'0301);
  std::vector<std::byte> out;
  ByteWriter w(out);
  std::vector<uint64_t> values;
  for (int i = 0; i < 1000; ++i) {
    values.push_back(rng.next_u64());
    w.u8(static_cast<uint8_t>(values.back()));
    w.u16(static_cast<uint16_t>(values.back()));
    w.u32(static_cast<uint32_t>(values.back()));
    w.u64(values.back());
  }
  ASSERT_EQ(out.size(), 1000u * 15);
  ByteReader r(out);
  for (uint64_t v : values) {
    ASSERT_EQ(r.u8(), static_cast<uint8_t>(v));
    ASSERT_EQ(r.u16(), static_cast<uint16_t>(v));
    ASSERT_EQ(r.u32(), static_cast<uint32_t>(v));
    ASSERT_EQ(r.u64(), v);
  }
  EXPECT_EQ(r.remaining(), 0u);
}

}  // namespace
}  // namespace meridian::wire
