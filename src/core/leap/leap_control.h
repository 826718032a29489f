// When a leap second is pending, what leap indicator we serve, and when the
// clock is armed for it (classic ntpd's behaviour, one rule written down):
//
//   * The leap day is the last UTC day of a month; the leap happens at the
//     midnight M that ends it (insert: 23:59:60 exists; delete: 23:59:59
//     does not).
//   * Source of truth: a leap-seconds.list table that has not expired is
//     authoritative: it alone decides whether a leap happens at M (the
//     servers' leap indicators are then only compared with it and a
//     disagreement logged). Without a table, or once it has expired, a leap
//     is pending when a strict majority of the selection's survivors
//     (candidates, backups and the system peer) announce the same leap
//     (LI 1 insert, LI 2 delete). So a lone server announcing a leap the
//     table does not list, or that the other survivors do not announce, is
//     ignored; a single configured server is a majority of one (as classic).
//   * Within the last 86 400 s before M (clock time) a pending leap is
//     served to our clients as LI 1/2 and the clock is armed (kernel
//     STA_INS/STA_DEL); outside that day we serve LI 0 and keep it disarmed
//     (the kernel applies an armed leap at the next midnight of any day).
//   * At M: a clock that applies armed leaps itself (the kernel, the virtual
//     clock) has stepped back (insert) or forward (delete) by 1 s; we disarm.
//     A clock that cannot (clock_applies_leap = false) is stepped by the
//     engine at the first tick at or after M (insert) or M − 1 s (delete).
//     Either way the leap is remembered so the repeated second does not
//     arm or step again.
//   * Exchanges with a timestamp within kStraddle_s of M measured across the
//     step and are dropped (not held as a 1 s spike for the stepout).
// Pure: clock readings (NTP seconds) in, decisions out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/leap/leap_table.h"
#include "core/wire/ntp_packet.h"

namespace meridian::leap {

inline constexpr int64_t kLeapWarningWindow_s = 86400;  // LI served / kernel armed: last day
inline constexpr double kStraddle_s = 2.0;

// The leap indicators of the selection's survivors.
struct UpstreamVote {
  size_t survivors = 0;
  size_t insert = 0;  // announcing LI 1
  size_t remove = 0;  // announcing LI 2
  // The leap a strict majority of the survivors announces, if any.
  LeapKind majority() const;
};

// The first instant (a UTC midnight, NTP seconds) of the month after the
// one holding `ntp_s`: when a leap announced now would happen.
int64_t end_of_month(int64_t ntp_s);

enum class LeapSource : uint8_t { kNone, kFile, kServers };

struct LeapStatus {
  LeapKind pending = LeapKind::kNone;  // scheduled for at_ntp_s
  int64_t at_ntp_s = 0;                // M, the midnight ending the leap day
  LeapSource source = LeapSource::kNone;
  LeapKind armed = LeapKind::kNone;  // what the clock is armed for now
  wire::LeapIndicator indicator = wire::LeapIndicator::kNoWarning;  // served now
  std::optional<int64_t> last_leap_ntp_s;                           // the last leap we applied (M)
};

class LeapControl {
 public:
  explicit LeapControl(bool clock_applies_leap) : clock_applies_leap_(clock_applies_leap) {}

  void set_table(std::optional<LeapTable> table) { table_ = std::move(table); }
  const std::optional<LeapTable>& table() const { return table_; }
  void set_clock_applies_leap(bool on) { clock_applies_leap_ = on; }
  // After each selection.
  void set_vote(const UpstreamVote& vote) { vote_ = vote; }

  struct Update {
    std::optional<LeapKind> arm;   // arm the clock for this (kNone: disarm)
    double step_s = 0;             // the engine applies the leap: step by this
    std::vector<std::string> log;  // notices
  };
  // With each clock reading (the engine's tick), `now_ntp_s` = whole NTP
  // seconds of the disciplined clock.
  Update on_clock(int64_t now_ntp_s);

  LeapStatus status(int64_t now_ntp_s) const;
  wire::LeapIndicator indicator(int64_t now_ntp_s) const { return status(now_ntp_s).indicator; }
  // When the clock cannot apply leaps: the clock reading (NTP s) at which
  // the armed leap is due, so the engine can wake right then (nullopt: none).
  std::optional<int64_t> engine_step_due_ntp_s() const;
  // Whether an exchange with a timestamp at this clock time measured across
  // a leap (pending in its window, or just applied).
  bool straddles_leap(double ntp_s) const;

 private:
  LeapKind decide(int64_t now_ntp_s, int64_t month_end, LeapSource& source) const;

  bool clock_applies_leap_;
  std::optional<LeapTable> table_;
  UpstreamVote vote_;
  LeapKind armed_ = LeapKind::kNone;
  int64_t armed_for_ = 0;        // M the arming is for
  std::optional<int64_t> done_;  // M of the last leap applied
  LeapKind disagreement_logged_ = LeapKind::kNone;
};

}  // namespace meridian::leap
