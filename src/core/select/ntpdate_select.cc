#include "core/select/ntpdate_select.h"

#include <cmath>
#include <tuple>

namespace meridian::select {

std::optional<size_t> best_sample(const ServerSamples& server) {
  std::optional<size_t> best;
  for (size_t i = 0; i < server.samples.size(); ++i) {
    if (!best || server.samples[i].delay_s < server.samples[*best].delay_s) best = i;
  }
  return best;
}

std::vector<size_t> truechimers(std::span<const ServerSamples> servers) {
  struct Interval {
    size_t index;
    double low, high;
  };
  std::vector<Interval> eligible;
  for (size_t i = 0; i < servers.size(); ++i) {
    if (auto b = best_sample(servers[i])) {
      const source::Sample& s = servers[i].samples[*b];
      const double lambda = s.root_distance_s();
      eligible.push_back({i, s.offset_s - lambda, s.offset_s + lambda});
    }
  }
  std::vector<size_t> out;
  if (eligible.size() < 3) {
    for (const auto& e : eligible) out.push_back(e.index);
    return out;
  }
  for (const auto& a : eligible) {
    size_t overlaps = 0;  // counts a itself
    for (const auto& b : eligible) {
      if (a.low <= b.high && b.low <= a.high) ++overlaps;
    }
    if (2 * overlaps > eligible.size()) out.push_back(a.index);
  }
  return out;
}

std::optional<Choice> choose_server(std::span<const ServerSamples> servers) {
  std::optional<Choice> best;
  for (size_t i : truechimers(servers)) {
    const source::Sample& s = servers[i].samples[*best_sample(servers[i])];
    if (!best || std::make_tuple(s.stratum, s.root_distance_s()) <
                     std::make_tuple(best->sample.stratum, best->sample.root_distance_s())) {
      best = Choice{i, s};
    }
  }
  return best;
}

}  // namespace meridian::select
