// NTS-KE over real TLS on loopback (RFC 8915 §4): our server and our client
// with a throwaway PKI made by tests/support/make_nts_test_certs.sh (openssl
// CLI). Both sides must export the same keys; verification must fail for a
// wrong CA, a wrong name and an expired certificate (unless time checks are
// off); the server must survive and count clients that speak no ntske/1,
// send garbage, send bad requests or say nothing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/nts/ke_records.h"
#include "platform/nts_ke_client.h"
#include "platform/nts_ke_server.h"

#ifndef MERIDIAN_NTS_CERT_SCRIPT
#error "MERIDIAN_NTS_CERT_SCRIPT must name tests/support/make_nts_test_certs.sh"
#endif

namespace meridian::platform {
namespace {

namespace fs = std::filesystem;

fs::path g_pki;  // made once for the whole suite

class NtsKeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The raw test clients below write to servers that hang up on them; our
    // own client and server block SIGPIPE themselves.
    std::signal(SIGPIPE, SIG_IGN);
    std::string tmpl = (fs::temp_directory_path() / "meridian-nts-ke-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    g_pki = tmpl;
    const std::string cmd = std::string("bash ") + MERIDIAN_NTS_CERT_SCRIPT + " " + g_pki.string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(g_pki, ec);
  }
  static std::string pki(const char* name) { return (g_pki / name).string(); }

  void TearDown() override {
    if (server_) server_->stop();
  }

  // Starts our server on 127.0.0.1 (ephemeral port) with `cert`/`key`.
  // The cookie maker records the keys it saw and returns 8 cookies derived
  // from them, so the client side can check what it got.
  void start_server(const char* cert = "server.pem", const char* key = "server.key",
                    std::function<void(NtsKeServerConfig&)> tweak = {}) {
    NtsKeServerConfig cfg;
    cfg.listen = {net::Endpoint{net::IpAddress::v4_loopback(), 0}};
    cfg.cert_file = pki(cert);
    cfg.key_file = pki(key);
    cfg.make_cookies = [this](const nts::NtsKeys& keys) {
      std::lock_guard lock(mu_);
      server_keys_.push_back(keys);
      return Result<std::vector<std::vector<std::byte>>>(cookies_for(keys));
    };
    cfg.log = [this](const std::string& line) {
      std::lock_guard lock(mu_);
      server_log_.push_back(line);
    };
    if (tweak) tweak(cfg);
    auto s = NtsKeServer::create(std::move(cfg));
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
    ASSERT_EQ(server_->bound().size(), 1u);
    port_ = server_->bound()[0].port;
    ASSERT_NE(port_, 0);
    ASSERT_TRUE(server_->start());
  }

  static std::vector<std::vector<std::byte>> cookies_for(const nts::NtsKeys& keys) {
    std::vector<std::vector<std::byte>> out;
    for (int i = 0; i < 8; ++i) {
      std::vector<std::byte> c(keys.c2s.begin(), keys.c2s.end());
      c.push_back(static_cast<std::byte>(i));
      out.push_back(std::move(c));
    }
    return out;
  }

  NtsKeClientOptions client(const std::string& host = "ntp.test") const {
    NtsKeClientOptions o;
    o.host = host;
    o.address = net::IpAddress::v4_loopback();
    o.port = port_;
    o.ca_file = pki("ca.pem");
    o.timeout_ms = 5000;
    return o;
  }

  // Waits (≤ 5 s) until `pred(counters)` holds: the server counts on its own thread.
  bool eventually(const std::function<bool(const NtsKeServerCounters&)>& pred) const {
    for (int i = 0; i < 500; ++i) {
      if (pred(server_->counters())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::string server_log() {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& l : server_log_) out += l + "\n";
    return out;
  }

  std::unique_ptr<NtsKeServer> server_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::vector<nts::NtsKeys> server_keys_;
  std::vector<std::string> server_log_;
};

// A plain TCP connection to 127.0.0.1:port (blocking), or -1.
int tcp_connect(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{3, 0};  // no read in these tests may hang
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// A TLS client that trusts anything and offers `alpn` (wire form, may be
// empty): sends `request` and returns everything the server sent back, or
// nullopt if the handshake failed.
std::optional<std::vector<std::byte>> raw_tls_exchange(uint16_t port, std::string_view alpn_wire,
                                                       const std::vector<std::byte>& request) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  if (!alpn_wire.empty()) {
    SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(alpn_wire.data()),
                            static_cast<unsigned>(alpn_wire.size()));
  }
  const int fd = tcp_connect(port);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  std::optional<std::vector<std::byte>> out;
  if (fd >= 0 && SSL_connect(ssl) == 1) {
    out.emplace();
    if (!request.empty()) SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    std::byte buf[4096];
    for (int i = 0; i < 100; ++i) {
      const int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) break;
      out->insert(out->end(), buf, buf + n);
    }
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  if (fd >= 0) close(fd);
  return out;
}

TEST_F(NtsKeTest, ClientAndServerExportTheSameKeysAndCookiesArrive) {
  start_server();
  auto r = nts_ke_exchange(client());
  ASSERT_TRUE(r) << r.error().message << "\n" << server_log();
  std::lock_guard lock(mu_);
  ASSERT_EQ(server_keys_.size(), 1u);
  EXPECT_EQ(r->keys.c2s, server_keys_[0].c2s);
  EXPECT_EQ(r->keys.s2c, server_keys_[0].s2c);
  EXPECT_NE(r->keys.c2s, r->keys.s2c);
  EXPECT_NE(r->keys.c2s, (std::array<std::byte, nts::kKeySize>{}));
  EXPECT_EQ(r->cookies, cookies_for(server_keys_[0]));
  EXPECT_FALSE(r->server);
  EXPECT_FALSE(r->port);
}

TEST_F(NtsKeTest, EachSessionHasItsOwnKeys) {
  start_server();
  auto a = nts_ke_exchange(client());
  auto b = nts_ke_exchange(client("127.0.0.1"));  // verified against the IP SAN
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_NE(a->keys.c2s, b->keys.c2s);
  EXPECT_TRUE(eventually([](const auto& c) { return c.keys_issued == 2 && c.handshakes == 2; }));
  EXPECT_EQ(server_->counters().connections, 2u);
  EXPECT_EQ(server_->counters().tls_failures, 0u);
}

TEST_F(NtsKeTest, ServerAndPortRecordsReachTheClient) {
  start_server("fullchain.pem", "server.key", [](NtsKeServerConfig& c) {
    c.ntp_server = "ntp2.test";
    c.ntp_port = 10123;
  });
  auto r = nts_ke_exchange(client());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->server, "ntp2.test");
  EXPECT_EQ(r->port, 10123);
}

TEST_F(NtsKeTest, WrongCaIsRejectedWithOpenSslsReason) {
  start_server();
  auto o = client();
  o.ca_file = pki("other_ca.pem");
  auto r = nts_ke_exchange(o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("certificate of ntp.test"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("unable to get local issuer certificate"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(eventually([](const auto& c) { return c.tls_failures == 1; })) << server_log();
  EXPECT_EQ(server_->counters().keys_issued, 0u);
}

TEST_F(NtsKeTest, WrongHostNameIsRejected) {
  start_server();
  auto r = nts_ke_exchange(client("time.example.org"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("hostname mismatch"), std::string::npos) << r.error().message;
  auto ip = nts_ke_exchange(client("127.0.0.2"));
  ASSERT_FALSE(ip);
  EXPECT_NE(ip.error().message.find("IP address mismatch"), std::string::npos)
      << ip.error().message;
}

TEST_F(NtsKeTest, ExpiredCertificateFailsUnlessTimeChecksAreOff) {
  start_server("expired.pem", "expired.key");
  auto strict = nts_ke_exchange(client());
  ASSERT_FALSE(strict);
  EXPECT_NE(strict.error().message.find("certificate has expired"), std::string::npos)
      << strict.error().message;
  auto o = client();
  o.check_time = false;
  auto loose = nts_ke_exchange(o);
  ASSERT_TRUE(loose) << loose.error().message;
  EXPECT_EQ(loose->cookies.size(), 8u);
  // Time checks off still verifies the chain and the name.
  o.ca_file = pki("other_ca.pem");
  EXPECT_FALSE(nts_ke_exchange(o));
  o = client("time.example.org");
  o.check_time = false;
  EXPECT_FALSE(nts_ke_exchange(o));
}

TEST_F(NtsKeTest, ClientsWithoutNtskeOrWithGarbageAreCountedAndTheServerGoesOn) {
  start_server();
  const auto request = nts::build_client_request();
  // No ALPN at all: the handshake completes, then the server hangs up.
  auto no_alpn = raw_tls_exchange(port_, "", request);
  EXPECT_TRUE(!no_alpn || no_alpn->empty());
  // Another protocol only: fatal no_application_protocol alert.
  EXPECT_FALSE(raw_tls_exchange(port_, std::string_view("\x02h2", 3), request));
  // Not TLS at all.
  const int fd = tcp_connect(port_);
  ASSERT_GE(fd, 0);
  const char http[] = "GET / HTTP/1.0\r\n\r\n";
  ASSERT_EQ(write(fd, http, sizeof http - 1), static_cast<ssize_t>(sizeof http - 1));
  char buf[256];
  (void)!read(fd, buf, sizeof buf);  // the server answers with an alert or just closes
  close(fd);
  EXPECT_TRUE(eventually([](const auto& c) { return c.tls_failures == 3; }))
      << server_->counters().tls_failures << "\n"
      << server_log();
  auto r = nts_ke_exchange(client());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(server_->counters().keys_issued, 1u);
}

TEST_F(NtsKeTest, BadAndUnsupportedRequestsGetTheRightAnswer) {
  start_server();
  const std::string alpn("\x07ntske/1", 8);
  // Next Protocol without AEAD: Bad Request (error 1).
  const std::vector<std::byte> bad = {std::byte{0x80}, std::byte{1}, std::byte{0},    std::byte{2},
                                      std::byte{0},    std::byte{0}, std::byte{0x80}, std::byte{0},
                                      std::byte{0},    std::byte{0}};
  auto r1 = raw_tls_exchange(port_, alpn, bad);
  ASSERT_TRUE(r1);
  EXPECT_EQ(*r1, nts::build_error_response(nts::KeErrorCode::kBadRequest));
  // An unknown critical record: error 0.
  auto unknown = nts::build_client_request();
  const std::vector<std::byte> crit = {std::byte{0xc0}, std::byte{0}, std::byte{0}, std::byte{0}};
  unknown.insert(unknown.begin(), crit.begin(), crit.end());
  auto r2 = raw_tls_exchange(port_, alpn, unknown);
  ASSERT_TRUE(r2);
  EXPECT_EQ(*r2, nts::build_error_response(nts::KeErrorCode::kUnrecognizedCriticalRecord));
  // A well-formed request for another AEAD: empty AEAD record, no cookies.
  const std::vector<std::byte> other_aead = {
      std::byte{0x80}, std::byte{1}, std::byte{0}, std::byte{2}, std::byte{0}, std::byte{0},
      std::byte{0x80}, std::byte{4}, std::byte{0}, std::byte{2}, std::byte{0}, std::byte{30},
      std::byte{0x80}, std::byte{0}, std::byte{0}, std::byte{0}};
  auto r3 = raw_tls_exchange(port_, alpn, other_aead);
  ASSERT_TRUE(r3);
  auto parsed = nts::parse_server_response(*r3);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("none of our AEAD"), std::string::npos);
  EXPECT_TRUE(eventually([](const auto& c) { return c.bad_requests == 2 && c.refusals == 1; }))
      << server_log();
  EXPECT_EQ(server_->counters().keys_issued, 0u);
}

TEST_F(NtsKeTest, CookieFailureIsAnInternalServerError) {
  start_server("server.pem", "server.key", [](NtsKeServerConfig& c) {
    c.make_cookies = [](const nts::NtsKeys&) -> Result<std::vector<std::vector<std::byte>>> {
      return make_error(ErrorCode::kIo, "no cookie key yet");
    };
  });
  auto r = nts_ke_exchange(client());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("error 2 (internal server error)"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(eventually([](const auto& c) { return c.internal_errors == 1; }));
}

TEST_F(NtsKeTest, ASilentClientTimesOutWithoutBlockingOthers) {
  // Generous numbers: the good exchange takes ~50 ms, but this machine may be busy.
  start_server("server.pem", "server.key",
               [](NtsKeServerConfig& c) { c.connection_timeout_ms = 2000; });
  const int idle = tcp_connect(port_);  // connects, then says nothing
  ASSERT_GE(idle, 0);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = nts_ke_exchange(client());
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_LT(took, std::chrono::milliseconds(1500)) << "the idle client held up the good one";
  EXPECT_EQ(server_->counters().timeouts, 0u);
  EXPECT_TRUE(eventually([](const auto& c) { return c.timeouts == 1; })) << server_log();
  char buf[16];
  EXPECT_EQ(read(idle, buf, sizeof buf), 0) << "the server should have closed the idle connection";
  close(idle);
}

TEST_F(NtsKeTest, ConnectionLimitHoldsNewClientsInTheBacklog) {
  // The deadline also bounds the good client's own handshake once accepted,
  // so it is kept well above a busy machine's handshake time.
  start_server("server.pem", "server.key", [](NtsKeServerConfig& c) {
    c.max_connections = 1;
    c.connection_timeout_ms = 1500;
  });
  const int idle = tcp_connect(port_);  // takes the only slot until its deadline
  ASSERT_GE(idle, 0);
  ASSERT_TRUE(eventually([](const auto& c) { return c.connections == 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = nts_ke_exchange(client());
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r) << r.error().message << "\n" << server_log();
  EXPECT_GE(took, std::chrono::milliseconds(1000)) << "served beyond max_connections";
  EXPECT_EQ(server_->counters().timeouts, 1u);
  close(idle);
}

TEST_F(NtsKeTest, ClientTimesOutOnASilentServerAndReportsRefusedConnections) {
  // A listening socket that never speaks TLS.
  const int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  ASSERT_EQ(listen(lfd, 4), 0);
  socklen_t len = sizeof sin;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&sin), &len);
  port_ = ntohs(sin.sin_port);
  auto o = client();
  o.timeout_ms = 300;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = nts_ke_exchange(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  close(lfd);
  // Nothing listens there now.
  auto refused = nts_ke_exchange(o);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("Connection refused"), std::string::npos)
      << refused.error().message;
}

TEST_F(NtsKeTest, CheckCertificateNamesWhatIsWrong) {
  const std::time_t now = std::time(nullptr);
  auto ok = check_certificate(pki("server.pem"), pki("server.key"), now);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_NE(ok->subject.find("ntp.test"), std::string::npos) << ok->subject;
  auto mismatch = check_certificate(pki("server.pem"), pki("other.key"), now);
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().message.find("does not match"), std::string::npos)
      << mismatch.error().message;
  auto expired = check_certificate(pki("expired.pem"), pki("expired.key"), now);
  ASSERT_FALSE(expired);
  EXPECT_NE(expired.error().message.find("expired on Jan  1 00:00:00 2021 GMT"), std::string::npos)
      << expired.error().message;
  auto notyet = check_certificate(pki("notyet.pem"), pki("notyet.key"), now);
  ASSERT_FALSE(notyet);
  EXPECT_NE(notyet.error().message.find("not valid before Jan  1 00:00:00 2090"), std::string::npos)
      << notyet.error().message;
  // The same expired certificate was fine in 2020.
  EXPECT_TRUE(check_certificate(pki("expired.pem"), pki("expired.key"), 1590000000));
  auto missing = check_certificate(pki("nonexistent.pem"), pki("server.key"), now);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot read certificate file"), std::string::npos);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
  auto not_pem = check_certificate(pki("ca.cnf"), pki("server.key"), now);
  ASSERT_FALSE(not_pem);
  EXPECT_NE(not_pem.error().message.find("certificate file"), std::string::npos);
  // The server refuses to start with a mismatched key.
  NtsKeServerConfig cfg;
  cfg.listen = {net::Endpoint{net::IpAddress::v4_loopback(), 0}};
  cfg.cert_file = pki("server.pem");
  cfg.key_file = pki("other.key");
  cfg.make_cookies = [](const nts::NtsKeys&) -> Result<std::vector<std::vector<std::byte>>> {
    return std::vector<std::vector<std::byte>>{};
  };
  EXPECT_FALSE(NtsKeServer::create(cfg));
}

TEST_F(NtsKeTest, ServerListensOnIpv6LoopbackToo) {
  NtsKeServerConfig cfg;
  auto v6 = net::IpAddress::parse("::1");
  ASSERT_TRUE(v6);
  cfg.listen = {net::Endpoint{net::IpAddress::v4_loopback(), 0}, net::Endpoint{*v6, 0}};
  cfg.cert_file = pki("server.pem");
  cfg.key_file = pki("server.key");
  cfg.make_cookies = [](const nts::NtsKeys& keys) {
    return Result<std::vector<std::vector<std::byte>>>(cookies_for(keys));
  };
  auto s = NtsKeServer::create(std::move(cfg));
  ASSERT_TRUE(s) << s.error().message;
  server_ = std::move(*s);
  ASSERT_TRUE(server_->start());
  for (const auto& ep : server_->bound()) {
    if (ep.address.family() != net::Family::kIPv6) continue;
    auto o = client();
    o.address = ep.address;
    o.port = ep.port;
    auto r = nts_ke_exchange(o);
    ASSERT_TRUE(r) << r.error().message;
    return;
  }
  GTEST_SKIP() << "no IPv6 on this machine: " << server_->warnings().size() << " warning(s)";
}

}  // namespace
}  // namespace meridian::platform
