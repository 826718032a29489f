// The network half of ntpdate: send `samples` requests to every server
// address (in parallel), collect and vet the replies. Used by ntpdate and,
// later, by `ntpd -q`-style one-shot modes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/auth/key_store.h"
#include "core/auth/mac_engine.h"
#include "core/net/address.h"
#include "core/random.h"
#include "core/result.h"
#include "core/select/ntpdate_select.h"
#include "platform/clock.h"
#include "tools/ntpdate/output.h"

namespace meridian::ntpdate {

struct QueryParams {
  int samples = 4;
  double timeout_s = 1.0;   // per request
  double interval_s = 2.0;  // minimum spacing of requests to one server
  int version = 4;
  uint16_t port = 123;             // destination port
  bool unprivileged_port = false;  // -u: never try source port 123
  bool debug = false;              // trace every packet through `out.plain`
  // -a KEY: sign requests with this key and accept only replies signed with it.
  std::optional<uint32_t> key_id;
  const auth::KeyStore* keys = nullptr;         // REQUIRES: set when key_id is
  const auth::MacEngine* mac_engine = nullptr;  // REQUIRES: set when key_id is
};

struct ServerOutcome {
  net::Endpoint endpoint;
  select::ServerSamples accepted;
  std::optional<source::Verdict> last_rejection;  // the last refused reply's verdict
  std::string kiss_code;                          // if the server sent a kiss-o'-death
  bool stopped = false;                           // DENY/RSTR: unusable, samples dropped
  int auth_failures = 0;                          // replies whose MAC did not verify
};

// Binds the sockets (source port 123 unless -u or a test port, falling back
// to an unprivileged port with a note when 123 is taken), then runs the
// exchanges. Fails only when no socket at all can be bound.
Result<std::vector<ServerOutcome>> query_servers(const std::vector<net::Endpoint>& servers,
                                                 const QueryParams& params, platform::Clock& clock,
                                                 RandomSource& random, Output& out);

}  // namespace meridian::ntpdate
