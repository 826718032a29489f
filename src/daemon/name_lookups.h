// How ntpd's loop gets names resolved for Upstreams: requests go in, answers
// come out later, tagged with the request's token. The loop includes fds()
// in its poll() set and calls on_ready() when one is readable, so a lookup
// never blocks the loop (unless the implementation is the blocking one).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/net/address.h"
#include "core/result.h"
#include "daemon/upstreams.h"

namespace meridian::daemon {

using LookupAnswer = std::pair<uint64_t, Result<std::vector<net::IpAddress>>>;

class NameLookups {
 public:
  virtual ~NameLookups() = default;
  virtual void request(const Lookup& lookup, double now_s) = 0;
  virtual std::vector<LookupAnswer> take_answers() = 0;
  // Sockets to poll, and the latest time to call on_ready() even if none is
  // readable (retransmissions, timeouts); +inf when nothing is in flight.
  virtual std::vector<int> fds() const { return {}; }
  virtual double next_deadline_s() const { return 1e300; }
  virtual void on_ready(double now_s) { (void)now_s; }
};

// getaddrinfo() on the spot: for -q (set once and exit) and as a fallback.
class BlockingLookups final : public NameLookups {
 public:
  void request(const Lookup& lookup, double now_s) override;
  std::vector<LookupAnswer> take_answers() override { return std::move(answers_); }

 private:
  std::vector<LookupAnswer> answers_;
};

}  // namespace meridian::daemon
