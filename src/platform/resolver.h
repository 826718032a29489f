// Blocking name resolution via getaddrinfo, for one-shot tools (ntpdate).
// The daemon must not call this on its loop thread (see the client issue).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/net/address.h"
#include "core/result.h"

namespace meridian::platform {

// Every A/AAAA record of `host` (or the literal itself), in resolver order,
// without duplicates. `only` restricts the family (-4 / -6).
Result<std::vector<net::IpAddress>> resolve_host(std::string_view host,
                                                 std::optional<net::Family> only = std::nullopt);

}  // namespace meridian::platform
