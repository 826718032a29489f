// A small NTP server for tests and demos: answers client requests on
// loopback with a chosen clock offset, stratum, leap indicator, kiss code,
// or garbage, from a background thread. Not a real server: no ACLs, no
// rate limiting, one socket.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/net/address.h"
#include "core/wire/ntp_packet.h"
#include "platform/udp_socket.h"

namespace meridian::testing {

struct ResponderBehaviour {
  double offset_s = 0;  // responder clock − real clock
  uint8_t stratum = 2;
  wire::LeapIndicator leap = wire::LeapIndicator::kNoWarning;
  std::optional<uint32_t> kiss;  // reply as a kiss-o'-death with this code
  bool garbage = false;          // reply with 48 bytes of nonsense
  bool silent = false;           // never reply
  bool wrong_origin = false;     // echo a different origin timestamp
  bool unset_reference = false;  // reference timestamp zero (never synchronised)
  double root_delay_s = 0.002;
  double root_dispersion_s = 0.001;
  int8_t precision = -20;
  uint32_t reference_id = 0xc0000201;  // 192.0.2.1
  // Forgery, for spoofing tests: before each genuine reply, the same reply
  // (right origin timestamp) with the clock `forge_offset_s` off is sent
  // from this responder's own address and port — what an off-path attacker
  // spoofing the server sends — to `forge_to` (e.g. the client's listening
  // port), and, with `forge_from_other_port`, from another port of this
  // address to where the request came from. `replay_previous` sends the
  // previous genuine reply again after each genuine one.
  std::optional<net::Endpoint> forge_to;
  bool forge_from_other_port = false;
  double forge_offset_s = 0.5;
  bool replay_previous = false;
};

class NtpResponder {
 public:
  // Binds `address` (any loopback address: 127.0.0.x, ::1) on `port`
  // (0 = any free port) and starts serving. Throws if it cannot bind.
  explicit NtpResponder(ResponderBehaviour behaviour,
                        net::IpAddress address = net::IpAddress::v4_loopback(), uint16_t port = 0);
  ~NtpResponder();
  NtpResponder(const NtpResponder&) = delete;
  NtpResponder& operator=(const NtpResponder&) = delete;

  uint16_t port() const { return port_; }
  net::Endpoint endpoint() const { return endpoint_; }
  int requests_seen() const { return requests_.load(); }
  // The source endpoints requests came from, in order of arrival.
  std::vector<net::Endpoint> request_sources();
  void set_behaviour(const ResponderBehaviour& b);

  // Builds the reply to one request (exposed for unit tests of the responder).
  static std::vector<std::byte> reply_to(const wire::NtpHeader& request,
                                         const ResponderBehaviour& b, time::NtpTime received,
                                         time::NtpTime now);

 private:
  void serve();

  platform::UdpSocket socket_;
  platform::UdpSocket other_socket_;    // same address, another port (forge_from_other_port)
  std::vector<net::Endpoint> sources_;  // guarded by mu_
  net::Endpoint endpoint_;
  uint16_t port_ = 0;
  std::mutex mu_;
  ResponderBehaviour behaviour_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace meridian::testing
