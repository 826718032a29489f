// The sd_notify protocol against a datagram socket standing in for systemd.
#include "platform/service_notify.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>

namespace meridian::platform {
namespace {

// A bound AF_UNIX datagram socket: what the service manager listens on.
class FakeManager {
 public:
  explicit FakeManager(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    if (path[0] == '@') {
      addr.sun_path[0] = '\0';
    } else {
      unlink(path.c_str());
      ++len;
    }
    bound_ = bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) == 0;
  }
  ~FakeManager() {
    close(fd_);
    if (path_[0] == '/') unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  std::optional<std::string> next(int timeout_ms = 1000) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(ServiceNotifier, SendsTheDocumentedMessages) {
  const std::string path = "/tmp/meridian-notify-test-" + std::to_string(getpid());
  FakeManager manager(path);
  ASSERT_TRUE(manager.bound());
  auto n = ServiceNotifier::connect_to(path);
  ASSERT_TRUE(n.ok()) << n.error().message;
  ASSERT_TRUE(n->enabled());
  ASSERT_TRUE(n->ready("serving"));
  EXPECT_EQ(manager.next(), "READY=1\nMAINPID=" + std::to_string(getpid()) + "\nSTATUS=serving");
  ASSERT_TRUE(n->reloading());
  const auto reloading = manager.next();
  ASSERT_TRUE(reloading.has_value());
  // systemd ≥ 253 wants the CLOCK_MONOTONIC time of the reload request.
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_EQ(reloading->rfind(prefix, 0), 0u) << *reloading;
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const long long now_us = static_cast<long long>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
  const long long sent_us = std::stoll(reloading->substr(prefix.size()));
  EXPECT_LE(sent_us, now_us);
  EXPECT_GT(sent_us, now_us - 5'000'000);
  ASSERT_TRUE(n->status("unsynchronised"));
  EXPECT_EQ(manager.next(), "STATUS=unsynchronised");
  ASSERT_TRUE(n->watchdog());
  EXPECT_EQ(manager.next(), "WATCHDOG=1");
  ASSERT_TRUE(n->stopping());
  EXPECT_EQ(manager.next(), "STOPPING=1");
}

TEST(ServiceNotifier, ReachesAnAbstractSocket) {
  const std::string path = "@meridian-notify-test-" + std::to_string(getpid());
  FakeManager manager(path);
  ASSERT_TRUE(manager.bound());
  auto n = ServiceNotifier::connect_to(path);
  ASSERT_TRUE(n.ok()) << n.error().message;
  ASSERT_TRUE(n->stopping());
  EXPECT_EQ(manager.next(), "STOPPING=1");
}

TEST(ServiceNotifier, RefusesWhatIsNotASocketPath) {
  EXPECT_FALSE(ServiceNotifier::connect_to("relative/path").ok());
  EXPECT_FALSE(ServiceNotifier::connect_to("").ok());
  EXPECT_FALSE(ServiceNotifier::connect_to("/nonexistent/meridian/notify").ok());
  // Disabled: every message is a successful no-op.
  ServiceNotifier disabled;
  EXPECT_FALSE(disabled.enabled());
  EXPECT_TRUE(disabled.ready());
  EXPECT_FALSE(disabled.watchdog_interval_ns().has_value());
}

}  // namespace
}  // namespace meridian::platform
