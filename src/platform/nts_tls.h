// OpenSSL plumbing shared by the NTS-KE client and server (RFC 8915 §4):
// owning handles, OpenSSL's error queue as text, the ALPN id in wire form,
// the key export of §5.1, and SIGPIPE kept away from a peer that hangs up.
#pragma once

#include <openssl/ssl.h>
#include <signal.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/nts/keys.h"
#include "core/result.h"

namespace meridian::platform {

struct SslCtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

// A file descriptor closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_ = -1;
};

// "ntske/1" with its length prefix, as SSL_CTX_set_alpn_protos wants it.
inline constexpr unsigned char kNtsKeAlpnWire[] = {7, 'n', 't', 's', 'k', 'e', '/', '1'};

// Drains OpenSSL's thread-local error queue into one line ("no details" if empty).
std::string openssl_errors();
// Empties the queue so that a later failure reports only its own errors.
void clear_openssl_errors();

// CLOCK_MONOTONIC in milliseconds (deadlines of the KE exchange).
int64_t monotonic_ms();

Status set_nonblocking_cloexec(int fd);

// RFC 8915 §5.1: both 32-byte keys from the TLS exporter with the label
// "EXPORTER-network-time-security" and the context protocol ‖ AEAD ‖ direction.
// REQUIRES: the handshake of `ssl` completed.
Result<nts::NtsKeys> export_nts_keys(SSL* ssl, uint16_t aead_id);

// True if `ssl` negotiated ALPN "ntske/1".
bool selected_ntske_alpn(const SSL* ssl);

// Blocks SIGPIPE in this thread for its lifetime, so a write to a peer that
// hung up fails with EPIPE instead of killing a process that has not ignored
// the signal; a SIGPIPE raised meanwhile is consumed before unblocking.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock();
  ~ScopedSigpipeBlock();
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t old_{};
  bool was_pending_ = false;
};

}  // namespace meridian::platform
