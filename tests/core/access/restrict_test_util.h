// Helpers for building restrict rules in tests, as the config parser would.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/config/config.h"
#include "core/net/address.h"

namespace meridian::access::testing {

inline net::IpAddress ip(std::string_view text) { return *net::IpAddress::parse(text); }

// A mask of `prefix` one-bits in the family of `like`.
inline net::IpAddress prefix_mask(net::Family family, int prefix) {
  std::array<uint8_t, 16> m{};
  for (int i = 0; i < prefix; ++i)
    m[static_cast<size_t>(i / 8)] |= static_cast<uint8_t>(0x80 >> (i % 8));
  if (family == net::Family::kIPv4) return net::IpAddress::v4({m[0], m[1], m[2], m[3]});
  return net::IpAddress::v6(m);
}

// `restrict [-4|-6] default FLAGS`
inline config::RestrictRule default_rule(uint32_t flags,
                                         std::optional<net::Family> family = std::nullopt) {
  config::RestrictRule r;
  r.target = config::RestrictRule::Target::kDefault;
  r.family = family;
  r.flags = flags;
  return r;
}

// `restrict ADDR/PREFIX FLAGS` (prefix −1: host rule, all-ones mask).
inline config::RestrictRule cidr_rule(std::string_view address, int prefix, uint32_t flags) {
  config::RestrictRule r;
  r.target = config::RestrictRule::Target::kAddress;
  r.address = ip(address);
  const int bits = r.address.family() == net::Family::kIPv4 ? 32 : 128;
  r.mask = prefix_mask(r.address.family(), prefix < 0 ? bits : prefix);
  r.flags = flags;
  return r;
}

// `restrict ADDR mask MASK FLAGS`
inline config::RestrictRule mask_rule(std::string_view address, std::string_view mask,
                                      uint32_t flags) {
  config::RestrictRule r;
  r.target = config::RestrictRule::Target::kAddress;
  r.address = ip(address);
  r.mask = ip(mask);
  r.flags = flags;
  return r;
}

// `restrict source FLAGS`
inline config::RestrictRule source_rule(uint32_t flags) {
  config::RestrictRule r;
  r.target = config::RestrictRule::Target::kSource;
  r.flags = flags;
  return r;
}

inline config::RestrictRule unrestrict(config::RestrictRule r) {
  r.unrestrict = true;
  return r;
}

}  // namespace meridian::access::testing
