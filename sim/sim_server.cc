#include "sim/sim_server.h"

#include <algorithm>
#include <cmath>

#include "core/server/answer.h"
#include "core/server/server_view.h"
#include "core/wire/ntp_packet.h"

namespace meridian::sim {

const char* type_name(ServerModel::Type type) {
  using T = ServerModel::Type;
  switch (type) {
    case T::kGood:
      return "good";
    case T::kFalseticker:
      return "falseticker";
    case T::kDrifting:
      return "drifting";
    case T::kKod:
      return "kod";
    case T::kUnsync:
      return "unsync";
    case T::kDisappearing:
      return "disappearing";
  }
  return "?";
}

int8_t precision_log2(double resolution_s) {
  if (!(resolution_s > 0)) return -30;
  return static_cast<int8_t>(std::clamp(std::ceil(std::log2(resolution_s)), -30.0, 0.0));
}

server::ServerView synchronised_view(uint8_t stratum, int8_t precision_log2,
                                     time::NtpTime reference) {
  server::ServerView view;
  view.leap = wire::LeapIndicator::kNoWarning;
  view.stratum = stratum;
  view.precision = precision_log2;
  view.reference_id = wire::kiss_code("GPS\0");
  view.reference_time = reference;
  view.root_delay_s = 0;
  view.root_dispersion_s = 1e-5;
  return view;
}

SimServer::SimServer(const ServerModel& model, uint64_t clock_seed, uint64_t kod_seed)
    : model_(model),
      clock_(model.clock, clock_seed),
      kod_random_(kod_seed),
      fuzz_random_(kod_seed ^ 0x9e3779b97f4a7c15ULL),
      precision_log2_(precision_log2(model.clock.resolution_s)) {
  if (model_.leap != leap::LeapKind::kNone)
    clock_.arm_leap_at(model_.leap, model_.leap_midnight_ntp_s);
}

std::optional<Reply> SimServer::handle(double t, std::span<const std::byte> request) {
  const double kod_draw = kod_random_.next_unit();  // one draw per request, always
  for (const auto& w : model_.down) {
    if (w.contains(t)) return std::nullopt;
  }
  auto header = wire::parse_header(request);
  if (!header) return std::nullopt;

  const double rx_s = clock_.reading_s(t);
  double rx_fuzz_s = 0;
  double tx_fuzz_s = 0;
  if (model_.fuzz) {
    const double quantum_s = std::ldexp(1.0, precision_log2_);
    rx_fuzz_s = quantum_s * fuzz_random_.next_unit();
    tx_fuzz_s = quantum_s * fuzz_random_.next_unit();
  }
  const int64_t epoch = model_.clock.epoch_ntp_s;
  const time::NtpTime rx = to_ntp(rx_s + rx_fuzz_s, epoch);
  const time::NtpTime tx = to_ntp(rx_s + model_.hold_s + tx_fuzz_s, epoch);

  server::ServerView view;
  if (model_.type == ServerModel::Type::kUnsync) {
    view = server::ServerView::unsynchronised(precision_log2_);
  } else {
    view = synchronised_view(model_.stratum, precision_log2_, to_ntp(rx_s, epoch));
    // Classic servers announce a leap during its last day only.
    const int64_t to_leap = model_.leap_midnight_ntp_s - rx.seconds_since_1900();
    if (model_.leap != leap::LeapKind::kNone && clock_.leaps() == 0 && to_leap > 0 &&
        to_leap <= 86400) {
      view.leap = model_.leap == leap::LeapKind::kInsert ? wire::LeapIndicator::kInsertSecond
                                                         : wire::LeapIndicator::kDeleteSecond;
    }
  }
  server::Admission admission;
  if (model_.type == ServerModel::Type::kKod && kod_draw < model_.kod_probability) {
    admission.verdict = server::Admission::Verdict::kKissRate;
  }
  const server::Answer answer = server::answer_request(*header, admission, view, rx, tx, false);
  if (!answer.has_reply()) return std::nullopt;
  ++answered_;
  return Reply{model_.hold_s, server::serialize_reply(answer.header)};
}

}  // namespace meridian::sim
