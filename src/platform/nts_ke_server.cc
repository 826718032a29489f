#include "platform/nts_ke_server.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <variant>

#include "platform/nts_server_tls.h"
#include "platform/nts_tls.h"
#include "platform/socket_address.h"

namespace meridian::platform {
namespace {

// A request is a few dozen bytes (a few hundred with a server name); the
// bound keeps a connection's memory small whatever the client sends.
constexpr size_t kMaxRequestBytes = 8 * 1024;
// After our close_notify we wait this long at most for the client to close,
// so the kernel does not reset a connection whose response is still unread.
constexpr int64_t kLingerMs = 1000;
constexpr int kListenBacklog = 128;

enum class State { kHandshake, kReading, kWriting, kShutdown, kDraining, kDone };

struct Connection {
  UniqueFd fd;
  SslPtr ssl;
  std::string peer;
  int64_t deadline_ms = 0;
  State state = State::kHandshake;
  short want = POLLIN;
  std::vector<std::byte> in;
  std::vector<std::byte> out;
};

struct Counters {
  std::atomic<uint64_t> connections{0}, handshakes{0}, tls_failures{0}, bad_requests{0},
      refusals{0}, keys_issued{0}, internal_errors{0}, timeouts{0};
};

void bump(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

// A non-blocking listening TCP socket on `ep`. kUnsupported when the family
// is missing (kernel without IPv6), so the caller can go on with the others.
Result<UniqueFd> open_listener(const net::Endpoint& ep, int backlog) {
  const bool v6 = ep.address.family() == net::Family::kIPv6;
  UniqueFd fd(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0));
  if (fd.get() < 0) {
    const int err = errno;
    const bool missing = err == EAFNOSUPPORT || err == EPROTONOSUPPORT || err == EINVAL;
    return make_error(missing ? ErrorCode::kUnsupported : ErrorCode::kIo,
                      fmt::format("NTS-KE socket for {}: {}", ep.to_string(), std::strerror(err)));
  }
  const int one = 1;
  (void)setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // An IPv6 socket serves only IPv6, so "0.0.0.0" and "::" can both be listed.
  if (v6) (void)setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(ep, ss);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    const int err = errno;
    return make_error(err == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kUnavailable,
                      fmt::format("NTS-KE bind {}: {}", ep.to_string(), std::strerror(err)));
  }
  if (listen(fd.get(), backlog) < 0) {
    return make_error(ErrorCode::kIo,
                      fmt::format("NTS-KE listen {}: {}", ep.to_string(), std::strerror(errno)));
  }
  if (auto st = set_nonblocking_cloexec(fd.get()); !st) return st.error();
  return fd;
}

}  // namespace

struct NtsKeServer::Impl {
  NtsKeServerConfig config;
  SslCtxPtr ctx;
  std::vector<UniqueFd> listeners;
  UniqueFd wake;  // eventfd: stop() wakes the poll at once
  std::atomic<bool> stopping{false};
  Counters counters;
  std::list<Connection> connections;

  void run();
  void accept_from(int listen_fd);
  void advance(Connection& c);
  std::vector<std::byte> answer(Connection& c);
  void log(const Connection& c, std::string_view what) const {
    if (config.log) config.log(fmt::format("NTS-KE {}: {}", c.peer, what));
  }
  // Maps an OpenSSL result to the events to wait for; false for a real failure.
  bool wants_io(Connection& c, int result) {
    const int err = SSL_get_error(c.ssl.get(), result);
    if (err == SSL_ERROR_WANT_READ) c.want = POLLIN;
    if (err == SSL_ERROR_WANT_WRITE) c.want = POLLOUT;
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
  }
  void fail_tls(Connection& c, std::string_view step) {
    bump(counters.tls_failures);
    log(c, fmt::format("TLS {} failed: {}", step, openssl_errors()));
    c.state = State::kDone;
  }
};

Result<std::unique_ptr<NtsKeServer>> NtsKeServer::create(NtsKeServerConfig config) {
  if (!config.make_cookies) {
    return make_error(ErrorCode::kInvalidArgument, "NTS-KE server needs a cookie maker");
  }
  if (config.listen.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "NTS-KE server: no address to listen on");
  }
  auto impl = std::make_unique<Impl>();
  auto ctx = make_server_context(config.cert_file, config.key_file);
  if (!ctx) return ctx.error();
  impl->ctx = std::move(*ctx);
  std::vector<net::Endpoint> bound;
  std::vector<std::string> warnings;
  for (const net::Endpoint& ep : config.listen) {
    auto fd = open_listener(ep, kListenBacklog);
    if (!fd) {
      if (fd.error().code != ErrorCode::kUnsupported) return fd.error();
      warnings.push_back(fd.error().message);
      continue;
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    net::Endpoint actual = ep;
    if (getsockname(fd->get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      from_sockaddr(reinterpret_cast<sockaddr*>(&ss), actual);
    }
    bound.push_back(actual);
    impl->listeners.push_back(std::move(*fd));
  }
  if (impl->listeners.empty()) {
    return make_error(ErrorCode::kUnavailable, "NTS-KE server: no address could be opened");
  }
  impl->wake = UniqueFd(eventfd(0, 0));
  if (impl->wake.get() < 0) {
    return make_error(ErrorCode::kIo, fmt::format("eventfd: {}", std::strerror(errno)));
  }
  if (auto st = set_nonblocking_cloexec(impl->wake.get()); !st) return st.error();
  impl->config = std::move(config);
  std::unique_ptr<NtsKeServer> server(new NtsKeServer(std::move(impl)));
  server->bound_ = std::move(bound);
  server->warnings_ = std::move(warnings);
  return server;
}

NtsKeServer::NtsKeServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NtsKeServer::~NtsKeServer() { stop(); }

Status NtsKeServer::start() {
  if (thread_.joinable()) return make_error(ErrorCode::kInvalidArgument, "already running");
  impl_->stopping = false;
  thread_ = std::thread([impl = impl_.get()] { impl->run(); });
  return {};
}

void NtsKeServer::stop() {
  if (!thread_.joinable()) return;
  impl_->stopping = true;
  const uint64_t one = 1;
  (void)!write(impl_->wake.get(), &one, sizeof one);
  thread_.join();
}

NtsKeServerCounters NtsKeServer::counters() const {
  const Counters& c = impl_->counters;
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(c.connections), get(c.handshakes),  get(c.tls_failures),    get(c.bad_requests),
          get(c.refusals),    get(c.keys_issued), get(c.internal_errors), get(c.timeouts)};
}

void NtsKeServer::Impl::run() {
  ScopedSigpipeBlock no_sigpipe;  // a client that hangs up must not kill the daemon
  std::vector<pollfd> fds;
  std::vector<Connection*> polled;
  while (!stopping.load()) {
    fds.clear();
    polled.clear();
    fds.push_back({wake.get(), POLLIN, 0});
    const bool accepting = connections.size() < config.max_connections;
    for (const UniqueFd& l : listeners)
      fds.push_back({l.get(), static_cast<short>(accepting ? POLLIN : 0), 0});
    int64_t next_deadline = -1;
    for (Connection& c : connections) {
      fds.push_back({c.fd.get(), c.want, 0});
      polled.push_back(&c);
      if (next_deadline < 0 || c.deadline_ms < next_deadline) next_deadline = c.deadline_ms;
    }
    int timeout = -1;
    if (next_deadline >= 0) {
      timeout = static_cast<int>(std::clamp<int64_t>(next_deadline - monotonic_ms(), 0, 60000));
    }
    const int n = poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) break;
    if (stopping.load()) break;
    if (n > 0) {
      for (size_t i = 0; i < listeners.size(); ++i) {
        if ((fds[1 + i].revents & POLLIN) != 0) accept_from(listeners[i].get());
      }
      for (size_t i = 0; i < polled.size(); ++i) {
        if (fds[1 + listeners.size() + i].revents != 0) advance(*polled[i]);
      }
    }
    const int64_t now = monotonic_ms();
    for (auto it = connections.begin(); it != connections.end();) {
      if (it->state != State::kDone && now >= it->deadline_ms) {
        if (it->state != State::kDraining) {
          bump(counters.timeouts);
          log(*it, "deadline passed, connection dropped");
        }
        it->state = State::kDone;
      }
      it = it->state == State::kDone ? connections.erase(it) : std::next(it);
    }
  }
  connections.clear();
}

void NtsKeServer::Impl::accept_from(int listen_fd) {
  // Bounded by the free connection slots; EAGAIN ends it earlier.
  while (connections.size() < config.max_connections) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    UniqueFd fd(accept(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len));
    if (fd.get() < 0) return;  // EAGAIN, or a transient error (ECONNABORTED, EMFILE)
    bump(counters.connections);
    Connection c;
    net::Endpoint peer;
    c.peer = from_sockaddr(reinterpret_cast<sockaddr*>(&ss), peer) ? peer.to_string() : "?";
    if (!set_nonblocking_cloexec(fd.get())) continue;
    c.ssl.reset(SSL_new(ctx.get()));
    if (!c.ssl || SSL_set_fd(c.ssl.get(), fd.get()) != 1) {
      fail_tls(c, "setup");
      continue;
    }
    SSL_set_accept_state(c.ssl.get());
    c.fd = std::move(fd);
    c.deadline_ms = monotonic_ms() + config.connection_timeout_ms;
    connections.push_back(std::move(c));
    advance(connections.back());
  }
}

void NtsKeServer::Impl::advance(Connection& c) {
  std::byte chunk[4096];
  // Every pass moves to a later state or reads ≥ 1 byte of a request bounded
  // by kMaxRequestBytes, or returns to wait for the socket.
  for (int pass = 0; pass < 64 && c.state != State::kDone; ++pass) {
    clear_openssl_errors();
    switch (c.state) {
      case State::kHandshake: {
        const int r = SSL_accept(c.ssl.get());
        if (r == 1) {
          if (!selected_ntske_alpn(c.ssl.get())) {
            bump(counters.tls_failures);
            log(c, "client did not offer ALPN ntske/1");
            c.state = State::kDone;
            break;
          }
          bump(counters.handshakes);
          c.state = State::kReading;
          c.want = POLLIN;
          break;
        }
        if (!wants_io(c, r)) fail_tls(c, "handshake");
        return;
      }
      case State::kReading: {
        const int r = SSL_read(c.ssl.get(), chunk, sizeof chunk);
        if (r <= 0) {
          if (wants_io(c, r)) return;
          bump(counters.bad_requests);
          log(c, "connection closed before a complete request");
          c.state = State::kDone;
          break;
        }
        c.in.insert(c.in.end(), chunk, chunk + r);
        auto len = nts::message_length(c.in, kMaxRequestBytes);
        if (!len || *len) {
          if (len) c.in.resize(**len);
          c.out = len ? answer(c) : nts::build_error_response(nts::KeErrorCode::kBadRequest);
          if (!len) {
            bump(counters.bad_requests);
            log(c, len.error().message);
          }
          c.state = State::kWriting;
          c.want = POLLOUT;
        }
        break;
      }
      case State::kWriting: {
        const int r = SSL_write(c.ssl.get(), c.out.data(), static_cast<int>(c.out.size()));
        if (r > 0) {
          c.state = State::kShutdown;
          break;
        }
        if (!wants_io(c, r)) fail_tls(c, "write");
        return;
      }
      case State::kShutdown: {
        const int r = SSL_shutdown(c.ssl.get());  // sends our close_notify
        if (r < 0 && wants_io(c, r)) return;
        ::shutdown(c.fd.get(), SHUT_WR);
        c.state = State::kDraining;
        c.want = POLLIN;
        c.deadline_ms = std::min(c.deadline_ms, monotonic_ms() + kLingerMs);
        return;
      }
      case State::kDraining: {
        const ssize_t r = recv(c.fd.get(), chunk, sizeof chunk, 0);
        if (r > 0) break;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        c.state = State::kDone;  // the client closed too
        return;
      }
      case State::kDone:
        return;
    }
  }
}

std::vector<std::byte> NtsKeServer::Impl::answer(Connection& c) {
  auto parsed = nts::parse_client_request(c.in);
  if (const auto* err = std::get_if<nts::RequestError>(&parsed)) {
    bump(counters.bad_requests);
    log(c, "bad request: " + err->reason);
    return nts::build_error_response(err->code);
  }
  const auto& request = std::get<nts::ClientRequest>(parsed);
  if (auto refusal = nts::build_refusal_response(request)) {
    bump(counters.refusals);
    log(c, "refused: the client offers no NTPv4 or no AEAD we support");
    return *refusal;
  }
  auto keys = export_nts_keys(c.ssl.get(), nts::kAeadAesSivCmac256);
  if (keys) {
    auto cookies = config.make_cookies(*keys);
    if (cookies) {
      auto response =
          nts::build_server_response({std::move(*cookies), config.ntp_server, config.ntp_port});
      if (response) {
        bump(counters.keys_issued);
        return std::move(*response);
      }
      log(c, "cannot build the response: " + response.error().message);
    } else {
      log(c, "cannot make cookies: " + cookies.error().message);
    }
  } else {
    log(c, keys.error().message);
  }
  bump(counters.internal_errors);
  return nts::build_error_response(nts::KeErrorCode::kInternalServerError);
}

}  // namespace meridian::platform
