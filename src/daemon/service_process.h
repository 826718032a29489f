// ntpd as a system service: the steps between "config loaded, sockets
// bound" and "the loop runs confined", in the order that keeps each one
// possible (issue #8):
//   prepare()  resolve -u USER (fail before binding), open the sd_notify socket
//   start()    daemonise (without -n), write the pidfile (the final pid),
//              hand the files written later to USER, drop root
//   confine()  the seccomp allow-list (unless --no-seccomp), last of all
//   finish()   STOPPING=1, remove the pidfile
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/result.h"
#include "daemon/logger.h"
#include "daemon/options.h"
#include "platform/privileges.h"

namespace meridian::daemon {

class ServiceProcess {
 public:
  ServiceProcess(const Options& options, Logger& log);
  ~ServiceProcess();  // finish(), if not done
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  Status prepare();
  // `written_later`: files the daemon rewrites while running (driftfile);
  // with -u they must stay writable for the user.
  Status start(const std::vector<std::string>& written_later);
  // `threads`: worker threads will be started afterwards (the filter allows that).
  // `threads`: threads start after the filter (fast path, NTS-KE);
  // `tcp_server`: the NTS-KE server accepts connections.
  void confine(const config::Config& config, bool threads = false, bool tcp_server = false);
  // Logs "ready: STATUS"; READY=1 with a STATUS line (sd_notify no-op without NOTIFY_SOCKET).
  void ready(const std::string& status);
  void finish();

 private:
  void prepare_for_user(const std::vector<std::string>& written_later);

  const Options& options_;
  Logger& log_;
  std::optional<platform::TargetUser> user_;
  std::string pidfile_;  // written by us, to be removed at exit
  bool finished_ = false;
};

}  // namespace meridian::daemon
