#include "tools/ntpdate/ntpdate.h"

#include <fmt/format.h>

#include <cmath>

#include "core/auth/openssl_mac_engine.h"
#include "core/config/key_file.h"
#include "platform/resolver.h"
#include "tools/ntpdate/query.h"

namespace meridian::ntpdate {

namespace {

// The classic "-q" line for one server; unanswered servers show stratum 0.
std::string server_line(const ServerOutcome& s) {
  const auto best = select::best_sample(s.accepted);
  if (!best) {
    return fmt::format("server {}, stratum 0, offset 0.000000, delay 0.00000",
                       s.endpoint.address.to_string());
  }
  const source::Sample& x = s.accepted.samples[*best];
  return fmt::format("server {}, stratum {}, offset {:.6f}, delay {:.5f}",
                     s.endpoint.address.to_string(), x.stratum, x.offset_s, x.delay_s);
}

std::vector<net::Endpoint> resolve_all(const Options& o, Output& out) {
  std::vector<net::Endpoint> endpoints;
  for (const auto& name : o.servers) {
    auto addrs = platform::resolve_host(name, o.family);
    if (!addrs) {
      out.error(fmt::format("can't find host {}", addrs.error().message));
      continue;
    }
    for (const auto& a : *addrs) {
      net::Endpoint e{a, o.port};
      if (std::find(endpoints.begin(), endpoints.end(), e) == endpoints.end())
        endpoints.push_back(e);
    }
  }
  return endpoints;
}

}  // namespace

int run(const Options& o, platform::Clock& clock, RandomSource& random, Output& out,
        config::FileSource& files) {
  // -a KEY authenticates with a key from -k FILE (default /etc/ntp.keys).
  std::optional<auth::KeyStore> keys;
  std::unique_ptr<auth::OpenSslMacEngine> engine;
  if (o.key_id) {
    const std::string path = o.key_file.value_or(kDefaultKeyFile);
    auto text = files.read(path);
    if (!text) {
      out.error(fmt::format("cannot read key file: {}", text.error().message));
      return 1;
    }
    auto parsed = config::parse_key_file(*text, path);
    if (!parsed) {
      out.error(parsed.error().message);
      return 1;
    }
    auto store = auth::KeyStore::from_config(parsed->keys, {*o.key_id});
    if (!store) {
      out.error(store.error().message);
      return 1;
    }
    if (store->find(*o.key_id) == nullptr) {
      out.error(fmt::format("key {} not found in {}", *o.key_id, path));
      return 1;
    }
    auto e = auth::OpenSslMacEngine::create();
    if (!e) {
      out.error(e.error().message);
      return 1;
    }
    keys = std::move(*store);
    engine = std::move(*e);
  }
  if (o.verbose) out.info(fmt::format("ntpdate (Meridian {})", MERIDIAN_VERSION));
  const std::vector<net::Endpoint> endpoints = resolve_all(o, out);
  if (endpoints.empty()) {
    out.error("no servers can be used, exiting");
    return 1;
  }
  QueryParams params;
  params.samples = o.samples;
  params.timeout_s = o.timeout_s;
  params.interval_s = o.interval_s;
  params.version = o.version;
  params.port = o.port;
  params.unprivileged_port = o.unprivileged_port;
  params.debug = o.debug;
  if (o.key_id) {
    params.key_id = o.key_id;
    params.keys = &*keys;
    params.mac_engine = engine.get();
  }
  auto outcomes = query_servers(endpoints, params, clock, random, out);
  if (!outcomes) {
    out.error(outcomes.error().message);
    return 1;
  }
  if (o.query_only || o.debug) {
    for (const auto& s : *outcomes) out.plain(server_line(s));
  }
  std::vector<select::ServerSamples> candidates;
  for (const auto& s : *outcomes) candidates.push_back(s.accepted);
  const auto choice = select::choose_server(candidates);
  if (!choice) {
    out.error("no server suitable for synchronization found");
    return 1;
  }
  const ServerOutcome& chosen = (*outcomes)[choice->server];
  const double offset_s = choice->sample.offset_s;
  const bool step = !o.always_slew && (o.always_step || std::fabs(offset_s) >= kStepThreshold_s);
  const std::string verdict =
      fmt::format("{} time server {} offset {:.6f} sec", step ? "step" : "adjust",
                  chosen.endpoint.address.to_string(), offset_s);
  if (o.query_only || o.debug) {
    out.info(verdict);
    return 0;
  }
  const time::NtpDuration correction = time::NtpDuration::from_seconds(offset_s);
  const Status applied = step ? clock.step(correction) : clock.slew(correction);
  if (!applied) {
    // Say what we measured before why we could not act on it.
    out.plain(server_line(chosen));
    out.error(fmt::format("cannot {} the clock by {:.6f} s: {}", step ? "step" : "slew", offset_s,
                          applied.error().message));
    return 1;
  }
  out.info(verdict);
  return 0;
}

}  // namespace meridian::ntpdate
