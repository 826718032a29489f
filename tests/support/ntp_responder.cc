#include "tests/support/ntp_responder.h"

#include <stdexcept>

#include "platform/clock.h"

namespace meridian::testing {

NtpResponder::NtpResponder(ResponderBehaviour behaviour, net::IpAddress address, uint16_t port)
    : behaviour_(behaviour) {
  auto s = platform::UdpSocket::bind(net::Endpoint{address, port});
  if (!s) throw std::runtime_error("responder: " + s.error().message);
  socket_ = std::move(*s);
  endpoint_ = *socket_.local_endpoint();
  port_ = endpoint_.port;
  auto other = platform::UdpSocket::bind(net::Endpoint{address, 0});
  if (!other) throw std::runtime_error("responder: " + other.error().message);
  other_socket_ = std::move(*other);
  thread_ = std::thread([this] { serve(); });
}

NtpResponder::~NtpResponder() {
  stop_ = true;
  thread_.join();
}

std::vector<net::Endpoint> NtpResponder::request_sources() {
  std::lock_guard<std::mutex> lock(mu_);
  return sources_;
}

void NtpResponder::set_behaviour(const ResponderBehaviour& b) {
  std::lock_guard<std::mutex> lock(mu_);
  behaviour_ = b;
}

std::vector<std::byte> NtpResponder::reply_to(const wire::NtpHeader& request,
                                              const ResponderBehaviour& b, time::NtpTime received,
                                              time::NtpTime now) {
  std::vector<std::byte> out;
  if (b.garbage) {
    for (int i = 0; i < 48; ++i) out.push_back(static_cast<std::byte>(0xa5 ^ i));
    return out;
  }
  const time::NtpDuration shift = time::NtpDuration::from_seconds(b.offset_s);
  wire::NtpHeader h;
  h.leap = b.leap;
  h.version = request.version;
  h.mode = wire::Mode::kServer;
  h.stratum = b.kiss ? 0 : b.stratum;
  h.poll = request.poll;
  h.precision = b.precision;
  h.root_delay = time::NtpShort::from_seconds(b.root_delay_s);
  h.root_dispersion = time::NtpShort::from_seconds(b.root_dispersion_s);
  h.reference_id = b.kiss ? *b.kiss : b.reference_id;
  if (!b.unset_reference)
    h.reference = (now + shift - time::NtpDuration::from_seconds_int(16)).to_timestamp();
  h.origin =
      b.wrong_origin ? request.transmit + time::NtpDuration::from_seconds_int(1) : request.transmit;
  h.receive = (received + shift).to_timestamp();
  h.transmit = (now + shift).to_timestamp();
  wire::serialize_header(h, out);
  return out;
}

void NtpResponder::serve() {
  const int fds[] = {socket_.fd()};
  std::vector<std::byte> previous_reply;
  while (!stop_) {
    auto ready = platform::wait_readable(fds, 20'000'000);
    if (!ready || ready->empty()) continue;
    while (true) {
      auto d = socket_.receive();
      if (!d || !*d) break;
      const time::NtpTime received = (*d)->kernel_rx_time
                                         ? time::NtpTime::from_timespec(*(*d)->kernel_rx_time)
                                         : platform::read_realtime();
      auto request = wire::parse_header((*d)->data);
      if (!request || request->mode != wire::Mode::kClient) continue;
      ++requests_;
      ResponderBehaviour b;
      {
        std::lock_guard<std::mutex> lock(mu_);
        b = behaviour_;
        sources_.push_back((*d)->from);
      }
      if (b.silent) continue;
      const time::NtpTime now = platform::read_realtime();
      if (b.forge_to || b.forge_from_other_port) {
        ResponderBehaviour forged = b;
        forged.offset_s = b.forge_offset_s;
        const auto bytes = reply_to(*request, forged, received, now);
        if (b.forge_to) (void)socket_.send_to(*b.forge_to, bytes);
        if (b.forge_from_other_port) (void)other_socket_.send_to((*d)->from, bytes);
      }
      const auto reply = reply_to(*request, b, received, now);
      (void)socket_.send_to((*d)->from, reply);
      if (b.replay_previous && !previous_reply.empty())
        (void)socket_.send_to((*d)->from, previous_reply);
      previous_reply = reply;
    }
  }
}

}  // namespace meridian::testing
