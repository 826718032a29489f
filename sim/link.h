// A network path between the client and one server, one model per direction.
// Each datagram: lost with probability `loss` or during an outage; otherwise
// it arrives after base delay + a jitter draw (exponential with the given
// mean, normal with the given σ (total delay floored at 0), or uniform in
// [0, width)), possibly plus a reordering delay, and possibly twice
// (duplication, the copy with its own jitter). Every datagram consumes the
// same number of draws from its direction's stream whatever happens to it,
// so the k-th datagram sees the same fate under either discipline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/random.h"

namespace meridian::sim {

struct Window {
  double from_s = 0;
  double until_s = 0;
  bool contains(double t) const { return t >= from_s && t < until_s; }
};

struct Jitter {
  enum class Kind { kNone, kExponential, kNormal, kUniform };
  Kind kind = Kind::kNone;
  double scale_s = 0;  // exponential: mean; normal: σ; uniform: width
  std::string describe() const;
};

struct DirectionModel {
  double base_delay_s = 0;
  Jitter jitter;
};

struct LinkModel {
  DirectionModel out;    // client → server
  DirectionModel back;   // server → client
  double loss = 0;       // probability, each direction
  double duplicate = 0;  // probability of a second copy
  double reorder = 0;    // probability of an extra delay U[0, reorder_window_s)
  double reorder_window_s = 0.01;
  std::vector<Window> outages;  // both directions down
};

class LinkDirection {
 public:
  LinkDirection(const LinkModel& link, const DirectionModel& dir, uint64_t seed)
      : link_(link), dir_(dir), random_(seed) {}
  // The one-way delays of the copies of a datagram sent at t (0, 1 or 2).
  // Fills `out` (cleared first).
  void transit(double t, std::vector<double>& out);

 private:
  double one_delay(double u1, double u2) const;

  const LinkModel& link_;
  const DirectionModel& dir_;
  SeededRandom random_;
};

}  // namespace meridian::sim
