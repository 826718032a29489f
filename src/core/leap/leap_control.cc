#include "core/leap/leap_control.h"

#include <fmt/format.h>

#include <cmath>

#include "core/stats/calendar.h"

namespace meridian::leap {

namespace {

constexpr int64_t kDay_s = 86400;

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

LeapKind UpstreamVote::majority() const {
  if (insert * 2 > survivors) return LeapKind::kInsert;
  if (remove * 2 > survivors) return LeapKind::kDelete;
  return LeapKind::kNone;
}

int64_t end_of_month(int64_t ntp_s) {
  const int64_t mjd = stats::kMjdOfNtpEpoch + floor_div(ntp_s, kDay_s);
  auto date = stats::civil_from_mjd(mjd);
  date.day = 1;
  if (date.month == 12) {
    date.month = 1;
    ++date.year;
  } else {
    ++date.month;
  }
  return (stats::mjd_from_civil(date) - stats::kMjdOfNtpEpoch) * kDay_s;
}

LeapKind LeapControl::decide(int64_t now_ntp_s, int64_t month_end, LeapSource& source) const {
  if (table_ && !table_->expired(now_ntp_s)) {
    source = LeapSource::kFile;
    return table_->leap_at(month_end);
  }
  source = LeapSource::kServers;
  return vote_.majority();
}

LeapStatus LeapControl::status(int64_t now_ntp_s) const {
  LeapStatus s;
  s.at_ntp_s = end_of_month(now_ntp_s);
  // Just after an inserted leap the clock repeats the last second of the
  // month: it still belongs to the leap that is done.
  const bool done = done_ && *done_ == s.at_ntp_s;
  s.pending = done ? LeapKind::kNone : decide(now_ntp_s, s.at_ntp_s, s.source);
  if (s.pending == LeapKind::kNone) s.source = done ? s.source : LeapSource::kNone;
  s.armed = armed_;
  s.last_leap_ntp_s = done_;
  if (s.pending != LeapKind::kNone && s.at_ntp_s - now_ntp_s <= kLeapWarningWindow_s) {
    s.indicator = s.pending == LeapKind::kInsert ? wire::LeapIndicator::kInsertSecond
                                                 : wire::LeapIndicator::kDeleteSecond;
  }
  return s;
}

LeapControl::Update LeapControl::on_clock(int64_t now_ntp_s) {
  Update u;
  // The leap the clock was armed for has come (the clock applied it), or the
  // engine must apply it now.
  if (armed_ != LeapKind::kNone) {
    const int64_t due =
        clock_applies_leap_ || armed_ == LeapKind::kInsert ? armed_for_ : armed_for_ - 1;
    if (now_ntp_s >= due) {
      const bool insert = armed_ == LeapKind::kInsert;
      if (!clock_applies_leap_) u.step_s = insert ? -1.0 : 1.0;
      u.log.push_back(fmt::format("leap second {} at the end of the UTC day ({})",
                                  insert ? "inserted" : "deleted",
                                  clock_applies_leap_ ? "by the clock" : "clock stepped"));
      done_ = armed_for_;
      armed_ = LeapKind::kNone;
      if (clock_applies_leap_) u.arm = LeapKind::kNone;
      return u;
    }
  }
  const LeapStatus s = status(now_ntp_s);
  // Log once per month end when the servers' majority disagrees with the file.
  if (table_ && !table_->expired(now_ntp_s)) {
    const LeapKind servers = vote_.majority();
    const LeapKind file = table_->leap_at(s.at_ntp_s);
    if (servers != file && servers != LeapKind::kNone && servers != disagreement_logged_ &&
        s.at_ntp_s - now_ntp_s <= kLeapWarningWindow_s) {
      disagreement_logged_ = servers;
      u.log.push_back(fmt::format(
          "servers announce a leap second ({}) the leap second file does not list; ignored",
          leap_kind_name(servers)));
    }
  }
  const LeapKind want =
      s.indicator == wire::LeapIndicator::kNoWarning ? LeapKind::kNone : s.pending;
  if (want != armed_) {
    if (want != LeapKind::kNone) {
      u.log.push_back(fmt::format(
          "leap second ({}) armed for the end of the UTC day, source: {}", leap_kind_name(want),
          s.source == LeapSource::kFile ? "leap second file" : "majority of the servers"));
    } else {
      u.log.push_back("leap second disarmed");
    }
    armed_ = want;
    armed_for_ = s.at_ntp_s;
    if (clock_applies_leap_) u.arm = want;
  }
  return u;
}

std::optional<int64_t> LeapControl::engine_step_due_ntp_s() const {
  if (clock_applies_leap_ || armed_ == LeapKind::kNone) return std::nullopt;
  return armed_ == LeapKind::kInsert ? armed_for_ : armed_for_ - 1;
}

bool LeapControl::straddles_leap(double ntp_s) const {
  auto near = [&](int64_t m) { return std::fabs(ntp_s - static_cast<double>(m)) <= kStraddle_s; };
  if (done_ && near(*done_)) return true;
  return armed_ != LeapKind::kNone && near(armed_for_);
}

}  // namespace meridian::leap
