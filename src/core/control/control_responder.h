// The mode 6 server (RFC 9327): one request in, the response fragments out.
// READSTAT, READVAR (system and associations), REQ_NONCE and READ_MRU; write
// operations are refused. Pure: the caller passes a snapshot of the engine's
// state, the access decision from access::classify() and the MRU table.
//
// Anti-amplification: an answer to a request whose source address is not
// proven (everything but READ_MRU) is at most kMaxAmplification times the
// request's size; a larger answer is refused with an error. READ_MRU needs a
// nonce from REQ_NONCE first (the nonce is a keyed hash of the client's
// address and the time, so only a client that receives our packets can
// present it) and is then bounded by the fragments it asks for (≤ 32).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/access/access_decision.h"
#include "core/access/mru_table.h"
#include "core/control/control_message.h"
#include "core/control/variables.h"
#include "core/net/address.h"

namespace meridian::control {

inline constexpr size_t kMaxAmplification = 64;  // response bytes per request byte
inline constexpr size_t kMaxMruFragments = 32;
inline constexpr double kNonceLifetime_s = 16;

// Response rate limiting: a token bucket per source address, in a fixed
// table of kRateSlots buckets (addresses hashed with the responder's secret,
// so a client cannot pick a victim's bucket; colliding addresses share one).
// Memory is bounded whatever the traffic; a request over the limit is
// dropped without an answer (never an error response: nothing to amplify).
struct ControlRateLimit {
  double per_second = 16;  // sustained requests per second per source
  double burst = 64;       // bucket size
  static ControlRateLimit unlimited() { return {0, 0}; }  // per_second ≤ 0: off
};
inline constexpr size_t kRateSlots = 256;

struct ControlCounters {
  uint64_t requests = 0;
  uint64_t malformed = 0;
  uint64_t errors = 0;        // error responses sent
  uint64_t refused_size = 0;  // answers over the amplification bound
  uint64_t bad_nonce = 0;
  uint64_t rate_limited = 0;  // requests dropped by the rate limit
  // Writes refused because of `restrict … nomodify`, trap requests because of
  // `notrap` (every write and trap is refused anyway: no controlkey support).
  uint64_t refused_restricted = 0;
};

class ControlResponder {
 public:
  // `secret`: 128 random bits (from the daemon's RandomSource) keying nonces.
  explicit ControlResponder(std::array<uint64_t, 2> secret, ControlRateLimit limit = {})
      : secret_(secret), limit_(limit) {}

  // Takes a token from `client`'s bucket at monotonic `now_s`; false if the
  // bucket is empty (the request is to be dropped). handle() calls it for
  // every request that access control lets through.
  bool admit(const net::IpAddress& client, double now_s);

  // REQUIRES: decision = classify(flags, kControl, …) for `client`; the caller
  // drops the packet itself when the decision is not served (noquery).
  std::vector<std::vector<std::byte>> handle(std::span<const std::byte> request,
                                             const net::Endpoint& client,
                                             const access::AccessDecision& decision,
                                             const ControlSnapshot& snapshot,
                                             const access::MruTable* mru);

  const ControlCounters& counters() const { return counters_; }

  // "nonce=…" for `client` at `now` (exposed for tests).
  std::string make_nonce(const net::IpAddress& client, time::NtpTime now) const;
  bool check_nonce(std::string_view nonce, const net::IpAddress& client, time::NtpTime now) const;

 private:
  std::vector<std::vector<std::byte>> read_status(const ControlHeader& h,
                                                  const ControlSnapshot& s) const;
  std::vector<std::vector<std::byte>> read_variables(const ControlMessage& m,
                                                     const ControlSnapshot& s);
  std::vector<std::vector<std::byte>> read_mru(const ControlMessage& m, const net::Endpoint& client,
                                               const ControlSnapshot& s,
                                               const access::MruTable* mru);
  std::vector<std::vector<std::byte>> error(const ControlHeader& h, ControlError e,
                                            const ControlSnapshot& s);
  uint64_t nonce_mac(const net::IpAddress& client, uint64_t timestamp) const;

  struct Bucket {
    double tokens = 0;
    double last_s = 0;
    bool used = false;
  };

  std::array<uint64_t, 2> secret_;
  ControlRateLimit limit_;
  std::array<Bucket, kRateSlots> buckets_{};
  ControlCounters counters_;
};

// SipHash-2-4 (Aumasson & Bernstein): a keyed PRF for nonces.
uint64_t siphash24(std::array<uint64_t, 2> key, std::span<const std::byte> data);

}  // namespace meridian::control
