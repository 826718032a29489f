#include "platform/random_os.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

namespace meridian::platform {

uint64_t OsRandom::next_u64() {
  uint64_t v = 0;
  auto* p = reinterpret_cast<unsigned char*>(&v);
  size_t got = 0;
  while (got < sizeof(v)) {
    const ssize_t n = getrandom(p + got, sizeof(v) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();  // getrandom cannot fail on a supported kernel; never use weak randomness
    }
    got += static_cast<size_t>(n);
  }
  return v;
}

}  // namespace meridian::platform
