#include "sim/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace meridian::sim {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

const std::vector<MetricInfo>& metric_table() {
  using A = MetricInfo::Agg;
  static const std::vector<MetricInfo> kTable = {
      {"first_1ms_s", &Metrics::first_1ms_s, A::kMedian},
      {"first_100us_s", &Metrics::first_100us_s, A::kMedian},
      {"settle_1ms_s", &Metrics::settle_1ms_s, A::kMedian},
      {"settle_100us_s", &Metrics::settle_100us_s, A::kMedian},
      {"within_1ms", &Metrics::within_1ms, A::kMedian},
      {"within_100us", &Metrics::within_100us, A::kMedian},
      {"rms_offset_s", &Metrics::rms_offset_s, A::kMedian},
      {"max_offset_s", &Metrics::max_offset_s, A::kMedian},
      {"peak_offset_s", &Metrics::peak_offset_s, A::kMedian},
      {"rms_freq_ppm", &Metrics::rms_freq_ppm, A::kMedian},
      {"falseticker_followed", &Metrics::falseticker_followed, A::kCount},
      {"panicked", &Metrics::panicked, A::kCount},
      {"holdover_growth_s", &Metrics::holdover_growth_s, A::kMedian},
      {"steps", &Metrics::steps, A::kMedian},
      {"requests", &Metrics::requests, A::kMedian},
      {"leaps", &Metrics::leaps, A::kMedian},
      {"li_served_s", &Metrics::li_served_s, A::kMedian},
      {"leap_peak_offset_s", &Metrics::leap_peak_offset_s, A::kMax},
      {"clients", &Metrics::clients, A::kMedian, true},
      {"unsynced_clients", &Metrics::unsynced_clients, A::kCount, true},
      {"sync_median_s", &Metrics::sync_median_s, A::kMedian, true},
      {"sync_max_s", &Metrics::sync_max_s, A::kMax, true},
      {"settle_max_s", &Metrics::settle_max_s, A::kMax, true},
      {"unsynced_at_end", &Metrics::unsynced_at_end, A::kCount, true},
      {"refused_compliant", &Metrics::refused_compliant, A::kCount, true},
      {"kod_to_compliant", &Metrics::kod_to_compliant, A::kCount, true},
      {"unlimited_abusers", &Metrics::unlimited_abusers, A::kCount, true},
      {"abusers_over_bound", &Metrics::abusers_over_bound, A::kCount, true},
      {"abuser_replies_max", &Metrics::abuser_replies_max, A::kMax, true},
      {"abuser_answered", &Metrics::abuser_answered, A::kMedian, true},
      {"abuser_caught_max_s", &Metrics::abuser_caught_max_s, A::kMax, true},
      {"counter_mismatches", &Metrics::counter_mismatches, A::kCount, true},
      {"server_received", &Metrics::server_received, A::kMedian, true},
      {"server_replied", &Metrics::server_replied, A::kMedian, true},
      {"server_kod", &Metrics::server_kod, A::kMedian, true},
      {"server_rate_dropped", &Metrics::server_rate_dropped, A::kMedian, true},
      {"server_peak_rate", &Metrics::server_peak_rate, A::kMax, true},
      {"mru_peak", &Metrics::mru_peak, A::kMax, true},
      {"mru_recycled", &Metrics::mru_recycled, A::kMedian, true},
  };
  return kTable;
}

const MetricInfo* find_metric(std::string_view name) {
  for (const auto& m : metric_table()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

MetricsAccumulator::MetricsAccumulator(double duration_s, double interval_s,
                                       std::optional<std::pair<double, double>> holdover)
    : duration_s_(duration_s),
      interval_s_(interval_s),
      holdover_(holdover),
      first_1ms_(kInf),
      first_100us_(kInf) {
  flags_.holdover_growth_s = NAN;
  flags_.leap_peak_offset_s = NAN;
  for (const auto& m : metric_table()) {
    if (m.scale) flags_.*m.field = NAN;
  }
}

void MetricsAccumulator::add(double t, double offset_s, double freq_err_ppm) {
  const double a = std::fabs(offset_s);
  ++n_;
  last_t_ = t;
  if (a < 1e-3) {
    ++in_1ms_;
    if (first_1ms_ == kInf) first_1ms_ = t;
  } else {
    last_bad_1ms_ = t;
  }
  if (a < 1e-4) {
    ++in_100us_;
    if (first_100us_ == kInf) first_100us_ = t;
  } else {
    last_bad_100us_ = t;
  }
  if (first_1ms_ != kInf) peak_abs_ = std::max(peak_abs_, a);
  if (t >= duration_s_ / 2) {
    ++n2_;
    sum_sq_ += offset_s * offset_s;
    max_abs_ = std::max(max_abs_, a);
    sum_sq_freq_ += freq_err_ppm * freq_err_ppm;
  }
  if (holdover_ && t >= holdover_->first && t <= holdover_->second) {
    if (hold_start_ < 0) hold_start_ = a;
    hold_max_ = std::max(hold_max_, a);
  }
}

Metrics MetricsAccumulator::finish() const {
  Metrics m = flags_;
  m.first_1ms_s = first_1ms_;
  m.first_100us_s = first_100us_;
  auto settle = [&](double last_bad) {
    if (last_bad < 0) return 0.0;
    if (last_bad >= last_t_) return kInf;
    return last_bad + interval_s_;
  };
  m.settle_1ms_s = settle(last_bad_1ms_);
  m.settle_100us_s = settle(last_bad_100us_);
  m.within_1ms = n_ ? static_cast<double>(in_1ms_) / static_cast<double>(n_) : 0;
  m.within_100us = n_ ? static_cast<double>(in_100us_) / static_cast<double>(n_) : 0;
  m.rms_offset_s = n2_ ? std::sqrt(sum_sq_ / static_cast<double>(n2_)) : NAN;
  m.max_offset_s = n2_ ? max_abs_ : NAN;
  m.peak_offset_s = first_1ms_ != kInf ? peak_abs_ : NAN;
  m.rms_freq_ppm = n2_ ? std::sqrt(sum_sq_freq_ / static_cast<double>(n2_)) : NAN;
  m.holdover_growth_s = hold_start_ >= 0 ? hold_max_ - hold_start_ : NAN;
  return m;
}

double aggregate(const std::vector<Metrics>& runs, const MetricInfo& info) {
  if (runs.empty()) return NAN;
  if (info.agg == MetricInfo::Agg::kCount) {
    double sum = 0;
    for (const auto& r : runs) sum += r.*info.field;
    return sum;
  }
  std::vector<double> v;
  for (const auto& r : runs) {
    if (!std::isnan(r.*info.field)) v.push_back(r.*info.field);
  }
  if (v.empty()) return NAN;
  if (info.agg == MetricInfo::Agg::kMax) return *std::max_element(v.begin(), v.end());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace meridian::sim
