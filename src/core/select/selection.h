// System selection (RFC 5905 §11.2): from every association's filter output,
// find the truechimers (intersection algorithm, Marzullo as amended by
// RFC 5905), prune outliers (clustering), pick the system peer and combine
// the survivors' offsets. Tally codes for ntpq come out too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace meridian::select {

struct Candidate {
  size_t id = 0;               // the caller's index
  double offset_s = 0;         // filter offset θ (server − local; positive ⇒ we are behind)
  double root_distance_s = 0;  // λ: root delay/2 + root dispersion + delay/2 + dispersion + jitter
  // Half-width of the correctness interval [θ − w, θ + w] for maxdist and
  // the intersection (0: use root_distance_s). The engine passes λ with the
  // selected sample's own aged dispersion instead of the filter's ε: a
  // stage without a sample (a missed poll, MAXDISP) says nothing about
  // whether the samples received are correct, and with it two good servers
  // behind lossy links had intervals wide enough (~1 s) to make a liar 0.5 s
  // off a truechimer — then, with the smallest λ, the system peer
  // (scenario 11j). λ with ε still ranks and weighs: thin data ranks lower.
  double interval_s = 0;
  double jitter_s = 0;  // peer jitter ψ
  int stratum = 0;
  bool prefer = false;
  bool noselect = false;
  bool true_ticker = false;  // `true`: never declared a falseticker
  bool reachable = true;     // reach ≠ 0 and filter has output
};

// ntpq -p tally codes (RFC 5905 / ntpq): ' ' reject, 'x' falseticker,
// '.' excess, '-' outlier, '+' candidate, '#' backup, '*' system peer.
enum class Tally : char {
  kReject = ' ',       // failed a sanity check: noselect, unreachable, stratum, maxdist
  kFalseticker = 'x',  // interval misses the majority's intersection (§11.2.1)
  kExcess = '.',       // truechimer beyond the first `maxclock` by (stratum, λ)
  kOutlier = '-',      // pruned by the cluster algorithm (§11.2.2)
  kCandidate = '+',    // survivor whose offset is combined (§11.2.3)
  kBackup = '#',       // survivor too far (λ) to be combined; ready to take over
  kSystemPeer = '*',
};

struct SelectOptions {
  int minsane = 1;         // tos minsane: survivors needed to synchronise
  int minclock = 3;        // tos minclock: clustering stops at this many
  int maxclock = 10;       // tos maxclock: truechimers beyond this many are excess
  double maxdist_s = 1.5;  // tos maxdist: candidates beyond are rejected
  // tos floor / ceiling (classic peer_unfit): a candidate whose stratum is
  // below floor or at/above ceiling is rejected (tally ' '). The defaults
  // reject nothing beyond the RFC's stratum ≥ 16 test.
  int floor = 0;
  int ceiling = 16;
  // tos mindist (classic sys_mindisp): every λ is at least this, so the
  // correctness intervals [θ−λ, θ+λ] of very close, quiet sources still
  // overlap. 0 (the default) leaves λ as measured; classic ntpd uses 1 ms.
  double mindist_s = 0;
  // Survivors with λ > combine_limit · (smallest survivor λ) are not combined
  // (tally '#'): a far source adds more error than averaging removes. chrony's
  // `combinelimit` idea; classic ntpd combines every survivor (= infinity).
  double combine_limit = 3.0;
  // Clock-hop avoidance: the previous system peer stays while it survives, has
  // the best stratum and λ_prev ≤ hop_ratio · λ_best. 1.0 keeps it on exact ties only.
  double hop_ratio = 1.5;
};

struct Selection {
  std::optional<size_t> system_peer;  // a Candidate::id
  std::vector<Tally> tally;           // one per input candidate, same order
  double offset_s = 0;                // combined offset (0 unless synchronised)
  double jitter_s = 0;                // system jitter (selection jitter ⊕ peer jitter)
  size_t survivors = 0;               // cluster survivors ('*', '+', '#'), even if < minsane
  bool synchronised() const { return system_peer.has_value(); }
};

// `previous_peer`: the last system peer's id, kept unless a survivor is
// clearly better (clock hopping hurts more than it helps; see hop_ratio).
// Deterministic: ties break on Candidate::id, then input position.
Selection select_sources(std::span<const Candidate> candidates, const SelectOptions& options,
                         std::optional<size_t> previous_peer = std::nullopt);

}  // namespace meridian::select
