// What every piece of an NTS server shares (RFC 8915 §5–6): the AEAD, the
// cookie keyring and a randomness source. The main loop's ServerCore, the
// fast-path workers and the NTS-KE server thread hold the same context; the
// main loop publishes a new keyring on rotation and readers pick it up with
// one atomic load, so no lock is ever held on the packet path.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/nts/aead.h"
#include "core/nts/cookie_keyring.h"
#include "core/nts/keys.h"
#include "core/random.h"
#include "core/result.h"

namespace meridian::server {

struct NtsServerCounters {
  std::atomic<uint64_t> replies{0};  // authenticated NTS replies sent
  std::atomic<uint64_t> naks{0};     // NTS NAKs sent (unknown key, bad cookie or authenticator)
  std::atomic<uint64_t> dropped{0};  // malformed NTS requests, no answer
  std::atomic<uint64_t> cookies{0};  // cookies issued (NTP replies and NTS-KE)
};

class NtsServerContext {
 public:
  // REQUIRES: `random` is safe to call from several threads (OsRandom is).
  NtsServerContext(std::shared_ptr<const nts::Aead> aead, std::shared_ptr<RandomSource> random)
      : aead_(std::move(aead)), random_(std::move(random)) {}

  const nts::Aead& aead() const { return *aead_; }
  RandomSource& random() const { return *random_; }

  // The keyring in force; null until the first publish().
  std::shared_ptr<const nts::CookieKeyring> keyring() const {
    return keyring_.load(std::memory_order_acquire);
  }
  void publish(std::shared_ptr<const nts::CookieKeyring> keyring) {
    keyring_.store(std::move(keyring), std::memory_order_release);
  }

  // `count` cookies for `keys` under the current key (NTS-KE hands out 8).
  // Errors: no keyring yet; the AEAD failed.
  Result<std::vector<std::vector<std::byte>>> make_cookies(const nts::NtsKeys& keys,
                                                           size_t count) const;

  NtsServerCounters& counters() const { return counters_; }

 private:
  std::shared_ptr<const nts::Aead> aead_;
  std::shared_ptr<RandomSource> random_;
  std::atomic<std::shared_ptr<const nts::CookieKeyring>> keyring_;
  mutable NtsServerCounters counters_;
};

}  // namespace meridian::server
