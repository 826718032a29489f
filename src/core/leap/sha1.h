// SHA-1 (FIPS 180-4), only to check the `#h` line of a leap-seconds.list
// file, whose publishers chose SHA-1 for integrity against transmission
// damage, not against forgery. Pure, no OpenSSL: the core's leap module stays
// free of the crypto interface the MACs use.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace meridian::leap {

using Sha1Digest = std::array<uint8_t, 20>;

Sha1Digest sha1(std::string_view data);

}  // namespace meridian::leap
