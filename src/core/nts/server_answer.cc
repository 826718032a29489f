#include "core/nts/server_answer.h"

#include <algorithm>
#include <array>

#include "core/nts/cookie.h"

namespace meridian::nts {

namespace {

ServerAnswer drop(std::string why) { return {ServerOutcome::kDrop, {}, std::move(why)}; }

}  // namespace

ServerAnswer answer_request(const Aead& aead, const CookieKeyring& keyring,
                            std::span<const std::byte> request, HeaderBytes reply_header,
                            RandomSource& random) {
  auto parsed = parse_request(request);
  if (!parsed) return drop(parsed.error().message);
  if (keyring.empty()) return drop("no cookie key");

  // RFC 8915 §5.7: a cookie or authenticator the server cannot validate is
  // answered with a NAK so the client knows to run NTS-KE again.
  auto keys = open_cookie(aead, keyring, parsed->cookie);
  if (!keys)
    return {ServerOutcome::kNak, build_nak(reply_header, parsed->uid), keys.error().message};
  auto plaintext = open_request(aead, keys->c2s, request, *parsed);
  if (!plaintext) {
    return {ServerOutcome::kNak, build_nak(reply_header, parsed->uid), plaintext.error().message};
  }

  const size_t count = std::min(kMaxCookies, reply_cookie_count(*parsed, kCookieSize, kNonceSize));
  // The cookies' nonces, then the reply's, drawn at once (one system call).
  static_assert(kCookieNonceSize == kNonceSize);
  std::array<std::byte, (kMaxCookies + 1) * kNonceSize> nonces{};
  const auto nonce_bytes = std::span(nonces).first((count + 1) * kNonceSize);
  random.fill(nonce_bytes);
  std::vector<std::vector<std::byte>> cookies;
  cookies.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    auto cookie = make_cookie(aead, keyring.current(), *keys,
                              nonce_bytes.subspan(i * kNonceSize, kNonceSize));
    if (!cookie) return drop(cookie.error().message);
    cookies.push_back(std::move(*cookie));
  }
  const auto nonce = nonce_bytes.subspan(count * kNonceSize, kNonceSize);
  auto reply = build_reply(aead, keys->s2c, reply_header, *parsed, cookies, nonce);
  if (!reply) return drop(reply.error().message);
  return {ServerOutcome::kReply, std::move(*reply), {}};
}

}  // namespace meridian::nts
