#include "platform/batch_udp.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <map>
#include <set>

#include "platform/udp_socket.h"

namespace meridian::platform {
namespace {

// A reuseport group as the fast path builds it: the main socket first, then
// `workers` worker sockets, with the steering program attached.
struct Group {
  UdpSocket main;
  std::vector<UdpSocket> workers;
  net::Endpoint local;
};

Group make_group(const net::IpAddress& any, uint32_t workers) {
  Group g;
  auto m = UdpSocket::bind({any, 0}, true);
  EXPECT_TRUE(m.ok()) << m.error().message;
  g.main = std::move(*m);
  g.local = *g.main.local_endpoint();
  for (uint32_t i = 0; i < workers; ++i) {
    auto w = UdpSocket::bind(g.local, true);
    EXPECT_TRUE(w.ok()) << w.error().message;
    g.workers.push_back(std::move(*w));
  }
  auto st = attach_steering(g.workers.back().fd(), any.family(), workers);
  EXPECT_TRUE(st.ok()) << st.error().message;
  return g;
}

std::vector<std::byte> packet(uint8_t first_byte) {
  std::vector<std::byte> p(48);
  p[0] = std::byte{first_byte};
  return p;
}

// Which socket of the group (-1: main, else worker index) received one datagram.
int receiver(Group& g) {
  std::vector<pollfd> fds{{g.main.fd(), POLLIN, 0}};
  for (auto& w : g.workers) fds.push_back({w.fd(), POLLIN, 0});
  if (poll(fds.data(), fds.size(), 2000) <= 0) return -2;
  for (size_t i = 0; i < fds.size(); ++i) {
    if (!(fds[i].revents & POLLIN)) continue;
    const UdpSocket& s = i == 0 ? g.main : g.workers[i - 1];
    auto d = s.receive();
    EXPECT_TRUE(d.ok() && d->has_value());
    return static_cast<int>(i) - 1;
  }
  return -2;
}

TEST(BatchUdp, ClientRequestsAreSteeredBySourceAddressEverythingElseToMain) {
  constexpr uint32_t kWorkers = 3;
  Group g = make_group(net::IpAddress::v4({0, 0, 0, 0}), kWorkers);
  net::Endpoint to = g.local;
  to.address = net::IpAddress::v4_loopback();
  std::set<int> used;
  for (uint8_t host = 1; host <= 12; ++host) {
    const net::IpAddress source = net::IpAddress::v4({127, 0, 0, host});
    const int expected = static_cast<int>(steering_worker(source, kWorkers));
    used.insert(expected);
    // Several source ports: the port is not hashed, the client stays put.
    for (int port = 0; port < 3; ++port) {
      auto client = UdpSocket::bind({source, 0});
      ASSERT_TRUE(client.ok()) << client.error().message;
      ASSERT_TRUE(client->send_to(to, packet(0x23)).ok());  // v4, mode 3
      EXPECT_EQ(receiver(g), expected) << source.to_string();
      // Mode 6 (ntpq), mode 4 (a reply to our client) and a runt go to main.
      for (const auto& other : {packet(0x16), packet(0x24), std::vector<std::byte>{}}) {
        ASSERT_TRUE(client->send_to(to, other).ok());
        EXPECT_EQ(receiver(g), -1) << source.to_string();
      }
    }
  }
  EXPECT_GE(used.size(), 2u) << "twelve addresses all hashed to one worker";
}

TEST(BatchUdp, SteeringWorksForIpv6) {
  auto any = net::IpAddress::v6({});
  auto probe = UdpSocket::bind({any, 0}, true);
  if (!probe.ok()) GTEST_SKIP() << "no IPv6: " << probe.error().message;
  Group g = make_group(any, 2);
  net::Endpoint to = g.local;
  to.address = *net::IpAddress::parse("::1");
  auto client = UdpSocket::bind({to.address, 0});
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(client->send_to(to, packet(0x23)).ok());
  EXPECT_EQ(receiver(g), static_cast<int>(steering_worker(to.address, 2)));
  ASSERT_TRUE(client->send_to(to, packet(0x26)).ok());
  EXPECT_EQ(receiver(g), -1);
}

TEST(BatchUdp, ReceivesAndRepliesInBatchesFromTheRightAddress) {
  Group g = make_group(net::IpAddress::v4({0, 0, 0, 0}), 1);
  net::Endpoint to = g.local;
  to.address = net::IpAddress::v4_loopback();
  auto client = UdpSocket::bind({net::IpAddress::v4_loopback(), 0});
  ASSERT_TRUE(client.ok());
  for (uint8_t i = 0; i < 5; ++i) {
    auto p = packet(0x23);
    p[1] = std::byte{i};
    ASSERT_TRUE(client->send_to(to, p).ok());
  }
  PacketBatch batch;
  pollfd pfd{g.workers[0].fd(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 2000), 1);
  size_t got = 0;
  for (int tries = 0; tries < 50 && got < 5; ++tries) {
    auto n = batch.receive(g.workers[0].fd());
    ASSERT_TRUE(n.ok());
    for (size_t i = 0; i < *n; ++i) {
      PacketBatch::Received r;
      ASSERT_TRUE(batch.get(i, r));
      EXPECT_EQ(r.data.size(), 48u);
      EXPECT_EQ(r.from, *client->local_endpoint());
      ASSERT_TRUE(r.local.has_value());
      EXPECT_EQ(*r.local, net::IpAddress::v4_loopback());
      auto out = batch.reply_buffer(i);
      out[0] = std::byte{0x24};
      out[1] = r.data[1];
      batch.queue(i, 2);
    }
    auto sent = batch.send(g.workers[0].fd());
    ASSERT_TRUE(sent.ok());
    EXPECT_EQ(*sent, *n);
    got += *n;
    if (got < 5) poll(&pfd, 1, 100);
  }
  ASSERT_EQ(got, 5u);
  std::set<int> seen;
  for (int i = 0; i < 5; ++i) {
    pollfd c{client->fd(), POLLIN, 0};
    ASSERT_EQ(poll(&c, 1, 2000), 1);
    auto d = client->receive();
    ASSERT_TRUE(d.ok() && d->has_value());
    ASSERT_EQ((*d)->data.size(), 2u);
    EXPECT_EQ((*d)->from, to);
    seen.insert(std::to_integer<int>((*d)->data[1]));
  }
  EXPECT_EQ(seen.size(), 5u);
}

}  // namespace
}  // namespace meridian::platform
