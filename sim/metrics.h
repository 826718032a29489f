// What one run measured, and the median over seeds. Offsets here are the
// client's true offset θ = true time − client clock (RFC 5905 sign: positive
// ⇒ the client is behind), sampled on the scenario's sample grid.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meridian::sim {

struct Metrics {
  double first_1ms_s;     // first sample with |θ| < 1 ms (∞ if never)
  double first_100us_s;   // first sample with |θ| < 100 µs
  double settle_1ms_s;    // from then on |θ| stayed < 1 ms (∞ if it was not at the end)
  double settle_100us_s;  // the same for 100 µs
  double within_1ms;      // share of samples with |θ| < 1 ms, whole run
  double within_100us;
  double rms_offset_s;   // second half of the run
  double max_offset_s;   // second half
  double peak_offset_s;  // max |θ| from the first |θ| < 1 ms on (after start-up), NaN: never
  double rms_freq_ppm;   // second half: RMS of the clock's net rate error
  double falseticker_followed;  // 1 if a falseticker > 1 ms off was ever '*' or '+'
  double panicked;              // 1 if the engine asked the daemon to exit
  double holdover_growth_s;     // max |θ| in the holdover window − |θ| at its start (NaN: none)
  double steps;                 // clock steps
  double requests;              // requests sent
  double leaps;                 // leap seconds applied to the client clock (by it or the engine)
  double li_served_s;           // time the client served LI 1/2 (insert/delete warning), s
  double leap_peak_offset_s;    // max |θ| in the scenario's leap window (NaN: none)

  // Scale scenarios only (NaN otherwise); see sim/README.md. Engine clients'
  // offsets are pooled into the fields above (within_1ms, rms/max offset…).
  double clients;              // real engines in the run
  double unsynced_clients;     // engines never within 1 ms of true time
  double sync_median_s;        // median over engines of (first |θ| < 1 ms − its start)
  double sync_max_s;           // the slowest engine's
  double settle_max_s;         // the latest engine to stay within 1 ms (from its start)
  double unsynced_at_end;      // engines with |θ| ≥ 1 ms at their last sample
  double refused_compliant;    // requests of compliant clients not answered with time
  double kod_to_compliant;     // RATE KoDs sent to compliant clients
  double unlimited_abusers;    // clients polling too fast under `limited` never refused
  double abusers_over_bound;   // … answered more than the limiter's bound allows
  double abuser_replies_max;   // time replies to the most-answered such client
  double abuser_caught_max_s;  // the latest first refusal of one, after its start
  double abuser_answered;      // share of their requests answered with time
  double counter_mismatches;   // server counter identities that failed
  double server_received;      // requests the server handled
  double server_replied;       // … answered with time
  double server_kod;           // … answered with RATE KoD
  double server_rate_dropped;  // … dropped by the rate limiter
  double server_peak_rate;     // most requests in one second
  double mru_peak;             // largest MRU table size seen
  double mru_recycled;         // MRU entries reused for new addresses
};

struct MetricInfo {
  std::string_view name;
  double Metrics::*field;
  // kCount: summed over seeds (flags: how many seeds); kMax: the worst seed.
  enum class Agg { kMedian, kCount, kMax } agg;
  bool scale = false;  // reported only for scale scenarios
};
const std::vector<MetricInfo>& metric_table();
const MetricInfo* find_metric(std::string_view name);

// Online accumulator fed one sample at a time.
class MetricsAccumulator {
 public:
  MetricsAccumulator(double duration_s, double interval_s,
                     std::optional<std::pair<double, double>> holdover);
  void add(double t, double offset_s, double freq_err_ppm);
  Metrics finish() const;
  Metrics& flags() { return flags_; }  // counts and flags set by the run

 private:
  double duration_s_, interval_s_;
  std::optional<std::pair<double, double>> holdover_;
  Metrics flags_{};
  double first_1ms_, first_100us_, last_bad_1ms_ = -1, last_bad_100us_ = -1, last_t_ = 0;
  size_t n_ = 0, in_1ms_ = 0, in_100us_ = 0, n2_ = 0;
  double sum_sq_ = 0, max_abs_ = 0, sum_sq_freq_ = 0;
  double hold_start_ = -1, hold_max_ = 0;
  double peak_abs_ = 0;  // max |θ| since first_1ms_
};

// Median of one metric over runs (∞ sorts last); for kCount the sum, for
// kMax the largest (NaN runs skipped).
double aggregate(const std::vector<Metrics>& runs, const MetricInfo& info);

}  // namespace meridian::sim
