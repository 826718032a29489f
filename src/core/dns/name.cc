#include "core/dns/name.h"

#include <fmt/format.h>

#include <cstdint>

namespace meridian::dns {

namespace {

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

void append_label_text(std::span<const std::byte> label, std::string& out) {
  for (std::byte b : label) {
    const auto c = static_cast<char>(std::to_integer<uint8_t>(b));
    if (is_host_char(c)) {
      out.push_back(lower(c));
    } else {
      out += fmt::format("\\{:03d}", std::to_integer<unsigned>(b));
    }
  }
}

}  // namespace

Result<std::string> canonical_host_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return make_error(ErrorCode::kInvalidArgument, "empty host name");
  // Wire length: one length octet per label plus its characters, plus the root octet.
  if (name.size() + 2 > kMaxWireName) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("host name longer than {} octets", kMaxWireName));
  }
  std::string out;
  out.reserve(name.size());
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("{}: empty label in host name", name));
      }
      label = 0;
      out.push_back('.');
      continue;
    }
    if (!is_host_char(c)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: invalid character in host name", name));
    }
    if (++label > kMaxLabel) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: label longer than {} characters", name, kMaxLabel));
    }
    out.push_back(lower(c));
  }
  if (label == 0) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: empty label", name));
  }
  return out;
}

Status encode_name(std::string_view name, std::vector<std::byte>& out) {
  auto canonical = canonical_host_name(name);
  if (!canonical) return canonical.error();
  std::string_view rest = *canonical;
  while (!rest.empty()) {
    const size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    out.push_back(static_cast<std::byte>(label.size()));
    for (char c : label) out.push_back(static_cast<std::byte>(c));
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  }
  out.push_back(std::byte{0});
  return {};
}

Result<DecodedName> decode_name(std::span<const std::byte> message, size_t offset) {
  DecodedName result;
  size_t pos = offset;
  size_t segment_start = offset;  // where reading began after the last jump
  bool jumped = false;
  size_t wire_length = 1;  // the root octet
  while (true) {
    if (pos >= message.size()) return make_error(ErrorCode::kTruncated, "name runs past the end");
    const auto length = std::to_integer<uint8_t>(message[pos]);
    if ((length & 0xc0) == 0xc0) {  // RFC 1035 §4.1.4: a 14-bit pointer
      if (pos + 1 >= message.size()) return make_error(ErrorCode::kTruncated, "cut pointer");
      const size_t target =
          (size_t{length & 0x3fu} << 8) | std::to_integer<uint8_t>(message[pos + 1]);
      // Strictly backwards from where this run of labels began: the walk ends.
      if (target >= segment_start) {
        return make_error(ErrorCode::kMalformed, "compression pointer does not point backwards");
      }
      if (!jumped) result.end = pos + 2;
      jumped = true;
      pos = target;
      segment_start = target;
      continue;
    }
    if ((length & 0xc0) != 0) {
      return make_error(ErrorCode::kMalformed, "reserved label type (RFC 6891 §5)");
    }
    if (length == 0) {
      if (!jumped) result.end = pos + 1;
      return result;
    }
    wire_length += size_t{length} + 1;
    if (wire_length > kMaxWireName) return make_error(ErrorCode::kMalformed, "name too long");
    if (pos + 1 + length > message.size()) {
      return make_error(ErrorCode::kTruncated, "label runs past the end");
    }
    if (!result.text.empty()) result.text.push_back('.');
    append_label_text(message.subspan(pos + 1, length), result.text);
    pos += 1 + size_t{length};
  }
}

}  // namespace meridian::dns
