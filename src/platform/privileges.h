// Dropping root after start-up (ntpd -u USER[:GROUP]): the daemon keeps only
// the capabilities it needs in steady state, CAP_SYS_TIME (discipline the
// clock) and CAP_NET_BIND_SERVICE (bind port 123 on addresses that appear
// later), and can never regain the rest (no-new-privs).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/result.h"

namespace meridian::platform {

// The account named by -u, resolved while the name service is still usable.
struct TargetUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user_name;
  std::string group_name;
};

// Parses "USER[:GROUP]": names or numeric ids; without GROUP, the user's
// primary group. An unknown user or group is an error naming it.
Result<TargetUser> resolve_user(std::string_view spec);

// What the drop kept. A capability missing from the bounding set (e.g. a
// container or `setpriv --bounding-set=-sys_time`) cannot be kept; that is
// reported here, not treated as a failure.
struct DropOutcome {
  bool switched = false;  // false: already running as that user, nothing changed
  bool sys_time = false;
  bool net_bind_service = false;
};

// As root: setgroups({gid}), setgid, PR_SET_KEEPCAPS, setuid, then exactly
// CAP_SYS_TIME + CAP_NET_BIND_SERVICE permitted and effective (those in the
// bounding set), no inheritable or ambient capabilities, PR_SET_NO_NEW_PRIVS.
// Not root: succeeds without change only if already running as the user
// (and group); otherwise an error.
Result<DropOutcome> drop_privileges(const TargetUser& user);

// Clears every capability of the calling thread only (capset acts per
// thread): the fast path's workers need none, so a worker cannot set the
// clock or bind privileged ports even while the main thread can.
Status drop_thread_capabilities();

// Hands a file the daemon created as root (pidfile) or will rewrite
// (driftfile) to the user, so it stays writable after the drop.
// A missing file is not an error.
Status hand_over_file(const std::string& path, const TargetUser& user);

// Whether `user` may create and rename files in the directory holding
// `path` (owner/group/other write + search bits; root-only checks aside).
bool directory_writable_by(const std::string& path, const TargetUser& user);

}  // namespace meridian::platform
