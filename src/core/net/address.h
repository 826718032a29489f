// IP addresses and UDP endpoints as plain values, so the core can name peers
// without touching sockaddr. Formatting follows RFC 5952 for IPv6.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meridian::net {

enum class Family : uint8_t { kIPv4, kIPv6 };

class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress v4(std::array<uint8_t, 4> bytes);
  static IpAddress v6(std::array<uint8_t, 16> bytes);
  static IpAddress v4_loopback() { return v4({127, 0, 0, 1}); }
  // Parses a literal ("192.0.2.1", "2001:db8::1", "::ffff:1.2.3.4"); no names.
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  // The 4 (IPv4) or 16 (IPv6) address bytes, network order, in a 16-byte array.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // The IPv4 address as a host-order integer (the classic refid of a peer).
  uint32_t v4_value() const;
  std::string to_string() const;
  auto operator<=>(const IpAddress&) const = default;

 private:
  Family family_ = Family::kIPv4;
  std::array<uint8_t, 16> bytes_{};
};

struct Endpoint {
  IpAddress address;
  uint16_t port = 0;
  // "192.0.2.1:123" or "[2001:db8::1]:123".
  std::string to_string() const;
  auto operator<=>(const Endpoint&) const = default;
};

}  // namespace meridian::net
