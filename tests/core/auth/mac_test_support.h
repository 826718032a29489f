// Helpers shared by the MAC tests (mac_test.cc, client_auth_test.cc): byte
// strings from hex or ASCII, hex of bytes, and the fixed 48-byte packet of the
// known-answer tests (an NTPv4 client header 0x23, then bytes 0x01…0x2f).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace meridian::auth::test_support {

inline std::vector<std::byte> hex(std::string_view s) {
  std::vector<std::byte> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

inline std::vector<std::byte> ascii(std::string_view s) {
  std::vector<std::byte> out;
  for (const char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

inline std::string to_hex(std::span<const std::byte> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (const std::byte x : b) {
    s.push_back(kDigits[std::to_integer<unsigned>(x) >> 4]);
    s.push_back(kDigits[std::to_integer<unsigned>(x) & 0xf]);
  }
  return s;
}

inline std::vector<std::byte> kat_packet() {
  std::vector<std::byte> p(48);
  p[0] = std::byte{0x23};
  for (size_t i = 1; i < p.size(); ++i) p[i] = static_cast<std::byte>(i);
  return p;
}

}  // namespace meridian::auth::test_support
