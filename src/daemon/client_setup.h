// Turns `tos`, `tinker` and `enable/disable` of a Config into the client
// engine's configuration. The `server`/`pool` lines become associations
// through Upstreams (upstreams.h), which never waits for DNS.
#pragma once

#include "core/config/config.h"
#include "core/engine/client_engine.h"
#include "daemon/options.h"

namespace meridian::daemon {

engine::ClientConfig build_client_config(const config::Config& config, const Options& options,
                                         int8_t precision, std::optional<double> drift_ppm);

}  // namespace meridian::daemon
