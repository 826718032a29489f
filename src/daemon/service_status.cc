#include "daemon/service_status.h"

#include <fmt/format.h>

#include <algorithm>

namespace meridian::daemon {

namespace {

constexpr int64_t kSecond = 1'000'000'000;
// The sync state is looked at once a second; the offset in the text changes
// with every update, so an unchanged state is re-sent at most every 64 s.
constexpr int64_t kStatusCheck = kSecond;
constexpr int64_t kStatusRefresh = 64 * kSecond;

}  // namespace

std::string sync_status_text(const server::ServerView& view, const engine::ClientEngine* client,
                             double now_s) {
  if (!view.synchronised()) return "unsynchronised";
  if (client != nullptr) {
    const auto sys = client->system(now_s);
    if (sys.system_peer) {
      for (const auto& p : client->peers(now_s)) {
        if (p.id != *sys.system_peer) continue;
        // Offset θ = server − local (s): positive means our clock is behind.
        return fmt::format("synchronised to {} at stratum {}, offset {:+.6f} s",
                           p.options.endpoint.address.to_string(), view.stratum, sys.offset_s);
      }
    }
  }
  // No system peer: `tos orphan` (refid 127.0.0.1, as classic ntpd shows an
  // orphan parent) or the local clock driver (refid LOCL or the fudged one).
  if (view.reference_id == 0x7f000001)
    return fmt::format("orphan mode at stratum {}", view.stratum);
  return fmt::format("synchronised to local clock at stratum {}", view.stratum);
}

ServiceStatus::ServiceStatus(platform::ServiceNotifier& notifier, const server::ServerCore& core,
                             std::function<const engine::ClientEngine*()> client)
    : notifier_(notifier), core_(core), client_(std::move(client)) {}

std::string ServiceStatus::text(int64_t now_ns) const {
  return sync_status_text(core_.view(), client_(), static_cast<double>(now_ns) * 1e-9);
}

std::string ServiceStatus::initial(int64_t now_ns) {
  last_status_ = text(now_ns);
  last_sent_ns_ = now_ns;
  next_status_ns_ = now_ns + kStatusCheck;
  return last_status_;
}

int64_t ServiceStatus::tick(int64_t now_ns) {
  if (!notifier_.enabled()) return now_ns + 3600 * kSecond;
  if (const auto interval = notifier_.watchdog_interval_ns()) {
    if (now_ns >= next_watchdog_ns_) {
      (void)notifier_.watchdog();
      next_watchdog_ns_ = now_ns + *interval / 2;
    }
  }
  if (now_ns >= next_status_ns_) {
    const std::string s = text(now_ns);
    // A new state (the part before the offset) goes out at once.
    const auto state = [](const std::string& t) { return t.substr(0, t.find(", offset")); };
    const bool changed = state(s) != state(last_status_);
    if (changed || (s != last_status_ && now_ns - last_sent_ns_ >= kStatusRefresh)) {
      (void)notifier_.status(s);
      last_status_ = s;
      last_sent_ns_ = now_ns;
    }
    next_status_ns_ = now_ns + kStatusCheck;
  }
  int64_t next = next_status_ns_;
  if (notifier_.watchdog_interval_ns()) next = std::min(next, next_watchdog_ns_);
  return next;
}

}  // namespace meridian::daemon
