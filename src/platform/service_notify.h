// systemd's service notification protocol (sd_notify(3), Type=notify):
// newline-separated KEY=VALUE datagrams to the AF_UNIX socket named by
// $NOTIFY_SOCKET ("/path" or "@abstract").
//
// Hand-written rather than libsystemd: the protocol is documented as stable
// and is ~50 lines; the daemon then has no libsystemd dependency (it runs on
// non-systemd systems and in containers alike), and the socket is opened and
// connected once at start-up, as root, so notifications still go through
// after the privilege drop and under the seccomp filter (sd_notify() opens a
// fresh socket and connects by path for every message).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace meridian::platform {

class ServiceNotifier {
 public:
  // Disabled: every call is a no-op.
  ServiceNotifier() = default;
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID; a missing or
  // unusable NOTIFY_SOCKET leaves the notifier disabled.
  static ServiceNotifier from_environment();
  // For tests: the socket path given directly.
  static Result<ServiceNotifier> connect_to(const std::string& socket_path);
  ~ServiceNotifier();
  ServiceNotifier(ServiceNotifier&& other) noexcept;
  ServiceNotifier& operator=(ServiceNotifier&& other) noexcept;
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  bool enabled() const { return fd_ >= 0; }
  // Sends one message ("READY=1\nSTATUS=…"). No-op when disabled.
  Status send(std::string_view message);

  // READY=1 (+ MAINPID, STATUS if given): start-up or reload complete.
  Status ready(std::string_view status = {});
  // RELOADING=1 with MONOTONIC_USEC (systemd ≥ 253 Type=notify-reload wants it).
  Status reloading();
  Status stopping();
  Status status(std::string_view text);
  Status watchdog();
  // WATCHDOG_USEC (for this process), or nullopt: no watchdog configured.
  std::optional<int64_t> watchdog_interval_ns() const { return watchdog_ns_; }

 private:
  int fd_ = -1;
  std::string path_;  // for reconnecting if the manager re-created its socket
  std::optional<int64_t> watchdog_ns_;
};

// The process-wide notifier (from the environment, opened on first use), so
// reload code anywhere in the daemon can say RELOADING=1 / READY=1.
ServiceNotifier& service_notifier();
void notify_ready(std::string_view status = {});
void notify_reloading();
void notify_stopping();

// A reload in a scope: RELOADING=1 when made, READY=1 when it ends, whatever
// the outcome (a refused configuration leaves the old one running: ready).
class ReloadNotice {
 public:
  ReloadNotice() { notify_reloading(); }
  ~ReloadNotice() { notify_ready(); }
  ReloadNotice(const ReloadNotice&) = delete;
  ReloadNotice& operator=(const ReloadNotice&) = delete;
};

}  // namespace meridian::platform
