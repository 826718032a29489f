#include "core/auth/mac.h"

#include <fmt/format.h>

namespace meridian::auth {

namespace {

constexpr size_t kKeyIdLength = 4;
constexpr size_t kSha256FullLength = 32;  // chrony's untruncated NTPv3 SHA256 MAC

uint32_t read_u32(std::span<const std::byte> b) {
  return uint32_t{std::to_integer<uint8_t>(b[0])} << 24 |
         uint32_t{std::to_integer<uint8_t>(b[1])} << 16 |
         uint32_t{std::to_integer<uint8_t>(b[2])} << 8 | uint32_t{std::to_integer<uint8_t>(b[3])};
}

void write_u32(std::vector<std::byte>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::byte>((v >> shift) & 0xff));
}

bool acceptable_length(KeyType type, size_t length) {
  if (length == wire_digest_length(type)) return true;
  return type == KeyType::kSha256 && length == kSha256FullLength;
}

}  // namespace

size_t wire_digest_length(KeyType type) {
  switch (type) {
    case KeyType::kMd5:
    case KeyType::kAes128Cmac:
      return 16;
    case KeyType::kSha1:
    case KeyType::kSha256:
      return 20;
  }
  return 16;
}

std::string_view to_string(VerifyStatus status) {
  switch (status) {
    case VerifyStatus::kNone:
      return "none";
    case VerifyStatus::kOk:
      return "ok";
    case VerifyStatus::kBadMac:
      return "bad MAC";
    case VerifyStatus::kUnknownKey:
      return "unknown key";
    case VerifyStatus::kUntrustedKey:
      return "untrusted key";
    case VerifyStatus::kCryptoNak:
      return "crypto-NAK";
  }
  return "?";
}

access::PacketAuth packet_auth(VerifyStatus status) {
  switch (status) {
    case VerifyStatus::kNone:
      return access::PacketAuth::kNone;
    case VerifyStatus::kOk:
      return access::PacketAuth::kOk;
    case VerifyStatus::kCryptoNak:
      return access::PacketAuth::kCryptoNak;
    case VerifyStatus::kBadMac:
    case VerifyStatus::kUnknownKey:
    case VerifyStatus::kUntrustedKey:
      return access::PacketAuth::kFailed;
  }
  return access::PacketAuth::kFailed;
}

VerifyResult verify_request(std::span<const std::byte> datagram, const wire::NtpPacket& parsed,
                            const KeyStore& keys, const MacEngine& engine) {
  if (!parsed.mac) return {VerifyStatus::kNone, 0};
  const wire::MacTrailer& mac = *parsed.mac;
  VerifyResult bad{VerifyStatus::kBadMac, mac.key_id};

  // The trailer must be the datagram's tail, after at least a full header.
  const size_t trailer = kKeyIdLength + mac.digest.size();
  if (datagram.size() < wire::kHeaderSize + trailer) return bad;
  const size_t covered = datagram.size() - trailer;
  if (read_u32(datagram.subspan(covered, kKeyIdLength)) != mac.key_id) return bad;
  if (mac.digest.empty()) {
    // parse_packet only yields an empty digest for key id 0.
    return mac.key_id == 0 ? VerifyResult{VerifyStatus::kCryptoNak, 0} : bad;
  }

  const SymmetricKey* key = keys.find(mac.key_id);
  if (key == nullptr) return {VerifyStatus::kUnknownKey, mac.key_id};
  if (!keys.is_trusted(mac.key_id)) return {VerifyStatus::kUntrustedKey, mac.key_id};
  if (!acceptable_length(key->type, mac.digest.size())) return bad;

  auto expected = engine.compute(key->type, key->secret, datagram.first(covered));
  if (!expected || expected->size < mac.digest.size()) return bad;
  // Compare the received bytes themselves, not the parsed copy.
  const auto received = datagram.subspan(covered + kKeyIdLength);
  if (!engine.equal(expected->view().first(received.size()), received)) return bad;
  return {VerifyStatus::kOk, mac.key_id};
}

Result<std::vector<std::byte>> append_mac(std::vector<std::byte> packet, uint32_t key_id,
                                          const KeyStore& keys, const MacEngine& engine) {
  const SymmetricKey* key = keys.find(key_id);
  if (key == nullptr) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("no key {}", key_id));
  }
  if (!keys.is_trusted(key_id)) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("key {} is not trusted", key_id));
  }
  auto value = engine.compute(key->type, key->secret, packet);
  if (!value) return value.error();
  const size_t length = wire_digest_length(key->type);
  if (value->size < length) {
    return make_error(
        ErrorCode::kUnavailable,
        fmt::format("{} MAC is {} bytes, need {}", to_string(key->type), value->size, length));
  }
  write_u32(packet, key_id);
  const auto digest = value->view().first(length);
  packet.insert(packet.end(), digest.begin(), digest.end());
  return packet;
}

std::vector<std::byte> append_crypto_nak(std::vector<std::byte> packet) {
  write_u32(packet, 0);
  return packet;
}

}  // namespace meridian::auth
