// What systemd shows for ntpd: a STATUS= line that follows the sync state
// ("synchronised to 192.0.2.1 at stratum 3" / "unsynchronised"), sent when
// it changes, and WATCHDOG=1 pings at half the WatchdogSec interval.
// Driven by the loop's tick hook; a no-op without NOTIFY_SOCKET.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/engine/client_engine.h"
#include "core/server/server_core.h"
#include "platform/service_notify.h"

namespace meridian::daemon {

// The state in words, from what we serve (`view`) and the client's system
// peer (null `client`: a pure server).
std::string sync_status_text(const server::ServerView& view, const engine::ClientEngine* client,
                             double now_s);

class ServiceStatus {
 public:
  // `client`: the client engine, or null for a pure server (it may appear
  // on a reload that adds server lines).
  ServiceStatus(platform::ServiceNotifier& notifier, const server::ServerCore& core,
                std::function<const engine::ClientEngine*()> client);
  // The current STATUS text.
  std::string text(int64_t now_ns) const;
  // The text for READY=1, remembered as sent.
  std::string initial(int64_t now_ns);
  // Sends what is due at `now_ns` (monotonic); returns when to call again.
  int64_t tick(int64_t now_ns);

 private:
  platform::ServiceNotifier& notifier_;
  const server::ServerCore& core_;
  std::function<const engine::ClientEngine*()> client_;
  std::string last_status_;
  int64_t next_status_ns_ = 0;
  int64_t last_sent_ns_ = 0;
  int64_t next_watchdog_ns_ = 0;
};

}  // namespace meridian::daemon
