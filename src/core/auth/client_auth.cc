#include "core/auth/client_auth.h"

#include <fmt/format.h>

#include "core/auth/mac.h"
#include "core/wire/ntp_packet.h"

namespace meridian::auth {

std::string_view to_string(ClientAuth a) {
  switch (a) {
    case ClientAuth::kOk:
      return "ok";
    case ClientAuth::kUnsigned:
      return "no MAC";
    case ClientAuth::kBadMac:
      return "bad MAC";
    case ClientAuth::kCryptoNak:
      return "crypto-NAK";
    case ClientAuth::kWrongKeyId:
      return "wrong key id";
    case ClientAuth::kMalformed:
      return "malformed MAC";
    case ClientAuth::kKeyUnavailable:
      return "key unavailable";
  }
  return "?";
}

Result<std::vector<std::byte>> sign_request(std::vector<std::byte> request, uint32_t key_id,
                                            const KeyStore& keys, const MacEngine& engine) {
  // append_mac refuses unknown and untrusted keys: classic authencrypt() does too.
  return append_mac(std::move(request), key_id, keys, engine);
}

ClientAuth verify_reply(std::span<const std::byte> datagram, uint32_t key_id, const KeyStore& keys,
                        const MacEngine& engine) {
  if (keys.find(key_id) == nullptr || !keys.is_trusted(key_id)) return ClientAuth::kKeyUnavailable;
  auto parsed = wire::parse_packet(datagram);
  if (!parsed) return ClientAuth::kMalformed;
  if (!parsed->mac) return ClientAuth::kUnsigned;
  if (parsed->mac->key_id == 0 && parsed->mac->digest.empty()) return ClientAuth::kCryptoNak;
  // Only the association's own key: another trusted key must not vouch for
  // this server (CVE-2015-7974).
  if (parsed->mac->key_id != key_id) return ClientAuth::kWrongKeyId;
  const VerifyResult v = verify_request(datagram, *parsed, keys, engine);
  switch (v.status) {
    case VerifyStatus::kOk:
      return v.key_id == key_id ? ClientAuth::kOk : ClientAuth::kWrongKeyId;
    case VerifyStatus::kNone:
      return ClientAuth::kUnsigned;
    case VerifyStatus::kCryptoNak:
      return ClientAuth::kCryptoNak;
    case VerifyStatus::kUnknownKey:
    case VerifyStatus::kUntrustedKey:
      return ClientAuth::kKeyUnavailable;  // checked above; kept for completeness
    case VerifyStatus::kBadMac:
      return ClientAuth::kBadMac;
  }
  return ClientAuth::kBadMac;
}

std::optional<std::string> ClientAuthState::record(ClientAuth verdict, std::string_view server) {
  ClientAuthCounters& c = view_.counters;
  switch (verdict) {
    case ClientAuth::kOk:
      ++c.ok;
      break;
    case ClientAuth::kUnsigned:
      ++c.unsigned_;
      break;
    case ClientAuth::kBadMac:
      ++c.bad_mac;
      break;
    case ClientAuth::kCryptoNak:
      ++c.crypto_nak;
      break;
    case ClientAuth::kWrongKeyId:
      ++c.wrong_key;
      break;
    case ClientAuth::kMalformed:
      ++c.malformed;
      break;
    case ClientAuth::kKeyUnavailable:
      ++c.not_sent;
      break;
  }
  const std::optional<ClientAuth> before = view_.last;
  view_.last = verdict;
  if (before == verdict) return std::nullopt;
  if (verdict == ClientAuth::kOk) {
    // The first success is not news; a recovery is.
    if (!before) return std::nullopt;
    return fmt::format("server {}: replies authenticated again with key {}", server, key_id());
  }
  if (verdict == ClientAuth::kKeyUnavailable) {
    return fmt::format(
        "server {}: key {} is not in the key file or not trusted ('trustedkey'); no requests "
        "are sent",
        server, key_id());
  }
  return fmt::format("server {}: reply failed authentication ({}); key {} expected", server,
                     to_string(verdict), key_id());
}

}  // namespace meridian::auth
