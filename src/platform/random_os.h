// RandomSource backed by getrandom(2): the daemon's and tools' randomness.
// Stateless, so safe to share between threads.
#pragma once

#include "core/random.h"

namespace meridian::platform {

class OsRandom final : public RandomSource {
 public:
  uint64_t next_u64() override;
  // One getrandom() call for the whole span (NTS draws 16-byte nonces and
  // UIDs; a call per 8 bytes cost ~5 % of an NTS server's CPU).
  void fill(std::span<std::byte> out) override;
};

}  // namespace meridian::platform
