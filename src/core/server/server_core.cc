#include "core/server/server_core.h"

namespace meridian::server {

std::optional<std::vector<std::byte>> ServerCore::handle(std::span<const std::byte> datagram,
                                                         const net::Endpoint& client,
                                                         time::NtpTime rx, time::NtpTime tx,
                                                         double now_s) {
  (void)client;
  (void)now_s;
  ++received_;
  auto header = wire::parse_header(datagram);
  if (!header) {
    ++counters_[static_cast<size_t>(Outcome::kDroppedMalformed)];
    return std::nullopt;
  }
  const Answer a = answer_request(*header, Admission{}, view_, rx, tx, false);
  ++counters_[static_cast<size_t>(a.outcome)];
  if (!a.has_reply()) return std::nullopt;
  return serialize_reply(a.header);
}

}  // namespace meridian::server
