// The NTS-KE server's TLS side that does not depend on connections: the
// TLS 1.3-only context with certificate chain, key and ALPN "ntske/1"
// (RFC 8915 §4), and the certificate check behind `ntpd --check`.
#pragma once

#include <ctime>
#include <string>

#include "core/result.h"
#include "platform/nts_tls.h"

namespace meridian::platform {

// TLS 1.3 only, chain + key loaded and matched, ALPN callback that accepts
// only "ntske/1" (a client offering other protocols gets a fatal
// no_application_protocol alert), no session tickets (a KE session is one
// request). Errors name the file and OpenSSL's reason.
Result<SslCtxPtr> make_server_context(const std::string& cert_file, const std::string& key_file);

struct CertificateInfo {
  std::string subject;
  std::string not_before;  // as OpenSSL prints it, e.g. "Jan  1 00:00:00 2030 GMT"
  std::string not_after;
};
// For `ntpd --check` and start-up: the chain and key files are readable PEM,
// the key matches the leaf certificate, and `now` (seconds since 1970) is
// within the leaf's validity. Errors say which file and what is wrong.
Result<CertificateInfo> check_certificate(const std::string& cert_file, const std::string& key_file,
                                          std::time_t now);

}  // namespace meridian::platform
