// NTS-KE handshakes for the client's `server HOST nts` associations, run off
// the main loop: each is a blocking TLS exchange with a deadline
// (platform/nts_ke_client.h) on a thread of its own, so the poll() loop never
// waits for TCP or TLS. The loop collects finished ones on every iteration
// (take_finished) and polls with a short timeout while any is out (busy).
//
// Bootstrap (docs/nts.md): the first attempt always checks the certificate's
// validity period. If that alone fails ("certificate has expired" / "is not
// yet valid") and the engine allows it (KeyExchange::allow_loose: it has not
// synchronised yet, so our clock may be what is wrong, e.g. 1970 after a
// boot without RTC), the handshake is repeated without the time check and the
// result is marked loose; the engine redoes it strictly once synchronised.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/engine/client_engine.h"
#include "core/result.h"

namespace meridian::daemon {

class NtsKeyExchanges {
 public:
  // `default_ca`: `nts ca FILE` (empty: the system store) for associations
  // without a `ca` option of their own.
  explicit NtsKeyExchanges(std::string default_ca) : default_ca_(std::move(default_ca)) {}
  ~NtsKeyExchanges();  // waits for handshakes still out (each has a deadline)
  NtsKeyExchanges(const NtsKeyExchanges&) = delete;
  NtsKeyExchanges& operator=(const NtsKeyExchanges&) = delete;

  void set_default_ca(std::string ca) { default_ca_ = std::move(ca); }
  // False when the seccomp filter was installed without threads (no NTS
  // server at start): a handshake then fails at once, saying to restart.
  void allow_threads(bool allowed) { threads_allowed_ = allowed; }
  void start(const engine::KeyExchange& request);
  bool busy() const { return !jobs_.empty(); }
  // Finished handshakes: association id and outcome.
  std::vector<std::pair<size_t, Result<engine::KeyExchangeResult>>> take_finished();

 private:
  struct Job {
    size_t association = 0;
    std::shared_ptr<std::atomic<bool>> done;
    std::shared_ptr<Result<engine::KeyExchangeResult>> result;
    std::thread thread;
  };
  std::string default_ca_;
  bool threads_allowed_ = true;
  std::vector<Job> jobs_;
};

// Whether an NTS-KE error is a certificate validity-period failure only.
bool is_certificate_time_error(const std::string& message);

}  // namespace meridian::daemon
