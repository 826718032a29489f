#include "platform/service_notify.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "platform/clock.h"  // read_monotonic_ns

namespace meridian::platform {

namespace {

// Opens an AF_UNIX datagram socket connected to `path` ("/…" or "@abstract").
Result<int> open_connected(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() < 2 || (path[0] != '/' && path[0] != '@') ||
      path.size() >= sizeof(addr.sun_path)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("NOTIFY_SOCKET={}: not a socket path", path));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';  // Linux abstract namespace
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                                          (path[0] == '@' ? 0 : 1));
  const int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0) {
    return make_error(ErrorCode::kIo,
                      fmt::format("NOTIFY_SOCKET: socket: {}", std::strerror(errno)));
  }
  (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
  // Connected now, as root: the socket's permissions are checked here, not
  // on every send after the privilege drop.
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    const int err = errno;
    close(fd);
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("NOTIFY_SOCKET={}: {}", path, std::strerror(err)));
  }
  return fd;
}

std::optional<int64_t> parse_int(const char* text) {
  if (text == nullptr) return std::nullopt;
  int64_t v = 0;
  const char* end = text + std::strlen(text);
  const auto [p, ec] = std::from_chars(text, end, v);
  if (ec != std::errc() || p != end) return std::nullopt;
  return v;
}

}  // namespace

ServiceNotifier ServiceNotifier::from_environment() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || *path == '\0') return {};
  auto n = connect_to(path);
  if (!n) return {};
  // The watchdog is meant for one process: WATCHDOG_PID, when set, names it.
  const auto usec = parse_int(std::getenv("WATCHDOG_USEC"));
  const auto pid = parse_int(std::getenv("WATCHDOG_PID"));
  if (usec && *usec > 0 && (!pid || *pid == static_cast<int64_t>(getpid()))) {
    n->watchdog_ns_ = *usec * 1000;
  }
  return std::move(*n);
}

Result<ServiceNotifier> ServiceNotifier::connect_to(const std::string& socket_path) {
  auto fd = open_connected(socket_path);
  if (!fd) return fd.error();
  ServiceNotifier n;
  n.fd_ = *fd;
  n.path_ = socket_path;
  return n;
}

ServiceNotifier::~ServiceNotifier() {
  if (fd_ >= 0) close(fd_);
}

ServiceNotifier::ServiceNotifier(ServiceNotifier&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), watchdog_ns_(other.watchdog_ns_) {
  other.fd_ = -1;
}

ServiceNotifier& ServiceNotifier::operator=(ServiceNotifier&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    watchdog_ns_ = other.watchdog_ns_;
    other.fd_ = -1;
  }
  return *this;
}

Status ServiceNotifier::send(std::string_view message) {
  if (fd_ < 0) return {};
  // Never block the loop on the service manager.
  constexpr int kFlags = MSG_NOSIGNAL | MSG_DONTWAIT;
  if (::send(fd_, message.data(), message.size(), kFlags) >= 0) return {};
  int err = errno;
  if (err == ECONNREFUSED || err == ENOTCONN) {
    // The manager re-created its socket (e.g. re-exec): connect once more.
    if (auto fd = open_connected(path_)) {
      close(fd_);
      fd_ = *fd;
      if (::send(fd_, message.data(), message.size(), kFlags) >= 0) return {};
      err = errno;
    }
  }
  return make_error(ErrorCode::kIo, fmt::format("sd_notify: {}", std::strerror(err)));
}

Status ServiceNotifier::ready(std::string_view status) {
  std::string m = fmt::format("READY=1\nMAINPID={}", static_cast<long>(getpid()));
  if (!status.empty()) m += fmt::format("\nSTATUS={}", status);
  return send(m);
}

Status ServiceNotifier::reloading() {
  // MONOTONIC_USEC: CLOCK_MONOTONIC in µs, so the manager can tell this
  // reload from an earlier one.
  return send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", read_monotonic_ns() / 1000));
}

Status ServiceNotifier::stopping() { return send("STOPPING=1"); }

Status ServiceNotifier::status(std::string_view text) {
  return send(fmt::format("STATUS={}", text));
}

Status ServiceNotifier::watchdog() { return send("WATCHDOG=1"); }

ServiceNotifier& service_notifier() {
  static ServiceNotifier notifier = ServiceNotifier::from_environment();
  return notifier;
}

void notify_ready(std::string_view status) { (void)service_notifier().ready(status); }
void notify_reloading() { (void)service_notifier().reloading(); }
void notify_stopping() { (void)service_notifier().stopping(); }

}  // namespace meridian::platform
