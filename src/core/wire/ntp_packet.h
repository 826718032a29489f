// NTPv4 data packets (modes 1–5): the 48-byte header (RFC 5905 §7.3),
// extension fields (RFC 7822) and the legacy MAC trailer (key id + digest).
// parse_packet() accepts any byte string and returns a packet or an Error;
// it never reads out of bounds. Semantic checks (is this a sane server reply?)
// live in core/source/exchange.h, not here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time/ntp_timestamp.h"

namespace meridian::wire {

inline constexpr size_t kHeaderSize = 48;

enum class LeapIndicator : uint8_t {
  kNoWarning = 0,
  kInsertSecond = 1,    // last minute of the day has 61 s
  kDeleteSecond = 2,    // last minute of the day has 59 s
  kUnsynchronised = 3,  // clock not synchronised ("alarm")
};

enum class Mode : uint8_t {
  kReserved = 0,
  kSymmetricActive = 1,
  kSymmetricPassive = 2,
  kClient = 3,
  kServer = 4,
  kBroadcast = 5,
  kControl = 6,  // RFC 9327; not parsed here
  kPrivate = 7,  // ntpdc's mode 7; never answered
};

struct NtpHeader {
  LeapIndicator leap = LeapIndicator::kNoWarning;
  uint8_t version = 4;  // 3 bits
  Mode mode = Mode::kClient;
  uint8_t stratum = 0;  // 0 = unspecified / kiss-o'-death, 1 primary, 2–15 secondary, 16 unsynced
  int8_t poll = 0;      // log2 seconds
  int8_t precision = 0;  // log2 seconds
  time::NtpShort root_delay;
  time::NtpShort root_dispersion;
  uint32_t reference_id = 0;  // IPv4 address, hash, refclock id, or kiss code (stratum 0)
  time::NtpTimestamp reference;
  time::NtpTimestamp origin;
  time::NtpTimestamp receive;
  time::NtpTimestamp transmit;

  friend bool operator==(const NtpHeader&, const NtpHeader&) = default;
};

// RFC 7822 extension field. `value` excludes the 4-byte type/length header
// and includes any padding, so value.size() + 4 is the on-wire length.
struct ExtensionField {
  uint16_t type = 0;
  std::vector<std::byte> value;
  friend bool operator==(const ExtensionField&, const ExtensionField&) = default;
};

// Legacy symmetric-key MAC: 32-bit key id then the digest (16 bytes for MD5
// and AES-CMAC, 20 for SHA-1). An empty digest with key id 0 is a crypto-NAK.
struct MacTrailer {
  uint32_t key_id = 0;
  std::vector<std::byte> digest;
  friend bool operator==(const MacTrailer&, const MacTrailer&) = default;
};

struct NtpPacket {
  NtpHeader header;
  std::vector<ExtensionField> extensions;
  std::optional<MacTrailer> mac;
  friend bool operator==(const NtpPacket&, const NtpPacket&) = default;
};

// The mode of a datagram from its first byte, without parsing the rest.
std::optional<Mode> peek_mode(std::span<const std::byte> datagram);

// Parses only the fixed header; trailing bytes are ignored. The fast path
// for servers that answer plain client requests.
Result<NtpHeader> parse_header(std::span<const std::byte> datagram);

// Parses header, extension fields and MAC. Fails on modes 0, 6 and 7, on
// a short header and on trailing bytes that are neither valid extension
// fields nor a MAC of a known length (RFC 7822 §7 disambiguation).
Result<NtpPacket> parse_packet(std::span<const std::byte> datagram);

void serialize_header(const NtpHeader& header, std::vector<std::byte>& out);
// The same 48 bytes into a caller's buffer (no allocation: the server fast path).
void serialize_header_to(const NtpHeader& header, std::span<std::byte, kHeaderSize> out);
// REQUIRES: every extension value is a multiple of 4 bytes and at least 12
// (on-wire field ≥ 16 bytes); anything shorter is zero-padded up to that.
std::vector<std::byte> serialize_packet(const NtpPacket& packet);

// Kiss codes are 4 ASCII characters in the reference id of a stratum-0 packet.
std::string refid_to_ascii(uint32_t reference_id);
constexpr uint32_t kiss_code(const char (&code)[5]) {
  return (uint32_t{static_cast<uint8_t>(code[0])} << 24) |
         (uint32_t{static_cast<uint8_t>(code[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(code[2])} << 8) | uint32_t{static_cast<uint8_t>(code[3])};
}
inline constexpr uint32_t kKissRate = kiss_code("RATE");
inline constexpr uint32_t kKissDeny = kiss_code("DENY");
inline constexpr uint32_t kKissRestrict = kiss_code("RSTR");
inline constexpr uint32_t kKissInit = kiss_code("INIT");

}  // namespace meridian::wire
