#include "platform/udp_socket.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "platform/clock.h"
#include "platform/resolver.h"

namespace meridian::platform {
namespace {

std::optional<Datagram> receive_within(const UdpSocket& s, int64_t timeout_ns) {
  const int fds[] = {s.fd()};
  auto ready = wait_readable(fds, timeout_ns);
  if (!ready || ready->empty()) return std::nullopt;
  auto d = s.receive();
  if (!d) return std::nullopt;
  return *d;
}

void round_trip(const net::IpAddress& lo) {
  auto a = UdpSocket::bind({lo, 0});
  auto b = UdpSocket::bind({lo, 0});
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  const net::Endpoint b_ep = *b->local_endpoint();
  EXPECT_NE(b_ep.port, 0);
  const std::vector<std::byte> payload = {std::byte{1}, std::byte{2}, std::byte{3}};
  ASSERT_TRUE(a->send_to(b_ep, payload).ok());
  auto d = receive_within(*b, 2'000'000'000);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->data, payload);
  EXPECT_EQ(d->from, *a->local_endpoint());
  ASSERT_TRUE(d->local.has_value()) << "pktinfo missing";
  EXPECT_EQ(*d->local, lo);
  // Linux gives software RX timestamps on loopback, but enables them lazily
  // (a deferred static key) when the first socket asks: the first packets
  // may arrive without one, which is why receivers fall back to a clock read.
  for (int i = 0; i < 50 && !d->kernel_rx_time; ++i) {
    usleep(10'000);
    ASSERT_TRUE(a->send_to(b_ep, payload).ok());
    d = receive_within(*b, 2'000'000'000);
    ASSERT_TRUE(d.has_value());
  }
  ASSERT_TRUE(d->kernel_rx_time.has_value());
  const auto age = read_realtime() - time::NtpTime::from_timespec(*d->kernel_rx_time);
  EXPECT_GE(age.to_seconds(), 0);
  EXPECT_LT(age.to_seconds(), 2);
}

TEST(UdpSocket, Ipv4RoundTripWithTimestampAndPktinfo) { round_trip(net::IpAddress::v4_loopback()); }

TEST(UdpSocket, Ipv6RoundTripWithTimestampAndPktinfo) {
  auto probe = UdpSocket::bind({*net::IpAddress::parse("::1"), 0});
  if (!probe && probe.error().code == ErrorCode::kUnsupported)
    GTEST_SKIP() << "no IPv6 loopback here";
  round_trip(*net::IpAddress::parse("::1"));
}

// The per-association sockets of ntpd (RFC 9109): a random ephemeral port
// each, and the kernel delivers only what comes from the peer's exact
// address and port — a forger on another port, or on another address, is
// never seen. Receive timestamps work as on bound sockets.
void connected_filters(const net::IpAddress& lo, const net::IpAddress& other) {
  auto server = UdpSocket::bind({lo, 0});
  auto forger = UdpSocket::bind({lo, 0});
  auto elsewhere = UdpSocket::bind({other, 0});
  ASSERT_TRUE(server.ok() && forger.ok() && elsewhere.ok());
  const net::Endpoint server_ep = *server->local_endpoint();
  auto client = UdpSocket::connect(server_ep);
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto second = UdpSocket::connect(server_ep);
  ASSERT_TRUE(second.ok()) << second.error().message;
  const net::Endpoint client_ep = *client->local_endpoint();
  EXPECT_NE(client_ep.port, 0);
  EXPECT_NE(client_ep.port, second->local_endpoint()->port);
  const std::vector<std::byte> request = {std::byte{0x23}};
  ASSERT_TRUE(client->send(request).ok());
  auto got = receive_within(*server, 2'000'000'000);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->from, client_ep);
  // Forgeries first (another port, another address), then the real reply.
  const std::vector<std::byte> forged = {std::byte{0xf0}};
  const std::vector<std::byte> reply = {std::byte{0x24}};
  ASSERT_TRUE(forger->send_to(client_ep, forged).ok());
  ASSERT_TRUE(elsewhere->send_to(client_ep, forged).ok());
  ASSERT_TRUE(server->send_to(client_ep, reply).ok());
  auto d = receive_within(*client, 2'000'000'000);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->data, reply);
  EXPECT_EQ(d->from, server_ep);
  EXPECT_FALSE(receive_within(*client, 100'000'000).has_value());  // nothing else queued
  // Kernel receive timestamps (enabled lazily by the kernel, as above).
  for (int i = 0; i < 50 && !d->kernel_rx_time; ++i) {
    usleep(10'000);
    ASSERT_TRUE(server->send_to(client_ep, reply).ok());
    d = receive_within(*client, 2'000'000'000);
    ASSERT_TRUE(d.has_value());
  }
  EXPECT_TRUE(d->kernel_rx_time.has_value());
}

TEST(UdpSocket, ConnectedSocketsTakeOnlyThePeersDatagramsIpv4) {
  connected_filters(net::IpAddress::v4_loopback(), net::IpAddress::v4({127, 0, 0, 2}));
}

TEST(UdpSocket, ConnectedSocketsTakeOnlyThePeersDatagramsIpv6) {
  auto probe = UdpSocket::bind({*net::IpAddress::parse("::1"), 0});
  if (!probe && probe.error().code == ErrorCode::kUnsupported)
    GTEST_SKIP() << "no IPv6 loopback here";
  // ::1 is the only IPv6 loopback address: the other "address" is 127.0.0.1
  // mapped, which an IPV6_V6ONLY socket cannot even send from, so use ::1.
  connected_filters(*net::IpAddress::parse("::1"), *net::IpAddress::parse("::1"));
}

TEST(UdpSocket, ReceiveOnEmptySocketIsNothingNotAnError) {
  auto a = UdpSocket::bind({net::IpAddress::v4_loopback(), 0});
  ASSERT_TRUE(a.ok());
  auto d = a->receive();
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->has_value());
}

// The server's path: datagrams read one after the other into one buffer
// the caller owns, each view pointing at its own bytes.
TEST(UdpSocket, ReceiveIntoPacksDatagramsIntoTheCallersBuffer) {
  auto a = UdpSocket::bind({net::IpAddress::v4_loopback(), 0});
  auto b = UdpSocket::bind({net::IpAddress::v4_loopback(), 0});
  ASSERT_TRUE(a.ok() && b.ok());
  const net::Endpoint b_ep = *b->local_endpoint();
  const std::vector<std::byte> first(48, std::byte{0x23}), second(68, std::byte{0x24});
  ASSERT_TRUE(a->send_to(b_ep, first).ok());
  ASSERT_TRUE(a->send_to(b_ep, second).ok());
  const int fds[] = {b->fd()};
  auto ready = wait_readable(fds, 2'000'000'000);
  ASSERT_TRUE(ready.ok() && !ready->empty());
  std::vector<std::byte> buffer(2 * kMaxDatagramSize);
  DatagramView one, two;
  auto got = b->receive_into(buffer, one);
  ASSERT_TRUE(got.ok() && *got);
  got = b->receive_into(std::span<std::byte>(buffer).subspan(one.data.size()), two);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ(one.data.data(), buffer.data());
  EXPECT_EQ(two.data.data(), buffer.data() + first.size());
  EXPECT_TRUE(std::equal(one.data.begin(), one.data.end(), first.begin(), first.end()));
  EXPECT_TRUE(std::equal(two.data.begin(), two.data.end(), second.begin(), second.end()));
  EXPECT_EQ(one.from, *a->local_endpoint());
  ASSERT_TRUE(two.local.has_value());
  EXPECT_EQ(*two.local, net::IpAddress::v4_loopback());
  EXPECT_NE(two.interface_index, 0);
  got = b->receive_into(buffer, one);  // the queue is empty now
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
}

TEST(UdpSocket, ReceiveIntoDropsWhatDoesNotFitTheBuffer) {
  auto a = UdpSocket::bind({net::IpAddress::v4_loopback(), 0});
  auto b = UdpSocket::bind({net::IpAddress::v4_loopback(), 0});
  ASSERT_TRUE(a.ok() && b.ok());
  const std::vector<std::byte> big(100, std::byte{1}), small(10, std::byte{2});
  ASSERT_TRUE(a->send_to(*b->local_endpoint(), big).ok());
  ASSERT_TRUE(a->send_to(*b->local_endpoint(), small).ok());
  const int fds[] = {b->fd()};
  auto ready = wait_readable(fds, 2'000'000'000);
  ASSERT_TRUE(ready.ok() && !ready->empty());
  std::vector<std::byte> buffer(64);
  DatagramView v;
  auto got = b->receive_into(buffer, v);  // truncated: dropped, not half-read
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
  got = b->receive_into(buffer, v);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ(v.data.size(), small.size());
}

TEST(UdpSocket, PortInUseIsReportedAsUnavailable) {
  auto a = UdpSocket::bind({net::IpAddress::v4_loopback(), 0});
  ASSERT_TRUE(a.ok());
  auto b = UdpSocket::bind(*a->local_endpoint());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(b.error().message.find("in use"), std::string::npos) << b.error().message;
}

TEST(WaitReadable, TimesOutWithNothingReady) {
  auto a = UdpSocket::bind({net::IpAddress::v4_loopback(), 0});
  ASSERT_TRUE(a.ok());
  const int fds[] = {a->fd()};
  const int64_t t0 = read_monotonic_ns();
  auto ready = wait_readable(fds, 50'000'000);
  ASSERT_TRUE(ready.ok());
  EXPECT_TRUE(ready->empty());
  EXPECT_GE(read_monotonic_ns() - t0, 40'000'000);
}

TEST(Resolver, LiteralsNeedNoLookup) {
  auto v4 = resolve_host("127.0.0.1");
  ASSERT_TRUE(v4.ok());
  ASSERT_EQ(v4->size(), 1u);
  EXPECT_EQ((*v4)[0], net::IpAddress::v4_loopback());
  auto v6 = resolve_host("[::1]");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ((*v6)[0].to_string(), "::1");
  EXPECT_FALSE(resolve_host("127.0.0.1", net::Family::kIPv6).ok());
}

TEST(Resolver, LocalhostResolvesAndFamilyFilterApplies) {
  auto any = resolve_host("localhost");
  ASSERT_TRUE(any.ok()) << any.error().message;
  EXPECT_FALSE(any->empty());
  auto v4 = resolve_host("localhost", net::Family::kIPv4);
  ASSERT_TRUE(v4.ok());
  for (const auto& a : *v4) EXPECT_EQ(a.family(), net::Family::kIPv4);
}

TEST(Resolver, UnknownNameIsAnError) {
  // .invalid is reserved (RFC 6761) and never resolves.
  auto r = resolve_host("no-such-host.invalid");
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace meridian::platform
