#include "tests/support/fake_dns_server.h"

#include <stdexcept>

namespace meridian::testing {

FakeDnsServer::FakeDnsServer(const net::IpAddress& address, uint16_t port, Handler handler)
    : handler_(std::move(handler)) {
  const bool loopback = address.family() == net::Family::kIPv4
                            ? address.bytes()[0] == 127
                            : address == *net::IpAddress::parse("::1");
  if (!loopback) throw std::runtime_error("fake DNS servers live on loopback only");
  auto s = platform::UdpSocket::bind({address, port});
  if (!s) throw std::runtime_error("fake DNS server: " + s.error().message);
  socket_ = std::move(*s);
}

void FakeDnsServer::serve() {
  for (int n = 0; n < 64; ++n) {
    auto d = socket_.receive();
    if (!d || !*d) return;
    auto query = read_test_query((*d)->data);
    if (!query) continue;
    received_.push_back({*query, (*d)->from});
    for (const auto& reply : handler_(*query)) (void)socket_.send_to((*d)->from, reply);
  }
}

FakeDnsServer::Handler FakeDnsServer::answers(const std::vector<TestRecord>& records) {
  return [records](const TestQuery& q) {
    std::vector<TestRecord> matching;
    bool known = false;
    // Follow CNAMEs from the question like a recursive server would.
    std::string name = q.name;
    for (int hop = 0; hop < 8; ++hop) {
      bool followed = false;
      for (const auto& r : records) {
        if (r.owner != name) continue;
        known = true;
        if (r.type == kTypeCname) {
          matching.push_back(r);
          name = r.value;
          followed = true;
          break;
        }
        if (r.type == q.type) matching.push_back(r);
      }
      if (!followed) break;
    }
    const uint8_t rcode = known ? 0 : 3;
    return std::vector<std::vector<std::byte>>{dns_reply(q.id, q.name, q.type, rcode, matching)};
  };
}

FakeDnsServer::Handler FakeDnsServer::silent() {
  return [](const TestQuery&) { return std::vector<std::vector<std::byte>>{}; };
}

}  // namespace meridian::testing
