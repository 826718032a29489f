#include "daemon/nts_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/nts/openssl_aead.h"
#include "platform/nts_server_tls.h"

namespace meridian::daemon {

namespace {

constexpr uint16_t kDefaultKePort = 4460;
constexpr size_t kKeCookies = 8;  // RFC 8915 §4.1.6: the client starts with 8

int64_t now_unix_s() { return static_cast<int64_t>(std::time(nullptr)); }

// Modification time in ns, or -1 when the file does not exist.
int64_t mtime_ns(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, fmt::format("{}: {}", path, std::strerror(errno)));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes `text` to `path` through a 0600 temporary file and rename(), so a
// crash never leaves half a key file and other users never read the keys.
Status write_private(const std::string& path, const std::string& text) {
  const std::string temp = path + ".TEMP";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(ErrorCode::kIo, fmt::format("{}: {}", temp, std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == text.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(temp.c_str());
    return make_error(ErrorCode::kIo, fmt::format("cannot write {}: {}", path, std::strerror(err)));
  }
  return {};
}

std::string parent_directory(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::optional<std::string> cookie_key_path(const config::Config& config) {
  if (config.nts.cookie) return config.nts.cookie;
  if (config.driftfile) return parent_directory(*config.driftfile) + "/ntskeys";
  return std::nullopt;
}

std::string where(const config::Config& config, const std::string& directive) {
  const auto it = config.locations.find(directive);
  if (it == config.locations.end())
    return config.nts.where.file + ":" + std::to_string(config.nts.where.line);
  return it->second.file + ":" + std::to_string(it->second.line);
}

std::vector<std::string> check_nts_server(const config::Config& config, std::time_t now) {
  std::vector<std::string> problems;
  if (!config.nts.enable) return problems;
  if (!config.nts.cert || !config.nts.key) {
    problems.push_back(fmt::format("{}:{}: nts enable needs `nts cert FILE` and `nts key FILE`",
                                   config.nts.where.file, config.nts.where.line));
  } else if (auto info = platform::check_certificate(*config.nts.cert, *config.nts.key, now);
             !info) {
    problems.push_back(
        fmt::format("{}: nts cert/key: {}", where(config, "nts cert"), info.error().message));
  }
  if (const auto path = cookie_key_path(config); path && mtime_ns(*path) >= 0) {
    auto text = read_text(*path);
    if (!text) {
      problems.push_back(text.error().message);
    } else {
      const auto parsed = nts::parse_keyring(*text);
      for (const auto& e : parsed.errors)
        problems.push_back(fmt::format("{}:{}: {}", *path, e.line, e.message));
    }
  }
  return problems;
}

NtsServer::NtsServer(Logger& log, std::optional<std::string> path)
    : log_(log), path_(std::move(path)) {}

NtsServer::~NtsServer() {
  if (ke_) ke_->stop();
}

Result<std::unique_ptr<NtsServer>> NtsServer::create(const config::Config& config,
                                                     const Settings& settings, Logger& log) {
  if (!config.nts.cert || !config.nts.key)
    return make_error(ErrorCode::kInvalidArgument,
                      "nts enable needs `nts cert FILE` and `nts key FILE`");
  auto aead = nts::OpenSslAead::create();
  if (!aead) return aead.error();
  std::unique_ptr<NtsServer> s(new NtsServer(log, cookie_key_path(config)));
  s->context_ = std::make_shared<server::NtsServerContext>(
      std::shared_ptr<const nts::Aead>(std::move(*aead)), s->random_);
  if (!s->path_) {
    log.warning(
        "nts: no `nts cookie FILE` and no driftfile: cookie keys are kept in memory only, so "
        "clients need a new NTS-KE handshake after every restart");
  }
  if (auto st = s->load_file(true); !st) return st.error();
  s->maintain();  // first key, saved and published

  platform::NtsKeServerConfig ke;
  const uint16_t port = config.nts.port.value_or(kDefaultKePort);
  if (settings.family != net::Family::kIPv6)
    ke.listen.push_back(net::Endpoint{net::IpAddress::v4({0, 0, 0, 0}), port});
  if (settings.family != net::Family::kIPv4)
    ke.listen.push_back(net::Endpoint{net::IpAddress::v6({}), port});
  ke.cert_file = *config.nts.cert;
  ke.key_file = *config.nts.key;
  if (settings.ntp_port != 123) ke.ntp_port = settings.ntp_port;
  std::weak_ptr<server::NtsServerContext> weak = s->context_;
  ke.make_cookies =
      [weak](const nts::NtsKeys& keys) -> Result<std::vector<std::vector<std::byte>>> {
    const auto ctx = weak.lock();
    if (!ctx) return make_error(ErrorCode::kUnavailable, "shutting down");
    return ctx->make_cookies(keys, kKeCookies);
  };
  ke.log = [&log](const std::string& line) { log.info(fmt::format("NTS-KE: {}", line)); };
  auto server = platform::NtsKeServer::create(std::move(ke));
  if (!server) return server.error();
  s->ke_ = std::move(*server);
  for (const auto& w : s->ke_->warnings()) log.warning(fmt::format("NTS-KE: {}", w));
  return s;
}

Status NtsServer::run() {
  if (auto st = ke_->start(); !st) return st;
  for (const auto& ep : ke_->bound())
    log_.notice(fmt::format("NTS-KE listening on {}", ep.to_string()));
  return {};
}

Status NtsServer::load_file(bool at_start) {
  if (!path_) return {};
  const int64_t mtime = mtime_ns(*path_);
  if (mtime < 0 || mtime == file_mtime_ns_) return {};
  auto text = read_text(*path_);
  if (!text) return at_start ? Status(text.error()) : Status();
  nts::KeyringFile parsed = nts::parse_keyring(*text, keyring_.policy());
  if (!parsed.ok()) {
    const auto& e = parsed.errors.front();
    const std::string where = fmt::format("{}:{}: {}", *path_, e.line, e.message);
    if (at_start) return make_error(ErrorCode::kMalformed, where);
    log_.warning(fmt::format("nts: {}; keeping the keys in use", where));
    file_mtime_ns_ = mtime;
    return {};
  }
  // Keys we hold that the file lacks (e.g. made before another server's
  // rotation) stay until they age out.
  for (const auto& k : keyring_.keys()) (void)parsed.keyring.add(k);
  keyring_ = std::move(parsed.keyring);
  file_mtime_ns_ = mtime;
  if (!at_start) log_.info(fmt::format("nts: cookie keys re-read from {}", *path_));
  return {};
}

Status NtsServer::save_file() {
  if (!path_) return {};
  if (auto st = write_private(*path_, nts::serialize_keyring(keyring_)); !st) return st;
  file_mtime_ns_ = mtime_ns(*path_);
  return {};
}

control::ServerStatistics::Nts NtsServer::statistics() const {
  const auto& c = context_->counters();
  const platform::NtsKeServerCounters ke = ke_->counters();
  control::ServerStatistics::Nts n;
  n.replies = c.replies.load(std::memory_order_relaxed);
  n.naks = c.naks.load(std::memory_order_relaxed);
  n.dropped = c.dropped.load(std::memory_order_relaxed);
  n.cookies = c.cookies.load(std::memory_order_relaxed);
  n.ke_connections = ke.connections;
  n.ke_served = ke.keys_issued;
  n.ke_failures =
      ke.tls_failures + ke.bad_requests + ke.refusals + ke.internal_errors + ke.timeouts;
  return n;
}

void NtsServer::maintain() {
  (void)load_file(false);  // another server may have rotated already
  const int64_t now = now_unix_s();
  if (keyring_.rotate(now, *random_)) {
    log_.info(fmt::format("nts: new cookie key {} (keeping {} older)", keyring_.current().id,
                          keyring_.keys().size() - 1));
    if (auto st = save_file(); !st) {
      log_.warning(
          fmt::format("nts: {}; cookies made with the new key will not survive a "
                      "restart",
                      st.error().message));
    }
  }
  context_->publish(std::make_shared<const nts::CookieKeyring>(keyring_));
}

}  // namespace meridian::daemon
