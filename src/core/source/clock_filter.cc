// RFC 5905 §10 clock filter; the exact rules are spelled out in clock_filter.h.
// Sign convention: offset θ = server − local (positive ⇒ our clock is behind).
#include "core/source/clock_filter.h"

#include <algorithm>
#include <cmath>

#include "core/source/exchange.h"

namespace meridian::source {

namespace {

// A stage's dispersion grown by Φ for every second since it was measured
// (RFC 5905 §10: the error bound widens as the sample ages), capped at MAXDISP.
double aged_dispersion(const FilterSample& s, double now_s) {
  const double age_s = std::max(0.0, now_s - s.time_s);
  return std::min(s.dispersion_s + kPhi * age_s, kMaxDispersion_s);
}

}  // namespace

size_t ClockFilter::rank(double now_s, std::array<Ranked, kFilterStages>& out) const {
  // Order: valid stages (sorted by delay below), then unanswered/rejected/
  // expired stages at MAXDISP, then stages never filled. A stage never
  // filled carries no information, good or bad, so it adds no dispersion
  // (Meridian deviation from RFC 5905, which counts it as MAXDISP and so
  // needs ~4 samples before a source is selectable; this is what lets iburst
  // synchronise within seconds).
  size_t valid = 0;
  std::array<Ranked, kFilterStages> dead{};
  size_t n_dead = 0;
  size_t n_empty = 0;
  // Stages are newest first, so a stable sort keeps the newer of equal delays first.
  for (size_t i = 0; i < kFilterStages; ++i) {
    if (!stages_[i]) {
      ++n_empty;
      continue;
    }
    const double disp = aged_dispersion(*stages_[i], now_s);
    if (marks_[i] == Mark::kRejected) {
      // A rejected spike was an answer, just a late one: never a candidate,
      // but its dispersion is its own, not MAXDISP as for a missed poll.
      // (Counting it as MAXDISP pushed ε of a young filter over maxdist.)
      dead[n_dead++] = Ranked{i, disp};
    } else if (disp < kMaxDispersion_s) {
      out[valid++] = Ranked{i, disp};
    } else {
      dead[n_dead++] = Ranked{i, kMaxDispersion_s};
    }
  }
  for (size_t k = 0; k < n_dead; ++k) out[valid + k] = dead[k];
  for (size_t k = 0, i = 0; k < n_empty && i < kFilterStages; ++i) {
    if (!stages_[i]) out[valid + n_dead + k++] = Ranked{i, 0};
  }
  auto age = [&](const Ranked& r) { return std::max(0.0, now_s - stages_[r.index]->time_s); };
  auto key = [&](const Ranked& r) {
    return stages_[r.index]->delay_s + 2 * staleness_rate_ * age(r);
  };
  auto too_old = [&](const Ranked& r) { return age_limit_s_ > 0 && age(r) > age_limit_s_; };
  std::stable_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(valid),
                   [&](const Ranked& a, const Ranked& b) {
                     if (too_old(a) != too_old(b)) return too_old(b);
                     return key(a) < key(b);
                   });
  return valid;
}

// ε = Σ ε_i / 2^(i+1) over the stages in delay order (RFC 5905 §10): the best
// stage dominates; unanswered or rejected stages (MAXDISP) raise it, stages
// never filled (ranked last, dispersion 0) do not.
double ClockFilter::weighted_dispersion(const std::array<Ranked, kFilterStages>& ranked) {
  double sum = 0;
  for (size_t i = kFilterStages; i-- > 0;) sum = 0.5 * (sum + ranked[i].dispersion_s);
  return sum;
}

// ψ: RMS of the valid stages' offsets about the minimum-delay one. The
// candidate's own zero difference is left out, hence the m − 1 divisor.
double ClockFilter::jitter(const std::array<Ranked, kFilterStages>& ranked, size_t valid) const {
  if (valid <= 1) return 0;
  const double theta0 = stages_[ranked[0].index]->offset_s;
  double sum_sq = 0;
  for (size_t i = 1; i < valid; ++i) {
    const double d = stages_[ranked[i].index]->offset_s - theta0;
    sum_sq += d * d;
  }
  return std::sqrt(sum_sq / static_cast<double>(valid - 1));
}

void ClockFilter::shift_in(const FilterSample& sample) {
  std::move_backward(stages_.begin(), stages_.end() - 1, stages_.end());
  std::move_backward(marks_.begin(), marks_.end() - 1, marks_.end());
  stages_[0] = sample;
  marks_[0] = Mark::kNone;
}

// Settles a sample held as a possible popcorn spike using the sample just
// shifted in (stage 0). Returns true when the newest sample confirms the
// jump, so the spike test is skipped for this round.
bool ClockFilter::resolve_held_spike() {
  for (size_t i = 1; i < kFilterStages; ++i) {
    if (marks_[i] != Mark::kHeld) continue;
    const double newest = stages_[0]->offset_s;
    const bool confirmed =
        last_ && std::abs(newest - stages_[i]->offset_s) < std::abs(newest - last_->offset_s);
    marks_[i] = confirmed ? Mark::kNone : Mark::kRejected;
    return confirmed;
  }
  return false;
}

bool ClockFilter::add(const FilterSample& sample, double now_s) {
  shift_in(sample);
  const bool jump_confirmed = resolve_held_spike();

  std::array<Ranked, kFilterStages> ranked{};
  const size_t valid = rank(now_s, ranked);
  if (valid == 0) return false;
  // After a clock step the newest sample goes out (if valid), see shift_offsets().
  size_t cand_index = ranked[0].index;
  if (use_next_) {
    for (size_t k = 0; k < valid; ++k) {
      if (ranked[k].index == 0) cand_index = 0;
    }
  }
  const FilterSample& cand = *stages_[cand_index];
  // Newer-only: a sample is used at most once, and never one older than the
  // last used, so the discipline never sees time run backwards (RFC 5905 §10).
  if (cand.time_s <= last_used_time_s_) return false;

  // The spike test needs a jitter measured over a few samples: with fewer,
  // ψ is noise about a couple of microsecond-apart values and would hold
  // ordinary samples as spikes.
  if (last_ && !jump_confirmed && valid >= kSpikeMinStages) {
    const double gate = kSpikeGate * std::max(last_->jitter_s, cand.dispersion_s);
    const bool jumped = std::abs(cand.offset_s - last_->offset_s) > gate;
    const bool more_delay = cand.delay_s > last_->delay_s;
    if (jumped && more_delay) {
      marks_[cand_index] = Mark::kHeld;  // popcorn spike? the next sample decides
      return false;
    }
  }
  last_ = FilterOutput{.offset_s = cand.offset_s,
                       .delay_s = cand.delay_s,
                       .dispersion_s = weighted_dispersion(ranked),
                       .jitter_s = jitter(ranked, valid),
                       .time_s = cand.time_s,
                       .sample_dispersion_s = cand.dispersion_s};
  last_used_time_s_ = cand.time_s;
  use_next_ = false;
  return true;
}

void ClockFilter::add_missing(double now_s) {
  // Zero offset and MAXDISP delay as in RFC 5905; the MAXDISP dispersion is
  // what makes the stage invalid, so it can never be selected.
  shift_in(FilterSample{.offset_s = 0,
                        .delay_s = kMaxDispersion_s,
                        .dispersion_s = kMaxDispersion_s,
                        .time_s = now_s});
}

std::optional<FilterOutput> ClockFilter::output(double now_s) const {
  if (!last_) return std::nullopt;
  std::array<Ranked, kFilterStages> ranked{};
  const size_t valid = rank(now_s, ranked);
  FilterOutput out = *last_;
  out.dispersion_s = weighted_dispersion(ranked);
  out.jitter_s = jitter(ranked, valid);
  out.sample_dispersion_s = aged_dispersion(
      FilterSample{.dispersion_s = last_->sample_dispersion_s, .time_s = last_->time_s}, now_s);
  return out;
}

void ClockFilter::shift_offsets(double correction_s) {
  for (auto& stage : stages_) {
    // Dummy stages carry no measurement; leave their zero alone.
    if (stage && stage->dispersion_s < kMaxDispersion_s) stage->offset_s -= correction_s;
  }
  if (last_) last_->offset_s -= correction_s;
  use_next_ = true;
}

void ClockFilter::clear() {
  const double rate = staleness_rate_;
  const double age_limit = age_limit_s_;
  *this = ClockFilter{};
  staleness_rate_ = rate;
  age_limit_s_ = age_limit;
}

}  // namespace meridian::source
