#include "core/stats/observer.h"

#include <algorithm>
#include <cmath>

namespace meridian::stats {

ObservedRecords StatsObserver::observe(const engine::SystemView& system,
                                       std::span<const engine::PeerView> peers, double stepped_s) {
  ObservedRecords out;
  control::ControlSnapshot snapshot;  // what the peer status word is computed from
  snapshot.system = system;
  for (const auto& p : peers) {
    if (p.id >= peer_sample_s_.size()) peer_sample_s_.resize(p.id + 1, kNever);
    if (!p.state.filter || p.state.filter->time_s <= peer_sample_s_[p.id]) continue;
    peer_sample_s_[p.id] = p.state.filter->time_s;
    PeerRecord r;
    r.address = p.options.endpoint.address;
    r.status = control::peer_status(snapshot, p);
    r.offset_s = p.state.filter->offset_s + stepped_s;
    r.delay_s = p.state.filter->delay_s;
    r.dispersion_s = p.state.filter->dispersion_s;
    r.jitter_s = p.state.filter->jitter_s;
    out.peers.push_back(r);
  }
  if (system.system_peer) {
    const auto it = std::find_if(peers.begin(), peers.end(),
                                 [&](const auto& p) { return p.id == *system.system_peer; });
    if (it != peers.end() && it->state.filter && it->state.filter->time_s > loop_sample_s_) {
      loop_sample_s_ = it->state.filter->time_s;
      LoopRecord r;
      r.offset_s = system.offset_s;
      r.frequency_ppm = system.discipline.frequency_ppm;
      r.jitter_s = system.discipline.clock_jitter_s;
      r.wander_ppm = system.discipline.clock_wander_ppm;
      r.poll_log2 = system.discipline.poll_log2;
      out.loop = r;
    }
  }
  return out;
}

SysRecord SysstatsCounter::take(const control::ServerStatistics& totals) {
  // Counters only grow; a smaller total (not expected) reads as 0, not 2^64.
  const auto since = [](uint64_t now, uint64_t before) { return now >= before ? now - before : 0; };
  SysRecord r;
  r.since_reset_s = static_cast<uint64_t>(
      std::max(0.0, std::floor(totals.uptime_s) - std::floor(std::max(0.0, last_.uptime_s))));
  r.received = since(totals.received, last_.received);
  r.processed = since(totals.processed, last_.processed);
  r.current_version = since(totals.current_version, last_.current_version);
  r.old_version = since(totals.old_version, last_.old_version);
  r.restricted = since(totals.restricted, last_.restricted);
  r.bad_format = since(totals.bad_format, last_.bad_format);
  r.bad_auth = since(totals.bad_auth, last_.bad_auth);
  r.declined = since(totals.declined, last_.declined);
  r.limited = since(totals.limited, last_.limited);
  r.kod_sent = since(totals.kod_sent, last_.kod_sent);
  last_ = totals;
  return r;
}

}  // namespace meridian::stats
