// Turns a parsed Config into the server's policy: restrict rules with host
// names resolved, the rate limiter, the symmetric keys and the MAC engine.
#pragma once

#include <memory>

#include "core/config/config.h"
#include "core/result.h"
#include "core/server/server_core.h"
#include "daemon/logger.h"

namespace meridian::daemon {

// The MAC engine for `config`'s keys, shared by the server, its fast-path
// workers and the client (it is thread-safe). Without symmetric keys it is
// the keyless engine; the OpenSSL one (a private library context with its
// providers, ~1.4 MB) is created the first time keys are configured — at
// start-up, or at the reload that adds them — and kept from then on.
Result<std::shared_ptr<const auth::MacEngine>> mac_engine_for(const config::Config& config);

// `nts`: the NTS server's shared context when `nts enable` runs (nts_server.h).
Result<server::ServerPolicy> build_server_policy(
    const config::Config& config, Logger& log,
    std::shared_ptr<const server::NtsServerContext> nts = nullptr);
Result<std::unique_ptr<server::ServerCore>> build_server_core(
    const config::Config& config, Logger& log,
    std::shared_ptr<const server::NtsServerContext> nts = nullptr);

}  // namespace meridian::daemon
