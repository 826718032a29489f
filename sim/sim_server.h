// A simulated upstream server. It answers through the real server code
// (server::answer_request + serialize_reply) from a ServerView that
// describes it, with T2/T3 read from its own SimClock:
//   good         stratum 1, its clock exact unless the scenario says otherwise;
//   falseticker  like good, but its clock is off by a constant (`offset`);
//                counted by the "falseticker followed" metric;
//   drifting     like good, with a frequency error (`freq_ppm`) it never corrects;
//   kod          answers a share (`kod_probability`) of requests with KoD RATE;
//   unsync       LI = 3, stratum 16 (ServerView::unsynchronised);
//   disappearing like good; silent during its `down` windows (any type may
//                have them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/leap/leap_table.h"
#include "core/random.h"
#include "core/server/server_view.h"
#include "sim/link.h"
#include "sim/sim_clock.h"

namespace meridian::sim {

// What a simulated synchronised server (its clock set by a perfect
// reference, last at `reference`) tells its clients.
server::ServerView synchronised_view(uint8_t stratum, int8_t precision_log2,
                                     time::NtpTime reference);

struct ServerModel {
  enum class Type { kGood, kFalseticker, kDrifting, kKod, kUnsync, kDisappearing };
  std::string name;
  Type type = Type::kGood;
  ClockModel clock;
  uint8_t stratum = 1;
  double hold_s = 10e-6;  // T3 − T2 on the server's clock
  // T2 and T3 each get random bits below the precision, as chronyd sends
  // them (with hold 0, T3 then reads before T2 about half the time).
  bool fuzz = false;
  double kod_probability = 1.0;
  std::vector<Window> down;
  LinkModel link;
  // The leap second this server announces (LI in the last day before
  // `midnight_ntp_s`, by its own clock) and applies to its clock; by default
  // the scenario's true UTC leap (`leap = utc`).
  leap::LeapKind leap = leap::LeapKind::kNone;
  int64_t leap_midnight_ntp_s = 0;
  bool leap_follows_utc = true;
};

const char* type_name(ServerModel::Type type);

struct Reply {
  double delay_s = 0;  // processing: leaves at arrival + delay_s
  std::vector<std::byte> bytes;
};

class SimServer {
 public:
  SimServer(const ServerModel& model, uint64_t clock_seed, uint64_t kod_seed);
  // A request arrived at true time t. nullopt: no answer (down, dropped).
  std::optional<Reply> handle(double t, std::span<const std::byte> request);
  const ServerModel& model() const { return model_; }
  uint64_t answered() const { return answered_; }
  // The server's clock error (clock − true) at true time t.
  double error_s(double t) { return clock_.error_s(t); }

 private:
  const ServerModel& model_;
  SimClock clock_;
  SeededRandom kod_random_;
  SeededRandom fuzz_random_;
  int8_t precision_log2_;
  uint64_t answered_ = 0;
};

// log2 of a resolution, rounded up (RFC 5905 precision), clamped to int8.
int8_t precision_log2(double resolution_s);

}  // namespace meridian::sim
