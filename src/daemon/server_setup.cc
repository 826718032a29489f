#include "daemon/server_setup.h"

#include <fmt/format.h>

#include "core/auth/keyless_mac_engine.h"
#include "core/auth/openssl_mac_engine.h"
#include "platform/random_os.h"
#include "platform/resolver.h"

namespace meridian::daemon {

namespace {

net::IpAddress all_ones(net::Family f) {
  std::array<uint8_t, 16> b{};
  b.fill(0xff);
  if (f == net::Family::kIPv4) return net::IpAddress::v4({0xff, 0xff, 0xff, 0xff});
  return net::IpAddress::v6(b);
}

// `restrict HOSTNAME …` applies to every address the name has at start-up
// (classic behaviour). A name that does not resolve is logged as an error;
// its rule cannot match anything, which never widens access.
std::vector<config::RestrictRule> resolve_restrict_hosts(
    const std::vector<config::RestrictRule>& rules, Logger& log) {
  std::vector<config::RestrictRule> out;
  for (const auto& r : rules) {
    if (r.target != config::RestrictRule::Target::kHost) {
      out.push_back(r);
      continue;
    }
    auto addrs = platform::resolve_host(r.host, r.family);
    if (!addrs) {
      log.error(fmt::format("{}:{}: restrict {}: cannot resolve: {}", r.where.file, r.where.line,
                            r.host, addrs.error().message));
      continue;
    }
    for (const auto& a : *addrs) {
      config::RestrictRule resolved = r;
      resolved.target = config::RestrictRule::Target::kAddress;
      resolved.address = a;
      // A host rule names single addresses unless the line gave a mask.
      if (!r.has_mask || r.mask.family() != a.family()) resolved.mask = all_ones(a.family());
      out.push_back(resolved);
    }
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const auth::MacEngine>> mac_engine_for(const config::Config& config) {
  // Only the main thread builds policies (start-up, reloads): no lock needed.
  // Never destroyed: a static destructor would free the library context
  // after OpenSSL's own atexit cleanup (registered later, so run earlier).
  static auto* const openssl = new std::shared_ptr<const auth::MacEngine>();
  if (config.keys.empty()) {
    static auto* const keyless = new std::shared_ptr<const auth::MacEngine>(
        std::make_shared<const auth::KeylessMacEngine>());
    return *keyless;
  }
  if (!*openssl) {
    auto engine = auth::OpenSslMacEngine::create();
    if (!engine) return engine.error();
    *openssl = std::move(*engine);
  }
  return *openssl;
}

Result<server::ServerPolicy> build_server_policy(
    const config::Config& config, Logger& log,
    std::shared_ptr<const server::NtsServerContext> nts) {
  const auto rules = resolve_restrict_hosts(config.restricts, log);
  auto table = access::RestrictTable::build(rules);
  if (!table) return table.error();
  auto keys = auth::KeyStore::from_config(config.keys, config.trusted_keys);
  if (!keys) return keys.error();
  auto engine = mac_engine_for(config);
  if (!engine) return engine.error();
  platform::OsRandom random;
  return server::ServerPolicy{std::move(*table),
                              access::RateLimiter(config.discard, config.mru, random.next_u64()),
                              std::move(*keys), std::move(*engine), std::move(nts)};
}

Result<std::unique_ptr<server::ServerCore>> build_server_core(
    const config::Config& config, Logger& log,
    std::shared_ptr<const server::NtsServerContext> nts) {
  auto policy = build_server_policy(config, log, std::move(nts));
  if (!policy) return policy.error();
  return std::make_unique<server::ServerCore>(std::move(*policy));
}

}  // namespace meridian::daemon
