#include "platform/nts_tls.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/nts/ke_records.h"

namespace meridian::platform {

void UniqueFd::reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

std::string openssl_errors() {
  std::string out;
  // The queue holds at most ERR_NUM_ERRORS (16) entries; the bound is explicit anyway.
  for (int i = 0; i < 32; ++i) {
    const unsigned long e = ERR_get_error();
    if (e == 0) break;
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string("no details from OpenSSL") : out;
}

void clear_openssl_errors() { ERR_clear_error(); }

int64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

Status set_nonblocking_cloexec(int fd) {
  const int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return make_error(ErrorCode::kIo, fmt::format("fcntl(O_NONBLOCK): {}", std::strerror(errno)));
  }
  (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
  return {};
}

Result<nts::NtsKeys> export_nts_keys(SSL* ssl, uint16_t aead_id) {
  nts::NtsKeys keys;
  const auto c2s = nts::exporter_context(aead_id, nts::KeyDirection::kClientToServer);
  const auto s2c = nts::exporter_context(aead_id, nts::KeyDirection::kServerToClient);
  auto export_one = [&](std::array<std::byte, nts::kKeySize>& out,
                        const std::array<std::byte, 5>& context) {
    return SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                      nts::kExporterLabel.data(), nts::kExporterLabel.size(),
                                      reinterpret_cast<const unsigned char*>(context.data()),
                                      context.size(),
                                      /*use_context=*/1) == 1;
  };
  if (!export_one(keys.c2s, c2s) || !export_one(keys.s2c, s2c)) {
    return make_error(ErrorCode::kIo, "TLS key export failed: " + openssl_errors());
  }
  return keys;
}

bool selected_ntske_alpn(const SSL* ssl) {
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &proto, &len);
  return proto != nullptr && len == sizeof kNtsKeAlpnWire - 1 &&
         std::memcmp(proto, kNtsKeAlpnWire + 1, len) == 0;
}

ScopedSigpipeBlock::ScopedSigpipeBlock() {
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_);
  if (sigpending(&pending) == 0) was_pending_ = sigismember(&pending, SIGPIPE) == 1;
}

ScopedSigpipeBlock::~ScopedSigpipeBlock() {
  if (!was_pending_) {
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    const timespec zero{};
    // Consume the SIGPIPE our own writes may have raised (at most one is pending).
    (void)sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace meridian::platform
