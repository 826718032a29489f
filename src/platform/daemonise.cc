#include "platform/daemonise.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace meridian::platform {

void close_inherited_descriptors() {
  if (close_range(3, ~0u, 0) == 0) return;
  // Kernels before 5.9: close what the descriptor table can hold.
  const long max = sysconf(_SC_OPEN_MAX);
  for (int fd = 3; fd < (max > 0 ? max : 1024); ++fd) close(fd);
}

Status daemonise() {
  const pid_t pid = fork();
  if (pid < 0) return make_error(ErrorCode::kIo, fmt::format("fork: {}", std::strerror(errno)));
  if (pid > 0) _exit(0);
  setsid();  // no controlling terminal, our own session and process group
  if (chdir("/") != 0) {
    // "/" always exists; nothing useful to do if it does not.
  }
  const int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2) close(null);
  }
  return {};
}

Status write_pidfile(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot write pidfile {}: {}", path, std::strerror(errno)));
  }
  const std::string text = fmt::format("{}\n", static_cast<long>(getpid()));
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int err = errno;
  close(fd);
  if (!ok) {
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot write pidfile {}: {}", path, std::strerror(err)));
  }
  return {};
}

Result<std::string> remove_pidfile(const std::string& path) {
  if (unlink(path.c_str()) == 0 || errno == ENOENT) return std::string("removed");
  const int unlink_errno = errno;
  const int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    return fmt::format("emptied (cannot remove it: {})", std::strerror(unlink_errno));
  }
  return make_error(ErrorCode::kIo,
                    fmt::format("cannot remove pidfile {}: {}", path, std::strerror(unlink_errno)));
}

}  // namespace meridian::platform
