#include "daemon/name_lookups.h"

#include <cmath>

namespace meridian::daemon {

namespace {
int64_t to_ns(double s) { return static_cast<int64_t>(std::llround(s * 1e9)); }
}  // namespace

void AsyncLookups::request(const Lookup& lookup, double now_s) {
  tokens_[resolver_.request(lookup.host, lookup.family, to_ns(now_s))] = lookup.token;
}

std::vector<LookupAnswer> AsyncLookups::take_answers() {
  std::vector<LookupAnswer> out;
  for (auto& r : resolver_.take_results()) {
    auto it = tokens_.find(r.id);
    if (it == tokens_.end()) continue;
    const uint64_t token = it->second;
    tokens_.erase(it);
    if (r.ok()) {
      out.emplace_back(token, std::move(r.addresses));
    } else {
      out.emplace_back(token, make_error(ErrorCode::kUnavailable, r.detail));
    }
  }
  return out;
}

double AsyncLookups::next_deadline_s() const {
  const auto t = resolver_.next_timeout_ns();
  return t ? static_cast<double>(*t) * 1e-9 : 1e300;
}

void AsyncLookups::on_ready(double now_s) { resolver_.on_ready(to_ns(now_s)); }

}  // namespace meridian::daemon
