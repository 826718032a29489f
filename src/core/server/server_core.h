// The server half of the engine: one request in, at most one reply out,
// after access control (restrict), rate limiting (discard/MRU) and
// symmetric-key authentication. Pure; counters for every outcome.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/net/address.h"
#include "core/server/answer.h"
#include "core/server/server_view.h"
#include "core/time/ntp_timestamp.h"

namespace meridian::server {

class ServerCore {
 public:
  ServerCore() = default;

  void set_view(const ServerView& view) { view_ = view; }
  const ServerView& view() const { return view_; }

  // REQUIRES: rx = receive time of the datagram, tx = a clock read taken just
  // before this call; now_s = monotonic seconds (rate limiting).
  std::optional<std::vector<std::byte>> handle(std::span<const std::byte> datagram,
                                               const net::Endpoint& client, time::NtpTime rx,
                                               time::NtpTime tx, double now_s);

  uint64_t count(Outcome o) const { return counters_[static_cast<size_t>(o)]; }
  uint64_t received() const { return received_; }

 private:
  ServerView view_;
  std::array<uint64_t, static_cast<size_t>(Outcome::kCount)> counters_{};
  uint64_t received_ = 0;
};

}  // namespace meridian::server
