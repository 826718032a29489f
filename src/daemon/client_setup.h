// Turns `tos`, `tinker` and `enable/disable` of a Config into the client
// engine's configuration. The `server`/`pool` lines become associations
// through Upstreams (upstreams.h), which never waits for DNS.
#pragma once

#include <string>
#include <vector>

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

}  // namespace meridian::daemon
