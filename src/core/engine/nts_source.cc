#include "core/engine/nts_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace meridian::engine {

double NtsSource::next_key_exchange_s() const {
  if (!needs_key_exchange() || in_flight_) return std::numeric_limits<double>::infinity();
  return next_attempt_s_;
}

std::string NtsSource::on_key_exchange(const Result<KeyExchangeResult>& result, double now_s,
                                       const std::string& server) {
  in_flight_ = false;
  if (!result) {
    ++ke_failures_;
    last_error_ = result.error().message;
    next_attempt_s_ = now_s + retry_s_;
    const double waited = retry_s_;
    retry_s_ = std::min(retry_s_ * 2, kMaxRetry_s);
    return fmt::format("NTS-KE with {} failed: {}; next try in {:.0f} s", server, last_error_,
                       waited);
  }
  state_.set_keys(result->keys, result->cookies);
  ++ke_ok_;
  last_ke_s_ = now_s;
  last_error_.clear();
  retry_s_ = kFirstRetry_s;
  next_attempt_s_ = now_s;
  force_ke_ = false;
  loose_ = result->loose;
  return fmt::format("NTS-KE with {} done: {} cookie(s){}", server, state_.cookies_held(),
                     loose_ ? "; certificate accepted without checking its validity period "
                              "(clock not yet synchronised), to be checked again"
                            : "");
}

bool NtsSource::require_strict() {
  if (!loose_ || force_ke_) return false;
  force_ke_ = true;
  loose_ = false;
  next_attempt_s_ = 0;
  return true;
}

NtsView NtsSource::view() const {
  NtsView v;
  v.cookies = state_.cookies_held();
  v.has_keys = state_.has_keys();
  v.ke_in_flight = in_flight_;
  v.loose = loose_;
  v.ke_ok = ke_ok_;
  v.ke_failures = ke_failures_;
  v.last_ke_s = last_ke_s_;
  v.last_ke_error = last_error_;
  v.counters = state_.counters();
  return v;
}

}  // namespace meridian::engine
