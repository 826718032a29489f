// RandomSource backed by getrandom(2): the daemon's and tools' randomness.
#pragma once

#include "core/random.h"

namespace meridian::platform {

class OsRandom final : public RandomSource {
 public:
  uint64_t next_u64() override;
};

}  // namespace meridian::platform
