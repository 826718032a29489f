#include "platform/nts_ke_client.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "platform/nts_tls.h"
#include "platform/socket_address.h"

namespace meridian::platform {
namespace {

// Waits until `fd` is ready for `events` or the deadline passes.
Status wait_io(int fd, short events, int64_t deadline_ms, std::string_view what) {
  // Each pass either returns or waits for the remaining time; EINTR retries
  // are bounded because the remaining time only shrinks.
  for (int i = 0; i < 1000; ++i) {
    const int64_t left = deadline_ms - monotonic_ms();
    if (left <= 0) break;
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, static_cast<int>(left));
    if (n > 0) return {};
    if (n < 0 && errno != EINTR) {
      return make_error(ErrorCode::kIo, fmt::format("poll: {}", std::strerror(errno)));
    }
  }
  return make_error(ErrorCode::kTimeout, fmt::format("NTS-KE timed out while {}", what));
}

Result<UniqueFd> connect_tcp(const net::Endpoint& to, int64_t deadline_ms) {
  const bool v6 = to.address.family() == net::Family::kIPv6;
  UniqueFd fd(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0));
  if (fd.get() < 0) {
    return make_error(ErrorCode::kUnavailable, fmt::format("socket: {}", std::strerror(errno)));
  }
  if (auto st = set_nonblocking_cloexec(fd.get()); !st) return st.error();
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(to, ss);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0 && errno != EINPROGRESS) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("connect to {}: {}", to.to_string(), std::strerror(errno)));
  }
  if (auto st = wait_io(fd.get(), POLLOUT, deadline_ms, "connecting to " + to.to_string()); !st) {
    return st.error();
  }
  int err = 0;
  socklen_t err_len = sizeof err;
  if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len) < 0) err = errno;
  if (err != 0) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("connect to {}: {}", to.to_string(), std::strerror(err)));
  }
  return fd;
}

// Runs one OpenSSL call to completion on a non-blocking socket: retried after
// poll() whenever OpenSSL wants to read or write. Returns the call's positive
// result, or 0 when the peer closed the TLS connection cleanly.
Result<int> ssl_call(SSL* ssl, int fd, int64_t deadline_ms, std::string_view what,
                     const std::function<int()>& op) {
  for (int i = 0; i < 100000; ++i) {  // bounded: every wait also checks the deadline
    clear_openssl_errors();
    const int r = op();
    if (r > 0) return r;
    const int err = SSL_get_error(ssl, r);
    short events = 0;
    if (err == SSL_ERROR_WANT_READ) events = POLLIN;
    if (err == SSL_ERROR_WANT_WRITE) events = POLLOUT;
    if (err == SSL_ERROR_ZERO_RETURN) return 0;
    if (events == 0) {
      const int saved_errno = errno;
      std::string detail = openssl_errors();
      if (err == SSL_ERROR_SYSCALL && saved_errno != 0) detail = std::strerror(saved_errno);
      return make_error(ErrorCode::kUnavailable, fmt::format("TLS {}: {}", what, detail));
    }
    if (auto st = wait_io(fd, events, deadline_ms, what); !st) return st.error();
  }
  return make_error(ErrorCode::kTimeout, fmt::format("TLS {}: no progress", what));
}

Result<SslCtxPtr> make_client_context(const NtsKeClientOptions& o) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return make_error(ErrorCode::kIo, "SSL_CTX_new: " + openssl_errors());
  // RFC 8915 §3: TLS 1.3 or later only.
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) != 1) {
    return make_error(ErrorCode::kUnsupported, "TLS 1.3 not available: " + openssl_errors());
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!o.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), o.ca_file.c_str(), nullptr) != 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("cannot load CA file {}: {}", o.ca_file, openssl_errors()));
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return make_error(ErrorCode::kIo, "cannot load the system CA store: " + openssl_errors());
  }
  // SSL_CTX_set_alpn_protos returns 0 on success.
  if (SSL_CTX_set_alpn_protos(ctx.get(), kNtsKeAlpnWire, sizeof kNtsKeAlpnWire) != 0) {
    return make_error(ErrorCode::kIo, "cannot set ALPN: " + openssl_errors());
  }
  // One exchange per connection: no session resumption to keep.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  return ctx;
}

Status configure_peer_check(SSL* ssl, const NtsKeClientOptions& o) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (net::IpAddress::parse(o.host)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, o.host.c_str()) != 1) {
      return make_error(ErrorCode::kInvalidArgument, "bad address for verification: " + o.host);
    }
  } else {
    if (SSL_set1_host(ssl, o.host.c_str()) != 1 ||
        SSL_set_tlsext_host_name(ssl, o.host.c_str()) != 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("bad host name {}: {}", o.host, openssl_errors()));
    }
  }
  if (!o.check_time) {
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
  } else if (o.verify_time_unix_s) {
    // The daemon's clock, not necessarily the system's (a virtual clock).
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(*o.verify_time_unix_s));
  }
  return {};
}

Result<std::vector<std::byte>> read_response(SSL* ssl, int fd, int64_t deadline_ms) {
  std::vector<std::byte> buf;
  std::byte chunk[4096];
  // Each successful read adds at least one byte and message_length() fails
  // past kMaxKeMessageBytes, so this loop is bounded by the message size.
  while (true) {
    auto n = ssl_call(ssl, fd, deadline_ms, "reading the NTS-KE response",
                      [&] { return SSL_read(ssl, chunk, sizeof chunk); });
    if (!n) return n.error();
    if (*n == 0) {
      return make_error(ErrorCode::kMalformed,
                        "NTS-KE server closed the connection before End of Message");
    }
    buf.insert(buf.end(), chunk, chunk + *n);
    auto len = nts::message_length(buf);
    if (!len) return len.error();
    if (*len) {
      buf.resize(**len);
      return buf;
    }
  }
}

}  // namespace

Result<KeOutcome> nts_ke_exchange(const NtsKeClientOptions& o) {
  const int64_t deadline = monotonic_ms() + o.timeout_ms;
  if (o.host.empty()) return make_error(ErrorCode::kInvalidArgument, "NTS-KE: no server name");
  std::optional<net::IpAddress> address = o.address ? o.address : net::IpAddress::parse(o.host);
  if (!address) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("NTS-KE: {} is not an address and none was given", o.host));
  }
  const net::Endpoint to{*address, o.port};
  ScopedSigpipeBlock no_sigpipe;

  auto ctx = make_client_context(o);
  if (!ctx) return ctx.error();
  auto fd = connect_tcp(to, deadline);
  if (!fd) return fd.error();
  SslPtr ssl(SSL_new(ctx->get()));
  if (!ssl || SSL_set_fd(ssl.get(), fd->get()) != 1) {
    return make_error(ErrorCode::kIo, "SSL_new: " + openssl_errors());
  }
  if (auto st = configure_peer_check(ssl.get(), o); !st) return st.error();

  const std::string peer = fmt::format("{} ({})", o.host, to.to_string());
  auto hs = ssl_call(ssl.get(), fd->get(), deadline, "handshake with " + peer,
                     [&] { return SSL_connect(ssl.get()); });
  if (!hs || *hs == 0) {
    const long verify = SSL_get_verify_result(ssl.get());
    if (verify != X509_V_OK) {
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("NTS-KE certificate of {} rejected: {}", peer,
                                    X509_verify_cert_error_string(verify)));
    }
    if (!hs) return hs.error();
    return make_error(ErrorCode::kUnavailable,
                      "TLS handshake with " + peer + ": connection closed");
  }
  if (!selected_ntske_alpn(ssl.get())) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("NTS-KE server {} did not select ALPN ntske/1", peer));
  }

  const auto request = nts::build_client_request(o.request);
  auto wrote = ssl_call(ssl.get(), fd->get(), deadline, "sending the NTS-KE request", [&] {
    return SSL_write(ssl.get(), request.data(), static_cast<int>(request.size()));
  });
  if (!wrote) return wrote.error();
  if (*wrote == 0) return make_error(ErrorCode::kUnavailable, "NTS-KE server closed early");

  auto response = read_response(ssl.get(), fd->get(), deadline);
  if (!response) return response.error();
  auto parsed = nts::parse_server_response(*response);
  if (!parsed) {
    return make_error(parsed.error().code, fmt::format("{}: {}", peer, parsed.error().message));
  }
  auto keys = export_nts_keys(ssl.get(), parsed->aead);
  if (!keys) return keys.error();
  (void)SSL_shutdown(ssl.get());  // best effort close_notify; the answer is complete
  return KeOutcome{*keys, std::move(parsed->cookies), std::move(parsed->server), parsed->port};
}

}  // namespace meridian::platform
