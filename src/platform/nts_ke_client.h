// NTS-KE client (RFC 8915 §4): one blocking exchange with an overall
// deadline — TCP connect, TLS 1.3 with ALPN "ntske/1", certificate chain and
// host name verification, request, response, key export (§5.1). The caller
// (the daemon) runs it where blocking is acceptable and resolves names itself:
// `host` is the name the certificate must carry, `address` where to connect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/net/address.h"
#include "core/nts/ke_records.h"
#include "core/nts/keys.h"
#include "core/result.h"

namespace meridian::platform {

struct NtsKeClientOptions {
  // The server's name as configured: checked against the certificate (DNS
  // SAN, or IP SAN when it is an address literal) and sent as SNI when a name.
  std::string host;
  // Where to connect. nullopt: `host` must be an address literal.
  std::optional<net::IpAddress> address;
  uint16_t port = nts::kKeDefaultPort;
  // PEM file of trusted CAs (`nts ca FILE`); empty: OpenSSL's default store.
  std::string ca_file;
  // false sets X509_V_FLAG_NO_CHECK_TIME: the chain and name are still
  // verified, but not the validity dates — only for a clock not yet trusted
  // (the daemon's bootstrap policy decides when).
  bool check_time = true;
  // The time validity periods are checked against (seconds since 1970);
  // nullopt: the system clock. ntpd passes its own clock's reading.
  std::optional<int64_t> verify_time_unix_s;
  // Whole exchange, connect to last byte.
  int64_t timeout_ms = 10000;
  // Optional server/port records to ask for (§4.1.7, §4.1.8).
  nts::ClientRequestOptions request;
};

struct KeOutcome {
  nts::NtsKeys keys;
  std::vector<std::vector<std::byte>> cookies;  // at least one
  std::optional<std::string> server;            // NTP server named by the KE server
  std::optional<uint16_t> port;                 // NTP port named by the KE server
};

// Errors name the step and the reason: kTimeout past the deadline;
// kUnavailable for connect failures, a certificate that does not verify
// (OpenSSL's reason, e.g. "certificate has expired"), a wrong host name, a
// server without ALPN ntske/1, or an error record from the server; kMalformed
// for a response that does not parse.
Result<KeOutcome> nts_ke_exchange(const NtsKeClientOptions& options);

}  // namespace meridian::platform
