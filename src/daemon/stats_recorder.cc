#include "daemon/stats_recorder.h"

#include <fmt/format.h>
#include <unistd.h>

#include "core/stats/records.h"
#include "daemon/server_loop.h"

namespace meridian::daemon {

StatsRecorder::StatsRecorder(const config::Config& config, platform::Clock& clock, Logger& log,
                             double start_s)
    : clock_(clock), log_(log), start_s_(start_s) {
  reconfigure(config);
}

void StatsRecorder::reconfigure(const config::Config& config) {
  stats::StatsSetup setup = stats::resolve_stats_files(config);
  for (const auto& w : setup.warnings) log_.warning(w);
  files_.clear();
  files_.reserve(setup.files.size());  // the pointers below must stay valid
  for (auto& spec : setup.files) {
    if (!spec.enabled) continue;
    log_.info(fmt::format("statistics {}: {} (type {}{})", spec.name, spec.base_path,
                          stats::filegen_type_name(spec.type), spec.link ? ", link" : ""));
    files_.emplace_back(std::move(spec), log_);
  }
  loopstats_ = set("loopstats");
  peerstats_ = set("peerstats");
  sysstats_ = set("sysstats");
}

StatsFileSet* StatsRecorder::set(std::string_view name) {
  for (auto& f : files_) {
    if (f.spec().name == name) return &f;
  }
  return nullptr;
}

void StatsRecorder::write(StatsFileSet* set, const std::string& line, time::NtpTime t,
                          double now_s) {
  set->write(line, stats::GenerationClock{t, now_s - start_s_, static_cast<int64_t>(getpid())});
}

void StatsRecorder::after_client_event(const engine::ClientEngine& client, double now_s,
                                       const std::vector<engine::Action>& actions) {
  if (loopstats_ == nullptr && peerstats_ == nullptr) return;
  double stepped_s = 0;
  for (const auto& a : actions) {
    if (const auto* step = std::get_if<engine::StepClock>(&a)) stepped_s += step->by_s;
  }
  observe(client.system(now_s), client.peers(now_s), now_s, stepped_s);
}

void StatsRecorder::observe(const engine::SystemView& system,
                            std::span<const engine::PeerView> peers, double now_s,
                            double stepped_s) {
  const stats::ObservedRecords records = observer_.observe(system, peers, stepped_s);
  if (records.peers.empty() && !records.loop) return;
  const time::NtpTime t = clock_.now();
  if (peerstats_ != nullptr) {
    for (const auto& r : records.peers) write(peerstats_, stats::format_peerstats(t, r), t, now_s);
  }
  if (loopstats_ != nullptr && records.loop) {
    write(loopstats_, stats::format_loopstats(t, *records.loop), t, now_s);
  }
}

void StatsRecorder::record_sysstats(const control::ServerStatistics& totals, double now_s) {
  const stats::SysRecord r = sysstats_counter_.take(totals);
  if (sysstats_ == nullptr) return;
  const time::NtpTime t = clock_.now();
  write(sysstats_, stats::format_sysstats(t, r), t, now_s);
}

void attach_statistics(StatsRecorder& recorder, ServerLoop& loop) {
  // The client may appear later (a reload that adds the first server line).
  loop.after_client_event(
      [&recorder, &loop](double now_s, const std::vector<engine::Action>& actions) {
        if (const engine::ClientEngine* client = loop.client())
          recorder.after_client_event(*client, now_s, actions);
      });
  loop.every(StatsRecorder::kSysstatsInterval_s, [&recorder, &loop] {
    const double now_s = static_cast<double>(platform::read_monotonic_ns()) * 1e-9;
    recorder.record_sysstats(loop.statistics(now_s), now_s);
  });
}

}  // namespace meridian::daemon
