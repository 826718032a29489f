#include "core/wire/ntp_packet.h"

#include <fmt/format.h>

#include "core/wire/byte_reader.h"

namespace meridian::wire {

namespace {

constexpr size_t kMinExtensionLength = 16;  // RFC 7822 §3
// MAC trailer sizes: crypto-NAK (key id only), MD5/AES-CMAC, SHA-1.
constexpr size_t kNakLength = 4;
constexpr size_t kMac16Length = 20;
constexpr size_t kMac20Length = 24;
constexpr size_t kMaxLegacyMacLength = 68;  // key id + SHA-512

bool is_mac_length(size_t n) { return n == kNakLength || n == kMac16Length || n == kMac20Length; }

Error malformed(std::string what) { return make_error(ErrorCode::kMalformed, std::move(what)); }

}  // namespace

std::optional<Mode> peek_mode(std::span<const std::byte> datagram) {
  if (datagram.empty()) return std::nullopt;
  return static_cast<Mode>(std::to_integer<uint8_t>(datagram[0]) & 0x7);
}

Result<NtpHeader> parse_header(std::span<const std::byte> datagram) {
  if (datagram.size() < kHeaderSize) {
    return make_error(
        ErrorCode::kTruncated,
        fmt::format("packet is {} bytes, an NTP header needs {}", datagram.size(), kHeaderSize));
  }
  ByteReader r(datagram);
  NtpHeader h;
  // The size check above guarantees every read below succeeds.
  const uint8_t first = *r.u8();
  h.leap = static_cast<LeapIndicator>(first >> 6);
  h.version = static_cast<uint8_t>((first >> 3) & 0x7);
  h.mode = static_cast<Mode>(first & 0x7);
  h.stratum = *r.u8();
  h.poll = static_cast<int8_t>(*r.u8());
  h.precision = static_cast<int8_t>(*r.u8());
  h.root_delay = time::NtpShort::from_raw(*r.u32());
  h.root_dispersion = time::NtpShort::from_raw(*r.u32());
  h.reference_id = *r.u32();
  h.reference = time::NtpTimestamp::from_raw(*r.u64());
  h.origin = time::NtpTimestamp::from_raw(*r.u64());
  h.receive = time::NtpTimestamp::from_raw(*r.u64());
  h.transmit = time::NtpTimestamp::from_raw(*r.u64());
  return h;
}

Result<NtpPacket> parse_packet(std::span<const std::byte> datagram) {
  auto header = parse_header(datagram);
  if (!header) return header.error();
  NtpPacket p;
  p.header = *header;
  if (p.header.mode == Mode::kReserved || p.header.mode == Mode::kControl ||
      p.header.mode == Mode::kPrivate) {
    return malformed(
        fmt::format("mode {} is not an NTP data packet", static_cast<int>(p.header.mode)));
  }
  ByteReader r(datagram.subspan(kHeaderSize));
  // RFC 7822 §7: trailing data of exactly a MAC's length is a MAC; otherwise
  // it starts with extension fields (NTPv4 only).
  // Before NTPv4 there were no extension fields, so any key id + digest of
  // 16..64 bytes is a MAC (chrony sends full SHA-256/512 digests in NTPv3).
  const bool legacy_long_mac = p.header.version < 4 && r.remaining() >= kMac16Length &&
                               r.remaining() <= kMaxLegacyMacLength && r.remaining() % 4 == 0;
  while (r.remaining() > 0 && !is_mac_length(r.remaining()) && !legacy_long_mac) {
    if (p.header.version < 4) {
      return malformed(fmt::format("{} trailing bytes in an NTPv{} packet are not a MAC",
                                   r.remaining(), p.header.version));
    }
    const size_t at = kHeaderSize + r.position();
    if (r.remaining() < kMinExtensionLength) {
      return malformed(
          fmt::format("{} trailing bytes at offset {}: too short for an extension "
                      "field and not a MAC",
                      r.remaining(), at));
    }
    const uint16_t type = *r.u16();
    const uint16_t length = *r.u16();
    if (length < kMinExtensionLength || length % 4 != 0) {
      return malformed(
          fmt::format("extension field at offset {} has invalid length {}", at, length));
    }
    auto value = r.bytes(length - 4u);
    if (!value) {
      return malformed(
          fmt::format("extension field at offset {} (length {}) runs past the end", at, length));
    }
    p.extensions.push_back(
        ExtensionField{type, std::vector<std::byte>(value->begin(), value->end())});
  }
  if (r.remaining() > 0) {
    MacTrailer mac;
    mac.key_id = *r.u32();
    auto digest = *r.bytes(r.remaining());
    mac.digest.assign(digest.begin(), digest.end());
    if (mac.digest.empty() && mac.key_id != 0) {
      return malformed(
          fmt::format("4-byte trailer with key id {} is not a crypto-NAK", mac.key_id));
    }
    p.mac = std::move(mac);
  }
  return p;
}

void serialize_header(const NtpHeader& h, std::vector<std::byte>& out) {
  ByteWriter w(out);
  w.u8(static_cast<uint8_t>((static_cast<uint8_t>(h.leap) & 0x3) << 6 | (h.version & 0x7) << 3 |
                            (static_cast<uint8_t>(h.mode) & 0x7)));
  w.u8(h.stratum);
  w.u8(static_cast<uint8_t>(h.poll));
  w.u8(static_cast<uint8_t>(h.precision));
  w.u32(h.root_delay.raw());
  w.u32(h.root_dispersion.raw());
  w.u32(h.reference_id);
  w.u64(h.reference.raw());
  w.u64(h.origin.raw());
  w.u64(h.receive.raw());
  w.u64(h.transmit.raw());
}

void serialize_header_to(const NtpHeader& h, std::span<std::byte, kHeaderSize> out) {
  size_t at = 0;
  const auto put = [&](uint64_t v, size_t bytes) {
    for (size_t i = bytes; i-- > 0;) out[at++] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
  };
  put(static_cast<uint8_t>((static_cast<uint8_t>(h.leap) & 0x3) << 6 | (h.version & 0x7) << 3 |
                           (static_cast<uint8_t>(h.mode) & 0x7)),
      1);
  put(h.stratum, 1);
  put(static_cast<uint8_t>(h.poll), 1);
  put(static_cast<uint8_t>(h.precision), 1);
  put(h.root_delay.raw(), 4);
  put(h.root_dispersion.raw(), 4);
  put(h.reference_id, 4);
  put(h.reference.raw(), 8);
  put(h.origin.raw(), 8);
  put(h.receive.raw(), 8);
  put(h.transmit.raw(), 8);
}

std::vector<std::byte> serialize_packet(const NtpPacket& p) {
  std::vector<std::byte> out;
  out.reserve(kHeaderSize + 64);
  serialize_header(p.header, out);
  ByteWriter w(out);
  for (const auto& ef : p.extensions) {
    size_t length = 4 + ef.value.size();
    length = (length + 3) / 4 * 4;
    if (length < kMinExtensionLength) length = kMinExtensionLength;
    w.u16(ef.type);
    w.u16(static_cast<uint16_t>(length));
    w.bytes(ef.value);
    w.zeros(length - 4 - ef.value.size());
  }
  if (p.mac) {
    w.u32(p.mac->key_id);
    w.bytes(p.mac->digest);
  }
  return out;
}

std::string refid_to_ascii(uint32_t reference_id) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const auto c = static_cast<char>((reference_id >> shift) & 0xff);
    if (c == '\0') break;
    s.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return s;
}

}  // namespace meridian::wire
