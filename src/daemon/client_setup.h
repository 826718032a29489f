// Turns `tos`, `tinker` and `enable/disable` of a Config into the client
// engine's configuration. The `server`/`pool` lines become associations
// through Upstreams (upstreams.h), which never waits for DNS.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/auth/client_auth.h"
#include "core/config/config.h"
#include "core/engine/client_engine.h"
#include "daemon/options.h"

namespace meridian::daemon {

engine::ClientConfig build_client_config(const config::Config& config, const Options& options,
                                         int8_t precision, std::optional<double> drift_ppm);

// The `tinker` settings that differ between `running` (what the client's
// discipline was built with) and `fresh` (a reloaded configuration), one
// item each, e.g. "step 0.5 s (running: default)". The discipline cannot
// change them in place, so a reload logs them as not applied.
std::vector<std::string> tinker_changes(const config::TinkerConfig& running,
                                        const config::TinkerConfig& fresh);
// The keys `server ... key N` associations sign and verify with: the key file
// and `trustedkey` of `config`, and `engine` (created once at start-up and
// kept across reloads). Errors: as auth::KeyStore::from_config.
Result<auth::ClientKeys> build_client_keys(const config::Config& config,
                                           std::shared_ptr<const auth::MacEngine> engine);

}  // namespace meridian::daemon
