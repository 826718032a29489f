// Randomness for the simulator: every random process (a clock's wander, one
// direction of one link, a server's KoD coin, the engine's poll jitter) has
// its own SeededRandom stream, derived from (scenario key, seed, stream id).
// So the two disciplines run on identical conditions: the network's k-th
// packet in a direction draws the same numbers whichever algorithm sent it,
// and the clocks wander along the same path.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string_view>

#include "core/random.h"

namespace meridian::sim {

// Stream ids (documented so figures stay comparable across versions).
enum class Stream : uint64_t {
  kClientClock = 1,
  kEngine = 2,
  kServerClock = 100,  // + server index
  kServerKod = 200,    // + server index
  kLinkOut = 300,      // + server index (client → server)
  kLinkBack = 400,     // + server index (server → client)
  // Scale scenarios: + client number (0 … total clients − 1), ids far apart.
  kScaleSetup = 1ull << 32,  // the client's start time, clock and link parameters
  kScaleClock = 2ull << 32,
  kScaleEngine = 3ull << 32,
  kScaleLinkOut = 4ull << 32,
  kScaleLinkBack = 5ull << 32,
  kScaleServer = 6ull << 32,  // + 0: the server's clock; + 1: its MRU hash key
};

// FNV-1a: a stable hash of the scenario's seed key.
constexpr uint64_t hash_key(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : key) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

inline uint64_t stream_seed(uint64_t key_hash, uint64_t seed, Stream stream, uint64_t index = 0) {
  SeededRandom mix(key_hash ^ (seed * 0x9e3779b97f4a7c15ull));
  const uint64_t a = mix.next_u64();
  SeededRandom mix2(a ^ ((static_cast<uint64_t>(stream) + index) * 0xbf58476d1ce4e5b9ull));
  return mix2.next_u64();
}

// Uniform in (0, 1]: safe for log().
inline double unit_open_low(RandomSource& r) { return 1.0 - r.next_unit(); }

inline double draw_exponential(RandomSource& r, double mean) {
  return -mean * std::log(unit_open_low(r));
}

// Box–Muller; always consumes exactly two draws.
inline double draw_normal(RandomSource& r, double sigma) {
  const double u1 = unit_open_low(r);
  const double u2 = r.next_unit();
  return sigma * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace meridian::sim
