// System selection, RFC 5905 §11.2: sanity checks, intersection (§11.2.1),
// maxclock truncation, clustering (§11.2.2), system peer choice and combining
// (§11.2.3). Pure: values in, values out.
//
// Sign convention: θ = server − local (positive ⇒ our clock is behind).
#include "core/select/selection.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <tuple>
#include <vector>

namespace meridian::select {
namespace {

// RFC 5905 §7.3 MAXSTRAT: stratum 16 means "unsynchronised".
constexpr int kMaxStratum = 16;

// λ is a divisor in the combine weights (§11.2.3). A caller that hands us
// λ = 0 must not produce inf/NaN; 1 ns is far below any real distance.
constexpr double kMinWeightDistance_s = 1e-9;

using Index = size_t;  // a position in the candidates span (not Candidate::id)

// The correctness interval's half-width (see Candidate::interval_s).
double half_width(const Candidate& c) {
  return c.interval_s > 0 ? c.interval_s : c.root_distance_s;
}

// RFC 5905 §11.2 / A.5.5.1 accept(): what is not even worth voting.
// Non-finite or negative numbers are rejected too: they would break the sort
// below (NaN has no strict weak order) and mean the caller's filter is broken.
bool acceptable(const Candidate& c, const SelectOptions& options) {
  if (c.noselect || !c.reachable) return false;
  if (c.stratum < 0 || c.stratum >= kMaxStratum) return false;
  if (!std::isfinite(c.offset_s) || !std::isfinite(c.root_distance_s) ||
      !std::isfinite(c.jitter_s)) {
    return false;
  }
  if (c.root_distance_s < 0 || c.jitter_s < 0 || !std::isfinite(c.interval_s)) return false;
  return half_width(c) <= options.maxdist_s;
}

// Preference order, RFC 5905 §11.2.2 step 1-2: Λ = stratum·MAXDIST + λ.
// After the maxdist check every λ ≤ maxdist, so with MAXDIST ≥ maxdist that
// metric is exactly "lowest stratum, then smallest λ"; we write it that way.
// id then position make the order total, hence deterministic.
auto preference_key(std::span<const Candidate> cs, Index i) {
  return std::make_tuple(cs[i].stratum, cs[i].root_distance_s, cs[i].id, i);
}

void sort_by_preference(std::span<const Candidate> cs, std::vector<Index>& v) {
  std::sort(v.begin(), v.end(),
            [cs](Index a, Index b) { return preference_key(cs, a) < preference_key(cs, b); });
}

struct Interval {
  double low_s;
  double high_s;
};

// RFC 5905 §11.2.1 as the reference implementation has run it since ntpd
// 4.2.6 (and NTPsec today): the smallest interval [l, u] where at least
// m − f correctness intervals [θ−λ, θ+λ] overlap, for the smallest f with
// f < m/2. nullopt when no majority agrees. The RFC's extra rule — at most f
// midpoints θ outside [l, u] — is dropped: a server whose stored sample is a
// few polls old while the clock drifts (before the frequency is known) has
// its midpoint off the others' though its interval agrees, and the rule then
// declared every server a falseticker (lost synchronisation twice in the
// first 5 min of issue 11's falseticker run). Overlap is what correctness
// intervals promise; a falseticker's interval still misses the majority's.
std::optional<Interval> intersection(std::span<const Candidate> cs,
                                     const std::vector<Index>& voters) {
  // Endpoint kinds: the upward scan adds one at a lower edge and removes one at
  // an upper edge; the downward scan the reverse. Equal values sort lower edge
  // first, upper edge last, so intervals that merely touch still overlap.
  constexpr int kLower = -1;
  constexpr int kUpper = 1;
  struct Endpoint {
    double value_s;
    int kind;
  };
  std::vector<Endpoint> ends;
  ends.reserve(2 * voters.size());
  for (Index i : voters) {
    ends.push_back({cs[i].offset_s - half_width(cs[i]), kLower});
    ends.push_back({cs[i].offset_s + half_width(cs[i]), kUpper});
  }
  std::sort(ends.begin(), ends.end(), [](const Endpoint& a, const Endpoint& b) {
    return std::tie(a.value_s, a.kind) < std::tie(b.value_s, b.kind);
  });

  const auto m = static_cast<std::ptrdiff_t>(voters.size());
  for (std::ptrdiff_t f = 0; 2 * f < m; ++f) {
    std::optional<double> low;
    std::ptrdiff_t chime = 0;  // the RFC's c
    for (auto it = ends.begin(); it != ends.end(); ++it) {
      chime -= it->kind;
      if (chime >= m - f) {
        low = it->value_s;
        break;
      }
    }
    std::optional<double> high;
    chime = 0;
    for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
      chime += it->kind;
      if (chime >= m - f) {
        high = it->value_s;
        break;
      }
    }
    // Step 5 asks l < u; we accept l == u as well: a single common point is a
    // non-empty intersection, and a lone candidate with λ = 0 must not fail.
    if (low && high && *low <= *high) return Interval{*low, *high};
  }
  return std::nullopt;
}

// A truechimer's correctness interval overlaps the intersection. (Requiring it
// to contain [l, u] would call honest members of the clique falsetickers when
// the majority is formed by different subsets at l and at u; the reference
// implementation tests overlap too.)
bool overlaps(const Candidate& c, const Interval& in) {
  return c.offset_s - half_width(c) <= in.high_s && c.offset_s + half_width(c) >= in.low_s;
}

// RFC 5905 §11.2.2: repeatedly drop the survivor with the largest selection
// jitter φ_s (RMS of its offset differences to the others) while that exceeds
// the smallest peer jitter ψ — pruning further could not make the set less
// noisy than its quietest member — and more than `min_survivors` remain.
// `survivors` is in preference order, so on equal φ_s the less preferred one
// goes. prefer and `true` sources are the operator's explicit trust: when one
// of them is the worst, pruning stops rather than removing it.
void cluster(std::span<const Candidate> cs, std::vector<Index>& survivors, size_t min_survivors,
             std::vector<Tally>& tally) {
  while (survivors.size() > std::max<size_t>(min_survivors, 1)) {
    const double others = static_cast<double>(survivors.size() - 1);
    size_t worst = 0;
    double worst_phi_s = -1;
    double min_peer_jitter_s = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < survivors.size(); ++k) {
      const Candidate& c = cs[survivors[k]];
      double sum_sq = 0;
      for (Index j : survivors) {
        const double d = cs[j].offset_s - c.offset_s;
        sum_sq += d * d;
      }
      const double phi_s = std::sqrt(sum_sq / others);
      if (phi_s >= worst_phi_s) {
        worst_phi_s = phi_s;
        worst = k;
      }
      min_peer_jitter_s = std::min(min_peer_jitter_s, c.jitter_s);
    }
    if (worst_phi_s <= min_peer_jitter_s) break;
    const Candidate& w = cs[survivors[worst]];
    if (w.prefer || w.true_ticker) break;
    tally[survivors[worst]] = Tally::kOutlier;
    survivors.erase(survivors.begin() + static_cast<std::ptrdiff_t>(worst));
  }
}

// RFC 5905 §11.2.3 / A.5.5.1: the first survivor in preference order, unless a
// prefer peer survived (the operator said so), or the previous system peer is
// still a survivor of the same stratum and not clearly worse. Hopping between
// near-equal peers swaps one peer's systematic error (asymmetric paths) for
// another's at every hop, which the discipline sees as offset noise; so we
// switch only when the best is better by more than hop_ratio in λ.
Index choose_system_peer(std::span<const Candidate> cs, const std::vector<Index>& survivors,
                         const SelectOptions& options, std::optional<size_t> previous_peer) {
  for (Index i : survivors) {
    if (cs[i].prefer) return i;
  }
  const Index best = survivors.front();
  if (previous_peer) {
    for (Index i : survivors) {
      if (cs[i].id != *previous_peer) continue;
      if (cs[i].stratum == cs[best].stratum &&
          cs[i].root_distance_s <= options.hop_ratio * cs[best].root_distance_s) {
        return i;
      }
      break;
    }
  }
  return best;
}

// chrony's combine limit (see SelectOptions::combine_limit): survivors far
// worse than the best λ stay ready as backups ('#') but do not vote.
void mark_combine_set(std::span<const Candidate> cs, const std::vector<Index>& survivors,
                      const SelectOptions& options, std::vector<Tally>& tally) {
  double min_distance_s = std::numeric_limits<double>::infinity();
  for (Index i : survivors) min_distance_s = std::min(min_distance_s, cs[i].root_distance_s);
  for (Index i : survivors) {
    tally[i] = cs[i].root_distance_s <= options.combine_limit * min_distance_s ? Tally::kCandidate
                                                                               : Tally::kBackup;
  }
}

// RFC 5905 §11.2.3: Θ = Σ(θ_i/λ_i) / Σ(1/λ_i) over the combined survivors;
// selection jitter ψ_s = sqrt(Σ(θ_i − θ_0)²/λ_i / Σ(1/λ_i)) around the system
// peer's θ_0; system jitter ψ = sqrt(ψ_s² + ψ_p²) with ψ_p the system peer's
// jitter. A prefer system peer's offset is used alone, as classic ntpd does
// (the operator trusts it, e.g. a PPS-backed refclock, over any average).
void combine(std::span<const Candidate> cs, const std::vector<Tally>& tally, Index system_peer,
             Selection& out) {
  const Candidate& peer = cs[system_peer];
  double sum_w = 0;
  double sum_w_offset = 0;
  double sum_w_sq = 0;
  for (Index i = 0; i < cs.size(); ++i) {
    if (tally[i] != Tally::kCandidate && tally[i] != Tally::kSystemPeer) continue;
    const double w = 1 / std::max(cs[i].root_distance_s, kMinWeightDistance_s);
    const double d = cs[i].offset_s - peer.offset_s;
    sum_w += w;
    sum_w_offset += w * cs[i].offset_s;
    sum_w_sq += w * d * d;
  }
  out.offset_s = peer.prefer ? peer.offset_s : sum_w_offset / sum_w;
  out.jitter_s = std::hypot(std::sqrt(sum_w_sq / sum_w), peer.jitter_s);
}

// tos floor/ceiling/mindist, applied before anything else so the steps above
// see ordinary candidates: out-of-bounds strata become noselect (rejected),
// λ is raised to mindist. Empty when the options change nothing.
std::vector<Candidate> apply_tos_bounds(std::span<const Candidate> cs,
                                        const SelectOptions& options) {
  if (options.floor <= 0 && options.ceiling >= kMaxStratum && !(options.mindist_s > 0)) return {};
  std::vector<Candidate> bounded(cs.begin(), cs.end());
  for (Candidate& c : bounded) {
    if (c.stratum < options.floor || c.stratum >= options.ceiling) c.noselect = true;
    if (c.root_distance_s < options.mindist_s) c.root_distance_s = options.mindist_s;
  }
  return bounded;
}

}  // namespace

Selection select_sources(std::span<const Candidate> candidates, const SelectOptions& options,
                         std::optional<size_t> previous_peer) {
  const std::vector<Candidate> bounded = apply_tos_bounds(candidates, options);
  if (!bounded.empty()) candidates = bounded;
  Selection out;
  out.tally.assign(candidates.size(), Tally::kReject);

  std::vector<Index> voters;
  for (Index i = 0; i < candidates.size(); ++i) {
    if (acceptable(candidates[i], options)) voters.push_back(i);
  }

  // §11.2.1. Without a majority everyone who voted is a falseticker, except
  // sources the operator marked `true`, which may still carry on alone.
  const std::optional<Interval> agreed = intersection(candidates, voters);
  std::vector<Index> truechimers;
  for (Index i : voters) {
    if (candidates[i].true_ticker || (agreed && overlaps(candidates[i], *agreed))) {
      truechimers.push_back(i);
    } else {
      out.tally[i] = Tally::kFalseticker;
    }
  }

  // Only the best `maxclock` truechimers go on to clustering (A.5.5.1).
  sort_by_preference(candidates, truechimers);
  const size_t maxclock = static_cast<size_t>(std::max(options.maxclock, 0));
  if (truechimers.size() > maxclock) {
    for (size_t k = maxclock; k < truechimers.size(); ++k) {
      out.tally[truechimers[k]] = Tally::kExcess;
    }
    truechimers.resize(maxclock);
  }

  // §11.2.2. Never prune below minsane either, or clustering alone could
  // unsynchronise a system that has enough agreeing sources.
  std::vector<Index>& survivors = truechimers;
  const size_t min_survivors =
      static_cast<size_t>(std::max({options.minclock, options.minsane, 1}));
  cluster(candidates, survivors, min_survivors, out.tally);
  out.survivors = survivors.size();
  if (survivors.empty()) return out;

  mark_combine_set(candidates, survivors, options, out.tally);
  // tos minsane: too few survivors to trust; tallies stay for ntpq, no peer.
  if (survivors.size() < static_cast<size_t>(std::max(options.minsane, 1))) return out;

  const Index peer = choose_system_peer(candidates, survivors, options, previous_peer);
  out.tally[peer] = Tally::kSystemPeer;
  out.system_peer = candidates[peer].id;
  combine(candidates, out.tally, peer, out);
  return out;
}

}  // namespace meridian::select
