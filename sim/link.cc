#include "sim/link.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace meridian::sim {

std::string Jitter::describe() const {
  switch (kind) {
    case Kind::kNone:
      return "none";
    case Kind::kExponential:
      return fmt::format("exp {:g}us", scale_s * 1e6);
    case Kind::kNormal:
      return fmt::format("normal {:g}us", scale_s * 1e6);
    case Kind::kUniform:
      return fmt::format("uniform {:g}us", scale_s * 1e6);
  }
  return "?";
}

double LinkDirection::one_delay(double u1, double u2) const {
  double j = 0;
  switch (dir_.jitter.kind) {
    case Jitter::Kind::kNone:
      break;
    case Jitter::Kind::kExponential:
      j = -dir_.jitter.scale_s * std::log(1.0 - u1);
      break;
    case Jitter::Kind::kNormal:
      j = dir_.jitter.scale_s * std::sqrt(-2.0 * std::log(1.0 - u1)) *
          std::cos(2.0 * std::numbers::pi * u2);
      break;
    case Jitter::Kind::kUniform:
      j = dir_.jitter.scale_s * u1;
      break;
  }
  return std::max(0.0, dir_.base_delay_s + j);
}

void LinkDirection::transit(double t, std::vector<double>& out) {
  out.clear();
  // Fixed draw budget per datagram (see the header).
  double u[8];
  for (double& v : u) v = random_.next_unit();
  for (const auto& w : link_.outages) {
    if (w.contains(t)) return;
  }
  if (u[0] < link_.loss) return;
  double d = one_delay(u[1], u[2]);
  if (u[3] < link_.reorder) d += u[4] * link_.reorder_window_s;
  out.push_back(d);
  if (u[5] < link_.duplicate) out.push_back(one_delay(u[6], u[7]));
}

}  // namespace meridian::sim
