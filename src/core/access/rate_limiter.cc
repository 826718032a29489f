#include "core/access/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace meridian::access {

namespace {

constexpr int kMaxAverageLog2 = 17;    // classic NTP_MAXPOLL; keeps 2^A finite and sane
constexpr double kScoreShift = 8;      // classic NTP_SHIFT: average threshold = 8 headways
constexpr double kMinimumGrace_s = 1;  // classic: "a 1-s grace for the minimum threshold"
constexpr double kHeadwayGrace_s = 2;  // classic: "a 2-s grace for the headway increment"
constexpr uint32_t kRateFlags = config::kLimited | config::kKod;

bool scored(wire::Mode mode) {
  return mode == wire::Mode::kSymmetricActive || mode == wire::Mode::kSymmetricPassive ||
         mode == wire::Mode::kClient || mode == wire::Mode::kServer ||
         mode == wire::Mode::kBroadcast;
}

bool kod_eligible_mode(wire::Mode mode) {
  return mode == wire::Mode::kSymmetricActive || mode == wire::Mode::kClient;
}

}  // namespace

RateLimiterOptions RateLimiterOptions::from(const config::DiscardConfig& discard) {
  RateLimiterOptions o;
  o.average_log2 = discard.average_log2;
  o.minimum_s = discard.minimum_s;
  return o;
}

RateLimiter::RateLimiter(const RateLimiterOptions& options, const MruLimits& mru,
                         uint64_t hash_seed)
    : options_(options), mru_(mru, hash_seed) {
  options_.average_log2 = std::clamp(options_.average_log2, 0, kMaxAverageLog2);
  options_.minimum_s = std::max(options_.minimum_s, 0.0);
  options_.kod_global_per_s = std::max(options_.kod_global_per_s, 0.0);
  options_.kod_global_burst = std::max(options_.kod_global_burst, 1.0);
  head_s_ = std::ldexp(1.0, options_.average_log2);
  limit_s_ = kScoreShift * head_s_;
  kod_tokens_ = options_.kod_global_burst;
}

bool RateLimiter::take_global_kod_token(double now_s) {
  if (kod_refilled_s_ != kNeverSeen && now_s > kod_refilled_s_) {
    kod_tokens_ = std::min(options_.kod_global_burst,
                           kod_tokens_ + (now_s - kod_refilled_s_) * options_.kod_global_per_s);
  }
  kod_refilled_s_ = std::max(kod_refilled_s_, now_s);
  if (kod_tokens_ < 1) return false;
  kod_tokens_ -= 1;
  return true;
}

RateVerdict RateLimiter::observe(const net::IpAddress& address, uint16_t port, wire::Mode mode,
                                 uint8_t version, uint32_t restrict_flags, double now_s) {
  ++counters_.packets;
  const auto [entry, created] = mru_.touch(address, now_s);
  MruEntry& e = *entry;
  const double elapsed_s = std::max(0.0, now_s - e.last_seen_s);
  e.port = port;
  e.mode = static_cast<uint8_t>(mode);
  e.version = version;
  if (e.count < UINT32_MAX) ++e.count;
  e.last_seen_s = std::max(e.last_seen_s, now_s);
  e.restrict_flags = restrict_flags & ~kRateFlags;

  // Classic: a new entry is never limited; control/private modes are not scored.
  if (created || !scored(mode)) return RateVerdict::kPass;

  // The score drains by the true elapsed time. (Classic drains by the interval
  // rounded to whole seconds, so a flood faster than one packet per 0.5 s
  // never drains at all; a real leaky bucket is fairer and still bounded.)
  // The minimum-spacing test keeps classic's rounding and 1 s grace.
  e.score_s = std::max(0.0, e.score_s - elapsed_s);
  const double interval_s = std::floor(elapsed_s + 0.5);
  const bool spaced = interval_s + kMinimumGrace_s >= options_.minimum_s;
  if (spaced && e.score_s + head_s_ < limit_s_) {
    e.score_s = std::max(0.0, e.score_s + head_s_ - kHeadwayGrace_s);
    return RateVerdict::kPass;
  }
  const bool kod_allowed_by_score = e.score_s < limit_s_;
  if (kod_allowed_by_score) e.score_s = limit_s_ + head_s_;

  if ((restrict_flags & config::kLimited) == 0) return RateVerdict::kPass;
  ++counters_.limited;
  e.restrict_flags = restrict_flags & ~uint32_t{config::kKod};

  if ((restrict_flags & config::kKod) == 0 || !kod_eligible_mode(mode) || !kod_allowed_by_score) {
    return RateVerdict::kDrop;
  }
  if (now_s - e.last_kod_s < head_s_ || !take_global_kod_token(now_s)) {
    ++counters_.kod_suppressed;
    return RateVerdict::kDrop;
  }
  e.last_kod_s = now_s;
  e.restrict_flags = restrict_flags;
  ++counters_.kod_sent;
  return RateVerdict::kKod;
}

}  // namespace meridian::access
