// The load generator's NTS mode (bench/README.md): a pool of NTS client
// associations ("flows"), each a real client as RFC 8915 §5.7 describes it —
// its own NTS-KE session (keys and cookies from our platform NTS-KE client),
// one request outstanding at a time, every cookie used once, the jar refilled
// from the cookies each authentic reply carries. The per-association logic is
// our own client code (core/nts/client_state.h); this file only keeps the
// pool: which flows are free, which are spent.
//
// A flow whose jar runs dry (eight requests in a row unanswered) or that got
// an NTS NAK would need a new NTS-KE; the benchmark does not run one while it
// measures (that would put TLS handshakes into the server's CPU per reply),
// it retires the flow and counts it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/nts/client_state.h"
#include "core/random.h"
#include "core/result.h"
#include "keyed_siv_aead.h"

namespace meridian::bench {

struct NtsFlowOptions {
  std::string server_address;  // IPv4 literal of the NTS-KE (and NTP) server
  uint16_t ke_port = 4460;
  uint16_t ntp_port = 123;  // what the generator sends to; a KE Port record must agree
  std::string host;         // name the certificate must carry; empty: server_address
  std::string ca_file;      // the throwaway CA (PEM)
  size_t flows = 64;
  int64_t ke_timeout_ms = 5000;  // per exchange
};

struct NtsFlowCounters {
  uint64_t key_exchanges = 0;
  uint64_t requests = 0;
  uint64_t authentic = 0;
  uint64_t naks = 0;
  uint64_t bad_auth = 0;
  uint64_t malformed = 0;
  uint64_t not_ours = 0;
  uint64_t retired = 0;  // flows that would need a new NTS-KE
  uint64_t cookies_received = 0;
};

class NtsFlows {
 public:
  // Runs one NTS-KE per flow, one after the other. Errors: the first failed
  // exchange (certificate, connection, timeout), or a Port record that names
  // another NTP port than `ntp_port`.
  static Result<std::unique_ptr<NtsFlows>> create(const NtsFlowOptions& options);

  size_t size() const { return flows_.size(); }
  size_t free_count() const { return free_.size(); }
  double key_exchange_seconds() const { return ke_seconds_; }
  const NtsFlowCounters& counters() const { return counters_; }

  // A free flow's index, or -1 when every live flow has a request out.
  int64_t acquire();
  // The NTS request for `header` (48 bytes, mode 3, transmit set) on an
  // acquired flow: spends its oldest cookie. Errors: the flow has no cookie
  // (it is then retired and must not be released).
  Result<std::vector<std::byte>> make_request(size_t flow, std::span<const std::byte, 48> header);
  // Checks a datagram that answers the flow's outstanding request (the caller
  // matched it by origin timestamp) and counts the verdict.
  nts::ReplyVerdict on_reply(size_t flow, std::span<const std::byte> datagram);
  // The flow's request is over (answered, lost or never sent): it becomes
  // free again, or retired when it needs a new NTS-KE.
  void release(size_t flow);

 private:
  NtsFlows(std::unique_ptr<KeyedSivAead> aead, uint64_t seed)
      : aead_(std::move(aead)), random_(seed) {}

  std::unique_ptr<KeyedSivAead> aead_;  // per-key OpenSSL contexts (keyed_siv_aead.h)
  // Fast seeded randomness for UIDs and nonces (seed from getrandom): they
  // must be unique per request, and the generator's CPU is better spent on
  // the cryptography a real client does anyway.
  SeededRandom random_;
  std::vector<nts::NtsClientState> flows_;
  std::vector<size_t> free_;
  double ke_seconds_ = 0;
  NtsFlowCounters counters_;
};

}  // namespace meridian::bench
