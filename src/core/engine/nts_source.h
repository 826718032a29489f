// What the client engine keeps for one `server HOST nts` association beyond
// the plain NTP state: the NTS client state (nts/client_state.h) and when to
// run NTS-KE (RFC 8915 §4) — the handshake itself is the daemon's I/O; the
// engine asks for it with a KeyExchange action and hears back through
// ClientEngine::on_key_exchange().
//
// Policy (docs/nts.md):
//  * Nothing is sent before a handshake succeeded, and never an
//    unauthenticated request: no silent downgrade to plain NTP.
//  * A handshake is due when there are no keys, no cookie left, or the
//    server sent an NTS NAK. Failures back off: 16 s doubling to 1 h.
//  * Bootstrap with a wrong clock: until the engine first synchronised, the
//    daemon may accept a certificate whose only fault is its validity period
//    (`loose`); once synchronised, keys from such a handshake are dropped and
//    the handshake is redone with the time checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/nts/client_state.h"
#include "core/nts/keys.h"
#include "core/random.h"
#include "core/result.h"

namespace meridian::engine {

// The outcome of one NTS-KE handshake, as the daemon reports it.
struct KeyExchangeResult {
  nts::NtsKeys keys;
  std::vector<std::vector<std::byte>> cookies;
  std::optional<std::string> server;  // NTPv4 Server Negotiation record, if any
  std::optional<uint16_t> port;       // NTPv4 Port Negotiation record, if any
  bool loose = false;                 // certificate accepted without its validity period
};

// ntpq's view of an NTS association.
struct NtsView {
  size_t cookies = 0;
  bool has_keys = false;
  bool ke_in_flight = false;
  bool loose = false;               // keys from a handshake without the time check
  uint64_t ke_ok = 0;               // successful handshakes
  uint64_t ke_failures = 0;         // failed handshakes
  double last_ke_s = -1;            // monotonic time of the last successful handshake
  std::string last_ke_error;        // the last failure's reason (empty after a success)
  nts::NtsClientCounters counters;  // requests, authentic replies, NAKs, bad authenticators
};

class NtsSource {
 public:
  static constexpr double kFirstRetry_s = 16;
  static constexpr double kMaxRetry_s = 3600;

  explicit NtsSource(const nts::Aead& aead) : state_(aead) {}

  // A handshake is needed (no keys, no cookies, a NAK, or a strict re-check).
  bool needs_key_exchange() const { return force_ke_ || state_.needs_key_exchange(); }
  // Needed, none in flight, and the back-off has passed.
  bool key_exchange_due(double now_s) const {
    return needs_key_exchange() && !in_flight_ && now_s >= next_attempt_s_;
  }
  // When the next handshake may start (+inf when none is needed or one is out).
  double next_key_exchange_s() const;
  void key_exchange_started() { in_flight_ = true; }
  // The daemon's report. Returns the line to log.
  std::string on_key_exchange(const Result<KeyExchangeResult>& result, double now_s,
                              const std::string& server);
  // The engine synchronised: keys from a loose handshake must be replaced.
  // Returns true if this source now needs a strict handshake.
  bool require_strict();

  // A request around `header` (spends a cookie). REQUIRES: !needs_key_exchange().
  Result<std::vector<std::byte>> request(nts::HeaderBytes header, RandomSource& random) {
    return state_.make_request(header, random);
  }
  nts::ReplyVerdict on_reply(std::span<const std::byte> datagram) {
    return state_.on_reply(datagram);
  }
  const std::string& last_detail() const { return state_.last_detail(); }

  NtsView view() const;

 private:
  nts::NtsClientState state_;
  bool in_flight_ = false;
  bool force_ke_ = false;
  bool loose_ = false;
  double next_attempt_s_ = 0;
  double retry_s_ = kFirstRetry_s;
  uint64_t ke_ok_ = 0;
  uint64_t ke_failures_ = 0;
  double last_ke_s_ = -1;
  std::string last_error_;
};

}  // namespace meridian::engine
