// NTP mode 6 control messages (RFC 9327 §2): the 12-byte header, the data
// area, padding and the optional MAC, parsed with bounds checks (mode 6 has a
// long CVE history in the classic daemon) and serialised, with fragmentation
// of long responses.
//
//    0                   1                   2                   3
//   |LI | VN  |Mode |R|E|M| OpCode  |        Sequence Number        |
//   |            Status             |        Association ID         |
//   |            Offset             |             Count             |
//   |          Data (Count octets, padded to 32 bits) ... [MAC]     |
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace meridian::control {

inline constexpr size_t kHeaderSize = 12;
// Data octets per response fragment: classic CTL_MAX_DATA_LEN (a 480-octet
// payload minus the header), which every ntpq/ntpstat copes with.
inline constexpr size_t kMaxFragmentData = 468;
inline constexpr uint8_t kModeControl = 6;

// RFC 9327 §2 opcodes.
enum class Opcode : uint8_t {
  kUnspecified = 0,
  kReadStatus = 1,
  kReadVariables = 2,
  kWriteVariables = 3,
  kReadClock = 4,
  kWriteClock = 5,
  kSetTrap = 6,
  kAsyncMessage = 7,
  kConfigure = 8,
  kSaveConfig = 9,
  kReadMru = 10,
  kReadOrderedList = 11,
  kRequestNonce = 12,
  kUnsetTrap = 31,
};

// RFC 9327 §2 error codes (Status field of an error response, high byte).
enum class ControlError : uint8_t {
  kUnspecified = 0,
  kAuthenticationFailure = 1,
  kBadFormat = 2,
  kBadOpcode = 3,
  kUnknownAssociation = 4,
  kUnknownVariable = 5,
  kBadValue = 6,
  kAdministrativelyProhibited = 7,
};
std::string_view describe(ControlError e);

struct ControlHeader {
  uint8_t leap = 0;  // LI; meaningful only in responses (classic echoes the system LI)
  uint8_t version = 2;
  bool response = false;
  bool error = false;
  bool more = false;
  uint8_t opcode = 0;  // 5 bits
  uint16_t sequence = 0;
  uint16_t status = 0;
  uint16_t association = 0;
  uint16_t offset = 0;
  uint16_t count = 0;
};

struct ControlMessage {
  ControlHeader header;
  std::span<const std::byte> data;  // exactly `count` octets
  // Trailing octets after the padded data: a MAC (key id + digest) when
  // they have a MAC's length, otherwise ignored (classic ntpstat sends a
  // 576-octet request with zeros after the header).
  std::span<const std::byte> trailer;
  bool has_mac() const { return trailer.size() == 20 || trailer.size() == 24; }
};

// REQUIRES nothing of `bytes`: any input gives a message or an error.
// Checks: ≥ 12 octets, mode 6, version 1–4, offset + count within the datagram.
Result<ControlMessage> parse_message(std::span<const std::byte> bytes);

// Header + data, padded with zeros to a multiple of 4 octets.
std::vector<std::byte> serialize(const ControlHeader& header, std::span<const std::byte> data);

// Splits a response body into fragments of at most kMaxFragmentData octets
// (offset/count/more set per fragment), copying `base` for the rest of the
// header. An empty body gives one empty fragment.
std::vector<std::vector<std::byte>> fragment(const ControlHeader& base,
                                             std::span<const std::byte> body);

// An error response to `request` (R and E set, error code in the status).
std::vector<std::byte> error_response(const ControlHeader& request, ControlError error,
                                      uint8_t leap);

std::span<const std::byte> as_bytes(std::string_view s);

}  // namespace meridian::control
