// The server half of the engine: one request in, at most one reply out,
// through the classic pipeline
//   parse → restrict (RestrictTable + classify) → MAC check → rate limit
//   (discard/MRU, RATE KoD) → answer (RFC 5905 fast_xmit) → MAC/crypto-NAK.
// Pure: time comes in as values; counters for every outcome. Replies are
// never larger than the request that caused them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/access/access_decision.h"
#include "core/access/rate_limiter.h"
#include "core/access/restrict_table.h"
#include "core/auth/key_store.h"
#include "core/auth/mac_engine.h"
#include "core/net/address.h"
#include "core/server/answer.h"
#include "core/server/nts_server_context.h"
#include "core/server/server_view.h"
#include "core/time/ntp_timestamp.h"

namespace meridian::server {

struct ServerPolicy {
  access::RestrictTable restrict;
  access::RateLimiter limiter;
  auth::KeyStore keys;
  std::shared_ptr<const auth::MacEngine> mac_engine;  // may be null: no authentication
  // `nts enable`: requests carrying NTS fields (RFC 8915 §5) are answered
  // with NTS (or an NTS NAK), never with plain time. Null: NTS is off and
  // such requests get a plain answer, which NTS clients reject.
  std::shared_ptr<const NtsServerContext> nts;
};

class ServerCore {
 public:
  explicit ServerCore(ServerPolicy policy) : policy_(std::move(policy)) {}

  // A validated reload: new restrict rules, keys and rate limits. With
  // keep_limiter (its settings did not change) the rate limiter and its MRU
  // history carry over, so a reload does not reset anyone's headway. The
  // counters always carry over.
  void reconfigure(ServerPolicy policy, bool keep_limiter) {
    if (keep_limiter) policy.limiter = std::move(policy_.limiter);
    policy_ = std::move(policy);
  }

  void set_view(const ServerView& view) { view_ = view; }
  const ServerView& view() const { return view_; }

  // REQUIRES: rx = receive time of the datagram, tx = a clock read taken just
  // before this call; now_s = monotonic seconds (rate limiting).
  std::optional<std::vector<std::byte>> handle(std::span<const std::byte> datagram,
                                               const net::Endpoint& client, time::NtpTime rx,
                                               time::NtpTime tx, double now_s);
  // The same decision, the reply written into `out`; returns its length (0:
  // no reply). Allocates nothing for unauthenticated requests (the fast
  // path's per-packet call); signed replies and crypto-NAKs still build a
  // vector. REQUIRES: out.size() >= kMaxReplySize. An NTS reply is as long
  // as its request at most; it is sent only when it fits `out`.
  static constexpr size_t kMaxReplySize = 128;  // 48 + key id + the longest digest (20)
  size_t handle_into(std::span<const std::byte> datagram, const net::Endpoint& client,
                     time::NtpTime rx, time::NtpTime tx, double now_s, std::span<std::byte> out);

  // Mode 6 (answered by control/, not here): the restrict decision for
  // `client` (`noquery`, `nomodify`, `nomrulist`); counts it as kControl.
  access::AccessDecision control_access(const net::Endpoint& client);

  uint64_t count(Outcome o) const { return counters_[static_cast<size_t>(o)]; }
  uint64_t received() const { return received_; }
  // NTP data packets by version: the current one (4) and older ones (1–3).
  uint64_t current_version() const { return current_version_; }
  uint64_t old_version() const { return old_version_; }
  const access::RateLimiter& limiter() const { return policy_.limiter; }
  const access::RestrictTable& restrict_table() const { return policy_.restrict; }

 private:
  size_t drop(Outcome why);
  // The NTS answer (reply or NAK) around the plain answer `a`, into `out`.
  size_t nts_reply(std::span<const std::byte> datagram, const Answer& a, std::span<std::byte> out);

  ServerPolicy policy_;
  ServerView view_;
  std::array<uint64_t, static_cast<size_t>(Outcome::kCount)> counters_{};
  uint64_t received_ = 0;
  uint64_t current_version_ = 0;
  uint64_t old_version_ = 0;
};

}  // namespace meridian::server
