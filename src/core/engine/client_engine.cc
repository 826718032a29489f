#include "core/engine/client_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/source/exchange.h"
#include "core/wire/ntp_packet.h"

namespace meridian::engine {

namespace {

constexpr double kTick_s = 1.0;  // discipline tick (frequency steering)
// Polls (an iburst counts as one) a server gets to answer before start-up
// stops waiting for it (see reselect).
constexpr int kStartupPolls = 4;
constexpr double kMinDispersion_s = 0.005;  // MINDISP (RFC 5905 §7.2)
// The clock filter's staleness rate, in standard errors of the discipline's
// frequency (ClockFilter::set_staleness_rate). Empirical, from meridian-sim
// over 40 seeds: 2–8 all remove the start-up starvation (scenario 09: max |θ|
// in 15 min 0.2–0.8 ms → 0.08–0.25 ms); 4 also gave the lowest RMS offset
// on the LAN scenarios (01: 28.3 → 24.7 µs, 03: 28.0 → 24.8 µs) without
// costing the 1 ms-jitter paths (05, 06), where the delay spread dwarfs it.
constexpr double kStalenessSigmas = 4;
// The RFC 5905 baseline's filter: samples older than the reference ntpd's
// Allan intercept (CLOCK_ALLAN = 2^11 s) rank after younger ones.
constexpr double kRfcFilterAge_s = 2048;

using LogLevel = LogEvent::Level;
using auth::ClientKeys;

void log(std::vector<Action>& out, LogLevel level, std::string text) {
  out.push_back(LogEvent{level, std::move(text)});
}

}  // namespace

ClientEngine::ClientEngine(ClientConfig config, RandomSource& random, double now_s)
    : config_(std::move(config)), random_(random), leap_(config_.clock_applies_leap) {
  leap_.set_table(config_.leap_table);
  discipline_ = config_.use_rfc5905_discipline
                    ? discipline::make_rfc5905_discipline(config_.discipline)
                    : discipline::make_meridian_discipline(config_.discipline);
  system_.server = server::ServerView::unsynchronised(config_.precision);
  for (const auto& s : config_.servers) add_server(s, now_s);
  next_tick_s_ = now_s + kTick_s;
}

ClientEngine::~ClientEngine() = default;

std::optional<size_t> ClientEngine::add_server(const source::AssociationOptions& options,
                                               double now_s) {
  // A second association to the same server would send its own requests and
  // never match a reply (on_packet hands each reply to the first one).
  for (const auto& a : associations_) {
    if (a && a->options().endpoint == options.endpoint) return std::nullopt;
  }
  associations_.push_back(std::make_unique<source::Association>(options, now_s, random_));
  // The reference ntpd's filter goes with its discipline (ClockFilter::set_age_limit).
  if (config_.use_rfc5905_discipline) associations_.back()->set_filter_age_limit(kRfcFilterAge_s);
  tally_.push_back(select::Tally::kReject);
  in_loop_.push_back(false);
  auth_.emplace_back();
  if (options.key_id) auth_.back().emplace(*options.key_id);
  nts_.emplace_back();
  nts_last_.emplace_back();
  if (options.nts && config_.nts_aead) nts_.back() = std::make_unique<NtsSource>(*config_.nts_aead);
  if (options.nts && !config_.nts_aead) nts_unavailable_.push_back(associations_.size() - 1);
  return associations_.size() - 1;
}

void ClientEngine::set_own_addresses(std::span<const net::IpAddress> addresses) {
  own_refids_.clear();
  for (const auto& a : addresses) {
    const bool loopback =
        a.family() == net::Family::kIPv4
            ? a.bytes()[0] == 127
            : a == net::IpAddress::v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    if (!loopback) own_refids_.push_back(refid_for(a));
  }
}

void ClientEngine::remove_server(size_t id, double now_s, time::NtpTime clock_now,
                                 std::vector<Action>& out) {
  if (id >= associations_.size() || !associations_[id]) return;
  log(out, LogLevel::kNotice,
      fmt::format("server {} removed", associations_[id]->options().endpoint.to_string()));
  associations_[id].reset();
  nts_[id].reset();
  tally_[id] = select::Tally::kReject;
  if (system_peer_ == id) reselect(now_s, clock_now, out);
}

size_t ClientEngine::expected_voters(double now_s) const {
  size_t n = 0;
  for (size_t i = 0; i < associations_.size(); ++i) {
    const auto& a = associations_[i];
    if (!a || in_loop_[i]) continue;  // no vote for a server that follows us
    const auto v = a->view(now_s);
    if (v.stopped) continue;
    // An NTS server whose handshakes keep failing may never answer.
    if (nts_[i] && !v.last_sample && nts_[i]->view().ke_failures >= 2) continue;
    if (v.last_sample || v.unreach < kStartupPolls) ++n;
  }
  return n;
}

size_t ClientEngine::live_count() const {
  return static_cast<size_t>(std::count_if(associations_.begin(), associations_.end(),
                                           [](const auto& a) { return a != nullptr; }));
}

bool ClientEngine::has_server(size_t id) const {
  return id < associations_.size() && associations_[id] != nullptr;
}

double ClientEngine::next_wakeup_s() const {
  double next = next_tick_s_;
  for (size_t i = 0; i < associations_.size(); ++i) {
    if (!associations_[i]) continue;
    // An NTS association without keys does not poll; its handshake may be due.
    if (nts_[i] && nts_[i]->needs_key_exchange())
      next = std::min(next, nts_[i]->next_key_exchange_s());
    else
      next = std::min(next, associations_[i]->next_poll_s());
  }
  return next;
}

void ClientEngine::on_timer(double now_s, time::NtpTime clock_now, std::vector<Action>& out) {
  for (size_t i = 0; i < associations_.size(); ++i) {
    if (!associations_[i]) continue;  // removed
    auto& a = *associations_[i];
    if (nts_[i] || (a.options().nts && !config_.nts_aead)) {
      if (nts_wait_for_keys(i, now_s, clock_now, out)) continue;
    }
    if (now_s < a.next_poll_s()) continue;
    // RFC 9109 §3 / chrony, ntpd-rs: the transmit field is 64 random bits,
    // so an off-path attacker cannot guess the origin a reply must echo;
    // T1, our real send time, stays local. (Never zero: zero means "none".)
    uint64_t nonce = random_.next_u64();
    if (nonce == 0) nonce = 1;
    const wire::NtpHeader request =
        a.make_request(clock_now.to_timestamp(), now_s, time::NtpTimestamp::from_raw(nonce));
    SendRequest send;
    send.association = i;
    send.to = a.options().endpoint;
    wire::serialize_header(request, send.bytes);
    if (nts_[i] ? nts_request(i, send.bytes, out) : sign_request(i, send.bytes, out))
      out.push_back(std::move(send));
    const auto v = a.view(now_s);
    if (v.reach == 0 && v.unreach == 8) {
      log(out, LogLevel::kWarning,
          fmt::format("server {} unreachable", a.options().endpoint.address.to_string()));
    }
  }
  if (now_s >= next_tick_s_) {
    next_tick_s_ = now_s + kTick_s;
    leap_tick(now_s, clock_now, out);
    if (config_.discipline_clock && system_peer_) apply(discipline_->tick(now_s), out);
    // A system peer that stopped answering must not be followed forever.
    if (system_peer_ && associations_[*system_peer_]->view(now_s).reach == 0)
      reselect(now_s, clock_now, out);
  }
}

bool ClientEngine::on_packet(const net::Endpoint& from, std::span<const std::byte> bytes,
                             time::NtpTime rx, double now_s, std::vector<Action>& out) {
  auto header = wire::parse_header(bytes);
  if (!header || header->mode != wire::Mode::kServer) return false;
  for (auto& a : associations_) {
    if (!a || a->options().endpoint != from) continue;
    // A keyed association takes only replies signed with its key (before any
    // other test: an unauthenticated KoD must not stop it either).
    const size_t id = static_cast<size_t>(&a - associations_.data());
    if (nts_[id] ? !nts_reply_authentic(id, bytes, out) : !reply_authentic(id, bytes, out))
      return true;
    const source::Evaluation e =
        source::evaluate_reply(*header, a->pending(), rx.to_timestamp(), config_.precision);
    const std::string addr = from.address.to_string();
    switch (source::action_for(e.verdict)) {
      case source::ServerAction::kBackOff:
        log(out, LogLevel::kNotice,
            fmt::format("server {} sent kiss-o'-death RATE; polling less often", addr));
        break;
      case source::ServerAction::kStopUsing:
        log(out, LogLevel::kWarning,
            fmt::format("server {} sent kiss-o'-death {}; no longer using it", addr, e.kiss_code));
        break;
      default:
        break;
    }
    if (e.verdict == source::Verdict::kAccepted) {
      // An exchange around the leap measured across a 1 s step (ours or the
      // server's): drop it rather than hold a 1 s spike for the stepout.
      const double rx_s = static_cast<double>(rx.seconds_since_1900());
      const auto& p = a->pending();
      const auto t1 = time::NtpTime::from_timestamp(
          p.local_transmit.is_zero() ? p.transmit : p.local_transmit, rx);
      if (leap_.straddles_leap(rx_s + (t1 - rx).to_seconds()) || leap_.straddles_leap(rx_s)) {
        log(out, LogLevel::kInfo,
            fmt::format("reply from {} straddles the leap second; ignored", addr));
        return true;
      }
    }
    if (a->on_reply(e, now_s)) reselect(now_s, rx, out);
    return true;
  }
  return false;
}

bool ClientEngine::on_reply(size_t association, const net::Endpoint& from,
                            std::span<const std::byte> bytes, time::NtpTime rx, double now_s,
                            std::vector<Action>& out) {
  if (!has_server(association) || associations_[association]->options().endpoint != from)
    return false;
  // Endpoints are unique (add_server), so on_packet finds this association.
  return on_packet(from, bytes, rx, now_s, out);
}

void ClientEngine::on_clock_write(const Status& result, std::vector<Action>& out) {
  if (!result) {
    if (!clock_write_error_) {
      log(out, LogLevel::kError,
          fmt::format("cannot adjust the clock: {}; serving and reporting unsynchronised until a "
                      "clock write succeeds",
                      result.error().message));
    }
    clock_write_error_ = result.error().message;
  } else if (clock_write_error_) {
    clock_write_error_.reset();
    log(out, LogLevel::kNotice, "the clock can be adjusted again; synchronisation restored");
  }
}

bool ClientEngine::sign_request(size_t id, std::vector<std::byte>& bytes,
                                std::vector<Action>& out) {
  if (!auth_[id]) return true;
  auth::ClientAuthState& state = *auth_[id];
  const ClientKeys& k = config_.keys;
  Result<std::vector<std::byte>> signed_bytes =
      k.usable() ? auth::sign_request(bytes, state.key_id(), *k.keys, *k.engine)
                 : make_error(ErrorCode::kInvalidArgument, "no key store");
  if (signed_bytes) {
    bytes = std::move(*signed_bytes);
    return true;
  }
  // Classic peer_xmit: no usable key, no request (never an unsigned one).
  const std::string server = associations_[id]->options().endpoint.address.to_string();
  if (auto line = state.record(auth::ClientAuth::kKeyUnavailable, server))
    log(out, LogLevel::kWarning, std::move(*line));
  return false;
}

bool ClientEngine::reply_authentic(size_t id, std::span<const std::byte> bytes,
                                   std::vector<Action>& out) {
  if (!auth_[id]) return true;
  auth::ClientAuthState& state = *auth_[id];
  const ClientKeys& k = config_.keys;
  const auth::ClientAuth verdict =
      k.usable() ? auth::verify_reply(bytes, state.key_id(), *k.keys, *k.engine)
                 : auth::ClientAuth::kKeyUnavailable;
  // Our key went away (reload) while a request was out: sign_request counts that.
  if (verdict == auth::ClientAuth::kKeyUnavailable) return false;
  const std::string server = associations_[id]->options().endpoint.address.to_string();
  if (auto line = state.record(verdict, server)) {
    log(out, verdict == auth::ClientAuth::kOk ? LogLevel::kNotice : LogLevel::kWarning,
        std::move(*line));
  }
  return verdict == auth::ClientAuth::kOk;
}

void ClientEngine::reselect(double now_s, time::NtpTime clock_now, std::vector<Action>& out) {
  std::vector<select::Candidate> candidates;
  for (size_t i = 0; i < associations_.size(); ++i) {
    if (!associations_[i]) continue;
    const auto v = associations_[i]->view(now_s);
    if (!v.filter || !v.last_sample || v.stopped) continue;
    // Stratum ≥ 2: the refid is the server's own upstream (RFC 5905 §7.3).
    const bool loop =
        v.last_sample->stratum >= 2 && std::find(own_refids_.begin(), own_refids_.end(),
                                                 v.last_sample->reference_id) != own_refids_.end();
    if (loop != in_loop_[i]) {
      in_loop_[i] = loop;
      const std::string addr = associations_[i]->options().endpoint.address.to_string();
      log(out, loop ? LogLevel::kWarning : LogLevel::kNotice,
          loop ? fmt::format("server {} is synchronised to us (timing loop): not selectable", addr)
               : fmt::format("server {} no longer synchronised to us", addr));
    }
    if (loop) continue;
    const double offset = v.filter->offset_s;
    select::Candidate c;
    c.id = i;
    c.offset_s = offset;
    c.jitter_s = std::max(v.filter->jitter_s, std::ldexp(1.0, config_.precision));
    const double half_delay_s =
        std::max(kMinDispersion_s, v.last_sample->root_delay_s + v.filter->delay_s) / 2;
    c.root_distance_s =
        half_delay_s + v.last_sample->root_dispersion_s + v.filter->dispersion_s + c.jitter_s;
    c.interval_s = half_delay_s + v.last_sample->root_dispersion_s + v.filter->sample_dispersion_s +
                   c.jitter_s;
    c.stratum = v.last_sample->stratum;
    c.prefer = associations_[i]->options().prefer;
    c.noselect = associations_[i]->options().noselect;
    c.true_ticker = associations_[i]->options().true_ticker;
    c.reachable = v.reach != 0;
    candidates.push_back(c);
  }
  const select::Selection sel = select::select_sources(candidates, config_.select, system_peer_);
  std::fill(tally_.begin(), tally_.end(), select::Tally::kReject);
  for (size_t k = 0; k < candidates.size(); ++k) tally_[candidates[k].id] = sel.tally[k];

  update_leap_vote(candidates, sel, now_s);
  const auto previous = system_peer_;
  system_peer_ = sel.system_peer;
  // At start-up, wait until the servers that agree (the truechimers) are a
  // majority of the servers that may still answer: iburst replies arrive
  // within milliseconds of each other, and neither the first reply alone nor
  // a clique of liars that happened to answer first may step the clock.
  // Counting answers (or voters, falsetickers included) instead let two
  // agreeing falsetickers and one good server of five step us to the
  // falsetickers (scenario 11e). A server that has not answered its first
  // kStartupPolls polls no longer counts, so a dead one cannot block us.
  const auto truechimers =
      static_cast<size_t>(std::count_if(sel.tally.begin(), sel.tally.end(), [](select::Tally t) {
        return t != select::Tally::kReject && t != select::Tally::kFalseticker;
      }));
  if (!ever_synchronised_ && truechimers * 2 <= expected_voters(now_s)) system_peer_.reset();
  if (system_peer_ && !ever_synchronised_) {
    ever_synchronised_ = true;
    // Keys from handshakes that could not check certificate validity
    // periods (the clock was not trusted yet) are replaced now that it is.
    for (size_t i = 0; i < nts_.size(); ++i) {
      if (nts_[i] && nts_[i]->require_strict()) {
        log(out, LogLevel::kNotice,
            fmt::format("NTS: clock synchronised; checking {}'s certificate again, with its "
                        "validity period",
                        associations_[i]->options().name));
      }
    }
  }
  if (!system_peer_) {
    if (previous) {
      log(out, LogLevel::kWarning, "lost synchronisation: no suitable server");
      system_.server = server::ServerView::unsynchronised(config_.precision);
      system_.system_peer.reset();
    }
    return;
  }
  auto& peer = *associations_[*system_peer_];
  const auto pv = peer.view(now_s);
  if (previous != system_peer_) {
    log(out, LogLevel::kNotice,
        fmt::format("synchronised to {} stratum {}", peer.options().endpoint.address.to_string(),
                    pv.last_sample->stratum));
  }
  system_.offset_s = sel.offset_s;
  system_.system_jitter_s = sel.jitter_s;
  // Feed the discipline only with estimates newer than the last one used.
  if (pv.filter->time_s > last_update_s_) {
    last_update_s_ = pv.filter->time_s;
    if (config_.discipline_clock)
      apply(discipline_->update(sel.offset_s, sel.jitter_s, now_s, pv.filter->time_s), out);
  }
  // RFC 5905 §11.2.3 clock_update: we are one stratum below our peer.
  server::ServerView v;
  // The LI we serve comes from the leap decision (leapfile / survivors'
  // majority, last day only), not from the system peer alone.
  v.leap = leap_.indicator(clock_now.seconds_since_1900());
  v.stratum = static_cast<uint8_t>(
      std::min<int>(pv.last_sample->stratum + 1, server::kStratumUnsynchronised));
  v.precision = config_.precision;
  v.reference_id = refid_for(peer.options().endpoint.address);
  // If the update stepped the clock, "now" moved with it: the reference time
  // must not lie in the future of our next transmit timestamp, and the
  // offset left to correct is what remains after the step.
  const double stepped_s = sel.offset_s - system_.offset_s;
  v.reference_time = clock_now + time::NtpDuration::from_seconds(stepped_s);
  v.root_delay_s = pv.last_sample->root_delay_s + pv.filter->delay_s;
  v.root_dispersion_s = pv.last_sample->root_dispersion_s + pv.filter->dispersion_s +
                        std::max(sel.jitter_s, std::ldexp(1.0, config_.precision)) +
                        std::fabs(system_.offset_s);
  if (!config_.discipline_clock) v = server::ServerView::unsynchronised(config_.precision);
  system_.server = v;
  system_.system_peer = system_peer_;
  system_.discipline = discipline_->state();
  // Stored filter samples go stale at the rate our frequency is uncertain
  // (s/s, kStalenessSigmas standard errors): right after start-up a drift
  // file or an iburst leaves it at ~1 ppm, and a burst's minimum-delay
  // sample would otherwise stay the filter's output, starving the
  // discipline of new data for ~8 polls while the clock runs on a 1 ppm
  // wrong frequency (0.5–0.8 ms by 8 min at poll 64 s). Once the frequency
  // is known to ~0.01 ppm the penalty is a few µs per poll of age and the
  // filter is back to (nearly) minimum delay.
  const double staleness_rate = kStalenessSigmas * system_.discipline.frequency_sigma_ppm * 1e-6;
  for (auto& a : associations_) {
    if (a) {
      a->set_poll(system_.discipline.poll_log2);
      a->set_staleness_rate(staleness_rate);
    }
  }
  system_.poll_log2 = system_.discipline.poll_log2;
}

void ClientEngine::apply(const discipline::ClockAdjustment& adj, std::vector<Action>& out) {
  using Kind = discipline::ClockAdjustment::Kind;
  switch (adj.kind) {
    case Kind::kNone:
      return;
    case Kind::kPanic:
      out.push_back(Panic{system_.offset_s});
      return;
    case Kind::kStep:
      out.push_back(StepClock{adj.step_s});
      // Samples taken before the step measured the clock before it moved.
      for (auto& a : associations_) {
        if (a) a->on_clock_adjusted(adj.step_s);
      }
      system_.offset_s -= adj.step_s;
      system_.server.reference_time =
          system_.server.reference_time + time::NtpDuration::from_seconds(adj.step_s);
      // "time stepped by" is logged by whoever carries the step out, once it
      // did (on_clock_write tells the engine when it did not).
      out.push_back(SetFrequency{adj.frequency_ppm});
      return;
    case Kind::kSlew:
      out.push_back(SetFrequency{adj.frequency_ppm});
      return;
  }
}

SystemView ClientEngine::system(double now_s) const {
  (void)now_s;
  SystemView s = system_;
  s.discipline = discipline_->state();
  s.leap = leap_.status(clock_ntp_s_);
  s.leap_table = leap_.table();
  s.clock_ntp_s = clock_ntp_s_;
  s.clock_write_failed = clock_write_error_.has_value();
  if (clock_write_error_) {
    // The clock did not follow (on_clock_write): whatever the sources say,
    // we cannot vouch for it.
    s.server = server::ServerView::unsynchronised(config_.precision);
    s.system_peer.reset();
  }
  return s;
}

void ClientEngine::set_leap_table(std::optional<leap::LeapTable> table) {
  leap_.set_table(std::move(table));
}

void ClientEngine::update_leap_vote(const std::vector<select::Candidate>& candidates,
                                    const select::Selection& sel, double now_s) {
  leap::UpstreamVote vote;
  for (size_t k = 0; k < candidates.size(); ++k) {
    const auto t = sel.tally[k];
    if (t != select::Tally::kCandidate && t != select::Tally::kBackup &&
        t != select::Tally::kSystemPeer)
      continue;
    const auto v = associations_[candidates[k].id]->view(now_s);
    ++vote.survivors;
    if (v.last_sample->leap == wire::LeapIndicator::kInsertSecond) ++vote.insert;
    if (v.last_sample->leap == wire::LeapIndicator::kDeleteSecond) ++vote.remove;
  }
  leap_.set_vote(vote);
}

void ClientEngine::leap_tick(double now_s, time::NtpTime clock_now, std::vector<Action>& out) {
  clock_ntp_s_ = clock_now.seconds_since_1900();
  const auto u = leap_.on_clock(clock_ntp_s_);
  for (const auto& line : u.log) log(out, LogLevel::kNotice, line);
  if (u.arm) out.push_back(ArmLeap{*u.arm});
  if (u.step_s != 0) {
    // Our clock and the servers' moved together: stored samples stay valid.
    out.push_back(StepClock{u.step_s, true});
    clock_ntp_s_ += static_cast<int64_t>(u.step_s);
  }
  if (system_peer_ && system_.server.synchronised())
    system_.server.leap = leap_.indicator(clock_ntp_s_);
  // Stepping the leap ourselves: tick right when it is due (plus 1 ms for
  // a clock running up to 500 ppm slow), not up to a tick late.
  if (const auto due = leap_.engine_step_due_ntp_s()) {
    const double to_due_s = (clock_now - time::NtpTime::from_parts(*due, 0)).to_seconds() * -1.0;
    if (to_due_s > 0 && to_due_s < kTick_s) next_tick_s_ = now_s + to_due_s + 1e-3;
  }
}

std::vector<PeerView> ClientEngine::peers(double now_s) const {
  std::vector<PeerView> out;
  for (size_t i = 0; i < associations_.size(); ++i) {
    if (!associations_[i]) continue;
    out.push_back(PeerView{i, associations_[i]->options(), associations_[i]->view(now_s), tally_[i],
                           associations_[i]->filter().stages(), std::nullopt});
    if (auth_[i]) out.back().auth = auth_[i]->view();
    if (nts_[i]) out.back().nts = nts_[i]->view();
  }
  return out;
}

}  // namespace meridian::engine
