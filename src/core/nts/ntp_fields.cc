// Field walker and encoder, the authenticator body, and the client's side
// (request, reply check). The server's side is in ntp_fields_server.cc.
#include "core/nts/ntp_fields.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/wire/byte_reader.h"

namespace meridian::nts {

namespace {

constexpr size_t kFieldHeaderSize = 4;
constexpr size_t kMinFieldLength = 16;  // RFC 7822 §3
// RFC 8915 §5.6: nonce plus padding at least N_REQ = max(16, N_MIN) octets.
constexpr size_t kMinNonceArea = 16;
constexpr size_t kInnerMinFieldLength = 4;  // encrypted fields: no MAC ambiguity to avoid

size_t pad4(size_t n) { return (n + 3) / 4 * 4; }

Error malformed(std::string what) { return make_error(ErrorCode::kMalformed, std::move(what)); }

uint8_t mode_of(std::span<const std::byte> datagram) {
  return std::to_integer<uint8_t>(datagram[0]) & 0x7;
}

ReplyCheck verdict(ReplyVerdict v, std::string detail) {
  ReplyCheck c;
  c.verdict = v;
  c.detail = std::move(detail);
  return c;
}

bool equal_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

Result<std::vector<FieldView>> walk_fields(std::span<const std::byte> bytes, size_t start,
                                           size_t min_length) {
  if (start > bytes.size()) return malformed("extension fields start past the end");
  std::vector<FieldView> fields;
  // An NTS packet has a handful of fields: one allocation, not one per doubling.
  if (bytes.size() > start) fields.reserve(8);
  wire::ByteReader r(bytes.subspan(start));
  while (r.remaining() > 0) {
    const size_t at = start + r.position();
    if (r.remaining() < kFieldHeaderSize) {
      return malformed(fmt::format("{} trailing bytes at offset {}", r.remaining(), at));
    }
    const uint16_t type = *r.u16();
    const uint16_t length = *r.u16();
    if (length < std::max(min_length, kFieldHeaderSize) || length % 4 != 0) {
      return malformed(fmt::format("extension field 0x{:04x} at offset {} has invalid length {}",
                                   type, at, length));
    }
    auto body = r.bytes(length - kFieldHeaderSize);
    if (!body) {
      return malformed(
          fmt::format("extension field 0x{:04x} at offset {} (length {}) runs past "
                      "the end",
                      type, at, length));
    }
    fields.push_back(FieldView{type, at, length, *body});
  }
  return fields;
}

size_t field_length(size_t body_size) {
  return std::max(kMinFieldLength, kFieldHeaderSize + pad4(body_size));
}

void append_field(std::vector<std::byte>& out, uint16_t type, std::span<const std::byte> body) {
  const size_t length = field_length(body.size());
  wire::ByteWriter w(out);
  w.u16(type);
  w.u16(static_cast<uint16_t>(length));
  w.bytes(body);
  w.zeros(length - kFieldHeaderSize - body.size());
}

Result<AuthenticatorView> parse_authenticator(std::span<const std::byte> body) {
  wire::ByteReader r(body);
  const auto nonce_length = r.u16();
  const auto sealed_length = r.u16();
  if (!sealed_length) return malformed("authenticator field shorter than its two lengths");
  if (*nonce_length == 0) return malformed("authenticator with an empty nonce");
  if (*sealed_length < kSivTagSize) {
    return malformed(
        fmt::format("authenticator ciphertext of {} bytes is shorter than a tag", *sealed_length));
  }
  const auto nonce = r.bytes(*nonce_length);
  if (!nonce || !r.bytes(pad4(*nonce_length) - *nonce_length)) {
    return malformed(
        fmt::format("authenticator nonce of {} bytes runs past the field", *nonce_length));
  }
  const auto sealed = r.bytes(*sealed_length);
  if (!sealed || !r.bytes(pad4(*sealed_length) - *sealed_length)) {
    return malformed(
        fmt::format("authenticator ciphertext of {} bytes runs past the field", *sealed_length));
  }
  // What is left is the optional padding; with the nonce it must reach 16.
  if (pad4(*nonce_length) + r.remaining() < kMinNonceArea) {
    return malformed(
        fmt::format("authenticator nonce of {} bytes is not padded to 16", *nonce_length));
  }
  return AuthenticatorView{*nonce, *sealed};
}

void append_authenticator(std::vector<std::byte>& out, std::span<const std::byte> nonce,
                          std::span<const std::byte> sealed) {
  // The field written in place (RFC 8915 §5.6): no temporary body.
  const size_t body_size = 4 + pad4(nonce.size()) + pad4(sealed.size());
  const size_t length = field_length(body_size);
  out.reserve(out.size() + length);
  wire::ByteWriter w(out);
  w.u16(kEfAuthenticator);
  w.u16(static_cast<uint16_t>(length));
  w.u16(static_cast<uint16_t>(nonce.size()));
  w.u16(static_cast<uint16_t>(sealed.size()));
  w.bytes(nonce);
  w.zeros(pad4(nonce.size()) - nonce.size());
  w.bytes(sealed);
  w.zeros(pad4(sealed.size()) - sealed.size());
  w.zeros(length - kFieldHeaderSize - body_size);
}

Result<std::vector<std::byte>> build_request(const Aead& aead, const NtsKeys& keys,
                                             HeaderBytes header, std::span<const std::byte> uid,
                                             std::span<const std::byte> cookie, size_t placeholders,
                                             std::span<const std::byte> nonce) {
  if (uid.size() < kUidSize || uid.size() > 1024) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("NTS unique identifier of {} bytes (need 32..1024)", uid.size()));
  }
  if (cookie.empty() || cookie.size() > 1024) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("NTS cookie of {} bytes (need 1..1024)", cookie.size()));
  }
  if (nonce.size() < kNonceSize || nonce.size() > 256) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("NTS nonce of {} bytes (need 16..256)", nonce.size()));
  }
  if (placeholders >= kMaxCookies) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{} cookie placeholders (at most {})", placeholders, kMaxCookies - 1));
  }
  std::vector<std::byte> out(header.begin(), header.end());
  out.reserve(wire::kHeaderSize + field_length(uid.size()) +
              (1 + placeholders) * field_length(cookie.size()) + 64);
  append_field(out, kEfUniqueIdentifier, uid);
  append_field(out, kEfCookie, cookie);
  // RFC 8915 §5.5: a placeholder is as long as the cookie; its body is zeros.
  const std::vector<std::byte> zeros(cookie.size());
  for (size_t i = 0; i < placeholders; ++i) append_field(out, kEfCookiePlaceholder, zeros);
  auto sealed = aead.seal(keys.c2s, nonce, out, {});
  if (!sealed) return sealed.error();
  append_authenticator(out, nonce, *sealed);
  return out;
}

std::string_view verdict_name(ReplyVerdict verdict) {
  switch (verdict) {
    case ReplyVerdict::kOk:
      return "ok";
    case ReplyVerdict::kNak:
      return "nak";
    case ReplyVerdict::kBadAuth:
      return "bad-auth";
    case ReplyVerdict::kMalformed:
      return "malformed";
    case ReplyVerdict::kNotOurs:
      return "not-ours";
  }
  return "?";
}

ReplyCheck verify_reply(const Aead& aead, const NtsKeys& keys, std::span<const std::byte> datagram,
                        std::span<const std::byte> uid) {
  if (datagram.size() < wire::kHeaderSize) {
    return verdict(ReplyVerdict::kMalformed,
                   fmt::format("{} bytes: shorter than an NTP header", datagram.size()));
  }
  if (mode_of(datagram) != static_cast<uint8_t>(wire::Mode::kServer)) {
    return verdict(ReplyVerdict::kMalformed,
                   fmt::format("mode {}, not a server reply", mode_of(datagram)));
  }
  auto fields = walk_fields(datagram, wire::kHeaderSize, kMinFieldLength);
  if (!fields) return verdict(ReplyVerdict::kMalformed, fields.error().message);

  const FieldView* uid_field = nullptr;
  const FieldView* auth_field = nullptr;
  size_t uid_count = 0;
  size_t auth_count = 0;
  for (const FieldView& f : *fields) {
    if (f.type == kEfUniqueIdentifier) {
      ++uid_count;
      uid_field = &f;
    } else if (f.type == kEfAuthenticator) {
      ++auth_count;
      auth_field = &f;
    }
  }
  if (uid_count == 0) return verdict(ReplyVerdict::kNotOurs, "no unique identifier");
  if (uid_count > 1) return verdict(ReplyVerdict::kMalformed, "more than one unique identifier");
  if (!equal_bytes(uid_field->body, uid)) {
    return verdict(ReplyVerdict::kNotOurs, "unique identifier of another request");
  }

  // RFC 8915 §5.7: a NAK is unauthenticated by nature; the UID shows that
  // whoever sent it saw our request.
  const uint8_t stratum = std::to_integer<uint8_t>(datagram[1]);
  wire::ByteReader refid_reader(datagram.subspan(12, 4));
  if (stratum == 0 && *refid_reader.u32() == kKissNtsNak) {
    return verdict(ReplyVerdict::kNak, "NTS NAK");
  }

  if (auth_count == 0) return verdict(ReplyVerdict::kBadAuth, "no NTS authenticator");
  if (auth_count > 1) return verdict(ReplyVerdict::kMalformed, "more than one authenticator");
  if (auth_field != &fields->back()) {
    return verdict(ReplyVerdict::kMalformed, "extension fields after the authenticator");
  }
  auto auth = parse_authenticator(auth_field->body);
  if (!auth) return verdict(ReplyVerdict::kMalformed, auth.error().message);

  auto plaintext =
      aead.open(keys.s2c, auth->nonce, datagram.first(auth_field->offset), auth->sealed);
  if (!plaintext) return verdict(ReplyVerdict::kBadAuth, plaintext.error().message);
  auto inner = walk_fields(*plaintext, 0, kInnerMinFieldLength);
  if (!inner) {
    return verdict(ReplyVerdict::kMalformed, "encrypted fields: " + inner.error().message);
  }
  ReplyCheck ok;
  ok.verdict = ReplyVerdict::kOk;
  for (const FieldView& f : *inner) {
    if (f.type != kEfCookie || f.body.empty() || ok.cookies.size() >= kMaxCookies) continue;
    ok.cookies.emplace_back(f.body.begin(), f.body.end());
  }
  return ok;
}

}  // namespace meridian::nts
