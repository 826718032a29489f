#include "platform/nts_server_tls.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace meridian::platform {
namespace {

// RFC 8915 §4: the server MUST refuse a client that does not offer ntske/1.
int select_ntske(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                 unsigned int in_len, void*) {
  // `in` is the client's list of length-prefixed protocol names.
  unsigned int pos = 0;
  while (pos < in_len) {
    const unsigned int len = in[pos];
    if (len == 0 || pos + 1 + len > in_len) break;
    if (len == sizeof kNtsKeAlpnWire - 1 &&
        std::memcmp(in + pos + 1, kNtsKeAlpnWire + 1, len) == 0) {
      *out = in + pos + 1;
      *out_len = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    pos += 1 + len;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

Status readable(const std::string& path, std::string_view what) {
  if (path.empty()) return make_error(ErrorCode::kInvalidArgument, fmt::format("no {} file", what));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    const int err = errno;
    return make_error(err == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kUnavailable,
                      fmt::format("cannot read {} file {}: {}", what, path, std::strerror(err)));
  }
  std::fclose(f);
  return {};
}

std::string print_time(const ASN1_TIME* t) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "?";
  std::string out = "?";
  if (ASN1_TIME_print(bio, t) == 1) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    if (len > 0 && data != nullptr) out.assign(data, static_cast<size_t>(len));
  }
  BIO_free(bio);
  return out;
}

std::string print_name(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "?";
  std::string out = "?";
  if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    if (len > 0 && data != nullptr) out.assign(data, static_cast<size_t>(len));
  }
  BIO_free(bio);
  return out;
}

}  // namespace

Result<SslCtxPtr> make_server_context(const std::string& cert_file, const std::string& key_file) {
  if (auto st = readable(cert_file, "certificate"); !st) return st.error();
  if (auto st = readable(key_file, "private key"); !st) return st.error();
  clear_openssl_errors();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return make_error(ErrorCode::kIo, "SSL_CTX_new: " + openssl_errors());
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) != 1) {
    return make_error(ErrorCode::kUnsupported, "TLS 1.3 not available: " + openssl_errors());
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("certificate file {}: {}", cert_file, openssl_errors()));
  }
  // Read the key on its own first, so a key that does not parse and a key
  // that belongs to another certificate get different messages.
  BIO* bio = BIO_new_file(key_file.c_str(), "r");
  EVP_PKEY* key =
      bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("private key file {}: no PEM private key ({})", key_file, openssl_errors()));
  }
  const bool matches =
      SSL_CTX_use_PrivateKey(ctx.get(), key) == 1 && SSL_CTX_check_private_key(ctx.get()) == 1;
  EVP_PKEY_free(key);
  if (!matches) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("private key {} does not match certificate {}: {}", key_file,
                                  cert_file, openssl_errors()));
  }
  SSL_CTX_set_alpn_select_cb(ctx.get(), select_ntske, nullptr);
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  return ctx;
}

Result<CertificateInfo> check_certificate(const std::string& cert_file, const std::string& key_file,
                                          std::time_t now) {
  auto ctx = make_server_context(cert_file, key_file);
  if (!ctx) return ctx.error();
  X509* leaf = SSL_CTX_get0_certificate(ctx->get());
  if (leaf == nullptr) {
    return make_error(ErrorCode::kInvalidArgument, "no certificate in " + cert_file);
  }
  CertificateInfo info{print_name(X509_get_subject_name(leaf)),
                       print_time(X509_get0_notBefore(leaf)), print_time(X509_get0_notAfter(leaf))};
  std::time_t t = now;
  if (X509_cmp_time(X509_get0_notBefore(leaf), &t) >= 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("certificate {} ({}) is not valid before {}", cert_file,
                                  info.subject, info.not_before));
  }
  if (X509_cmp_time(X509_get0_notAfter(leaf), &t) <= 0) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("certificate {} ({}) expired on {}", cert_file, info.subject, info.not_after));
  }
  return info;
}

}  // namespace meridian::platform
