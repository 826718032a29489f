#include "sim/simulation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <variant>

#include "core/engine/client_engine.h"
#include "sim/event_queue.h"
#include "sim/link.h"
#include "sim/scale_run.h"
#include "sim/sim_clock.h"
#include "sim/sim_random.h"
#include "sim/sim_server.h"

namespace meridian::sim {

const char* algorithm_name(Algorithm a) {
  return a == Algorithm::kMeridian ? "meridian" : "rfc5905";
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr uint16_t kNtpPort = 123;

net::Endpoint server_endpoint(size_t index) {
  return net::Endpoint{net::IpAddress::v4({192, 0, 2, static_cast<uint8_t>(1 + index % 250)}),
                       kNtpPort};
}

struct Datagram {
  bool to_server = true;
  size_t server = 0;
  std::vector<std::byte> bytes;
};

engine::ClientConfig client_config(const Scenario& s, Algorithm algorithm) {
  std::vector<net::Endpoint> servers;
  std::vector<std::string> names;
  for (size_t i = 0; i < s.servers.size(); ++i) {
    servers.push_back(server_endpoint(i));
    names.push_back(s.servers[i].name);
  }
  return engine_config(s.client, servers, names, algorithm);
}

class Run {
 public:
  Run(const Scenario& s, const RunOptions& o)
      : s_(s),
        o_(o),
        key_(hash_key(s.seed_key)),
        client_clock_(s.client.clock, stream_seed(key_, o.seed, Stream::kClientClock)),
        engine_random_(stream_seed(key_, o.seed, Stream::kEngine)),
        acc_(s.duration_s, s.sample_interval_s,
             s.holdover ? std::optional(std::pair(s.holdover->from_s, s.holdover->until_s))
                        : std::nullopt) {
    for (size_t i = 0; i < s.servers.size(); ++i) {
      const auto& m = s.servers[i];
      servers_.push_back(
          std::make_unique<SimServer>(m, stream_seed(key_, o.seed, Stream::kServerClock, i),
                                      stream_seed(key_, o.seed, Stream::kServerKod, i)));
      out_.push_back(std::make_unique<LinkDirection>(
          m.link, m.link.out, stream_seed(key_, o.seed, Stream::kLinkOut, i)));
      back_.push_back(std::make_unique<LinkDirection>(
          m.link, m.link.back, stream_seed(key_, o.seed, Stream::kLinkBack, i)));
      if (m.type == ServerModel::Type::kFalseticker) falsetickers_.push_back(i);
    }
    if (s.client.drift_ppm) client_clock_.set_correction_ppm(0, *s.client.drift_ppm);
    engine_ =
        std::make_unique<engine::ClientEngine>(client_config(s, o.algorithm), engine_random_, 0.0);
  }

  RunResult run();

 private:
  void sample(double t);
  void deliver(double t, Datagram d);
  void apply(double t);
  void check_peer(double t);

  const Scenario& s_;
  const RunOptions& o_;
  uint64_t key_;
  SimClock client_clock_;
  SeededRandom engine_random_;
  std::vector<std::unique_ptr<SimServer>> servers_;
  std::vector<std::unique_ptr<LinkDirection>> out_, back_;
  std::vector<size_t> falsetickers_;
  std::unique_ptr<engine::ClientEngine> engine_;
  EventQueue<Datagram> queue_;
  MetricsAccumulator acc_;
  std::vector<engine::Action> actions_;
  std::vector<double> delays_;
  RunResult result_;
  bool panicked_ = false;
  double next_trace_s_ = 0;
  double engine_leaps_ = 0;
};

void Run::sample(double t) {
  // θ = true UTC − client clock; true UTC moves by the scenario's leap.
  // Within 1 ms of the true leap the client's own leap (due when its clock,
  // µs off, reaches midnight) may not have happened yet: there the UTC
  // labels of the two instants differ by the second being repeated, not by
  // any clock error, so the client's leap is taken as UTC's.
  const double error = client_clock_.error_s(t);  // applies a leap that is due
  double shift = utc_leap_shift_s(s_, t);
  if (std::fabs(t - utc_leap_time_s(s_)) <= 1e-3) {
    const double leaps = static_cast<double>(client_clock_.leaps()) + engine_leaps_;
    shift = s_.utc_leap == leap::LeapKind::kInsert ? -leaps : leaps;
  }
  const double offset = shift - error;
  if (s_.leap_window && s_.leap_window->contains(t)) {
    double& peak = acc_.flags().leap_peak_offset_s;
    peak = std::isnan(peak) ? std::fabs(offset) : std::max(peak, std::fabs(offset));
  }
  const auto li = engine_->served_leap();
  if (li == wire::LeapIndicator::kInsertSecond || li == wire::LeapIndicator::kDeleteSecond)
    acc_.flags().li_served_s += s_.sample_interval_s;
  const double freq = client_clock_.frequency_error_ppm(t);
  acc_.add(t, offset, freq);
  if (o_.keep_trace && t >= next_trace_s_) {
    const auto sys = engine_->system(t);
    double age = NAN;
    if (sys.system_peer) {
      const auto peers = engine_->peers(t);
      const auto& f = peers[*sys.system_peer].state.filter;
      if (f) age = t - f->time_s;
    }
    result_.trace.push_back(TracePoint{t, offset, freq, sys.poll_log2, sys.offset_s,
                                       sys.discipline.frequency_ppm, client_clock_.correction_ppm(),
                                       age});
    next_trace_s_ = t + o_.trace_interval_s;
  }
}

// A falseticker counts as followed when it is the system peer or one of the
// combined survivors ('*' or '+') while the offset the engine holds for it
// is more than kWrong_s off the true one (θ of an exact server: −x_client).
// A server that is right for an hour and then jumps may be used until its
// wrong samples reach the engine, never after; one that is wrong from the
// start, never.
void Run::check_peer(double t) {
  constexpr double kWrong_s = 1e-3;
  if (falsetickers_.empty() || !engine_->system(t).system_peer) return;
  const double true_offset_s = -client_clock_.error_s(t);
  for (const auto& p : engine_->peers(t)) {
    if (p.tally != select::Tally::kSystemPeer && p.tally != select::Tally::kCandidate) continue;
    if (std::find(falsetickers_.begin(), falsetickers_.end(), p.id) == falsetickers_.end())
      continue;
    if (!p.state.filter) continue;
    const double held_s = p.state.filter->offset_s;
    if (std::fabs(servers_[p.id]->error_s(t)) > kWrong_s &&
        std::fabs(held_s - true_offset_s) > kWrong_s) {
      acc_.flags().falseticker_followed = 1;
    }
  }
}

void Run::apply(double t) {
  for (auto& action : actions_) {
    if (auto* send = std::get_if<engine::SendRequest>(&action)) {
      acc_.flags().requests += 1;
      const size_t i = send->association;
      out_[i]->transit(t, delays_);
      for (double d : delays_) queue_.push(t + d, Datagram{true, i, send->bytes});
    } else if (const auto* step = std::get_if<engine::StepClock>(&action)) {
      client_clock_.step(t, step->by_s);
      (step->leap_second ? engine_leaps_ : acc_.flags().steps) += 1;
    } else if (const auto* arm = std::get_if<engine::ArmLeap>(&action)) {
      client_clock_.arm_leap(t, arm->kind);
    } else if (const auto* freq = std::get_if<engine::SetFrequency>(&action)) {
      client_clock_.set_correction_ppm(t, freq->ppm);
    } else if (const auto* panic = std::get_if<engine::Panic>(&action)) {
      // The daemon exits: the clock free-runs with its last correction.
      panicked_ = true;
      acc_.flags().panicked = 1;
      if (o_.verbose)
        fmt::print(stderr, "[{} seed {} t={:.3f}] PANIC offset {:+.6f} s\n",
                   algorithm_name(o_.algorithm), o_.seed, t, panic->offset_s);
    } else if (const auto* ev = std::get_if<engine::LogEvent>(&action)) {
      if (o_.verbose)
        fmt::print(stderr, "[{} seed {} t={:.3f}] {}\n", algorithm_name(o_.algorithm), o_.seed, t,
                   ev->text);
    }
  }
  actions_.clear();
  check_peer(t);
}

void Run::deliver(double t, Datagram d) {
  if (d.to_server) {
    auto reply = servers_[d.server]->handle(t, d.bytes);
    if (!reply) return;
    const double leave = t + reply->delay_s;
    back_[d.server]->transit(leave, delays_);
    for (double delay : delays_)
      queue_.push(leave + delay, Datagram{false, d.server, reply->bytes});
    return;
  }
  if (panicked_) return;
  const time::NtpTime rx = client_clock_.read(t);
  engine_->on_packet(server_endpoint(d.server), d.bytes, rx, t, actions_);
  apply(t);
}

RunResult Run::run() {
  uint64_t sample_index = 0;
  double next_sample = 0;
  double last_wake = -1;
  int same_wake = 0;
  for (;;) {
    const double wake = panicked_ ? kInf : engine_->next_wakeup_s();
    const double packet = queue_.empty() ? kInf : queue_.next_time_s();
    const double t = std::min({wake, packet, next_sample});
    if (t > s_.duration_s) break;
    ++result_.events;
    if (next_sample <= std::min(wake, packet)) {
      sample(next_sample);
      next_sample = static_cast<double>(++sample_index) * s_.sample_interval_s;
      continue;
    }
    if (packet <= wake) {
      auto e = queue_.pop();
      deliver(e.time_s, std::move(e.payload));
      continue;
    }
    // Guard against an engine that keeps asking for the same instant.
    same_wake = wake == last_wake ? same_wake + 1 : 0;
    last_wake = wake;
    if (same_wake > 1000) {
      fmt::print(stderr, "meridian-sim: engine wakes at t={} forever ({} seed {}); run stopped\n",
                 wake, algorithm_name(o_.algorithm), o_.seed);
      break;
    }
    engine_->on_timer(wake, client_clock_.read(wake), actions_);
    apply(wake);
  }
  if (o_.verbose) {
    for (const auto& p : engine_->peers(s_.duration_s)) {
      fmt::print(
          stderr,
          "[{} seed {}] server {} drops: unmatched {} kiss {} unsync {} timestamps {} step {}\n",
          algorithm_name(o_.algorithm), o_.seed, p.options.name, p.state.drops.unmatched,
          p.state.drops.kiss, p.state.drops.unsynchronised, p.state.drops.bad_timestamps,
          p.state.drops.crossed_step);
    }
  }
  result_.metrics = acc_.finish();
  result_.metrics.leaps = engine_leaps_ + client_clock_.leaps();
  return std::move(result_);
}

}  // namespace

engine::ClientConfig engine_config(const ClientModel& m, const std::vector<net::Endpoint>& servers,
                                   const std::vector<std::string>& names, Algorithm algorithm) {
  engine::ClientConfig c;
  for (size_t i = 0; i < servers.size(); ++i) {
    source::AssociationOptions o;
    o.endpoint = servers[i];
    o.name = i < names.size() ? names[i] : servers[i].address.to_string();
    o.iburst = m.iburst;
    o.burst = m.burst;
    o.minpoll = std::clamp(m.minpoll, 3, 17);
    o.maxpoll = std::clamp(m.maxpoll, o.minpoll, 17);
    c.servers.push_back(o);
  }
  c.select.minsane = m.minsane;
  auto& d = c.discipline;
  d.step_threshold_s = m.step_threshold_s;
  d.stepout_s = m.stepout_s;
  d.panic_threshold_s = m.panic_threshold_s;
  d.slew_only = m.slew_only;
  d.allow_big_first_step = m.allow_big_first_step;
  d.initial_frequency_ppm = m.drift_ppm;
  d.min_poll_log2 = std::clamp(m.minpoll, 3, 17);
  d.max_poll_log2 = std::clamp(m.maxpoll, d.min_poll_log2, 17);
  c.use_rfc5905_discipline = algorithm == Algorithm::kRfc5905;
  c.precision = precision_log2(m.clock.resolution_s);
  c.leap_table = m.leap_table;
  c.clock_applies_leap = m.kernel_leap;
  return c;
}

RunResult run_once(const Scenario& scenario, const RunOptions& options) {
  if (scenario.scale) return run_scale(scenario, options);
  Run run(scenario, options);
  return run.run();
}

}  // namespace meridian::sim
