#include "sim/scale_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <queue>
#include <variant>
#include <vector>

#include "core/engine/client_engine.h"
#include "core/wire/ntp_packet.h"
#include "sim/link.h"
#include "sim/scale_server.h"
#include "sim/sim_clock.h"
#include "sim/sim_random.h"
#include "sim/sim_server.h"

namespace meridian::sim {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kSynced_s = 1e-3;  // "synchronised": |θ| < 1 ms
const net::Endpoint kServer{net::IpAddress::v4({192, 0, 2, 1}), 123};

enum class Expect : uint8_t { kServe, kLimit, kNotJudged };

// A real ClientEngine with its clock; θ statistics from its wake-ups.
struct EngineParts {
  EngineParts(const ClockModel& model, uint64_t clock_seed, uint64_t engine_seed)
      : clock(model, clock_seed), random(engine_seed) {}
  SimClock clock;
  SeededRandom random;
  std::unique_ptr<engine::ClientEngine> engine;
  double scheduled_s = kInf;  // the wake-up in the queue; others are stale
  double last_wake_s = -1;
  int same_wake = 0;
  bool stopped = false;  // panicked (the daemon exited) or woke in a loop
  double first_sync_s = kInf;
  double last_bad_s = -1;  // last sample with |θ| ≥ 1 ms
  double last_sample_s = -1;
  double last_abs_s = kInf;  // |θ| at the last sample
};

struct Client {
  const ClientGroup* group = nullptr;
  net::Endpoint endpoint;
  double start_s = 0;
  DirectionModel out_dir, back_dir;
  std::unique_ptr<LinkDirection> out, back;
  std::unique_ptr<EngineParts> engine;  // engines only
  double offset_s = 0, freq_ppm = 0;    // engines: drawn clock parameters
  std::optional<double> drift_ppm;      // engines: the drift file, if any
  uint32_t flags = 0;                   // the server's restrict flags for it
  Expect expect = Expect::kNotJudged;
  // What the server did with its requests (requests lost on the way out
  // never arrive, so they are not counted here).
  uint64_t sent = 0, arrived = 0, time = 0, kod = 0, no_reply = 0, other = 0;
  double first_refused_s = kInf;  // first request not answered with time
};

// Two queues (wake-ups are small and by far the most frequent), one order:
// (time, insertion order) over both, from one counter.
struct Wake {
  double t;
  uint64_t order;
  uint32_t client;
};
struct Datagram {
  double t;
  uint64_t order;
  uint32_t client;
  bool to_server;
  std::vector<std::byte> bytes;
};
template <typename A, typename B>
bool before(const A& a, const B& b) {
  return a.t != b.t ? a.t < b.t : a.order < b.order;
}
template <typename T>
struct Later {
  bool operator()(const T& a, const T& b) const { return before(b, a); }
};

double draw(SeededRandom& r, const Range& range) {
  const double u = r.next_unit();  // always one draw, so streams stay aligned
  return range.lo + u * (range.hi - range.lo);
}

class ScaleRun {
 public:
  ScaleRun(const Scenario& s, const RunOptions& o);
  RunResult run();

 private:
  void wake(double t, uint32_t c);
  void at_server(double t, uint32_t c, const std::vector<std::byte>& bytes);
  void at_client(double t, uint32_t c, const std::vector<std::byte>& bytes);
  void apply(double t, Client& client, uint32_t c);
  void reschedule(double t, Client& client, uint32_t c);
  void sample(double t, Client& client);
  void push_wake(double t, uint32_t c) { wakes_.push(Wake{t, order_++, c}); }
  void push_datagram(double t, uint32_t c, bool to_server, std::vector<std::byte> bytes) {
    datagrams_.push(Datagram{t, order_++, c, to_server, std::move(bytes)});
  }
  void send(double t, Client& client, uint32_t c, std::vector<std::byte> bytes);
  Metrics finish();

  const Scenario& s_;
  const ScaleModel& scale_;
  const RunOptions& o_;
  uint64_t key_;
  ScaleServer server_;
  std::vector<Client> clients_;
  std::priority_queue<Wake, std::vector<Wake>, Later<Wake>> wakes_;
  std::priority_queue<Datagram, std::vector<Datagram>, Later<Datagram>> datagrams_;
  uint64_t order_ = 0;
  std::vector<engine::Action> actions_;
  std::vector<double> delays_;
  RunResult result_;
  double head_s_, minimum_s_;
  // Pooled over every engine's samples.
  uint64_t samples_ = 0, in_1ms_ = 0, in_100us_ = 0, samples2_ = 0;
  double sum_sq_ = 0, max_abs_ = 0, sum_sq_freq_ = 0;
  uint64_t steps_ = 0, requests_ = 0;
  bool panicked_ = false;
};

ScaleRun::ScaleRun(const Scenario& s, const RunOptions& o)
    : s_(s),
      scale_(*s.scale),
      o_(o),
      key_(hash_key(s.seed_key)),
      server_(s.servers[0], *s.scale, stream_seed(key_, o.seed, Stream::kScaleServer, 0),
              stream_seed(key_, o.seed, Stream::kScaleServer, 1)) {
  const auto& discard = scale_.server_config.discard;
  head_s_ = std::ldexp(1.0, std::clamp(discard.average_log2, 0, 17));
  minimum_s_ = std::max(discard.minimum_s, 0);
  size_t total = 0;
  for (const auto& g : scale_.groups) total += static_cast<size_t>(g.count);
  clients_.resize(total);  // never resized again: LinkDirections point into it

  uint32_t k = 0;
  for (const auto& g : scale_.groups) {
    for (int member = 0; member < g.count; ++member, ++k) {
      Client& c = clients_[k];
      c.group = &g;
      SeededRandom setup(stream_seed(key_, o.seed, Stream::kScaleSetup, k));
      c.start_s = draw(setup, Range{g.start.from_s, g.start.until_s});
      const double delay = draw(setup, g.delay_s);
      const double offset = draw(setup, g.offset_s);
      const double freq = draw(setup, g.freq_ppm);
      const double drift_error = draw(setup, g.drift_error_ppm.value_or(Range{}));
      const uint32_t address = g.first_address.v4_value() + static_cast<uint32_t>(member);
      c.endpoint.address = net::IpAddress::v4(
          {static_cast<uint8_t>(address >> 24), static_cast<uint8_t>(address >> 16),
           static_cast<uint8_t>(address >> 8), static_cast<uint8_t>(address)});
      // ntpd sends from port 123; a script from an ephemeral port.
      c.endpoint.port = g.kind == ClientGroup::Kind::kEngine
                            ? uint16_t{123}
                            : static_cast<uint16_t>(32768 + member % 28000);
      c.out_dir = DirectionModel{delay, g.link.out.jitter};
      c.back_dir = DirectionModel{delay, g.link.back.jitter};
      c.out = std::make_unique<LinkDirection>(g.link, c.out_dir,
                                              stream_seed(key_, o.seed, Stream::kScaleLinkOut, k));
      c.back = std::make_unique<LinkDirection>(
          g.link, c.back_dir, stream_seed(key_, o.seed, Stream::kScaleLinkBack, k));
      c.flags = server_.flags_for(c.endpoint);

      double spacing_s = g.interval_s;
      if (g.kind == ClientGroup::Kind::kEngine) {
        spacing_s = std::ldexp(1.0, std::clamp(g.client.minpoll, 3, 17));
        ClientModel client_model = g.client;
        ClockModel clock = g.client.clock;
        clock.offset_s = offset;
        clock.freq_ppm = freq;
        c.engine =
            std::make_unique<EngineParts>(clock, stream_seed(key_, o.seed, Stream::kScaleClock, k),
                                          stream_seed(key_, o.seed, Stream::kScaleEngine, k));
        // A drift file: the engine starts with it as its frequency correction.
        std::optional<double> drift = g.client.drift_ppm;
        if (g.drift_error_ppm) drift = -freq + drift_error;
        if (drift) c.engine->clock.set_correction_ppm(0, *drift);
        client_model.drift_ppm = drift;
        c.offset_s = offset;
        c.freq_ppm = freq;
        c.drift_ppm = drift;
        c.engine->engine = std::make_unique<engine::ClientEngine>(
            engine_config(client_model, {kServer}, {"server"}, o.algorithm), c.engine->random,
            c.start_s);
        reschedule(c.start_s, c, k);
      } else {
        push_wake(c.start_s, k);
      }
      // Who must be answered, who must be limited (see scale_run.h).
      const bool compliant = spacing_s >= std::max(head_s_, minimum_s_);
      const bool abusive = spacing_s < head_s_ - 2 || std::floor(spacing_s + 0.5) + 1 < minimum_s_;
      const bool limited = (c.flags & config::kLimited) != 0;
      if (compliant || (abusive && !limited)) {
        c.expect = Expect::kServe;
      } else if (abusive) {
        c.expect = Expect::kLimit;
      }
    }
  }
}

void ScaleRun::sample(double t, Client& client) {
  auto& e = *client.engine;
  const double theta = -e.clock.error_s(t);
  const double a = std::fabs(theta);
  ++samples_;
  e.last_sample_s = t;
  e.last_abs_s = a;
  if (a < kSynced_s) {
    ++in_1ms_;
    e.first_sync_s = std::min(e.first_sync_s, t);
  } else {
    e.last_bad_s = t;
  }
  if (a < 1e-4) ++in_100us_;
  if (t >= s_.duration_s / 2) {
    ++samples2_;
    sum_sq_ += theta * theta;
    max_abs_ = std::max(max_abs_, a);
    const double f = e.clock.frequency_error_ppm(t);
    sum_sq_freq_ += f * f;
  }
}

void ScaleRun::send(double t, Client& client, uint32_t c, std::vector<std::byte> bytes) {
  ++client.sent;
  ++requests_;
  client.out->transit(t, delays_);
  for (size_t i = 0; i < delays_.size(); ++i) {
    push_datagram(t + delays_[i], c, true, i + 1 < delays_.size() ? bytes : std::move(bytes));
  }
}

void ScaleRun::apply(double t, Client& client, uint32_t c) {
  auto& e = *client.engine;
  for (auto& action : actions_) {
    if (auto* req = std::get_if<engine::SendRequest>(&action)) {
      send(t, client, c, std::move(req->bytes));
    } else if (const auto* step = std::get_if<engine::StepClock>(&action)) {
      e.clock.step(t, step->by_s);
      ++steps_;
    } else if (const auto* freq = std::get_if<engine::SetFrequency>(&action)) {
      e.clock.set_correction_ppm(t, freq->ppm);
    } else if (std::holds_alternative<engine::Panic>(action)) {
      e.stopped = true;  // the daemon exits; its clock free-runs
      panicked_ = true;
    } else if (const auto* log = std::get_if<engine::LogEvent>(&action)) {
      if (o_.verbose && log->level != engine::LogEvent::Level::kInfo)
        fmt::print(stderr, "[seed {} t={:.3f} {}] {}\n", o_.seed, t,
                   client.endpoint.address.to_string(), log->text);
    }
  }
  actions_.clear();
}

void ScaleRun::reschedule(double t, Client& client, uint32_t c) {
  auto& e = *client.engine;
  const double w = e.stopped ? kInf : std::max(e.engine->next_wakeup_s(), t);
  if (w == e.scheduled_s) return;
  e.scheduled_s = w;
  if (w < kInf) push_wake(w, c);
}

void ScaleRun::wake(double t, uint32_t c) {
  Client& client = clients_[c];
  if (!client.engine) {  // a generator: a bare mode-3 request, then the next one
    wire::NtpHeader request;
    request.mode = wire::Mode::kClient;
    request.version = 4;
    request.transmit = to_ntp(t).to_timestamp();
    std::vector<std::byte> bytes;
    wire::serialize_header(request, bytes);
    send(t, client, c, std::move(bytes));
    push_wake(t + client.group->interval_s, c);
    return;
  }
  auto& e = *client.engine;
  if (e.stopped || t != e.scheduled_s) return;  // stale entry
  e.scheduled_s = kInf;
  // Guard against an engine that keeps asking for the same instant.
  e.same_wake = t == e.last_wake_s ? e.same_wake + 1 : 0;
  e.last_wake_s = t;
  if (e.same_wake > 1000) {
    fmt::print(stderr, "meridian-sim: engine {} wakes at t={} forever (seed {}); stopped\n",
               client.endpoint.address.to_string(), t, o_.seed);
    e.stopped = true;
    return;
  }
  sample(t, client);
  e.engine->on_timer(t, e.clock.read(t), actions_);
  apply(t, client, c);
  reschedule(t, client, c);
}

void ScaleRun::at_server(double t, uint32_t c, const std::vector<std::byte>& bytes) {
  Client& client = clients_[c];
  auto handled = server_.handle(t, bytes, client.endpoint);
  using Fate = ScaleServer::Fate;
  if (handled.fate == Fate::kDown) return;
  ++client.arrived;
  if (handled.fate != Fate::kTime) client.first_refused_s = std::min(client.first_refused_s, t);
  switch (handled.fate) {
    case Fate::kTime:
      ++client.time;
      break;
    case Fate::kKissRate:
      ++client.kod;
      break;
    case Fate::kNoReply:
      ++client.no_reply;
      return;
    case Fate::kOtherReply:
      ++client.other;
      break;
    case Fate::kDown:
      return;
  }
  if (!client.engine) return;  // generators do not read replies
  const double leave = t + server_.hold_s();
  client.back->transit(leave, delays_);
  for (double d : delays_) push_datagram(leave + d, c, false, handled.reply);
}

void ScaleRun::at_client(double t, uint32_t c, const std::vector<std::byte>& bytes) {
  Client& client = clients_[c];
  auto& e = *client.engine;
  if (e.stopped) return;
  e.engine->on_packet(kServer, bytes, e.clock.read(t), t, actions_);
  apply(t, client, c);
  reschedule(t, client, c);
}

RunResult ScaleRun::run() {
  while (!wakes_.empty() || !datagrams_.empty()) {
    const bool wake_first =
        !wakes_.empty() && (datagrams_.empty() || before(wakes_.top(), datagrams_.top()));
    if ((wake_first ? wakes_.top().t : datagrams_.top().t) > s_.duration_s) break;
    ++result_.events;
    if (wake_first) {
      const Wake w = wakes_.top();
      wakes_.pop();
      wake(w.t, w.client);
      continue;
    }
    Datagram d = std::move(const_cast<Datagram&>(datagrams_.top()));
    datagrams_.pop();
    if (d.to_server) {
      at_server(d.t, d.client, d.bytes);
    } else {
      at_client(d.t, d.client, d.bytes);
    }
  }
  result_.metrics = finish();
  return std::move(result_);
}

Metrics ScaleRun::finish() {
  Metrics m{};
  for (const auto& info : metric_table()) m.*info.field = NAN;
  const double n = static_cast<double>(samples_);
  m.within_1ms = samples_ ? static_cast<double>(in_1ms_) / n : NAN;
  m.within_100us = samples_ ? static_cast<double>(in_100us_) / n : NAN;
  const double n2 = static_cast<double>(samples2_);
  m.rms_offset_s = samples2_ ? std::sqrt(sum_sq_ / n2) : NAN;
  m.max_offset_s = samples2_ ? max_abs_ : NAN;
  m.peak_offset_s = NAN;  // not pooled over engines
  m.rms_freq_ppm = samples2_ ? std::sqrt(sum_sq_freq_ / n2) : NAN;
  m.falseticker_followed = 0;
  m.panicked = panicked_ ? 1 : 0;
  m.steps = static_cast<double>(steps_);
  m.requests = static_cast<double>(requests_);

  std::vector<double> sync;
  double clients = 0, unsynced = 0, unsynced_end = 0, settle_max = 0;
  double refused = 0, kod_compliant = 0, unlimited = 0, over = 0, abuser_max = 0;
  double caught_max = NAN;
  uint64_t abuser_arrived = 0, abuser_time = 0;
  for (const auto& c : clients_) {
    if (c.engine) {
      const auto& e = *c.engine;
      clients += 1;
      if (!(e.last_abs_s < kSynced_s)) {
        unsynced_end += 1;
        if (o_.verbose)
          fmt::print(stderr,
                     "[seed {}] {} out of sync at the end: |offset| {:.6f} s; started at {:.1f} s "
                     "{:+.4f} s off, {:+.3f} ppm, drift file {}, delay {:.6f} s\n",
                     o_.seed, c.endpoint.address.to_string(), e.last_abs_s, c.start_s, c.offset_s,
                     c.freq_ppm, c.drift_ppm ? fmt::format("{:+.3f} ppm", *c.drift_ppm) : "none",
                     c.out_dir.base_delay_s);
      }
      if (e.first_sync_s == kInf) {
        unsynced += 1;
        sync.push_back(kInf);
      } else {
        sync.push_back(e.first_sync_s - c.start_s);
      }
      // Stayed within 1 ms from the sample after its last bad one.
      const double settle = e.last_bad_s < 0                  ? 0
                            : e.last_bad_s >= e.last_sample_s ? kInf
                                                              : e.last_bad_s - c.start_s;
      settle_max = std::max(settle_max, settle);
    }
    if (c.expect == Expect::kServe) {
      refused += static_cast<double>(c.arrived - c.time);
      kod_compliant += static_cast<double>(c.kod);
    } else if (c.expect == Expect::kLimit) {
      abuser_arrived += c.arrived;
      abuser_time += c.time;
      abuser_max = std::max(abuser_max, static_cast<double>(c.time));
      if (c.kod + c.no_reply == 0) unlimited += 1;
      const double caught = c.first_refused_s - c.start_s;
      caught_max = std::isnan(caught_max) ? caught : std::max(caught_max, caught);
      const double active_s = s_.duration_s - c.start_s;
      const double limit_s = 8 * head_s_;
      const double replies_bound =
          head_s_ > 2 ? std::floor((limit_s + head_s_ + active_s) / (head_s_ - 2)) + 1 : kInf;
      const double kod_bound = std::floor(active_s / head_s_) + 1;
      const bool kod_flag = (c.flags & config::kKod) != 0;
      const bool wrong_kod = kod_flag ? c.kod == 0 : c.kod != 0;
      if (static_cast<double>(c.time) > replies_bound || static_cast<double>(c.kod) > kod_bound ||
          wrong_kod || c.other != 0)
        over += 1;
    }
  }
  m.clients = clients;
  m.unsynced_clients = unsynced;
  m.unsynced_at_end = unsynced_end;
  if (!sync.empty()) {
    std::sort(sync.begin(), sync.end());
    const size_t h = sync.size() / 2;
    m.sync_median_s = sync.size() % 2 ? sync[h] : (sync[h - 1] + sync[h]) / 2;
    m.sync_max_s = sync.back();
    m.settle_max_s = settle_max;
  }
  m.refused_compliant = refused;
  m.kod_to_compliant = kod_compliant;
  m.unlimited_abusers = unlimited;
  m.abusers_over_bound = over;
  m.abuser_replies_max = abuser_max;
  m.abuser_caught_max_s = caught_max;
  m.abuser_answered =
      abuser_arrived ? static_cast<double>(abuser_time) / static_cast<double>(abuser_arrived) : NAN;
  std::vector<std::string> failures;
  m.counter_mismatches = server_.counter_mismatches(&failures);
  for (const auto& f : failures)
    fmt::print(stderr, "meridian-sim: {} seed {}: counter mismatch: {}\n", s_.stem, o_.seed, f);
  const auto& core = server_.core();
  using O = server::Outcome;
  m.server_received = static_cast<double>(core.received());
  m.server_replied = static_cast<double>(core.count(O::kReplied));
  m.server_kod = static_cast<double>(core.count(O::kKissRate));
  m.server_rate_dropped = static_cast<double>(core.count(O::kDroppedRateLimited));
  m.server_peak_rate = static_cast<double>(server_.peak_rate());
  m.mru_peak = static_cast<double>(server_.mru_peak());
  m.mru_recycled = static_cast<double>(core.limiter().mru().recycled());
  return m;
}

}  // namespace

RunResult run_scale(const Scenario& scenario, const RunOptions& options) {
  ScaleRun run(scenario, options);
  return run.run();
}

}  // namespace meridian::sim
