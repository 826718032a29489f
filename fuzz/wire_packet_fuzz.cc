// libFuzzer target for the NTP packet parser (core/wire) and IP literal
// parser (core/net). Any input must parse or fail cleanly; whatever parses
// must survive a serialize → parse round trip unchanged. Invariant
// violations call __builtin_trap() so libFuzzer records a crash.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/address.h"
#include "core/wire/ntp_packet.h"

namespace {

using meridian::ErrorCode;
namespace wire = meridian::wire;
namespace net = meridian::net;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

void fuzz_header(std::span<const std::byte> input) {
  auto header = wire::parse_header(input);
  if (input.size() < wire::kHeaderSize) {
    check(!header && header.error().code == ErrorCode::kTruncated);
    return;
  }
  check(header.ok());
  // Every header bit is represented, so serializing reproduces the input's first 48 bytes.
  std::vector<std::byte> out;
  wire::serialize_header(*header, out);
  check(same_bytes(out, input.first(wire::kHeaderSize)));
  check(wire::peek_mode(input) == header->mode);
}

void fuzz_packet(std::span<const std::byte> input) {
  auto packet = wire::parse_packet(input);
  if (!packet) {
    check(!packet.error().message.empty());
    return;
  }
  check(input.size() >= wire::kHeaderSize);
  check(packet->header.mode != wire::Mode::kReserved &&
        packet->header.mode != wire::Mode::kControl && packet->header.mode != wire::Mode::kPrivate);
  // serialize_packet's precondition, which parsing must guarantee (RFC 7822 §3).
  for (const auto& ef : packet->extensions) {
    check(ef.value.size() >= 12 && ef.value.size() % 4 == 0);
  }
  if (packet->mac && packet->mac->digest.empty()) check(packet->mac->key_id == 0);

  const std::vector<std::byte> wire_bytes = wire::serialize_packet(*packet);
  // Parsing consumed every byte, so the re-encoding is the input itself.
  check(same_bytes(wire_bytes, input));
  auto again = wire::parse_packet(wire_bytes);
  check(again.ok());
  check(*again == *packet);
}

void fuzz_address(std::span<const std::byte> input) {
  const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  const std::optional<net::IpAddress> address = net::IpAddress::parse(text);
  if (!address) return;
  const std::string canonical = address->to_string();
  const std::optional<net::IpAddress> again = net::IpAddress::parse(canonical);
  check(again.has_value());
  check(*again == *address);
  check(again->to_string() == canonical);  // the canonical form is a fixed point
  const net::Endpoint endpoint{*address, 123};
  check(!endpoint.to_string().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto input = std::as_bytes(std::span<const uint8_t>(data, size));
  fuzz_header(input);
  fuzz_packet(input);
  fuzz_address(input);
  return 0;
}
