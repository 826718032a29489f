#include "core/server/nts_server_context.h"

#include <array>

#include "core/nts/cookie.h"

namespace meridian::server {

Result<std::vector<std::vector<std::byte>>> NtsServerContext::make_cookies(const nts::NtsKeys& keys,
                                                                           size_t count) const {
  const auto ring = keyring();
  if (!ring || ring->empty()) return make_error(ErrorCode::kUnavailable, "no cookie key yet");
  std::vector<std::vector<std::byte>> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::array<std::byte, nts::kCookieNonceSize> nonce{};
    random_->fill(nonce);
    auto cookie = nts::make_cookie(*aead_, ring->current(), keys, nonce);
    if (!cookie) return cookie.error();
    out.push_back(std::move(*cookie));
  }
  counters_.cookies.fetch_add(out.size(), std::memory_order_relaxed);
  return out;
}

}  // namespace meridian::server
