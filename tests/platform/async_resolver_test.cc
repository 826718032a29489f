// AsyncResolver against fake DNS servers on 127.0.0.x (same process, same
// thread: the test loop polls the servers' sockets next to the resolver's).
// Every test writes its own hosts and resolv.conf; nothing leaves loopback.
#include "platform/async_resolver.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "core/random.h"
#include "platform/clock.h"
#include "tests/support/fake_dns_server.h"
#include "tests/support/process.h"

namespace meridian::platform {
namespace {

using testing::FakeDnsServer;
using testing::kTypeA;
using testing::kTypeAaaa;
using testing::kTypeCname;
using testing::TestQuery;
using testing::TestRecord;

using Replies = std::vector<std::vector<std::byte>>;

net::IpAddress ip(const char* text) { return *net::IpAddress::parse(text); }

double seconds_since(int64_t start_ns) {
  return static_cast<double>(read_monotonic_ns() - start_ns) * 1e-9;
}

class AsyncResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir();
    port_ = testing::free_udp_port();
    write_hosts("127.0.0.1 localhost\n::1 localhost\n");
    write_resolv_conf("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_hosts(const std::string& text) { testing::write_file(dir_ + "/hosts", text); }
  void write_resolv_conf(const std::string& text) {
    testing::write_file(dir_ + "/resolv.conf", text);
  }

  // Never the system files: a test must not query a real nameserver.
  AsyncResolverOptions options() const {
    AsyncResolverOptions o;
    o.hosts_path = dir_ + "/hosts";
    o.resolv_conf_path = dir_ + "/resolv.conf";
    o.nameserver_port = port_;
    return o;
  }

  FakeDnsServer& server(const char* address, FakeDnsServer::Handler handler) {
    servers_.push_back(std::make_unique<FakeDnsServer>(ip(address), port_, std::move(handler)));
    return *servers_.back();
  }

  // Runs the resolver and the fake servers until no lookup is pending (at
  // most `limit_s`), checking the concurrency bound on the way.
  // With `track_fds` false it uses on_ready(now), which tries every socket.
  std::vector<Resolution> drive(AsyncResolver& resolver, double limit_s = 10,
                                bool track_fds = true) {
    const int64_t start = read_monotonic_ns();
    std::vector<Resolution> results = resolver.take_results();
    while (resolver.pending() > 0 && seconds_since(start) < limit_s) {
      EXPECT_LE(resolver.queries_in_flight(), max_in_flight_);
      std::vector<int> fds;
      for (const auto& s : servers_) fds.push_back(s->fd());
      const size_t first_dns = fds.size();
      for (int fd : resolver.poll_fds()) fds.push_back(fd);
      const int64_t now = read_monotonic_ns();
      int64_t wait = 100'000'000;
      if (auto t = resolver.next_timeout_ns()) wait = std::clamp<int64_t>(*t - now, 0, wait);
      auto ready = wait_readable(fds, wait);
      EXPECT_TRUE(ready.ok());
      if (!ready) break;
      std::vector<int> dns_ready;
      for (size_t i : *ready) {
        if (i < first_dns) {
          servers_[i]->serve();
        } else {
          dns_ready.push_back(fds[i]);
        }
      }
      if (track_fds) {
        resolver.on_ready(dns_ready, read_monotonic_ns());
      } else {
        resolver.on_ready(read_monotonic_ns());
      }
      for (auto& r : resolver.take_results()) results.push_back(std::move(r));
    }
    return results;
  }

  Resolution resolve(const std::string& name, std::optional<net::Family> only = std::nullopt,
                     std::optional<AsyncResolverOptions> o = std::nullopt, bool track_fds = true) {
    AsyncResolver resolver(o ? *o : options(), random_);
    const auto id = resolver.request(name, only, read_monotonic_ns());
    auto results = drive(resolver, 10, track_fds);
    EXPECT_EQ(results.size(), 1u);
    EXPECT_EQ(resolver.pending(), 0u);
    EXPECT_TRUE(resolver.poll_fds().empty());
    if (results.empty()) return Resolution{};
    EXPECT_EQ(results[0].id, id);
    EXPECT_EQ(results[0].name, name);
    return results[0];
  }

  std::string dir_;
  uint16_t port_ = 0;
  SeededRandom random_{20240607};
  size_t max_in_flight_ = AsyncResolverOptions{}.max_queries_in_flight;
  std::vector<std::unique_ptr<FakeDnsServer>> servers_;
};

TEST_F(AsyncResolverTest, LiteralsAreAnsweredInsideRequestWithoutAnyIo) {
  // No server at all, and a resolv.conf naming a server that never answers:
  // literals must not need either.
  write_resolv_conf("nameserver 127.0.0.9\n");
  AsyncResolver resolver(options(), random_);
  const auto a = resolver.request("192.0.2.1", std::nullopt, 0);
  const auto b = resolver.request("[2001:db8::1]", std::nullopt, 0);
  const auto c = resolver.request("2001:db8::2", net::Family::kIPv4, 0);
  EXPECT_EQ(resolver.pending(), 0u);
  EXPECT_TRUE(resolver.poll_fds().empty());
  EXPECT_FALSE(resolver.next_timeout_ns().has_value());
  const auto results = resolver.take_results();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].id, a);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[0].source, ResolveSource::kLiteral);
  EXPECT_EQ(results[0].addresses, std::vector{ip("192.0.2.1")});
  EXPECT_FALSE(results[0].ttl_s.has_value());
  EXPECT_EQ(results[1].id, b);
  EXPECT_EQ(results[1].addresses, std::vector{ip("2001:db8::1")});
  EXPECT_EQ(results[2].id, c);
  EXPECT_EQ(results[2].status, ResolveStatus::kFamilyExcluded);
  EXPECT_TRUE(resolver.take_results().empty());
}

TEST_F(AsyncResolverTest, HostsFileIsConsultedFirst) {
  write_hosts(
      "# test\n127.0.0.1 localhost\n192.0.2.77 timehost.example timehost\n"
      "2001:db8::77 timehost.example\n::1 localhost\n");
  auto& dns = server("127.0.0.1",
                     FakeDnsServer::answers({{"timehost.example", kTypeA, 60, "198.51.100.1"},
                                             {"timehost.example", kTypeAaaa, 60, "2001:db8::1"}}));
  AsyncResolver resolver(options(), random_);
  resolver.request("TimeHost", std::nullopt, 0);
  resolver.request("timehost.example.", net::Family::kIPv6, 0);
  resolver.request("localhost", net::Family::kIPv4, 0);
  EXPECT_EQ(resolver.pending(), 0u);
  const auto results = resolver.take_results();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].source, ResolveSource::kHostsFile);
  EXPECT_EQ(results[0].addresses, std::vector{ip("192.0.2.77")});
  EXPECT_EQ(results[1].addresses, std::vector{ip("2001:db8::77")});
  EXPECT_EQ(results[2].addresses, std::vector{ip("127.0.0.1")});
  EXPECT_TRUE(dns.received().empty());
}

TEST_F(AsyncResolverTest, HostsEntryOfTheOtherFamilyFallsThroughToDns) {
  write_hosts("192.0.2.77 timehost.example\n");
  auto& dns = server("127.0.0.1",
                     FakeDnsServer::answers({{"timehost.example", kTypeAaaa, 60, "2001:db8::1"}}));
  const auto r = resolve("timehost.example", net::Family::kIPv6);
  EXPECT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.source, ResolveSource::kDns);
  EXPECT_EQ(r.addresses, std::vector{ip("2001:db8::1")});
  EXPECT_EQ(dns.received().size(), 1u);
}

TEST_F(AsyncResolverTest, AAndAaaaFromDnsIpv4First) {
  auto& dns = server("127.0.0.1", FakeDnsServer::answers({
                                      {"pool.example", kTypeAaaa, 300, "2001:db8::5"},
                                      {"pool.example", kTypeA, 120, "192.0.2.1"},
                                      {"pool.example", kTypeA, 60, "192.0.2.2"},
                                  }));
  const auto r = resolve("pool.example");
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.source, ResolveSource::kDns);
  EXPECT_EQ(r.addresses, (std::vector{ip("192.0.2.1"), ip("192.0.2.2"), ip("2001:db8::5")}));
  EXPECT_EQ(r.ttl_s, 60u);
  ASSERT_EQ(dns.received().size(), 2u);
  const auto& q0 = dns.received()[0];
  const auto& q1 = dns.received()[1];
  EXPECT_NE(q0.query.type, q1.query.type);
  for (const auto& q : {q0, q1}) {
    EXPECT_EQ(q.query.name, "pool.example");
    EXPECT_EQ(q.query.flags, testing::kDnsRd);
    EXPECT_EQ(q.from.address, net::IpAddress::v4_loopback());
    EXPECT_NE(q.from.port, port_);
  }
  // A socket and an id of its own per query.
  EXPECT_NE(q0.from.port, q1.from.port);
  EXPECT_NE(q0.query.id, q1.query.id);
}

TEST_F(AsyncResolverTest, FamilyRestrictionAsksOnlyForThatType) {
  auto& dns = server("127.0.0.1", FakeDnsServer::answers({
                                      {"pool.example", kTypeAaaa, 300, "2001:db8::5"},
                                      {"pool.example", kTypeA, 120, "192.0.2.1"},
                                  }));
  const auto r = resolve("pool.example", net::Family::kIPv6);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.addresses, std::vector{ip("2001:db8::5")});
  ASSERT_EQ(dns.received().size(), 1u);
  EXPECT_EQ(dns.received()[0].query.type, kTypeAaaa);
}

TEST_F(AsyncResolverTest, FollowsCnames) {
  server("127.0.0.1", FakeDnsServer::answers({
                          {"ntp.example", kTypeCname, 600, "edge.cdn.example"},
                          {"edge.cdn.example", kTypeA, 30, "203.0.113.8"},
                      }));
  // Driven through on_ready(now), as a loop that does not track fds would.
  const auto r = resolve("ntp.example", net::Family::kIPv4, std::nullopt, false);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.addresses, std::vector{ip("203.0.113.8")});
  EXPECT_EQ(r.ttl_s, 30u);
}

TEST_F(AsyncResolverTest, NxDomainIsFinalAndNotRetriedElsewhere) {
  write_resolv_conf("nameserver 127.0.0.1\nnameserver 127.0.0.2\noptions timeout:1\n");
  auto& first = server("127.0.0.1", FakeDnsServer::answers({}));
  auto& second =
      server("127.0.0.2", FakeDnsServer::answers({{"nope.example", kTypeA, 1, "192.0.2.1"}}));
  const auto r = resolve("nope.example");
  EXPECT_EQ(r.status, ResolveStatus::kNxDomain) << r.detail;
  EXPECT_NE(r.detail.find("NXDOMAIN"), std::string::npos) << r.detail;
  EXPECT_EQ(first.received().size(), 2u);  // A and AAAA
  EXPECT_TRUE(second.received().empty());
}

TEST_F(AsyncResolverTest, NoDataForBothFamilies) {
  server("127.0.0.1", FakeDnsServer::answers({{"mx-only.example", 15 /* MX */, 60, ""}}));
  const auto r = resolve("mx-only.example");
  EXPECT_EQ(r.status, ResolveStatus::kNoAddresses) << r.detail;
}

TEST_F(AsyncResolverTest, ServFailMovesOnToTheNextServer) {
  write_resolv_conf("nameserver 127.0.0.1\nnameserver 127.0.0.2\noptions timeout:5\n");
  auto& failing = server("127.0.0.1", [](const TestQuery& q) {
    return Replies{testing::dns_reply(q.id, q.name, q.type, 2 /* SERVFAIL */, {})};
  });
  auto& good =
      server("127.0.0.2", FakeDnsServer::answers({{"pool.example", kTypeA, 60, "192.0.2.9"}}));
  const int64_t start = read_monotonic_ns();
  const auto r = resolve("pool.example", net::Family::kIPv4);
  EXPECT_LT(seconds_since(start), 2.0);  // at once, not after the 5 s timeout
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.addresses, std::vector{ip("192.0.2.9")});
  EXPECT_EQ(failing.received().size(), 1u);
  EXPECT_EQ(good.received().size(), 1u);
}

TEST_F(AsyncResolverTest, EveryServerFailingIsAServerFailure) {
  write_resolv_conf("nameserver 127.0.0.1\noptions attempts:2\n");
  auto& refusing = server("127.0.0.1", [](const TestQuery& q) {
    return Replies{testing::dns_reply(q.id, q.name, q.type, 5 /* REFUSED */, {})};
  });
  const auto r = resolve("pool.example", net::Family::kIPv4);
  EXPECT_EQ(r.status, ResolveStatus::kServerFailure);
  EXPECT_NE(r.detail.find("REFUSED"), std::string::npos) << r.detail;
  EXPECT_EQ(refusing.received().size(), 2u);  // attempts:2
}

TEST_F(AsyncResolverTest, SilentServerTimesOutThenTheNextAnswers) {
  write_resolv_conf("nameserver 127.0.0.3\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
  auto& silent = server("127.0.0.3", FakeDnsServer::silent());
  auto& good =
      server("127.0.0.1", FakeDnsServer::answers({{"pool.example", kTypeA, 60, "192.0.2.9"}}));
  const int64_t start = read_monotonic_ns();
  const auto r = resolve("pool.example", net::Family::kIPv4, std::nullopt, false);
  const double took = seconds_since(start);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.addresses, std::vector{ip("192.0.2.9")});
  EXPECT_GE(took, 0.95);
  EXPECT_LT(took, 3.0);
  EXPECT_EQ(silent.received().size(), 1u);
  EXPECT_EQ(good.received().size(), 1u);
}

TEST_F(AsyncResolverTest, NoAnswerAnywhereIsATimeoutAfterEveryAttempt) {
  write_resolv_conf("nameserver 127.0.0.3\noptions timeout:1 attempts:2\n");
  auto& silent = server("127.0.0.3", FakeDnsServer::silent());
  const int64_t start = read_monotonic_ns();
  const auto r = resolve("pool.example", net::Family::kIPv4);
  const double took = seconds_since(start);
  EXPECT_EQ(r.status, ResolveStatus::kTimeout) << r.detail;
  EXPECT_NE(r.detail.find("127.0.0.3"), std::string::npos) << r.detail;
  EXPECT_GE(took, 1.95);
  EXPECT_LT(took, 4.0);
  ASSERT_EQ(silent.received().size(), 2u);
  // Each retransmission: a new socket (source port) and a new id.
  EXPECT_NE(silent.received()[0].from.port, silent.received()[1].from.port);
  EXPECT_NE(silent.received()[0].query.id, silent.received()[1].query.id);
}

TEST_F(AsyncResolverTest, GarbageAndWrongIdsAreIgnoredWhileWaiting) {
  server("127.0.0.1", [](const TestQuery& q) {
    auto wrong_id = testing::dns_reply(static_cast<uint16_t>(q.id ^ 1), q.name, q.type, 0,
                                       {{q.name, kTypeA, 60, "198.51.100.66"}});
    auto wrong_name = testing::dns_reply(q.id, "evil.example", q.type, 0,
                                         {{"evil.example", kTypeA, 60, "198.51.100.67"}});
    auto nx_for_wrong_id =
        testing::dns_reply(static_cast<uint16_t>(q.id + 7), q.name, q.type, 3, {});
    const std::vector<std::byte> garbage = {std::byte{0xde}, std::byte{0xad}, std::byte{0xbe}};
    auto good = testing::dns_reply(q.id, q.name, q.type, 0, {{q.name, kTypeA, 60, "192.0.2.10"}});
    return Replies{garbage, wrong_id, wrong_name, nx_for_wrong_id, good};
  });
  const auto r = resolve("pool.example", net::Family::kIPv4);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.addresses, std::vector{ip("192.0.2.10")});
}

TEST_F(AsyncResolverTest, GarbageOnlyMeansTimeoutThenNextServer) {
  write_resolv_conf("nameserver 127.0.0.1\nnameserver 127.0.0.2\noptions timeout:1 attempts:1\n");
  auto& garbage = server("127.0.0.1", [](const TestQuery& q) {
    auto reply = testing::dns_reply(q.id, q.name, q.type, 0, {{q.name, kTypeA, 60, "192.0.2.66"}});
    reply.resize(reply.size() - 2);  // cut inside the address, TC clear: malformed
    return Replies{reply};
  });
  auto& good =
      server("127.0.0.2", FakeDnsServer::answers({{"pool.example", kTypeA, 60, "192.0.2.9"}}));
  const auto r = resolve("pool.example", net::Family::kIPv4);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.addresses, std::vector{ip("192.0.2.9")});
  EXPECT_EQ(garbage.received().size(), 1u);
  EXPECT_EQ(good.received().size(), 1u);
}

TEST_F(AsyncResolverTest, TruncatedReplies) {
  write_resolv_conf("nameserver 127.0.0.1\nnameserver 127.0.0.2\noptions timeout:5 attempts:1\n");
  // A truncated reply without any complete address: the next server is asked.
  auto& empty_tc = server("127.0.0.1", [](const TestQuery& q) {
    return Replies{testing::dns_reply(q.id, q.name, q.type, 0, {}, testing::kDnsTc)};
  });
  // One with a complete record: used (no TCP fallback).
  auto& partial = server("127.0.0.2", [](const TestQuery& q) {
    auto reply = testing::dns_reply(
        q.id, q.name, q.type, 0,
        {{q.name, kTypeA, 60, "192.0.2.1"}, {q.name, kTypeA, 60, "192.0.2.2"}}, testing::kDnsTc);
    reply.resize(reply.size() - 6);
    return Replies{reply};
  });
  const int64_t start = read_monotonic_ns();
  const auto r = resolve("big.example", net::Family::kIPv4);
  EXPECT_LT(seconds_since(start), 2.0);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.addresses, std::vector{ip("192.0.2.1")});
  EXPECT_EQ(empty_tc.received().size(), 1u);
  EXPECT_EQ(partial.received().size(), 1u);
}

TEST_F(AsyncResolverTest, IcmpRefusalMovesOnWithoutWaitingForTheTimeout) {
  // Nothing listens on 127.0.0.4:port, so the kernel answers port unreachable.
  write_resolv_conf("nameserver 127.0.0.4\nnameserver 127.0.0.1\noptions timeout:5 attempts:1\n");
  server("127.0.0.1", FakeDnsServer::answers({{"pool.example", kTypeA, 60, "192.0.2.9"}}));
  const int64_t start = read_monotonic_ns();
  const auto r = resolve("pool.example", net::Family::kIPv4);
  EXPECT_LT(seconds_since(start), 2.0);
  ASSERT_TRUE(r.ok()) << r.detail;
}

TEST_F(AsyncResolverTest, UnreachableOnlyServerIsNoNameservers) {
  write_resolv_conf("nameserver 127.0.0.4\noptions timeout:5 attempts:1\n");
  const int64_t start = read_monotonic_ns();
  const auto r = resolve("pool.example", net::Family::kIPv4);
  EXPECT_LT(seconds_since(start), 2.0);
  EXPECT_EQ(r.status, ResolveStatus::kNoNameservers) << r.detail;
}

TEST_F(AsyncResolverTest, MissingResolvConfMeansTheLocalNameserver) {
  server("127.0.0.1", FakeDnsServer::answers({{"pool.example", kTypeA, 60, "192.0.2.9"}}));
  auto o = options();
  o.resolv_conf_path = dir_ + "/does-not-exist";
  const auto r = resolve("pool.example", net::Family::kIPv4, o);
  ASSERT_TRUE(r.ok()) << r.detail;
}

TEST_F(AsyncResolverTest, SearchListForShortNames) {
  write_resolv_conf("nameserver 127.0.0.1\nsearch corp.example lab.example\noptions timeout:1\n");
  auto& dns = server("127.0.0.1", FakeDnsServer::answers({
                                      {"timehost.lab.example", kTypeA, 60, "192.0.2.20"},
                                      {"timehost", kTypeA, 60, "192.0.2.21"},
                                  }));
  const auto r = resolve("timehost", net::Family::kIPv4);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.addresses, std::vector{ip("192.0.2.20")});
  ASSERT_EQ(dns.received().size(), 2u);
  EXPECT_EQ(dns.received()[0].query.name, "timehost.corp.example");
  EXPECT_EQ(dns.received()[1].query.name, "timehost.lab.example");

  const auto nx = resolve("nowhere", net::Family::kIPv4);
  EXPECT_EQ(nx.status, ResolveStatus::kNxDomain);
  EXPECT_NE(nx.detail.find("nowhere.corp.example, nowhere.lab.example, nowhere"), std::string::npos)
      << nx.detail;
}

TEST_F(AsyncResolverTest, Ipv6Nameserver) {
  auto probe = UdpSocket::bind({ip("::1"), 0});
  if (!probe && probe.error().code == ErrorCode::kUnsupported) GTEST_SKIP() << "no IPv6 loopback";
  write_resolv_conf("nameserver ::1\noptions timeout:1\n");
  auto& dns = server("::1", FakeDnsServer::answers({{"pool.example", kTypeA, 60, "192.0.2.9"}}));
  const auto r = resolve("pool.example", net::Family::kIPv4);
  ASSERT_TRUE(r.ok()) << r.detail;
  ASSERT_EQ(dns.received().size(), 1u);
  EXPECT_EQ(dns.received()[0].from.address, ip("::1"));
}

TEST_F(AsyncResolverTest, ConcurrencyIsBoundedAndEveryLookupCompletes) {
  std::vector<TestRecord> records;
  for (int i = 0; i < 6; ++i) {
    records.push_back(
        {"host" + std::to_string(i) + ".example", kTypeA, 60, "192.0.2." + std::to_string(i + 1)});
  }
  auto& dns = server("127.0.0.1", FakeDnsServer::answers(records));
  auto o = options();
  o.max_queries_in_flight = 2;
  max_in_flight_ = 2;
  AsyncResolver resolver(o, random_);
  for (int i = 0; i < 6; ++i) {
    resolver.request("host" + std::to_string(i) + ".example", net::Family::kIPv4,
                     read_monotonic_ns());
    EXPECT_LE(resolver.queries_in_flight(), 2u);
  }
  EXPECT_EQ(resolver.poll_fds().size(), 2u);
  auto results = drive(resolver);
  ASSERT_EQ(results.size(), 6u);
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.detail;
    const auto n = static_cast<size_t>(r.name[4] - '0');
    EXPECT_EQ(r.addresses, std::vector{ip(("192.0.2." + std::to_string(n + 1)).c_str())});
  }
  EXPECT_EQ(dns.received().size(), 6u);
}

TEST_F(AsyncResolverTest, TooManyPendingLookupsFailAtOnce) {
  server("127.0.0.1", FakeDnsServer::silent());
  auto o = options();
  o.max_pending_requests = 1;
  AsyncResolver resolver(o, random_);
  resolver.request("a.example", std::nullopt, read_monotonic_ns());
  const auto second = resolver.request("b.example", std::nullopt, read_monotonic_ns());
  auto results = resolver.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].id, second);
  EXPECT_EQ(results[0].status, ResolveStatus::kTooManyRequests);
}

TEST_F(AsyncResolverTest, CancelClosesSocketsAndReportsNothing) {
  auto& silent = server("127.0.0.1", FakeDnsServer::silent());
  AsyncResolver resolver(options(), random_);
  const auto id = resolver.request("pool.example", std::nullopt, read_monotonic_ns());
  EXPECT_EQ(resolver.poll_fds().size(), 2u);
  ASSERT_TRUE(resolver.next_timeout_ns().has_value());
  resolver.cancel(id, read_monotonic_ns());
  EXPECT_TRUE(resolver.poll_fds().empty());
  EXPECT_FALSE(resolver.next_timeout_ns().has_value());
  EXPECT_EQ(resolver.pending(), 0u);
  resolver.on_timeout(read_monotonic_ns() + 60'000'000'000);
  EXPECT_TRUE(resolver.take_results().empty());
  silent.serve();
}

TEST_F(AsyncResolverTest, InvalidNamesFailAtOnce) {
  AsyncResolver resolver(options(), random_);
  resolver.request("bad name", std::nullopt, 0);
  resolver.request("", std::nullopt, 0);
  const auto results = resolver.take_results();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status, ResolveStatus::kInvalidName);
  EXPECT_EQ(results[1].status, ResolveStatus::kInvalidName);
  EXPECT_TRUE(resolver.poll_fds().empty());
}

}  // namespace
}  // namespace meridian::platform
