// How ntpd's loop gets names resolved for Upstreams: requests go in, answers
// come out later, tagged with the request's token. The loop includes fds()
// in its poll() set and calls on_ready() when one is readable or the
// deadline passed, so a lookup never blocks the loop.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "core/net/address.h"
#include "core/result.h"
#include "daemon/upstreams.h"
#include "platform/async_resolver.h"

namespace meridian::daemon {

using LookupAnswer = std::pair<uint64_t, Result<std::vector<net::IpAddress>>>;

class NameLookups {
 public:
  virtual ~NameLookups() = default;
  virtual void request(const Lookup& lookup, double now_s) = 0;
  virtual std::vector<LookupAnswer> take_answers() = 0;
  // Sockets to poll, and the latest time to call on_ready() even if none is
  // readable (retransmissions, timeouts); +inf when nothing is in flight.
  virtual std::vector<int> fds() const = 0;
  virtual double next_deadline_s() const = 0;
  virtual void on_ready(double now_s) = 0;
};

// The stub resolver of src/platform/async_resolver.h (hosts file, then DNS
// over non-blocking UDP).
class AsyncLookups final : public NameLookups {
 public:
  explicit AsyncLookups(RandomSource& random) : resolver_({}, random) {}
  void request(const Lookup& lookup, double now_s) override;
  std::vector<LookupAnswer> take_answers() override;
  std::vector<int> fds() const override { return resolver_.poll_fds(); }
  double next_deadline_s() const override;
  void on_ready(double now_s) override;

 private:
  platform::AsyncResolver resolver_;
  std::map<platform::ResolveRequestId, uint64_t> tokens_;  // resolver id → Upstreams token
};

}  // namespace meridian::daemon
