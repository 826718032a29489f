// NTS inside NTP packets (RFC 8915 §5): the Unique Identifier, NTS Cookie,
// Cookie Placeholder and NTS Authenticator and Encrypted Extension Fields
// extension fields, and the packets built from them — the client's request
// and its check of the reply, the server's parse of a request, its reply and
// its NTS NAK. Pure: byte strings and keys in, byte strings and verdicts out;
// the crypto behind an Aead (aead.h), randomness from the caller.
//
// Walking the fields: wire::parse_packet() decides between extension fields
// and a legacy MAC by the length of what is left (RFC 7822 §7), and it drops
// the offsets NTS needs (the associated data ends where the authenticator
// field starts). NTS packets carry no legacy MAC, so walk_fields() here reads
// the fields strictly, keeping every field's offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/nts/aead.h"
#include "core/nts/keys.h"
#include "core/result.h"
#include "core/wire/ntp_packet.h"

namespace meridian::nts {

// Extension field types, RFC 8915 §7.5.
inline constexpr uint16_t kEfUniqueIdentifier = 0x0104;   // §5.3
inline constexpr uint16_t kEfCookie = 0x0204;             // §5.4
inline constexpr uint16_t kEfCookiePlaceholder = 0x0304;  // §5.5
inline constexpr uint16_t kEfAuthenticator = 0x0404;      // §5.6

inline constexpr size_t kUidSize = 32;    // §5.3: at least 32 random octets; we send 32
inline constexpr size_t kNonceSize = 16;  // the nonces we send; §5.6 needs ≥ 16 with padding
inline constexpr size_t kMaxCookies = 8;  // §5.7: a client keeps up to 8 cookies
inline constexpr uint32_t kKissNtsNak = wire::kiss_code("NTSN");  // §5.7

using HeaderBytes = std::span<const std::byte, wire::kHeaderSize>;

// One RFC 7822 extension field found in a byte string.
struct FieldView {
  uint16_t type = 0;
  size_t offset = 0;                // of its 4-byte type/length header in the walked bytes
  size_t length = 0;                // on the wire, header and padding included
  std::span<const std::byte> body;  // length - 4 bytes, padding included
};

// The fields in bytes[start, end): each needs a length that is a multiple of
// 4 and at least `min_length` and lies wholly inside; the last must end
// exactly at the end (no trailing bytes, no legacy MAC).
// Errors: kMalformed, naming the offset.
Result<std::vector<FieldView>> walk_fields(std::span<const std::byte> bytes, size_t start,
                                           size_t min_length);

// Appends one field: type, length, body, then zero padding up to a multiple
// of 4 and at least 16 bytes on the wire (RFC 7822 §3).
void append_field(std::vector<std::byte>& out, uint16_t type, std::span<const std::byte> body);

// The on-wire length append_field() gives a body of `body_size` bytes.
size_t field_length(size_t body_size);

// RFC 8915 §5.6 body: nonce length (u16), ciphertext length (u16), nonce and
// ciphertext each zero-padded to a multiple of 4, then optional padding.
struct AuthenticatorView {
  std::span<const std::byte> nonce;
  std::span<const std::byte> sealed;  // SIV tag ‖ ciphertext (Aead::seal's output)
};
// Errors (kMalformed): lengths past the body, an empty nonce, a nonce area
// (nonce, its padding and the optional padding) under 16 bytes, a ciphertext
// shorter than a SIV tag.
Result<AuthenticatorView> parse_authenticator(std::span<const std::byte> body);
// Appends the authenticator field for `nonce` and `sealed`.
// REQUIRES: both shorter than 65536 bytes.
void append_authenticator(std::vector<std::byte>& out, std::span<const std::byte> nonce,
                          std::span<const std::byte> sealed);

// ---- client side ------------------------------------------------------------

// A request (RFC 8915 §5.7): `header` (mode 3), then the Unique Identifier,
// the cookie, `placeholders` Cookie Placeholders as long as the cookie, and
// the authenticator with `nonce` sealing an empty plaintext under keys.c2s.
// Errors (kInvalidArgument): a UID under 32 bytes, an empty cookie, a nonce
// under 16 bytes, more than kMaxCookies - 1 placeholders.
Result<std::vector<std::byte>> build_request(const Aead& aead, const NtsKeys& keys,
                                             HeaderBytes header, std::span<const std::byte> uid,
                                             std::span<const std::byte> cookie, size_t placeholders,
                                             std::span<const std::byte> nonce);

enum class ReplyVerdict {
  kOk,         // authentic reply to our request; `cookies` holds the new cookies
  kNak,        // NTS NAK (stratum 0, kiss code NTSN) carrying our UID
  kBadAuth,    // our UID, but no authenticator or one that does not verify with s2c
  kMalformed,  // not a well-formed NTS server packet
  kNotOurs,    // no UID or another UID: not an answer to our outstanding request
};
std::string_view verdict_name(ReplyVerdict verdict);

struct ReplyCheck {
  ReplyVerdict verdict = ReplyVerdict::kMalformed;
  std::vector<std::vector<std::byte>> cookies;  // kOk only: encrypted NTS Cookie bodies, ≤ 8
  std::string detail;                           // why, for logs; empty on kOk
};

// Checks a server's answer to the request that carried `uid` (RFC 8915 §5.7):
// mode 4, exactly one UID equal to `uid`, then either a NAK or exactly one
// authenticator, the last field, verifying under keys.s2c over everything
// before it. Cookies count only from the encrypted part; unauthenticated
// fields are ignored.
ReplyCheck verify_reply(const Aead& aead, const NtsKeys& keys, std::span<const std::byte> datagram,
                        std::span<const std::byte> uid);

// ---- server side ------------------------------------------------------------

// A parsed request. The spans point into the datagram given to
// parse_request(): it must outlive this value.
struct ServerRequest {
  std::span<const std::byte> uid;     // UID body as received (echoed verbatim)
  std::span<const std::byte> cookie;  // the one NTS Cookie body
  size_t placeholders = 0;            // Cookie Placeholder fields
  size_t authenticator_offset = 0;    // where the authenticator starts = associated-data length
  AuthenticatorView authenticator;
  size_t size = 0;  // of the whole request, the bound on the reply's size
};

// RFC 8915 §5.7 shape checks: NTPv4 mode 3; exactly one UID (≥ 32 bytes),
// exactly one non-empty cookie, any number of placeholders, exactly one
// authenticator and it is the last field. Other field types are allowed
// (they are covered by the authenticator). Errors: kMalformed / kTruncated;
// a server drops such a request without an answer.
Result<ServerRequest> parse_request(std::span<const std::byte> datagram);

// Verifies the request's authenticator under `c2s` (the key from its cookie)
// and returns the decrypted plaintext, a sequence of extension fields (empty
// from every client we know). Errors: kMalformed when it does not verify or
// the plaintext is not a field sequence — the server answers with a NAK.
Result<std::vector<std::byte>> open_request(const Aead& aead, std::span<const std::byte> c2s,
                                            std::span<const std::byte> datagram,
                                            const ServerRequest& request);

// How many cookies of `cookie_size` bytes a reply with a nonce of
// `nonce_size` bytes can carry: at most 1 + placeholders and kMaxCookies,
// fewer if the reply would outgrow the request (RFC 8915 §5.7: no
// amplification). May be 0.
size_t reply_cookie_count(const ServerRequest& request, size_t cookie_size, size_t nonce_size);

// The reply: `header` (mode 4), the request's UID echoed, and the
// authenticator with `nonce`, sealing the cookies as NTS Cookie fields under
// `s2c`. Errors: kInvalidArgument if the reply would be longer than the
// request (use reply_cookie_count()) or the nonce is under 16 bytes.
Result<std::vector<std::byte>> build_reply(const Aead& aead, std::span<const std::byte> s2c,
                                           HeaderBytes header, const ServerRequest& request,
                                           std::span<const std::vector<std::byte>> cookies,
                                           std::span<const std::byte> nonce);

// NTS NAK (RFC 8915 §5.7): `header` with stratum 0 and kiss code NTSN, then
// the UID echoed; no cookie, no authenticator. Never longer than the request.
std::vector<std::byte> build_nak(HeaderBytes header, std::span<const std::byte> uid);

}  // namespace meridian::nts
