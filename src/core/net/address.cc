#include "core/net/address.h"

#include <fmt/format.h>

#include <charconv>
#include <vector>

namespace meridian::net {

namespace {

std::optional<std::array<uint8_t, 4>> parse_v4(std::string_view s) {
  std::array<uint8_t, 4> out{};
  for (size_t i = 0; i < 4; ++i) {
    if (i > 0) {
      if (s.empty() || s.front() != '.') return std::nullopt;
      s.remove_prefix(1);
    }
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    const auto len = static_cast<size_t>(p - s.data());
    if (ec != std::errc() || len == 0 || len > 3 || v > 255) return std::nullopt;
    if (len > 1 && s.front() == '0') return std::nullopt;  // no octal-looking parts
    out[i] = static_cast<uint8_t>(v);
    s.remove_prefix(len);
  }
  if (!s.empty()) return std::nullopt;
  return out;
}

// Parses a run of ':'-separated hex groups (possibly ending in dotted IPv4).
bool parse_groups(std::string_view s, std::vector<uint16_t>& groups, bool allow_v4_tail) {
  if (s.empty()) return true;
  while (true) {
    const size_t colon = s.find(':');
    const std::string_view part = s.substr(0, colon);
    if (colon == std::string_view::npos && allow_v4_tail &&
        part.find('.') != std::string_view::npos) {
      auto v4 = parse_v4(part);
      if (!v4) return false;
      groups.push_back(static_cast<uint16_t>((*v4)[0] << 8 | (*v4)[1]));
      groups.push_back(static_cast<uint16_t>((*v4)[2] << 8 | (*v4)[3]));
      return true;
    }
    unsigned v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v, 16);
    if (ec != std::errc() || p != part.data() + part.size() || part.empty() || part.size() > 4) {
      return false;
    }
    groups.push_back(static_cast<uint16_t>(v));
    if (colon == std::string_view::npos) return true;
    s.remove_prefix(colon + 1);
  }
}

std::optional<std::array<uint8_t, 16>> parse_v6(std::string_view s) {
  std::vector<uint16_t> head;
  std::vector<uint16_t> tail;
  const size_t gap = s.find("::");
  if (gap == std::string_view::npos) {
    if (!parse_groups(s, head, true) || head.size() != 8) return std::nullopt;
  } else {
    if (s.find("::", gap + 1) != std::string_view::npos) return std::nullopt;
    if (!parse_groups(s.substr(0, gap), head, false)) return std::nullopt;
    if (!parse_groups(s.substr(gap + 2), tail, true)) return std::nullopt;
    if (head.size() + tail.size() > 7) return std::nullopt;
    head.resize(8 - tail.size(), 0);
    head.insert(head.end(), tail.begin(), tail.end());
  }
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<uint8_t>(head[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(head[i] & 0xff);
  }
  return out;
}

}  // namespace

IpAddress IpAddress::v4(std::array<uint8_t, 4> bytes) {
  IpAddress a;
  a.family_ = Family::kIPv4;
  for (size_t i = 0; i < 4; ++i) a.bytes_[i] = bytes[i];
  return a;
}

IpAddress IpAddress::v6(std::array<uint8_t, 16> bytes) {
  IpAddress a;
  a.family_ = Family::kIPv6;
  a.bytes_ = bytes;
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    if (auto b = parse_v6(text)) return v6(*b);
    return std::nullopt;
  }
  if (auto b = parse_v4(text)) return v4(*b);
  return std::nullopt;
}

uint32_t IpAddress::v4_value() const {
  return uint32_t{bytes_[0]} << 24 | uint32_t{bytes_[1]} << 16 | uint32_t{bytes_[2]} << 8 |
         uint32_t{bytes_[3]};
}

std::string IpAddress::to_string() const {
  if (family_ == Family::kIPv4) {
    return fmt::format("{}.{}.{}.{}", bytes_[0], bytes_[1], bytes_[2], bytes_[3]);
  }
  std::array<unsigned, 8> g{};
  for (size_t i = 0; i < 8; ++i) g[i] = unsigned{bytes_[2 * i]} << 8 | bytes_[2 * i + 1];
  // RFC 5952 §4.2: compress the longest run (≥ 2) of zero groups, the first on ties.
  size_t best_at = 8, best_len = 0;
  for (size_t i = 0; i < 8;) {
    size_t j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) {
      best_at = i;
      best_len = j - i;
    }
    i = (j == i) ? i + 1 : j;
  }
  // IPv4-mapped addresses keep the dotted tail (RFC 5952 §5).
  if (best_at == 0 && best_len == 5 && g[5] == 0xffff) {
    return fmt::format("::ffff:{}.{}.{}.{}", bytes_[12], bytes_[13], bytes_[14], bytes_[15]);
  }
  std::string out;
  for (size_t i = 0; i < 8; ++i) {
    if (i == best_at) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    out += fmt::format("{:x}", g[i]);
  }
  return out;
}

std::string Endpoint::to_string() const {
  if (address.family() == Family::kIPv6) return fmt::format("[{}]:{}", address.to_string(), port);
  return fmt::format("{}:{}", address.to_string(), port);
}

}  // namespace meridian::net
