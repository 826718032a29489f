// A small asynchronous stub resolver for ntpd's single-threaded poll() loop
// (DESIGN.md §5): name resolution never blocks the loop, IP literals need no
// resolver at all. The DNS messages, hosts(5) and resolv.conf(5) parsing are
// pure code in src/core/dns; this class owns the sockets and the timers.
//
// A lookup, in order:
//   1. an IPv4/IPv6 literal ("192.0.2.1", "2001:db8::1", "[2001:db8::1]") is
//      answered inside request(), without any I/O;
//   2. the hosts file (default /etc/hosts) is read and consulted: a name
//      listed with addresses of a wanted family is answered inside request();
//   3. otherwise resolv.conf (default /etc/resolv.conf) is read and A and/or
//      AAAA queries go to its nameservers: each query to the first server,
//      on timeout or a server error (SERVFAIL, REFUSED, FORMERR, NOTIMP, an
//      ICMP error, a truncated reply with no complete address) to the next,
//      for `attempts` rounds of `timeout` seconds each (defaults 5 s / 2, as
//      glibc). Every transmission uses a new non-blocking UDP socket
//      connect()ed to the server (fresh random source port, strays dropped
//      by the kernel) and a fresh random 16-bit id; replies that do not match
//      id and question, or do not parse, are ignored (RFC 5452 §9.1) and the
//      query keeps waiting. The search list is walked as glibc does
//      (see dns::search_names); NXDOMAIN/NODATA moves to the next name, a
//      timeout of every server ends the walk.
// Not supported: TCP fallback for truncated replies (the loop uses only UDP;
// a truncated reply's complete records are used), EDNS, DNSSEC, mDNS,
// nsswitch.conf (always "files dns"), sortlist, `options rotate`.
//
// Only reading the two small files blocks (request() time); everything else
// is non-blocking syscalls: socket, fcntl, connect, sendto, recvmsg, close.
//
// How ntpd's loop drives it (src/daemon/server_loop.cc), every iteration:
//
//   int64_t now = platform::read_monotonic_ns();
//   std::vector<int> fds = <the server sockets' fds>;
//   const size_t first_dns = fds.size();
//   for (int fd : resolver.poll_fds()) fds.push_back(fd);  // changes every iteration
//   int64_t due = <the loop's other deadlines>;
//   if (auto t = resolver.next_timeout_ns()) due = std::min(due, *t);
//   auto ready = platform::wait_readable(fds, std::max<int64_t>(0, due - now));
//   now = platform::read_monotonic_ns();
//   std::vector<int> dns_ready;
//   for (size_t i : *ready) {
//     if (i >= first_dns) dns_ready.push_back(fds[i]); else <handle server socket i>;
//   }
//   resolver.on_ready(dns_ready, now);          // reads replies, then expires timers
//   for (auto& r : resolver.take_results()) <hand r to the client engine>;
//
// and to start a lookup (e.g. a pool re-resolution): `id = resolver.request(
// name, settings.family, now)`, then take_results() as above (literal and
// hosts answers are there at once). on_timeout(now) alone suffices when poll()
// returned without readable DNS sockets; on_ready with an empty span does the same.
//
// daemon/name_lookups.h's NameLookups maps onto it one to one (times there
// are monotonic seconds): request → request(host, family, s→ns) remembering
// id → token; fds → poll_fds; next_deadline_s → next_timeout_ns (nullopt →
// +inf); on_ready(now_s) → on_ready(now_ns) (the overload that tries every
// socket); take_answers → take_results, each turned into (token, addresses
// or an Error carrying Resolution::detail).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/dns/resolv_conf.h"
#include "core/net/address.h"
#include "core/random.h"
#include "platform/connected_udp.h"

namespace meridian::platform {

using ResolveRequestId = uint64_t;

enum class ResolveStatus {
  kOk,
  kNxDomain,         // the name does not exist (NXDOMAIN for every name tried)
  kNoAddresses,      // the name exists but has no address of the wanted families (NODATA)
  kServerFailure,    // nameservers answered, but with SERVFAIL/REFUSED/… or truncated
  kTimeout,          // no nameserver answered within timeout × attempts
  kNoNameservers,    // no nameserver could be reached (socket/connect/send failed, ICMP errors)
  kInvalidName,      // not a host name: nothing was sent
  kFamilyExcluded,   // a literal of the family excluded by -4/-6
  kTooManyRequests,  // max_pending_requests lookups already running
};

// "name does not exist (NXDOMAIN)", "timed out", …
std::string_view describe(ResolveStatus status);

enum class ResolveSource { kLiteral, kHostsFile, kDns };

struct Resolution {
  ResolveRequestId id = 0;
  std::string name;  // as passed to request()
  ResolveStatus status = ResolveStatus::kOk;
  ResolveSource source = ResolveSource::kDns;
  // kOk: at least one address, no duplicates; from DNS, IPv4 (answer order)
  // then IPv6; from the hosts file, file order.
  std::vector<net::IpAddress> addresses;
  // DNS answers: the smallest TTL of the records used (seconds), a hint for
  // when to resolve again; literals and hosts-file answers have none.
  std::optional<uint32_t> ttl_s;
  // One line for the log, naming the host and what went wrong (or where
  // the addresses came from).
  std::string detail;

  bool ok() const { return status == ResolveStatus::kOk; }
};

struct AsyncResolverOptions {
  std::string hosts_path = "/etc/hosts";
  std::string resolv_conf_path = "/etc/resolv.conf";
  // resolv.conf has no port syntax; tests point this at a fake server.
  uint16_t nameserver_port = 53;
  // Bounded concurrency: DNS sockets open at once (further queries wait
  // their turn) and lookups accepted at once (further ones fail at once).
  size_t max_queries_in_flight = 8;
  size_t max_pending_requests = 256;
};

class AsyncResolver {
 public:
  // `random` supplies query ids (the daemon passes its OsRandom; tests a
  // SeededRandom); it must outlive the resolver.
  AsyncResolver(AsyncResolverOptions options, RandomSource& random);
  AsyncResolver(const AsyncResolver&) = delete;
  AsyncResolver& operator=(const AsyncResolver&) = delete;

  // Starts resolving `name` (a host name or an address literal) to
  // addresses of `only` (-4/-6) or both families. The Resolution with the
  // returned id appears in take_results() — already on return for literals,
  // hosts-file names and immediate errors. `now_ns`: CLOCK_MONOTONIC ns.
  ResolveRequestId request(std::string_view name, std::optional<net::Family> only, int64_t now_ns);
  // Forgets a lookup (closing its sockets); no Resolution will appear for it.
  void cancel(ResolveRequestId id, int64_t now_ns);

  // The sockets awaiting replies: include them in poll() (POLLIN). The set
  // changes with every call that advances the resolver.
  std::vector<int> poll_fds() const;
  // The earliest absolute CLOCK_MONOTONIC deadline (ns) at which on_timeout
  // (or on_ready) must run; nullopt when idle.
  std::optional<int64_t> next_timeout_ns() const;
  // Reads the replies waiting on `readable` (fds from poll_fds() that poll()
  // reported; other fds are ignored), then does what on_timeout does.
  void on_ready(std::span<const int> readable, int64_t now_ns);
  // The same for callers that do not track which fds were readable: tries
  // every socket (one non-blocking recvmsg each, at most
  // max_queries_in_flight), then expires timers.
  void on_ready(int64_t now_ns);
  // Moves every query whose deadline passed on to its next server (or ends it).
  void on_timeout(int64_t now_ns);

  // The lookups completed since the last call, in completion order.
  std::vector<Resolution> take_results();

  // Lookups not yet completed (and not cancelled).
  size_t pending() const { return lookups_.size(); }
  size_t queries_in_flight() const { return active_.size(); }

 private:
  struct Lookup;
  struct Query;
  struct Outcome;

  void start_name(Lookup& lookup, int64_t now_ns);
  void schedule(Query query, int64_t now_ns);
  void transmit(Query query, int64_t now_ns);
  void fail_transmission(Query query, ResolveStatus why, std::string detail, int64_t now_ns);
  void handle_reply(size_t index, std::span<const std::byte> reply, int64_t now_ns);
  void finish_query(const Query& query, Outcome outcome, int64_t now_ns);
  void finish_name(Lookup& lookup, int64_t now_ns);
  void complete(Lookup& lookup, ResolveStatus status, std::string detail);
  void start_waiting(int64_t now_ns);
  ResolveRequestId immediate(std::string_view name, ResolveStatus status, ResolveSource source,
                             std::vector<net::IpAddress> addresses, std::string detail);

  struct Outcome {
    ResolveStatus status = ResolveStatus::kTimeout;
    std::vector<net::IpAddress> addresses;
    uint32_t ttl_s = 0;
    std::string detail;
  };
  struct Query {  // one question (name, type) asked of the servers in turn
    ResolveRequestId lookup = 0;
    std::string qname;
    net::Family family = net::Family::kIPv4;
    size_t server = 0;  // index into the lookup's nameservers
    int round = 0;      // 0 … attempts−1
    Outcome failure;    // the most informative failure so far
    // While in flight:
    ConnectedUdpSocket socket;
    uint16_t id = 0;
    int64_t deadline_ns = 0;
  };
  struct Lookup {
    ResolveRequestId id = 0;
    std::string name;
    std::vector<net::Family> families;
    dns::ResolverConfig config;
    std::vector<std::string> names;  // the search list walk
    size_t name_index = 0;
    size_t queries_pending = 0;           // for names[name_index]
    std::vector<Outcome> outcomes;        // one per family, for names[name_index]
    std::optional<Outcome> best_failure;  // across the names tried
  };

  AsyncResolverOptions options_;
  RandomSource& random_;
  ResolveRequestId next_id_ = 1;
  std::map<ResolveRequestId, Lookup> lookups_;
  std::deque<Query> waiting_;  // not yet sent: max_queries_in_flight reached
  std::vector<Query> active_;  // sent, awaiting a reply or the deadline
  std::vector<Resolution> results_;
};

}  // namespace meridian::platform
