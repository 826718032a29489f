// Turns the `server`/`pool` lines, `tos`, `tinker` and `enable/disable` of a
// Config into the client engine's configuration. Host names are resolved
// here, once, at start-up (before the loop runs; IP literals need no
// resolver at all).
#pragma once

#include "core/config/config.h"
#include "core/engine/client_engine.h"
#include "daemon/logger.h"
#include "daemon/options.h"

namespace meridian::daemon {

engine::ClientConfig build_client_config(const config::Config& config, const Options& options,
                                         int8_t precision, std::optional<double> drift_ppm,
                                         Logger& log);

}  // namespace meridian::daemon
