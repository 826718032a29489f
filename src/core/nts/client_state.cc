#include "core/nts/client_state.h"

#include <algorithm>
#include <array>

namespace meridian::nts {

void NtsClientState::set_keys(const NtsKeys& keys, std::vector<std::vector<std::byte>> cookies) {
  keys_ = keys;
  cookies_.clear();
  for (auto& cookie : cookies) {
    if (!cookie.empty()) cookies_.push_back(std::move(cookie));
  }
  while (cookies_.size() > kMaxCookies) cookies_.pop_front();
  outstanding_.reset();
  nak_ = false;
}

bool NtsClientState::needs_key_exchange() const { return !keys_ || cookies_.empty() || nak_; }

Result<std::vector<std::byte>> NtsClientState::make_request(HeaderBytes header,
                                                            RandomSource& random) {
  if (needs_key_exchange()) {
    return make_error(ErrorCode::kUnavailable, !keys_ ? "NTS: no keys yet, key exchange needed"
                                               : cookies_.empty()
                                                   ? "NTS: no cookie left, key exchange needed"
                                                   : "NTS: server sent a NAK, key exchange needed");
  }
  Outstanding next;
  random.fill(next.uid);
  std::array<std::byte, kNonceSize> nonce{};
  random.fill(nonce);
  const size_t placeholders = kMaxCookies - cookies_.size();
  auto request =
      build_request(*aead_, *keys_, header, next.uid, cookies_.front(), placeholders, nonce);
  if (!request) return request.error();
  // RFC 8915 §5.7: every cookie is used once, so replies cannot be linked.
  cookies_.pop_front();
  outstanding_ = next;
  ++counters_.requests;
  return request;
}

ReplyVerdict NtsClientState::on_reply(std::span<const std::byte> datagram) {
  ReplyCheck check;
  if (!outstanding_ || !keys_) {
    check.verdict = ReplyVerdict::kNotOurs;
    check.detail = "no outstanding NTS request";
  } else {
    check = verify_reply(*aead_, *keys_, datagram, outstanding_->uid);
  }
  last_detail_ = std::move(check.detail);
  switch (check.verdict) {
    case ReplyVerdict::kOk:
      ++counters_.authentic_replies;
      counters_.cookies_received += check.cookies.size();
      for (auto& cookie : check.cookies) cookies_.push_back(std::move(cookie));
      while (cookies_.size() > kMaxCookies) cookies_.pop_front();  // keep the newest
      outstanding_.reset();
      nak_ = false;
      break;
    case ReplyVerdict::kNak:
      ++counters_.naks;
      nak_ = true;
      break;
    case ReplyVerdict::kBadAuth:
      ++counters_.bad_authenticator;
      break;
    case ReplyVerdict::kMalformed:
      ++counters_.malformed;
      break;
    case ReplyVerdict::kNotOurs:
      ++counters_.not_ours;
      break;
  }
  return check.verdict;
}

}  // namespace meridian::nts
