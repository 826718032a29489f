#include "core/config/address_spec.h"

#include <fmt/format.h>

#include <bit>

#include "core/config/values.h"

namespace meridian::config::internal {

namespace {

Error malformed(std::string message) {
  return make_error(ErrorCode::kMalformed, std::move(message));
}

Result<net::IpAddress> parse_literal(std::string_view text) {
  if (auto a = net::IpAddress::parse(text)) return *a;
  if (text.find(':') != std::string_view::npos) {
    return malformed(fmt::format("'{}' is not a valid IPv6 address", text));
  }
  return malformed(fmt::format("'{}' is not a valid IPv4 address", text));
}

}  // namespace

Result<AddressSpec> parse_address_spec(std::string_view token, bool allow_prefix) {
  AddressSpec spec;
  std::string_view body = token;
  std::string_view suffix;
  if (const size_t slash = body.find('/'); slash != std::string_view::npos) {
    suffix = body.substr(slash + 1);
    body = body.substr(0, slash);
    if (!allow_prefix) return malformed(fmt::format("'{}': a /prefix is not allowed here", token));
  }
  bool bracketed = false;
  if (!body.empty() && body.front() == '[') {
    if (body.size() < 2 || body.back() != ']') {
      return malformed(fmt::format("'{}': unbalanced '['", token));
    }
    body = body.substr(1, body.size() - 2);
    bracketed = true;
  }
  if (body.empty()) return malformed(fmt::format("'{}' is not an address", token));
  spec.text = std::string(body);
  if (bracketed || body.find(':') != std::string_view::npos || looks_numeric_dotted(body)) {
    auto literal = parse_literal(body);
    if (!literal) return literal.error();
    if (bracketed && literal->family() != net::Family::kIPv6) {
      return malformed(fmt::format("'{}': brackets are for IPv6 addresses", token));
    }
    spec.address = *literal;
  } else if (is_host_name(body)) {
    spec.host = std::string(body);
  } else {
    return malformed(fmt::format("'{}' is neither an IP address nor a host name", token));
  }
  if (token.find('/') != std::string_view::npos) {
    if (!spec.address) {
      return malformed(fmt::format("'{}': a /prefix needs an address, not a host name", token));
    }
    const int bits = family_bits(spec.address->family());
    const std::optional<int64_t> len = parse_integer(suffix);
    if (!len || suffix.find('.') != std::string_view::npos || *len < 0 || *len > bits) {
      return malformed(
          fmt::format("'{}': prefix length must be 0..{} for this address family", token, bits));
    }
    spec.prefix_len = static_cast<int>(*len);
  }
  return spec;
}

int family_bits(net::Family family) { return family == net::Family::kIPv4 ? 32 : 128; }

net::IpAddress prefix_mask(net::Family family, int prefix_len) {
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < prefix_len && i < 128; ++i) {
    bytes[static_cast<size_t>(i / 8)] |= static_cast<uint8_t>(0x80u >> (i % 8));
  }
  if (family == net::Family::kIPv6) return net::IpAddress::v6(bytes);
  return net::IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]});
}

std::optional<int> mask_prefix_length(const net::IpAddress& mask) {
  const int ones = mask_ones(mask);
  if (prefix_mask(mask.family(), ones) != mask) return std::nullopt;
  return ones;
}

net::IpAddress apply_mask(const net::IpAddress& address, const net::IpAddress& mask) {
  std::array<uint8_t, 16> bytes = address.bytes();
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = bytes[i] & mask.bytes()[i];
  if (address.family() == net::Family::kIPv6) return net::IpAddress::v6(bytes);
  return net::IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]});
}

int mask_ones(const net::IpAddress& mask) {
  const size_t n = mask.family() == net::Family::kIPv4 ? 4 : 16;
  int ones = 0;
  for (size_t i = 0; i < n; ++i) ones += std::popcount(mask.bytes()[i]);
  return ones;
}

}  // namespace meridian::config::internal
