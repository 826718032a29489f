// Everything `nts enable` runs inside ntpd (RFC 8915):
//  * the cookie keys: loaded from `nts cookie FILE` (default: `ntskeys` next
//    to the driftfile), rotated daily (cookie_keyring.h), written back
//    atomically (mode 0600) so a restart keeps clients' cookies valid; the
//    file is re-read before each rotation and whenever it changed, so several
//    servers behind one name can share it (whichever rotates first writes
//    the new key, the others adopt it);
//  * the context the NTP server answers NTS requests with (ServerPolicy::nts);
//  * the NTS-KE server thread (TLS 1.3 on TCP `nts port`, default 4460),
//    which names our NTP port in a Port record when it is not 123.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/control/variables.h"
#include "core/net/address.h"
#include "core/result.h"
#include "core/server/nts_server_context.h"
#include "daemon/logger.h"
#include "platform/nts_ke_server.h"
#include "platform/random_os.h"

namespace meridian::daemon {

// Where the cookie keys live: `nts cookie FILE`, else `ntskeys` in the
// driftfile's directory, else nowhere (kept in memory only).
std::optional<std::string> cookie_key_path(const config::Config& config);

// `ntpd --check` and start-up: certificate and key (readable, matching, valid
// now), the cookie key file (parses, if it exists). Each problem is one
// "FILE: message" line.
std::vector<std::string> check_nts_server(const config::Config& config, std::time_t now);
// "FILE:LINE" of `directive` (e.g. "nts cert") in the configuration, else of
// the last `nts` line.
std::string where(const config::Config& config, const std::string& directive);

class NtsServer {
 public:
  struct Settings {
    uint16_t ntp_port = 123;            // ours, named in a Port record when not 123
    std::optional<net::Family> family;  // -4 / -6
  };
  // Loads (or makes) the cookie keys, checks the certificate and binds the
  // NTS-KE sockets; run() starts its thread (after the sandbox is in place,
  // so the thread inherits it).
  static Result<std::unique_ptr<NtsServer>> create(const config::Config& config,
                                                   const Settings& settings, Logger& log);
  Status run();
  ~NtsServer();

  std::shared_ptr<const server::NtsServerContext> context() const { return context_; }
  // Once a minute: adopt a changed key file, rotate when due, save, publish.
  void maintain();
  platform::NtsKeServerCounters ke_counters() const { return ke_->counters(); }
  // For mode 6 (ss_nts_*): NTP-side counters of every thread and NTS-KE's.
  control::ServerStatistics::Nts statistics() const;
  const std::vector<net::Endpoint>& ke_bound() const { return ke_->bound(); }

 private:
  NtsServer(Logger& log, std::optional<std::string> path);
  Status load_file(bool at_start);
  Status save_file();

  Logger& log_;
  std::optional<std::string> path_;
  std::shared_ptr<platform::OsRandom> random_ = std::make_shared<platform::OsRandom>();
  std::shared_ptr<server::NtsServerContext> context_;
  nts::CookieKeyring keyring_;
  int64_t file_mtime_ns_ = -1;
  std::unique_ptr<platform::NtsKeServer> ke_;
};

}  // namespace meridian::daemon
