#include "platform/seccomp_filter.h"

#include <fmt/format.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <initializer_list>

namespace meridian::platform {

namespace {

// The steady-state needs, by name (resolved per architecture; names the
// architecture lacks, e.g. "poll" on aarch64, are skipped).
constexpr const char* kAllowed[] = {
    // The poll loop, UDP I/O (one iovec recvmsg, sendmsg/sendto), timers.
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "recvmsg",
    "recvfrom",
    "recvmmsg",
    "sendmsg",
    "sendto",
    "sendmmsg",
    "nanosleep",
    "clock_nanosleep",
    // Clock reading and discipline (steps are clock_adjtime(ADJ_SETOFFSET);
    // clock_settime and settimeofday are not needed and stay forbidden).
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    "clock_adjtime",
    "adjtimex",
    "getrandom",
    // Files: driftfile (temp + rename) and statistics (append, link) writes, pidfile removal,
    // config and key re-reads on SIGHUP (includes, /etc files of NSS).
    "openat",
    "open",
    "read",
    "readv",
    "pread64",
    "write",
    "writev",
    "pwrite64",
    "close",
    "lseek",
    "_llseek",
    "fstat",
    "newfstatat",
    "fstatat64",
    "stat",
    "lstat",
    "statx",
    "access",
    "faccessat",
    "faccessat2",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "link",  // filegen ... link: the base name is a hard link to the current member
    "linkat",
    "unlinkat",
    "getdents64",
    "fcntl",
    "fcntl64",
    "fsync",
    "fdatasync",
    "ftruncate",
    // Name resolution (getaddrinfo: /etc files, nscd and DNS over UDP/TCP,
    // AI_ADDRCONFIG's netlink query, dlopen of NSS modules), interface
    // rescans (getifaddrs over netlink) and sockets for new addresses.
    // socket() itself is allowed below for four families only.
    "connect",
    "bind",
    "getsockname",
    "getpeername",
    "setsockopt",
    "getsockopt",
    "shutdown",
    "uname",
    // Memory (malloc arenas, dlopen).
    "brk",
    "mmap",
    "mmap2",
    "munmap",
    "mremap",
    "madvise",
    "mprotect",
    // Threads' primitives used by a single thread (locks), identity, limits.
    "futex",
    "sched_yield",
    "getpid",
    "gettid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "sysinfo",  // glibc's qsort (getaddrinfo's RFC 6724 sort) asks for the memory size
    // Signals and exit.
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sigreturn",
    "sigaltstack",
    "restart_syscall",
    "exit",
    "exit_group",
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MERIDIAN_SANITIZER_RUNTIME 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MERIDIAN_SANITIZER_RUNTIME 1
#endif
#endif

#ifdef MERIDIAN_SANITIZER_RUNTIME
// AddressSanitizer's runtime: reports (/proc/self/maps, readlink of the
// executable, kill) and LeakSanitizer's exit-time scan, which clones a
// tracer task that ptrace-stops the process (prctl for PR_SET_PTRACER and
// dumpability, wait4, sched_getaffinity, rlimits; it lists /proc/self/task
// with the old getdents). Sanitizer builds only. The tracer runs with
// SIGSYS blocked, so a call missing here kills it without a report and the
// exit hangs: find such calls with SCMP_ACT_LOG and the kernel log.
constexpr const char* kSanitizerAllowed[] = {
    "getdents",
    "clone",
    "clone3",
    "ptrace",
    "wait4",
    "waitid",
    "prctl",
    "readlink",
    "readlinkat",
    "kill",
    "tgkill",
    "sched_getaffinity",
    "getrlimit",
    "prlimit64",
    "setrlimit",
    "getppid",
    "pipe2",
    "dup",
    "dup2",
    "dup3",
    "arch_prctl",
    "process_vm_readv",
    "rt_sigtimedwait",
    "rt_sigqueueinfo",
    "rt_tgsigqueueinfo",
};
#endif

constexpr int kNames = 512;  // system call numbers we can name in reports

// State for the SIGSYS handler, written once before the filter is loaded.
const char* g_names[kNames];
volatile unsigned char g_reported[kNames];  // one report per call number
int g_report_fd = 2;
int g_syslog_fd = -1;
long g_gmtoff_s = 0;  // local time offset at install (DST changes are not followed)

// An async-signal-safe line builder: no malloc, no locale, no stdio.
struct Line {
  char buf[256];
  size_t n = 0;
  void add(const char* s) {
    while (*s != '\0' && n < sizeof(buf) - 1) buf[n++] = *s++;
  }
  void add_number(long v, int width = 0, char pad = '0') {
    char digits[24];
    int k = 0;
    const bool negative = v < 0;
    unsigned long u =
        negative ? 0ul - static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
    do {
      digits[k++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0 && k < 22);
    if (negative) digits[k++] = '-';
    for (int i = k; i < width && n < sizeof(buf) - 1; ++i) buf[n++] = pad;
    while (k > 0 && n < sizeof(buf) - 1) buf[n++] = digits[--k];
  }
};

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Local civil time from the realtime clock (days → y/m/d per H. Hinnant's
// civil_from_days), without localtime_r, which is not async-signal-safe.
void local_time(long& month0, long& day, long& hour, long& minute, long& second) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  const long t = static_cast<long>(ts.tv_sec) + g_gmtoff_s;
  long days = t / 86400;
  long secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  hour = secs / 3600;
  minute = secs / 60 % 60;
  second = secs % 60;
  const long z = days + 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const long doe = z - era * 146097;
  const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month0 = mp < 10 ? mp + 2 : mp - 10;
}

void report(int nr) {
  long month0 = 0, day = 0, hour = 0, minute = 0, second = 0;
  local_time(month0, day, hour, minute, second);
  Line l;
  if (g_syslog_fd >= 0) {
    // RFC 3164 as glibc's syslog() sends it: "<PRI>Mmm dd hh:mm:ss ntpd[PID]: ".
    l.add("<");
    l.add_number(3 * 8 + 3);  // LOG_DAEMON | LOG_ERR
    l.add(">");
    l.add(kMonths[month0 % 12]);
    l.add(" ");
    l.add_number(day, 2, ' ');
  } else {
    // The Logger's classic prefix: "dd Mmm hh:mm:ss ntpd[PID]: ".
    l.add_number(day, 2, ' ');
    l.add(" ");
    l.add(kMonths[month0 % 12]);
  }
  l.add(" ");
  l.add_number(hour, 2);
  l.add(":");
  l.add_number(minute, 2);
  l.add(":");
  l.add_number(second, 2);
  l.add(" ntpd[");
  l.add_number(static_cast<long>(getpid()));
  l.add("]: seccomp: forbidden system call ");
  l.add_number(nr);
  l.add(" (");
  l.add(nr >= 0 && nr < kNames && g_names[nr] != nullptr ? g_names[nr] : "unknown");
  l.add(")");
  if (g_syslog_fd >= 0 && send(g_syslog_fd, l.buf, l.n, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) return;
  l.add("\n");
  (void)!write(g_syslog_fd >= 0 ? 2 : g_report_fd, l.buf, l.n);
}

void on_sigsys(int, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  const int nr = info->si_syscall;
  const bool known = nr >= 0 && nr < kNames;
  if (!known || g_reported[nr] == 0) {
    if (known) g_reported[nr] = 1;
    report(nr);
  }
  // The trapped call was not executed; its return value is what we put in
  // the return register.
#if defined(__x86_64__)
  static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
  static_cast<ucontext_t*>(context)->uc_mcontext.regs[0] = static_cast<unsigned long long>(-EPERM);
#else
  (void)context;
  _exit(70);  // EX_SOFTWARE: no portable way to fail just the call
#endif
  errno = saved_errno;
}

int open_syslog_socket(const std::string& path) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) return -1;
  const int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class Filter {
 public:
  Filter() : ctx_(seccomp_init(SCMP_ACT_TRAP)) {}
  ~Filter() {
    if (ctx_ != nullptr) seccomp_release(ctx_);
  }
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;
  bool ok() const { return ctx_ != nullptr; }
  scmp_filter_ctx get() const { return ctx_; }

  // Allows `name` (if this architecture has it), optionally only when the
  // 32-bit argument `arg` equals one of `values`. Returns rules added.
  Result<int> allow(const char* name, int arg = -1, std::initializer_list<unsigned> values = {}) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr < 0) return 0;  // not on this architecture (or a pseudo number)
    if (arg < 0) return add(nr, nullptr, 0, name);
    for (unsigned v : values) {
      const scmp_arg_cmp cmp{static_cast<unsigned>(arg), SCMP_CMP_MASKED_EQ, 0xffffffffu, v};
      if (auto r = add(nr, &cmp, 1, name); !r) return r;
    }
    return 1;
  }
  // Allows `name` only when (argument `arg` & mask) == value.
  Result<int> allow_masked(const char* name, unsigned arg, uint64_t mask, uint64_t value) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr < 0) return 0;
    const scmp_arg_cmp cmp{arg, SCMP_CMP_MASKED_EQ, mask, value};
    return add(nr, &cmp, 1, name);
  }
  // Makes `name` fail with `error` (no trap, no log line).
  Status fail_with(const char* name, int error) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr < 0) return {};
    if (const int rc = seccomp_rule_add_array(ctx_, SCMP_ACT_ERRNO(static_cast<uint32_t>(error)),
                                              nr, 0, nullptr);
        rc != 0) {
      return make_error(ErrorCode::kIo,
                        fmt::format("seccomp: cannot refuse {}: {}", name, std::strerror(-rc)));
    }
    return {};
  }

 private:
  Result<int> add(int nr, const scmp_arg_cmp* cmp, unsigned n, const char* name) {
    const int rc = seccomp_rule_add_array(ctx_, SCMP_ACT_ALLOW, nr, n, cmp);
    if (rc != 0) {
      return make_error(ErrorCode::kIo,
                        fmt::format("seccomp: cannot allow {}: {}", name, std::strerror(-rc)));
    }
    return 1;
  }
  scmp_filter_ctx ctx_;
};

}  // namespace

Result<int> install_seccomp_filter(const SeccompReport& where) {
  Filter filter;
  if (!filter.ok()) return make_error(ErrorCode::kIo, "seccomp_init failed");
  int allowed = 0;
  const auto count = [&](Result<int> r) -> Status {
    if (!r) return r.error();
    allowed += *r;
    return {};
  };
  for (const char* name : kAllowed) {
    if (auto s = count(filter.allow(name)); !s) return s.error();
  }
#ifdef MERIDIAN_SANITIZER_RUNTIME
  for (const char* name : kSanitizerAllowed) {
    if (auto s = count(filter.allow(name)); !s) return s.error();
  }
#else
  // abort()/raise() signal this process only.
  const auto self = static_cast<unsigned>(getpid());
  if (auto s = count(filter.allow("kill", 0, {self})); !s) return s.error();
  if (auto s = count(filter.allow("tgkill", 0, {self})); !s) return s.error();
#endif
  if (where.threads || where.tcp_server) {
    // NTS-KE's TLS writes keep a SIGPIPE of their own from reaching the
    // process: they check for and consume it (sigpending, sigtimedwait).
    for (const char* name : {"rt_sigpending", "rt_sigtimedwait"}) {
      if (auto s = count(filter.allow(name)); !s) return s.error();
    }
  }
  if (where.tcp_server) {
    for (const char* name : {"listen", "accept", "accept4"}) {
      if (auto s = count(filter.allow(name)); !s) return s.error();
    }
  }
  if (where.threads || where.tcp_server) {
    // Worker threads (DESIGN.md §5's opt-in fast path): threads only, no fork.
    if (auto s = count(filter.allow_masked("clone", 0, CLONE_THREAD, CLONE_THREAD)); !s)
      return s.error();
#ifndef MERIDIAN_SANITIZER_RUNTIME
    if (auto s = filter.fail_with("clone3", ENOSYS); !s) return s.error();
#endif
    // capset: each worker clears its own capabilities (it can only lower them).
    for (const char* name : {"set_robust_list", "rseq", "capget", "capset"}) {
      if (auto s = count(filter.allow(name)); !s) return s.error();
    }
  }
  // Sockets: UDP/TCP for NTP and DNS, AF_UNIX for syslog and nscd,
  // netlink for interface scans. Nothing else (no raw or packet sockets).
  if (auto s = count(filter.allow("socket", 0, {AF_INET, AF_INET6, AF_UNIX, AF_NETLINK})); !s)
    return s.error();
  // ioctl: the resolver's FIONREAD and FIONBIO, stdio's isatty (TCGETS),
  // if_nametoindex/if_indextoname in interface scans (SIOCGIFINDEX,
  // SIOCGIFNAME): all read-only queries.
  if (auto s =
          count(filter.allow("ioctl", 1, {FIONREAD, FIONBIO, TCGETS, SIOCGIFINDEX, SIOCGIFNAME}));
      !s)
    return s.error();

  // The handler's state, prepared while malloc and localtime are still fine.
  for (int nr = 0; nr < kNames; ++nr) {
    if (g_names[nr] == nullptr)
      g_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    g_reported[nr] = 0;
  }
  g_report_fd = where.fd;
  if (where.syslog && g_syslog_fd < 0) g_syslog_fd = open_syslog_socket(where.syslog_path);
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  g_gmtoff_s = tm.tm_gmtoff;

  struct sigaction sa {};
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSYS, &sa, nullptr) != 0) {
    return make_error(ErrorCode::kIo, fmt::format("sigaction(SIGSYS): {}", std::strerror(errno)));
  }
  // SIGSYS must be deliverable for the handler to run.
  sigset_t sys;
  sigemptyset(&sys);
  sigaddset(&sys, SIGSYS);
  sigprocmask(SIG_UNBLOCK, &sys, nullptr);

  if (const int rc = seccomp_load(filter.get()); rc != 0) {
    return make_error(ErrorCode::kIo, fmt::format("seccomp_load: {}", std::strerror(-rc)));
  }
  return allowed;
}

}  // namespace meridian::platform
