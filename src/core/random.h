// Randomness as an interface (DESIGN.md §5): the daemon draws from getrandom()
// (src/platform/random_os.h), tests and the simulator from a seeded generator,
// so poll jitter and timestamp noise are reproducible where they must be.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace meridian {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual uint64_t next_u64() = 0;
  // Fills `out` with random bytes: by default the little-endian bytes of
  // successive next_u64() draws (the last one cut short), so seeded sources
  // stay reproducible; OsRandom overrides it with one getrandom() call.
  virtual void fill(std::span<std::byte> out) {
    for (size_t i = 0; i < out.size(); i += 8) {
      const uint64_t r = next_u64();
      for (size_t j = 0; j < 8 && i + j < out.size(); ++j) {
        out[i + j] = static_cast<std::byte>((r >> (8 * j)) & 0xff);
      }
    }
  }
  // Uniform in [0, 1).
  double next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
};

// SplitMix64: tiny, fast, good enough for jitter; deterministic for a seed.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t next_u64() override {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace meridian
