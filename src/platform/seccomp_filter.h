// ntpd's seccomp allow-list (single-thread mode, and worker threads with `threads N`): after
// start-up the daemon may make only the system calls its steady state needs — the poll loop, UDP
// I/O, clock reading and discipline, randomness, driftfile/stats writes and config re-reads, name
// resolution, interface rescans, syslog, malloc, signals, exit (and the sanitizer runtime's needs
// in ASan/UBSan builds).
//
// Anything else traps (SCMP_ACT_TRAP → SIGSYS). The handler writes
//   "seccomp: forbidden system call N (name)"
// to the log (once per call number, async-signal-safely) and makes the call
// fail with EPERM instead of killing the daemon: the call is denied either
// way, so nothing is gained by an attacker, while a daemon that keeps time
// for a whole network should not die because a library update made a new,
// harmless call on a rare path (it fails like any refused call and is
// logged for the allow-list to be fixed). Architectures where we cannot set
// the return register (not x86_64/aarch64) _exit(70) after logging.
// Calls from another ABI (i386 int 0x80 on x86_64) kill the process.
#pragma once

#include <string>

#include "core/result.h"

namespace meridian::platform {

struct SeccompReport {
  // Where the SIGSYS handler writes its line: a file descriptor (the
  // logfile, or stderr in the foreground)...
  int fd = 2;
  // ...or syslog (facility daemon, ident "ntpd"): a datagram sent on a
  // socket connected to `syslog_path` now, before the filter is loaded
  // (stderr if that fails).
  bool syslog = false;
  std::string syslog_path = "/dev/log";
  // `threads N`: the fast path's workers are created after the filter is
  // loaded (so they inherit it): allow clone() only with CLONE_THREAD (a
  // thread, never a new process), clone3 fails with ENOSYS (its flags are
  // behind a pointer the filter cannot read; glibc then uses clone), and
  // the calls a new glibc thread makes (set_robust_list, rseq), and capset
  // (each worker clears its own capabilities).
  bool threads = false;
  // `nts enable`: the NTS-KE server accepts TCP connections (listen before
  // the filter; accept4 on its thread). Implies threads.
  bool tcp_server = false;
};

// Installs the SIGSYS handler, then loads the filter (which also sets
// no-new-privs). Irreversible for the life of the process.
// Returns the number of system calls allowed on this architecture.
Result<int> install_seccomp_filter(const SeccompReport& report);

}  // namespace meridian::platform
