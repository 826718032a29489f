// The classic Unix daemon steps (fork, new session, "/" as working
// directory, standard descriptors on /dev/null) and the pidfile.
#pragma once

#include <string>

#include "core/result.h"

namespace meridian::platform {

// Closes every descriptor above stderr: what a daemon inherited from its
// starter (a shell's pipes, a terminal) must not be held open for days.
// Call before opening anything.
void close_inherited_descriptors();

// fork (the parent exits 0 at once), setsid, chdir("/"), and stdin, stdout
// and stderr on /dev/null. Returns in the child only; an error if fork fails.
Status daemonise();

// Writes "PID\n" of this process to `path` (created 0644, truncated, never
// through a symlink).
Status write_pidfile(const std::string& path);

// Removes the pidfile. If its directory does not let us (after a privilege
// drop into e.g. root's /run), empties it instead, so no stale pid is left
// for init scripts to signal; the returned message says which happened.
Result<std::string> remove_pidfile(const std::string& path);

}  // namespace meridian::platform
