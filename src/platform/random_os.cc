#include "platform/random_os.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdlib>

namespace meridian::platform {

uint64_t OsRandom::next_u64() {
  std::array<std::byte, sizeof(uint64_t)> bytes{};
  fill(bytes);
  uint64_t v = 0;
  for (size_t i = 0; i < bytes.size(); ++i) v |= std::to_integer<uint64_t>(bytes[i]) << (8 * i);
  return v;
}

void OsRandom::fill(std::span<std::byte> out) {
  size_t got = 0;
  // getrandom() returns up to 256 bytes whole once the pool is initialised
  // (getrandom(2)); longer requests may come back short and are continued.
  while (got < out.size()) {
    const ssize_t n = getrandom(out.data() + got, out.size() - got, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      std::abort();  // getrandom cannot fail on a supported kernel; never use weak randomness
    }
    got += static_cast<size_t>(n);
  }
}

}  // namespace meridian::platform
