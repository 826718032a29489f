#include "tests/support/nts_tamper.h"

#include "core/wire/byte_reader.h"

namespace meridian::testing {
namespace {

constexpr size_t kNtpHeaderBytes = 48;  // RFC 5905 §7.3

// Walks the extension field chain after the header (RFC 7822 §3: type and
// length, 16 bits each, length counting the whole field, a multiple of 4).
std::optional<size_t> authenticator_tag(std::span<const std::byte> packet) {
  if (packet.size() < kNtpHeaderBytes) return std::nullopt;
  wire::ByteReader r(packet.subspan(kNtpHeaderBytes));
  while (r.remaining() >= 4) {
    const size_t field_start = kNtpHeaderBytes + r.position();
    const auto type = r.u16();
    const auto length = r.u16();
    if (!type || !length || *length < 4 || *length % 4 != 0) return std::nullopt;
    const auto body = r.bytes(*length - 4u);
    if (!body) return std::nullopt;
    if (*type != kNtsAuthenticatorType) continue;
    // RFC 8915 §5.6: nonce length, ciphertext length, nonce (padded to a
    // multiple of 4), ciphertext.
    wire::ByteReader a(*body);
    const auto nonce_length = a.u16();
    const auto ciphertext_length = a.u16();
    if (!nonce_length || !ciphertext_length || *ciphertext_length == 0) return std::nullopt;
    const size_t padded_nonce = (size_t{*nonce_length} + 3u) / 4u * 4u;
    if (!a.bytes(padded_nonce) || a.remaining() < *ciphertext_length) return std::nullopt;
    return field_start + 4u + a.position();
  }
  return std::nullopt;
}

}  // namespace

std::optional<size_t> tamper_position(std::span<const std::byte> packet, const TamperRule& rule) {
  switch (rule.where) {
    case TamperRule::Where::kNone:
      return std::nullopt;
    case TamperRule::Where::kOffset: {
      const auto size = static_cast<std::ptrdiff_t>(packet.size());
      const std::ptrdiff_t at = rule.offset < 0 ? size + rule.offset : rule.offset;
      if (at < 0 || at >= size) return std::nullopt;
      return static_cast<size_t>(at);
    }
    case TamperRule::Where::kNtsTag:
      return authenticator_tag(packet);
  }
  return std::nullopt;
}

bool tamper(std::span<std::byte> packet, const TamperRule& rule) {
  const auto at = tamper_position(packet, rule);
  if (!at) return false;
  packet[*at] = ~packet[*at];
  return true;
}

}  // namespace meridian::testing
