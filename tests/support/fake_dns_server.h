// A fake DNS server on a loopback address for resolver tests: it answers
// each query it receives with whatever its handler returns (zero, one or
// several datagrams), from the test's own thread (no threads: the test
// loop polls its fd next to the resolver's and calls serve()).
#pragma once

#include <functional>
#include <vector>

#include "platform/udp_socket.h"
#include "tests/support/dns_test_messages.h"

namespace meridian::testing {

class FakeDnsServer {
 public:
  using Handler = std::function<std::vector<std::vector<std::byte>>(const TestQuery&)>;

  // Binds `address`:`port` (loopback only); throws when it cannot.
  FakeDnsServer(const net::IpAddress& address, uint16_t port, Handler handler);

  int fd() const { return socket_.fd(); }
  // Answers every query queued on the socket (bounded).
  void serve();

  struct Received {
    TestQuery query;
    net::Endpoint from;
  };
  const std::vector<Received>& received() const { return received_; }

  // Handlers: answer every A/AAAA question for `name` with these records;
  // other names get NXDOMAIN.
  static Handler answers(const std::vector<TestRecord>& records);
  static Handler silent();

 private:
  platform::UdpSocket socket_;
  Handler handler_;
  std::vector<Received> received_;
};

}  // namespace meridian::testing
