// OsRandom (platform/random_os.h): fill() fills every byte of spans of any
// length, including ones longer than one getrandom() call returns.
#include "platform/random_os.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace meridian::platform {
namespace {

TEST(OsRandomTest, FillCoversEveryByteOfAnyLength) {
  OsRandom random;
  for (const size_t size : {1u, 8u, 16u, 33u, 256u, 257u, 4096u}) {
    // Fill twice; a byte left untouched would be equal in both copies, and
    // two fills agreeing by chance on a given byte has probability 1/256, so
    // require that only few positions agree.
    std::vector<std::byte> a(size, std::byte{0}), b(size, std::byte{0});
    random.fill(a);
    random.fill(b);
    size_t same = 0;
    for (size_t i = 0; i < size; ++i) same += a[i] == b[i] ? 1 : 0;
    EXPECT_LE(same, 2 + size / 16) << size << " bytes";
    if (size >= 16) {
      EXPECT_NE(a, b);
    }
  }
}

TEST(OsRandomTest, NextU64Varies) {
  OsRandom random;
  const uint64_t first = random.next_u64();
  bool varied = false;
  for (int i = 0; i < 4 && !varied; ++i) varied = random.next_u64() != first;
  EXPECT_TRUE(varied);
}

}  // namespace
}  // namespace meridian::platform
