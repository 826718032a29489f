#include "core/server/answer.h"

#include <algorithm>

#include "core/source/exchange.h"

namespace meridian::server {

ServerView ServerView::unsynchronised(int8_t precision) {
  ServerView v;
  v.precision = precision;
  return v;
}

ServerView local_clock_view(uint8_t stratum, uint32_t reference_id, int8_t precision,
                            time::NtpTime now) {
  ServerView v;
  v.leap = wire::LeapIndicator::kNoWarning;
  v.stratum = stratum;
  v.precision = precision;
  v.reference_id = reference_id;
  v.reference_time = now;
  // The classic LOCAL driver claims ~10 ms dispersion; say the same so
  // clients rank real upstream sources above an island clock.
  v.root_dispersion_s = 0.01;
  return v;
}

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kReplied:
      return "replied";
    case Outcome::kKissRate:
      return "kod_rate";
    case Outcome::kKissDeny:
      return "kod_deny";
    case Outcome::kDroppedMalformed:
      return "dropped_malformed";
    case Outcome::kDroppedMode:
      return "dropped_mode";
    case Outcome::kDroppedRestricted:
      return "dropped_restricted";
    case Outcome::kDroppedRateLimited:
      return "dropped_rate_limited";
    case Outcome::kDroppedAuth:
      return "dropped_auth";
    case Outcome::kControl:
      return "control";
    case Outcome::kCount:
      break;
  }
  return "unknown";
}

Answer answer_request(const wire::NtpHeader& request, const Admission& admission,
                      const ServerView& view, time::NtpTime rx, time::NtpTime tx,
                      bool allow_symmetric_passive) {
  Answer a;
  wire::Mode reply_mode = wire::Mode::kServer;
  switch (request.mode) {
    case wire::Mode::kClient:
      break;
    case wire::Mode::kReserved:
      // NTPv1 (RFC 1059) had no mode field: treat a v1 mode-0 packet as a client.
      if (request.version != 1) {
        a.outcome = Outcome::kDroppedMode;
        return a;
      }
      break;
    case wire::Mode::kSymmetricActive:
      if (!allow_symmetric_passive) {
        a.outcome = Outcome::kDroppedRestricted;
        return a;
      }
      reply_mode = wire::Mode::kSymmetricPassive;
      break;
    case wire::Mode::kControl:
      a.outcome = Outcome::kControl;
      return a;
    default:
      a.outcome = Outcome::kDroppedMode;
      return a;
  }
  if (request.version < 1 || request.version > 4) {
    a.outcome = Outcome::kDroppedMalformed;
    return a;
  }
  if (admission.verdict == Admission::Verdict::kDrop) {
    a.outcome = admission.drop_reason;
    return a;
  }
  wire::NtpHeader& h = a.header;
  h.version = request.version;
  h.mode = reply_mode;
  h.poll = request.poll;
  h.origin = request.transmit;
  h.receive = rx.to_timestamp();
  h.transmit = tx.to_timestamp();
  if (admission.verdict == Admission::Verdict::kKissRate) {
    // RFC 5905 §7.4: a kiss-o'-death has stratum 0 and the code in the refid.
    h.leap = wire::LeapIndicator::kUnsynchronised;
    h.stratum = 0;
    h.precision = view.precision;
    h.reference_id = wire::kKissRate;
    a.outcome = Outcome::kKissRate;
    return a;
  }
  h.leap = view.leap;
  h.stratum = view.stratum;
  h.precision = view.precision;
  h.reference_id = view.reference_id;
  h.root_delay = time::NtpShort::from_seconds(view.root_delay_s);
  if (view.synchronised()) {
    // Dispersion grows at Φ since the last clock update (RFC 5905 §10).
    const double age_s = std::max(0.0, (rx - view.reference_time).to_seconds());
    h.root_dispersion = time::NtpShort::from_seconds(view.root_dispersion_s + source::kPhi * age_s);
    h.reference = view.reference_time.to_timestamp();
  } else {
    h.root_dispersion = time::NtpShort::from_seconds(view.root_dispersion_s);
  }
  a.outcome = Outcome::kReplied;
  return a;
}

std::vector<std::byte> serialize_reply(const wire::NtpHeader& header) {
  std::vector<std::byte> out;
  out.reserve(wire::kHeaderSize + 24);
  wire::serialize_header(header, out);
  return out;
}

}  // namespace meridian::server
