// Lint for a parsed ntp.conf: configurations that parse but probably do not
// do what the operator meant. Every finding is a kWarning (lint never makes
// `ntpd --check` fail). The rules are listed in docs/ntp.conf.md.
#pragma once

#include <vector>

#include "core/config/config.h"

namespace meridian::config {

std::vector<Diagnostic> lint_config(const Config& config);

}  // namespace meridian::config
