// ntpd's single-threaded main loop (DESIGN.md §5): wildcard UDP sockets on
// every IPv4/IPv6 address, poll() with a timeout, signals as flags.
#pragma once

#include <csignal>
#include <memory>
#include <vector>

#include "core/config/config.h"
#include "core/server/server_core.h"
#include "daemon/logger.h"
#include "platform/clock.h"
#include "platform/interfaces.h"
#include "platform/udp_socket.h"

namespace meridian::daemon {

// Set by signal handlers; the loop polls with a timeout and checks them.
struct SignalFlags {
  volatile std::sig_atomic_t stop = 0;
  volatile std::sig_atomic_t reload = 0;
};
void install_signal_handlers(SignalFlags& flags);

struct LoopSettings {
  uint16_t port = 123;
  std::optional<net::Family> family;  // -4 / -6
};

class ServerLoop {
 public:
  ServerLoop(const config::Config& config, const LoopSettings& settings, platform::Clock& clock,
             server::ServerCore& core, Logger& log);

  // Binds the sockets; fails when no family at all could be bound.
  Status open();
  // Runs until flags.stop; returns the exit status.
  int run(SignalFlags& flags);
  // The bound ports (useful with --port 0 in tests).
  std::vector<net::Endpoint> bound() const;

 private:
  void handle(const platform::UdpSocket& socket, const platform::Datagram& d);
  void rescan_interfaces();
  void refresh_view();

  const config::Config& config_;
  LoopSettings settings_;
  platform::Clock& clock_;
  server::ServerCore& core_;
  Logger& log_;
  std::vector<platform::UdpSocket> sockets_;
  std::vector<platform::LocalAddress> addresses_;
  int64_t next_rescan_ns_ = 0;
  int64_t next_view_refresh_ns_ = 0;
};

}  // namespace meridian::daemon
