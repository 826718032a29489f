// -u USER[:GROUP]: name resolution, and the drop itself in a forked child
// (it cannot be undone), checked from /proc/self/status.
#include "platform/privileges.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "tests/support/capabilities.h"
#include "tests/support/ci_skip.h"

namespace meridian::platform {
namespace {

std::string status_field(const std::string& name) {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind(name + ":", 0) == 0) {
      const size_t v = line.find_first_not_of(" \t", name.size() + 1);
      return v == std::string::npos ? "" : line.substr(v);
    }
  }
  return "";
}

TEST(ResolveUser, NamesAndNumbersAndThePrimaryGroup) {
  const passwd* nobody = getpwnam("nobody");
  ASSERT_NE(nobody, nullptr) << "Debian always has nobody";
  auto by_name = resolve_user("nobody");
  ASSERT_TRUE(by_name.ok()) << by_name.error().message;
  EXPECT_EQ(by_name->uid, nobody->pw_uid);
  EXPECT_EQ(by_name->gid, nobody->pw_gid);
  EXPECT_EQ(by_name->user_name, "nobody");
  auto by_number = resolve_user(std::to_string(nobody->pw_uid));
  ASSERT_TRUE(by_number.ok());
  EXPECT_EQ(by_number->uid, nobody->pw_uid);
  auto with_group = resolve_user("nobody:root");
  ASSERT_TRUE(with_group.ok()) << with_group.error().message;
  EXPECT_EQ(with_group->gid, 0u);
  EXPECT_EQ(with_group->group_name, "root");
}

TEST(ResolveUser, UnknownNamesAreClearErrors) {
  auto user = resolve_user("no-such-user-meridian");
  ASSERT_FALSE(user.ok());
  EXPECT_NE(user.error().message.find("unknown user \"no-such-user-meridian\""), std::string::npos)
      << user.error().message;
  auto group = resolve_user("nobody:no-such-group-meridian");
  ASSERT_FALSE(group.ok());
  EXPECT_NE(group.error().message.find("unknown group"), std::string::npos);
  EXPECT_FALSE(resolve_user("").ok());
  EXPECT_FALSE(resolve_user(":root").ok());
}

TEST(DropPrivileges, KeepsOnlyTheTimeCapabilitiesAndNoNewPrivs) {
  if (geteuid() != 0) MERIDIAN_SKIP_OUTSIDE_CI("needs root (tests run as root in CI)");
  auto user = resolve_user("nobody");
  ASSERT_TRUE(user.ok());
  const auto sys_time = testing::sys_time_in_bounding_set();
  ASSERT_TRUE(sys_time.has_value());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto dropped = drop_privileges(*user);
    std::string report = dropped ? "ok" : dropped.error().message;
    for (const char* f :
         {"Uid", "Gid", "Groups", "CapPrm", "CapEff", "CapInh", "CapAmb", "NoNewPrivs"})
      report += "\n" + std::string(f) + "=" + status_field(f);
    report += "\nsys_time=" + std::to_string(dropped && dropped->sys_time);
    report += "\nsetuid0=" + std::to_string(setuid(0));
    (void)!write(fds[1], report.data(), report.size());
    _exit(0);
  }
  close(fds[1]);
  std::string report;
  char buf[1024];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;)
    report.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  const std::string uid = std::to_string(user->uid), gid = std::to_string(user->gid);
  EXPECT_EQ(report.rfind("ok\n", 0), 0u) << report;
  EXPECT_NE(report.find("Uid=" + uid + "\t" + uid + "\t" + uid + "\t" + uid), std::string::npos)
      << report;
  EXPECT_NE(report.find("Gid=" + gid + "\t" + gid + "\t" + gid + "\t" + gid), std::string::npos)
      << report;
  EXPECT_NE(report.find("Groups=" + gid), std::string::npos) << report;
  // CAP_NET_BIND_SERVICE (10), plus CAP_SYS_TIME (25) only where the bounding set has it.
  const std::string mask = *sys_time ? "0000000002000400" : "0000000000000400";
  EXPECT_NE(report.find("CapEff=" + mask), std::string::npos) << report;
  EXPECT_NE(report.find("CapPrm=" + mask), std::string::npos) << report;
  EXPECT_NE(report.find("CapInh=0000000000000000"), std::string::npos) << report;
  EXPECT_NE(report.find("CapAmb=0000000000000000"), std::string::npos) << report;
  EXPECT_NE(report.find("NoNewPrivs=1"), std::string::npos) << report;
  EXPECT_NE(report.find("sys_time=" + std::to_string(*sys_time ? 1 : 0)), std::string::npos);
  EXPECT_NE(report.find("setuid0=-1"), std::string::npos) << report;
}

TEST(DirectoryWritableBy, FollowsOwnerGroupAndOtherBits) {
  TargetUser nobody{65534, 65534, "nobody", "nogroup"};
  EXPECT_TRUE(directory_writable_by("/tmp/x", nobody));  // 1777
  EXPECT_FALSE(directory_writable_by("/etc/x", nobody));
  EXPECT_FALSE(directory_writable_by("/nonexistent/dir/x", nobody));
  TargetUser root{0, 0, "root", "root"};
  EXPECT_TRUE(directory_writable_by("/etc/x", root));
}

}  // namespace
}  // namespace meridian::platform
