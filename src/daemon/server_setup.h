// Turns a parsed Config into the server's policy: restrict rules with host
// names resolved, the rate limiter, the symmetric keys and the MAC engine.
#pragma once

#include <memory>

#include "core/config/config.h"
#include "core/result.h"
#include "core/server/server_core.h"
#include "daemon/logger.h"

namespace meridian::daemon {

// `nts`: the NTS server's shared context when `nts enable` runs (nts_server.h).
Result<server::ServerPolicy> build_server_policy(
    const config::Config& config, Logger& log,
    std::shared_ptr<const server::NtsServerContext> nts = nullptr);
Result<std::unique_ptr<server::ServerCore>> build_server_core(
    const config::Config& config, Logger& log,
    std::shared_ptr<const server::NtsServerContext> nts = nullptr);

}  // namespace meridian::daemon
