#include "daemon/service_process.h"

#include <fmt/format.h>
#include <unistd.h>

#include "platform/daemonise.h"
#include "platform/disk_file_source.h"
#include "platform/seccomp_filter.h"
#include "platform/service_notify.h"

namespace meridian::daemon {

ServiceProcess::ServiceProcess(const Options& options, Logger& log)
    : options_(options), log_(log) {}

ServiceProcess::~ServiceProcess() { finish(); }

Status ServiceProcess::prepare() {
  if (options_.user) {
    auto user = platform::resolve_user(*options_.user);
    if (!user) return user.error();
    if (geteuid() != 0 && getuid() != user->uid) {
      return make_error(ErrorCode::kPermissionDenied,
                        fmt::format("-u {}: only root can change user (running as uid {})",
                                    *options_.user, static_cast<long>(getuid())));
    }
    user_ = std::move(*user);
  }
  // Opened (and connected) now, while root and before seccomp.
  if (platform::service_notifier().enabled()) log_.debug("NOTIFY_SOCKET: notifying the manager");
  return {};
}

Status ServiceProcess::start(const std::vector<std::string>& written_later) {
  if (!options_.foreground) {
    // Rather keep running in the foreground than not at all.
    if (auto s = platform::daemonise(); !s) log_.warning(s.error().message);
  }
  // Written after the fork, so it holds the daemon's final pid.
  const std::string pidfile = options_.pidfile.value_or(options_.foreground ? "" : "/run/ntpd.pid");
  if (!pidfile.empty()) {
    if (auto s = platform::write_pidfile(pidfile); !s)
      log_.warning(s.error().message);
    else
      pidfile_ = pidfile;
  }
  if (!user_) return {};
  if (geteuid() == 0) prepare_for_user(written_later);
  auto dropped = platform::drop_privileges(*user_);
  if (!dropped) return dropped.error();
  if (dropped->switched) {
    std::string kept;
    if (dropped->sys_time) kept += " CAP_SYS_TIME";
    if (dropped->net_bind_service) kept += " CAP_NET_BIND_SERVICE";
    log_.notice(fmt::format("running as user {} (uid {}), group {} (gid {}); capabilities kept:{}",
                            user_->user_name, static_cast<long>(user_->uid), user_->group_name,
                            static_cast<long>(user_->gid), kept.empty() ? " none" : kept));
    if (!dropped->sys_time) {
      const std::string why = "CAP_SYS_TIME is not in the capability bounding set";
      if (options_.clock == "system")
        log_.warning(why + ": the system clock cannot be disciplined");
      else
        log_.info(why);
    }
  }
  return {};
}

// Classic ntpd leaves ownership to packaging (/var/lib/ntp owned by ntp);
// we also hand over what we created or will rewrite, and say what will not
// work, while we still can.
void ServiceProcess::prepare_for_user(const std::vector<std::string>& written_later) {
  const platform::TargetUser& u = *user_;
  if (!pidfile_.empty()) {
    if (auto s = platform::hand_over_file(pidfile_, u); !s) log_.warning(s.error().message);
    if (!platform::directory_writable_by(pidfile_, u)) {
      log_.info(
          fmt::format("pidfile {}: its directory is not writable by {}; "
                      "it will be emptied, not removed, at exit",
                      pidfile_, u.user_name));
    }
  }
  for (const auto& path : written_later) {
    if (platform::directory_writable_by(path, u)) continue;  // temp file + rename works
    if (platform::path_exists(path)) {
      // Rewritten in place instead (see write_drift_file).
      if (auto s = platform::hand_over_file(path, u); !s) log_.warning(s.error().message);
    } else {
      log_.warning(
          fmt::format("{}: directory not writable by user {} and no file yet; "
                      "it cannot be written (make the directory writable by {})",
                      path, u.user_name, u.user_name));
    }
  }
}

void ServiceProcess::confine(const config::Config& /*config*/, bool threads, bool tcp_server) {
  if (!options_.seccomp) {
    log_.info("seccomp filter off (--no-seccomp)");
    return;
  }
  platform::SeccompReport report;
  report.syslog = log_.to_syslog();
  report.fd = log_.fd() >= 0 ? log_.fd() : 2;
  report.threads = threads;
  report.tcp_server = tcp_server;
  auto allowed = platform::install_seccomp_filter(report);
  if (!allowed) {
    // A kernel without seccomp should not stop time service.
    log_.warning(fmt::format("{}; running without the seccomp filter", allowed.error().message));
    return;
  }
  log_.info(fmt::format("seccomp filter active: {} system calls allowed", *allowed));
  return;
}

// Logged last of all start-up steps: signal handlers, pidfile and seccomp are
// in place, so scripts (and our tests) may wait for this line.
void ServiceProcess::ready(const std::string& status) {
  log_.info(fmt::format("ready: {}", status));
  platform::notify_ready(status);
}

void ServiceProcess::finish() {
  if (finished_) return;
  finished_ = true;
  platform::notify_stopping();
  if (pidfile_.empty()) return;
  auto removed = platform::remove_pidfile(pidfile_);
  if (!removed)
    log_.warning(removed.error().message);
  else if (*removed != "removed")
    log_.info(fmt::format("pidfile {} {}", pidfile_, *removed));
}

}  // namespace meridian::daemon
