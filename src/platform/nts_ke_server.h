// NTS-KE server (RFC 8915 §4): TLS 1.3 on TCP (4460 by default), ALPN
// "ntske/1" required. For each valid request it exports the two keys (§5.1),
// asks the owner for cookies and answers with them.
//
// Concurrency: one thread of its own (started and stopped by the owner; the
// default single-threaded ntpd starts it only when NTS is on) runs a
// non-blocking poll() loop with per-connection state (handshake → read
// request → write response → close). No connection can hold up another: all
// TLS I/O is non-blocking, each connection has a deadline (5 s by default)
// after which it is dropped, and at most `max_connections` are open at once —
// beyond that new ones wait in the listen backlog. One loop rather than a
// thread pool because the work per connection is a few milliseconds of CPU
// (one handshake, one cookie batch) and the waiting is what must not block;
// the cost is that `make_cookies` runs on this thread and must be quick and
// thread-safe with respect to the daemon.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/net/address.h"
#include "core/nts/ke_records.h"
#include "core/nts/keys.h"
#include "core/result.h"
#include "platform/nts_server_tls.h"  // check_certificate

namespace meridian::platform {

using MakeCookies = std::function<Result<std::vector<std::vector<std::byte>>>(const nts::NtsKeys&)>;

struct NtsKeServerConfig {
  // Addresses to listen on (IPv4 and/or IPv6); port 0 picks an ephemeral
  // port (tests), see NtsKeServer::bound().
  std::vector<net::Endpoint> listen;
  std::string cert_file;  // PEM chain, leaf first (`nts cert FILE`)
  std::string key_file;   // PEM private key (`nts key FILE`)
  // Optional Server/Port records in every response (§4.1.7, §4.1.8), e.g.
  // when the NTP server is another host than this KE server.
  std::optional<std::string> ntp_server;
  std::optional<uint16_t> ntp_port;
  int64_t connection_timeout_ms = 5000;
  size_t max_connections = 64;
  MakeCookies make_cookies;  // required; called on the server thread
  // Optional: one line per failed or refused connection (called on the
  // server thread; the owner rate-limits if it logs to syslog).
  std::function<void(const std::string&)> log;
};

struct NtsKeServerCounters {
  uint64_t connections = 0;      // accepted TCP connections
  uint64_t handshakes = 0;       // TLS 1.3 handshakes completed with ALPN ntske/1
  uint64_t tls_failures = 0;     // handshake failed, no ALPN ntske/1, or TLS error later
  uint64_t bad_requests = 0;     // malformed request answered with an Error record
  uint64_t refusals = 0;         // well-formed, but no NTPv4 or no AEAD we support
  uint64_t keys_issued = 0;      // responses with cookies sent (the successes)
  uint64_t internal_errors = 0;  // key export or make_cookies failed (error 2 sent)
  uint64_t timeouts = 0;         // connections dropped at their deadline
};

class NtsKeServer {
 public:
  // Loads and checks the certificate and key, opens the listening sockets.
  // An address whose family is missing (no IPv6 stack) is skipped with a
  // note in warnings(); it is an error only if no address could be opened.
  static Result<std::unique_ptr<NtsKeServer>> create(NtsKeServerConfig config);
  ~NtsKeServer();
  NtsKeServer(const NtsKeServer&) = delete;
  NtsKeServer& operator=(const NtsKeServer&) = delete;

  // Starts the server thread. REQUIRES: not running.
  Status start();
  // Stops and joins the thread, closing open connections. Idempotent.
  void stop();

  // The addresses actually listened on (ports filled in for port 0).
  const std::vector<net::Endpoint>& bound() const { return bound_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  // A consistent-enough snapshot (each counter read atomically); any thread.
  NtsKeServerCounters counters() const;

 private:
  struct Impl;
  explicit NtsKeServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::vector<net::Endpoint> bound_;
  std::vector<std::string> warnings_;
  std::thread thread_;
};

}  // namespace meridian::platform
