#include "core/control/control_message.h"

#include <algorithm>

namespace meridian::control {
namespace {

uint16_t read16(std::span<const std::byte> b, size_t at) {
  return static_cast<uint16_t>((std::to_integer<unsigned>(b[at]) << 8) |
                               std::to_integer<unsigned>(b[at + 1]));
}

void put16(std::vector<std::byte>& out, uint16_t v) {
  out.push_back(static_cast<std::byte>(v >> 8));
  out.push_back(static_cast<std::byte>(v & 0xff));
}

}  // namespace

std::string_view describe(ControlError e) {
  switch (e) {
    case ControlError::kUnspecified:
      return "unspecified error";
    case ControlError::kAuthenticationFailure:
      return "authentication failure";
    case ControlError::kBadFormat:
      return "invalid message length or format";
    case ControlError::kBadOpcode:
      return "invalid opcode";
    case ControlError::kUnknownAssociation:
      return "unknown association ID";
    case ControlError::kUnknownVariable:
      return "unknown variable name";
    case ControlError::kBadValue:
      return "invalid variable value";
    case ControlError::kAdministrativelyProhibited:
      return "administratively prohibited";
  }
  return "unknown error";
}

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

Result<ControlMessage> parse_message(std::span<const std::byte> bytes) {
  if (bytes.size() < kHeaderSize) {
    return make_error(ErrorCode::kTruncated, "control message shorter than its header");
  }
  const auto b0 = std::to_integer<uint8_t>(bytes[0]);
  const auto b1 = std::to_integer<uint8_t>(bytes[1]);
  ControlMessage m;
  ControlHeader& h = m.header;
  h.leap = static_cast<uint8_t>(b0 >> 6);
  h.version = static_cast<uint8_t>((b0 >> 3) & 7);
  if ((b0 & 7) != kModeControl) return make_error(ErrorCode::kMalformed, "not a mode 6 packet");
  if (h.version < 1 || h.version > 4) {
    return make_error(ErrorCode::kMalformed, "unsupported control message version");
  }
  h.response = (b1 & 0x80) != 0;
  h.error = (b1 & 0x40) != 0;
  h.more = (b1 & 0x20) != 0;
  h.opcode = static_cast<uint8_t>(b1 & 0x1f);
  h.sequence = read16(bytes, 2);
  h.status = read16(bytes, 4);
  h.association = read16(bytes, 6);
  h.offset = read16(bytes, 8);
  h.count = read16(bytes, 10);
  const size_t available = bytes.size() - kHeaderSize;
  if (h.count > available) {
    return make_error(ErrorCode::kTruncated, "control message count exceeds the datagram");
  }
  m.data = bytes.subspan(kHeaderSize, h.count);
  const size_t padded = std::min(available, (size_t{h.count} + 3) & ~size_t{3});
  m.trailer = bytes.subspan(kHeaderSize + padded);
  return m;
}

std::vector<std::byte> serialize(const ControlHeader& h, std::span<const std::byte> data) {
  std::vector<std::byte> out;
  out.reserve(kHeaderSize + data.size() + 3);
  out.push_back(
      static_cast<std::byte>(((h.leap & 3) << 6) | ((h.version & 7) << 3) | kModeControl));
  out.push_back(static_cast<std::byte>((h.response ? 0x80 : 0) | (h.error ? 0x40 : 0) |
                                       (h.more ? 0x20 : 0) | (h.opcode & 0x1f)));
  put16(out, h.sequence);
  put16(out, h.status);
  put16(out, h.association);
  put16(out, h.offset);
  put16(out, static_cast<uint16_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
  while (out.size() % 4 != 0) out.push_back(std::byte{0});
  return out;
}

std::vector<std::vector<std::byte>> fragment(const ControlHeader& base,
                                             std::span<const std::byte> body) {
  std::vector<std::vector<std::byte>> out;
  size_t at = 0;
  do {
    const size_t n = std::min(kMaxFragmentData, body.size() - at);
    ControlHeader h = base;
    h.offset = static_cast<uint16_t>(at);
    h.more = at + n < body.size();
    out.push_back(serialize(h, body.subspan(at, n)));
    at += n;
  } while (at < body.size());
  return out;
}

std::vector<std::byte> error_response(const ControlHeader& request, ControlError error,
                                      uint8_t leap) {
  ControlHeader h = request;
  h.leap = leap;
  h.response = true;
  h.error = true;
  h.more = false;
  h.status = static_cast<uint16_t>(static_cast<unsigned>(error) << 8);
  h.offset = 0;
  return serialize(h, {});
}

}  // namespace meridian::control
