// The server's side of NTS in NTP packets (RFC 8915 §5.7): parse and
// authenticate a request, build the reply or the NTS NAK.
#include <fmt/format.h>

#include <algorithm>

#include "core/nts/ntp_fields.h"

namespace meridian::nts {

namespace {

constexpr size_t kMinFieldLength = 16;      // RFC 7822 §3
constexpr size_t kInnerMinFieldLength = 4;  // encrypted fields: no MAC ambiguity to avoid
constexpr size_t kStratumOffset = 1;
constexpr size_t kReferenceIdOffset = 12;

size_t pad4(size_t n) { return (n + 3) / 4 * 4; }

Error malformed(std::string what) { return make_error(ErrorCode::kMalformed, std::move(what)); }

// The authenticator field's length for a nonce and `plaintext_size` bytes of
// encrypted fields.
size_t authenticator_length(size_t nonce_size, size_t plaintext_size) {
  return field_length(4 + pad4(nonce_size) + pad4(kSivTagSize + plaintext_size));
}

}  // namespace

Result<ServerRequest> parse_request(std::span<const std::byte> datagram) {
  if (datagram.size() < wire::kHeaderSize) {
    return make_error(ErrorCode::kTruncated,
                      fmt::format("{} bytes: shorter than an NTP header", datagram.size()));
  }
  const uint8_t first = std::to_integer<uint8_t>(datagram[0]);
  if ((first & 0x7) != static_cast<uint8_t>(wire::Mode::kClient) || ((first >> 3) & 0x7) != 4) {
    return malformed(fmt::format("NTPv{} mode {}: NTS needs an NTPv4 client request",
                                 (first >> 3) & 0x7, first & 0x7));
  }
  auto fields = walk_fields(datagram, wire::kHeaderSize, kMinFieldLength);
  if (!fields) return fields.error();

  ServerRequest request;
  request.size = datagram.size();
  size_t uids = 0;
  size_t cookies = 0;
  size_t authenticators = 0;
  for (const FieldView& f : *fields) {
    if (authenticators > 0) {
      // RFC 8915 §5.6: nothing after the authenticator would be authenticated.
      return malformed(fmt::format("extension field 0x{:04x} after the authenticator", f.type));
    }
    switch (f.type) {
      case kEfUniqueIdentifier:
        ++uids;
        request.uid = f.body;
        break;
      case kEfCookie:
        ++cookies;
        request.cookie = f.body;
        break;
      case kEfCookiePlaceholder:
        ++request.placeholders;
        break;
      case kEfAuthenticator: {
        ++authenticators;
        auto auth = parse_authenticator(f.body);
        if (!auth) return auth.error();
        request.authenticator = *auth;
        request.authenticator_offset = f.offset;
        break;
      }
      default:
        break;  // unknown fields are covered by the authenticator and otherwise ignored
    }
  }
  if (uids != 1) return malformed(fmt::format("{} unique identifiers (need exactly 1)", uids));
  if (request.uid.size() < kUidSize) {
    return malformed(fmt::format("unique identifier of {} bytes (need at least {})",
                                 request.uid.size(), kUidSize));
  }
  if (cookies != 1) return malformed(fmt::format("{} NTS cookies (need exactly 1)", cookies));
  if (authenticators != 1) return malformed("no NTS authenticator");
  return request;
}

Result<std::vector<std::byte>> open_request(const Aead& aead, std::span<const std::byte> c2s,
                                            std::span<const std::byte> datagram,
                                            const ServerRequest& request) {
  if (request.authenticator_offset > datagram.size() || request.size != datagram.size()) {
    return make_error(ErrorCode::kInvalidArgument, "request parsed from another datagram");
  }
  auto plaintext =
      aead.open(c2s, request.authenticator.nonce, datagram.first(request.authenticator_offset),
                request.authenticator.sealed);
  if (!plaintext) return plaintext.error();
  auto inner = walk_fields(*plaintext, 0, kInnerMinFieldLength);
  if (!inner) return malformed("encrypted fields: " + inner.error().message);
  return plaintext;
}

size_t reply_cookie_count(const ServerRequest& request, size_t cookie_size, size_t nonce_size) {
  const size_t fixed = wire::kHeaderSize + field_length(request.uid.size());
  size_t n = std::min(kMaxCookies, request.placeholders + 1);
  for (; n > 0; --n) {
    if (fixed + authenticator_length(nonce_size, n * field_length(cookie_size)) <= request.size) {
      break;
    }
  }
  return n;
}

Result<std::vector<std::byte>> build_reply(const Aead& aead, std::span<const std::byte> s2c,
                                           HeaderBytes header, const ServerRequest& request,
                                           std::span<const std::vector<std::byte>> cookies,
                                           std::span<const std::byte> nonce) {
  if (nonce.size() < kNonceSize || nonce.size() > 256) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("NTS nonce of {} bytes (need 16..256)", nonce.size()));
  }
  size_t plaintext_size = 0;
  for (const auto& cookie : cookies) plaintext_size += field_length(cookie.size());
  std::vector<std::byte> plaintext;
  plaintext.reserve(plaintext_size);
  for (const auto& cookie : cookies) {
    if (cookie.empty() || cookie.size() > 1024) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("NTS cookie of {} bytes (need 1..1024)", cookie.size()));
    }
    append_field(plaintext, kEfCookie, cookie);
  }
  const size_t size = wire::kHeaderSize + field_length(request.uid.size()) +
                      authenticator_length(nonce.size(), plaintext.size());
  if (size > request.size) {
    // RFC 8915 §5.7: never larger than the request (no amplification).
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("reply of {} bytes would be longer than the {}-byte request",
                                  size, request.size));
  }
  std::vector<std::byte> out;
  out.reserve(size);
  out.assign(header.begin(), header.end());
  append_field(out, kEfUniqueIdentifier, request.uid);
  auto sealed = aead.seal(s2c, nonce, out, plaintext);
  if (!sealed) return sealed.error();
  append_authenticator(out, nonce, *sealed);
  return out;
}

std::vector<std::byte> build_nak(HeaderBytes header, std::span<const std::byte> uid) {
  std::vector<std::byte> out(header.begin(), header.end());
  out[kStratumOffset] = std::byte{0};
  for (size_t i = 0; i < 4; ++i) {
    out[kReferenceIdOffset + i] = static_cast<std::byte>((kKissNtsNak >> (24 - 8 * i)) & 0xff);
  }
  append_field(out, kEfUniqueIdentifier, uid);
  return out;
}

}  // namespace meridian::nts
