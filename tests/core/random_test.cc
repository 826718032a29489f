// RandomSource (core/random.h): fill() of a seeded source is the
// little-endian bytes of its next_u64() draws, so code that switched from
// next_u64() to fill() keeps every seeded test and simulation reproducible.
#include "core/random.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace meridian {
namespace {

std::vector<std::byte> bytes_of_draws(uint64_t seed, size_t size) {
  SeededRandom random(seed);
  std::vector<std::byte> out;
  while (out.size() < size) {
    const uint64_t r = random.next_u64();
    for (size_t j = 0; j < 8 && out.size() < size; ++j) {
      out.push_back(static_cast<std::byte>((r >> (8 * j)) & 0xff));
    }
  }
  return out;
}

TEST(RandomSourceTest, SeededFillIsLittleEndianDrawsCutShortAtTheEnd) {
  for (const size_t size : {0u, 1u, 7u, 8u, 9u, 16u, 31u, 144u}) {
    SeededRandom random(1234);
    std::vector<std::byte> filled(size);
    random.fill(filled);
    EXPECT_EQ(filled, bytes_of_draws(1234, size)) << size << " bytes";
  }
}

TEST(RandomSourceTest, SeededFillContinuesTheSequence) {
  // Two 16-byte fills draw what one 32-byte fill draws (whole draws each).
  SeededRandom a(99), b(99);
  std::array<std::byte, 32> one{};
  std::array<std::byte, 16> first{}, second{};
  a.fill(one);
  b.fill(first);
  b.fill(second);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), one.begin()));
  EXPECT_TRUE(std::equal(second.begin(), second.end(), one.begin() + 16));
}

}  // namespace
}  // namespace meridian
