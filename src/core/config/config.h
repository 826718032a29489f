// The typed result of parsing ntp.conf (the classic ntp 4.2.x language, plus
// NTPsec's dialect and Meridian's documented extensions). Produced by
// config/parser.h; consumed by the engine, the server, access control and
// `ntpd --check`. Values are as written: host names are not resolved here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/net/address.h"

namespace meridian::config {

struct SourceLocation {
  std::string file;
  int line = 0;
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

struct Diagnostic {
  enum class Severity { kWarning, kError, kFatal };
  Severity severity = Severity::kWarning;
  SourceLocation where;
  std::string message;
  // "FILE:LINE: message" (the format operators and editors jump to).
  std::string to_string() const;
};

enum class AssociationKind { kServer, kPool, kPeer };

// A `server`, `pool` or `peer` line (not the 127.127.t.u refclock pseudo-addresses).
struct AssociationConfig {
  AssociationKind kind = AssociationKind::kServer;
  std::string host;                   // address literal (brackets removed) or name
  std::optional<net::Family> family;  // `server -4 HOST` / `-6`: resolve to this family only
  std::optional<uint16_t> port;       // Meridian extension: `port N`
  bool iburst = false;
  bool burst = false;
  bool prefer = false;
  bool noselect = false;
  bool true_ticker = false;           // `true`
  bool nts = false;                   // NTPsec: `nts`
  std::optional<uint16_t> nts_port;   // chrony: `ntsport N` (NTS-KE TCP port, default 4460)
  std::optional<std::string> nts_ca;  // NTPsec: `ca FILE` (trust anchors for this server only)
  std::optional<int> minpoll;         // log2 s
  std::optional<int> maxpoll;         // log2 s
  std::optional<uint32_t> key;
  std::optional<int> version;
  SourceLocation where;
};

// `server 127.127.1.U` (the local clock driver) with its `fudge` settings.
struct LocalClockConfig {
  int unit = 0;
  int stratum = 5;                   // classic default of the LOCAL driver
  std::optional<std::string> refid;  // fudge refid (default "LOCL")
  bool prefer = false;
  SourceLocation where;
};

// Other reference clocks (`server 127.127.T.U` with T ≠ 1, or NTPsec
// `refclock NAME ...`): recorded so lint can say they are not supported.
struct RefclockConfig {
  std::string driver;  // "127.127.20.0" or NTPsec name ("gpsd", "shm", ...)
  int unit = 0;
  std::map<std::string, std::string> options;
  SourceLocation where;
};

// Symmetric keys (the `keys` file, ntp.keys(5)): see config/key_file.h.
enum class KeyType { kMd5, kSha1, kSha256, kAes128Cmac };

struct SymmetricKey {
  uint32_t id = 0;  // 1..65535
  KeyType type = KeyType::kMd5;
  std::vector<uint8_t> secret;  // the key bytes (ASCII as bytes, or decoded hex)
  SourceLocation where;
};

// restrict flags, as bits. RFC-less but classic: see ntp.conf(5).
enum RestrictFlag : uint32_t {
  kIgnore = 1u << 0,    // drop every packet
  kNoServe = 1u << 1,   // no time service (mode 6 still allowed unless noquery)
  kNoQuery = 1u << 2,   // no mode 6/7 queries
  kNoModify = 1u << 3,  // no mode 6/7 writes
  kNoTrap = 1u << 4,    // no mode 6 trap service
  kNoPeer = 1u << 5,    // no new symmetric associations
  kNoTrust = 1u << 6,   // unauthenticated packets are not served
  kKod = 1u << 7,       // send RATE kiss-o'-death when limited
  kLimited = 1u << 8,   // apply `discard` rate limits
  kLowPriTrap = 1u << 9,
  kVersion = 1u << 10,    // only the current NTP version (4)
  kNtpPort = 1u << 11,    // match only packets from source port 123
  kNoMrulist = 1u << 12,  // NTPsec: no mrulist queries
  kNoEpeer = 1u << 13,    // no ephemeral peers
};

struct RestrictRule {
  enum class Target { kDefault, kAddress, kHost, kSource };
  Target target = Target::kDefault;
  // -4/-6 as written. kDefault: none = `restrict default` applies to BOTH
  // families (ntp >= 4.2.6 and NTPsec; older ntp applied it to IPv4 only).
  // kHost: resolve the name to this family only. kAddress: the address's family.
  std::optional<net::Family> family;
  net::IpAddress address;  // kAddress: already ANDed with the mask
  net::IpAddress mask;     // kAddress: all-ones when no mask/CIDR given
  std::string host;        // kHost: a name to resolve at start-up
  // kHost: a `mask` was given (then `mask` holds it); otherwise every resolved
  // address is matched exactly (all-ones mask of its family).
  bool has_mask = false;
  uint32_t flags = 0;       // RestrictFlag bits
  bool unrestrict = false;  // NTPsec `unrestrict` / `-` form: removes a rule
  SourceLocation where;
};

struct DiscardConfig {
  int average_log2 = 3;  // minimum average headway, log2 s
  int minimum_s = 2;     // guard time between packets, s
  friend bool operator==(const DiscardConfig&, const DiscardConfig&) = default;
};

struct MruConfig {
  int maxdepth = 1024;  // entries; bounded memory
  int mindepth = 600;
  int maxage_s = 64;
  std::optional<int> maxmem_kib;
  friend bool operator==(const MruConfig&, const MruConfig&) = default;
};

// Only what Meridian uses; the other classic keys (dispersion, allan,
// huffpuff, freq, tick) are checked and warned about, not stored.
struct TinkerConfig {
  std::optional<double> panic_s, step_s, stepout_s;
  // Separate thresholds for backward (θ < 0) and forward (θ > 0) steps; a
  // later `step` clears them (classic loop_config).
  std::optional<double> stepback_s, stepfwd_s;
  friend bool operator==(const TinkerConfig&, const TinkerConfig&) = default;
};

// As for tinker: cohort, beacon, bcpollbstep and maxdisp are warned about, not stored.
struct TosConfig {
  std::optional<int> minsane, minclock, maxclock, orphan, orphanwait_s, ceiling, floor;
  std::optional<double> maxdist_s, mindist_s;
};

struct InterfaceRule {
  enum class Action { kListen, kIgnore, kDrop };
  enum class Match { kAll, kIpv4, kIpv6, kWildcard, kName, kPrefix };
  Action action = Action::kListen;
  Match match = Match::kAll;
  std::string name;        // kName
  net::IpAddress address;  // kPrefix
  int prefix_len = 0;      // kPrefix
  SourceLocation where;
};

struct FilegenConfig {
  std::string name;  // loopstats, peerstats, ...
  std::optional<std::string> file;
  std::optional<std::string> type;  // none, pid, day, week, month, year, age
  std::optional<bool> enable;
  bool link = true;
  SourceLocation where;
};

// `nts …` lines (NTPsec syntax; docs/ntp.conf.md "NTS"). The server half
// runs only with `nts enable`; the client half (`server HOST nts`) needs none
// of these but `nts ca` when the system store does not hold the server's CA.
struct NtsConfig {
  bool enable = false;                // `nts enable` / `nts disable`
  std::optional<std::string> cert;    // `nts cert FILE`: PEM certificate chain
  std::optional<std::string> key;     // `nts key FILE`: PEM private key
  std::optional<std::string> ca;      // `nts ca FILE`: CA bundle for NTS servers we use
  std::optional<std::string> cookie;  // `nts cookie FILE`: cookie keys (kept across restarts)
  std::optional<uint16_t> port;       // `nts port N`: NTS-KE TCP port (Meridian extension)
  SourceLocation where;               // the last `nts` line
};

struct Config {
  std::vector<AssociationConfig> associations;
  std::vector<LocalClockConfig> local_clocks;
  std::vector<RefclockConfig> refclocks;
  std::vector<RestrictRule> restricts;
  DiscardConfig discard;
  MruConfig mru;
  TinkerConfig tinker;
  TosConfig tos;
  std::vector<InterfaceRule> interfaces;

  std::optional<std::string> driftfile;
  std::optional<std::string> logfile;
  std::optional<std::string> statsdir;
  std::optional<std::string> leapfile;
  std::optional<std::string> keys_file;
  std::vector<std::string> statistics;  // loopstats peerstats sysstats ...
  std::vector<FilegenConfig> filegens;
  std::vector<std::string> logconfig;  // tokens as written: "=syncall", "+clockall"

  // The entries of keys_file, loaded by parse_config_file through the same
  // FileSource (errors in it are fatal diagnostics; a missing file is an error).
  std::vector<SymmetricKey> keys;
  std::set<uint32_t> trusted_keys;
  std::optional<uint32_t> request_key;
  std::optional<uint32_t> control_key;

  // enable/disable: flag name → enabled (auth, bclient, calibrate, kernel,
  // mode7, monitor, ntp, stats, pps).
  std::map<std::string, bool> system_flags;

  std::optional<int> threads;  // Meridian extension: fast server path workers
  NtsConfig nts;

  // The top-level file parsed, and where single-valued directives were last
  // set (key: directive name in lower case, e.g. "keys", "controlkey",
  // "driftfile", "threads"), so lint and the daemon can point at them.
  std::string file;
  std::map<std::string, SourceLocation> locations;

  // Everything the parser reported (warnings for skipped lines, errors).
  std::vector<Diagnostic> diagnostics;
  bool has_fatal() const;
};

}  // namespace meridian::config
