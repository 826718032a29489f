// The one server of a scale scenario (issue 6 scenario 8): the real server
// pipeline, server::ServerCore (restrict table → access decision → MRU table
// and rate limiter → RATE KoD or drop → RFC 5905 answer), configured by the
// scenario's ntp.conf `conf` lines and fed the simulated datagrams. Its clock
// is a SimClock; T2 is the clock read at arrival and T3 = T2 + hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/net/address.h"
#include "core/server/server_core.h"
#include "sim/scenario.h"
#include "sim/sim_clock.h"

namespace meridian::sim {

class ScaleServer {
 public:
  // What became of one request, read from the reply itself (not from the
  // core's counters, so the counters can be checked against it).
  // kDown: the server was down (a `down` window); the core never saw it.
  enum class Fate { kTime, kKissRate, kOtherReply, kNoReply, kDown };
  struct Handled {
    Fate fate = Fate::kNoReply;
    std::vector<std::byte> reply;  // empty for kNoReply
  };

  ScaleServer(const ServerModel& model, const ScaleModel& scale, uint64_t clock_seed,
              uint64_t hash_seed);

  // A request from `client` arrived at true time t.
  Handled handle(double t, std::span<const std::byte> request, const net::Endpoint& client);

  // The restrict flags the server applies to `client` (config::RestrictFlag).
  uint32_t flags_for(const net::Endpoint& client) const;
  double hold_s() const { return model_.hold_s; }

  const server::ServerCore& core() const { return core_; }
  uint64_t arrived() const { return arrived_; }  // requests handed to the core
  uint64_t fate_count(Fate f) const { return fates_[static_cast<size_t>(f)]; }
  size_t mru_peak() const { return mru_peak_; }
  uint64_t peak_rate() const { return peak_rate_; }  // most requests in one second

  // The identities between the core's counters, the rate limiter's counters
  // and the fates seen here; returns how many failed (each is described in
  // `failures` when given).
  int counter_mismatches(std::vector<std::string>* failures = nullptr) const;

 private:
  const ServerModel& model_;
  SimClock clock_;
  server::ServerCore core_;
  int8_t precision_log2_;
  uint64_t arrived_ = 0;
  uint64_t fates_[5] = {};
  size_t mru_peak_ = 0;
  int64_t rate_second_ = -1;
  uint64_t rate_count_ = 0;
  uint64_t peak_rate_ = 0;
};

}  // namespace meridian::sim
