// NTS-KE messages (core/nts, RFC 8915 §4) as they arrive from a TLS peer:
// the incremental framing on every prefix length, then the message as a
// server response and as a client request. Checks: no crash/UB; a complete
// length never exceeds the input; an accepted response has a cookie and our
// AEAD and rebuilds to a response that parses to the same fields; an accepted
// request either gets a refusal or offers exactly what we grant.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>

#include "core/nts/ke_records.h"

using namespace meridian;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  for (size_t n = 0; n <= size; n += 1 + n / 8) {
    auto len = nts::message_length(bytes.first(n));
    if (len && *len && **len > n) std::abort();
  }
  auto len = nts::message_length(bytes);
  const auto message = len && *len ? bytes.first(**len) : bytes;

  if (auto r = nts::parse_server_response(message)) {
    if (r->cookies.empty() || r->aead != nts::kAeadAesSivCmac256) std::abort();
    auto rebuilt = nts::build_server_response({r->cookies, r->server, r->port});
    if (!rebuilt) std::abort();
    auto again = nts::parse_server_response(*rebuilt);
    if (!again || again->cookies != r->cookies || again->server != r->server ||
        again->port != r->port) {
      std::abort();
    }
  }

  auto request = nts::parse_client_request(message);
  if (const auto* req = std::get_if<nts::ClientRequest>(&request)) {
    if (req->protocols.empty()) std::abort();
    const bool refused = nts::build_refusal_response(*req).has_value();
    if (refused == (req->offers_ntpv4() && req->offers_aes_siv())) std::abort();
  } else {
    const auto& err = std::get<nts::RequestError>(request);
    auto reply = nts::build_error_response(err.code);
    if (nts::parse_server_response(reply)) std::abort();
  }
  return 0;
}
