// Starting our ntpd with a virtual clock and probing it with our ntpdate,
// for the integration tests that run daemons against each other.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "tests/support/process.h"

namespace meridian::testing {

// Writes `config` to DIR/NAME.conf, starts `BIN_DIR/ntpd -n` on `port` with a
// virtual clock `offset_s` and `freq_ppm` off, and waits (≤ 10 s) until it logs "ready:".
std::unique_ptr<Process> start_ntpd(const std::string& bin_dir, const std::string& dir,
                                    const std::string& name, const std::string& config,
                                    uint16_t port, double offset_s = 0, double freq_ppm = 0);

// `ntpdate -q -p SAMPLES` against 127.0.0.1:port: (stratum, offset vs this
// host's clock), or nullopt if no usable answer. With several samples (50 ms
// apart) ntpdate keeps the one with the least delay: a request that waited in
// a socket queue on a loaded machine biases the offset by half the wait.
std::optional<std::pair<int, double>> probe_ntpd(const std::string& bin_dir, const std::string& dir,
                                                 uint16_t port, int samples = 1);

}  // namespace meridian::testing
