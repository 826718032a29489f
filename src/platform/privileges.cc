#include "platform/privileges.h"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <vector>

namespace meridian::platform {

namespace {

Error os_error(const std::string& what, int err) {
  return Error{ErrorCode::kPermissionDenied, fmt::format("{}: {}", what, std::strerror(err))};
}

std::optional<unsigned long> parse_id(std::string_view s) {
  unsigned long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// getpwnam_r / getpwuid_r with a buffer that grows on ERANGE.
std::optional<passwd> lookup_user(std::string_view name, std::optional<uid_t> uid,
                                  std::vector<char>& buf) {
  passwd pw{};
  passwd* found = nullptr;
  for (buf.resize(1024); buf.size() <= (1u << 20); buf.resize(buf.size() * 2)) {
    const std::string n(name);
    const int rc = uid ? getpwuid_r(*uid, &pw, buf.data(), buf.size(), &found)
                       : getpwnam_r(n.c_str(), &pw, buf.data(), buf.size(), &found);
    if (rc != ERANGE) break;
  }
  if (found == nullptr) return std::nullopt;
  return pw;
}

std::optional<group> lookup_group(std::string_view name, std::optional<gid_t> gid,
                                  std::vector<char>& buf) {
  group gr{};
  group* found = nullptr;
  for (buf.resize(1024); buf.size() <= (1u << 20); buf.resize(buf.size() * 2)) {
    const std::string n(name);
    const int rc = gid ? getgrgid_r(*gid, &gr, buf.data(), buf.size(), &found)
                       : getgrnam_r(n.c_str(), &gr, buf.data(), buf.size(), &found);
    if (rc != ERANGE) break;
  }
  if (found == nullptr) return std::nullopt;
  return gr;
}

// Whether `cap` is in this process's bounding set (it can be kept at all).
bool in_bounding_set(cap_value_t cap) { return cap_get_bound(cap) == 1; }

}  // namespace

Result<TargetUser> resolve_user(std::string_view spec) {
  const size_t colon = spec.find(':');
  const std::string_view user_part = spec.substr(0, colon);
  const std::string_view group_part =
      colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1);
  if (user_part.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("-u {}: expected USER[:GROUP]", spec));
  }
  TargetUser t;
  std::vector<char> buf;
  // A name first (a user may be called "123"), then a numeric id.
  auto pw = lookup_user(user_part, std::nullopt, buf);
  if (!pw) {
    if (auto id = parse_id(user_part)) pw = lookup_user({}, static_cast<uid_t>(*id), buf);
  }
  if (pw) {
    t.uid = pw->pw_uid;
    t.gid = pw->pw_gid;
    t.user_name = pw->pw_name;
  } else if (auto id = parse_id(user_part); id && !group_part.empty()) {
    // A bare numeric uid without a passwd entry is usable with an explicit group.
    t.uid = static_cast<uid_t>(*id);
    t.user_name = std::string(user_part);
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("-u {}: unknown user \"{}\"", spec, std::string(user_part)));
  }
  if (!group_part.empty()) {
    auto gr = lookup_group(group_part, std::nullopt, buf);
    if (!gr) {
      if (auto id = parse_id(group_part)) {
        gr = lookup_group({}, static_cast<gid_t>(*id), buf);
        if (!gr) {
          t.gid = static_cast<gid_t>(*id);
          t.group_name = std::string(group_part);
          return t;
        }
      }
    }
    if (!gr) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("-u {}: unknown group \"{}\"", spec, std::string(group_part)));
    }
    t.gid = gr->gr_gid;
    t.group_name = gr->gr_name;
  } else if (auto gr = lookup_group({}, t.gid, buf)) {
    t.group_name = gr->gr_name;
  } else {
    t.group_name = std::to_string(t.gid);
  }
  return t;
}

Result<DropOutcome> drop_privileges(const TargetUser& user) {
  DropOutcome out;
  if (geteuid() != 0) {
    // Unprivileged: -u can only confirm what already is.
    if (getuid() == user.uid && geteuid() == user.uid && getegid() == user.gid) return out;
    return make_error(ErrorCode::kPermissionDenied,
                      fmt::format("-u {}: only root can change user (running as uid {})",
                                  user.user_name, static_cast<long>(geteuid())));
  }
  // Supplementary groups first: after setuid we could no longer drop root's.
  if (setgroups(1, &user.gid) != 0) return os_error("setgroups", errno);
  if (setresgid(user.gid, user.gid, user.gid) != 0) return os_error("setgid", errno);
  // Keep the permitted set across setuid (it is pared down just below).
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return os_error("prctl(PR_SET_KEEPCAPS)", errno);
  if (setresuid(user.uid, user.uid, user.uid) != 0) return os_error("setuid", errno);
  (void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);

  std::vector<cap_value_t> keep;
  out.sys_time = in_bounding_set(CAP_SYS_TIME);
  out.net_bind_service = in_bounding_set(CAP_NET_BIND_SERVICE);
  if (out.sys_time) keep.push_back(CAP_SYS_TIME);
  if (out.net_bind_service) keep.push_back(CAP_NET_BIND_SERVICE);
  cap_t caps = cap_init();  // everything clear, inheritable included
  if (caps == nullptr) return os_error("cap_init", errno);
  if (!keep.empty()) {
    const int n = static_cast<int>(keep.size());
    if (cap_set_flag(caps, CAP_PERMITTED, n, keep.data(), CAP_SET) != 0 ||
        cap_set_flag(caps, CAP_EFFECTIVE, n, keep.data(), CAP_SET) != 0) {
      cap_free(caps);
      return os_error("cap_set_flag", errno);
    }
  }
  const int set = cap_set_proc(caps);
  const int set_errno = errno;
  cap_free(caps);
  if (set != 0) return os_error("cap_set_proc", set_errno);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return os_error("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", errno);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return os_error("prctl(PR_SET_NO_NEW_PRIVS)", errno);
  // Belt and braces: the way back to root must be closed.
  if (user.uid != 0 && setuid(0) == 0) {
    return make_error(ErrorCode::kPermissionDenied, "privilege drop failed: setuid(0) still works");
  }
  out.switched = true;
  return out;
}

Status hand_over_file(const std::string& path, const TargetUser& user) {
  if (chown(path.c_str(), user.uid, user.gid) != 0 && errno != ENOENT) {
    return os_error(fmt::format("chown {}", path), errno);
  }
  return {};
}

bool directory_writable_by(const std::string& path, const TargetUser& user) {
  if (user.uid == 0) return true;
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) return false;
  // After the drop the only group is user.gid (setgroups above).
  const mode_t need = st.st_uid == user.uid   ? (S_IWUSR | S_IXUSR)
                      : st.st_gid == user.gid ? (S_IWGRP | S_IXGRP)
                                              : (S_IWOTH | S_IXOTH);
  return (st.st_mode & need) == need;
}

Status drop_thread_capabilities() {
  cap_t none = cap_init();
  if (none == nullptr) return os_error("cap_init", errno);
  const int set = cap_set_proc(none);  // this thread only (no libpsx)
  const int set_errno = errno;
  cap_free(none);
  if (set != 0) return os_error("cap_set_proc", set_errno);
  return {};
}

}  // namespace meridian::platform
