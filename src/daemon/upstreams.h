// The `server` / `pool` lines of the running configuration and the client
// engine's associations made from them.
//
// - IP literals become associations at once, without any resolver.
// - Names are handed out as lookups (take_lookups) for an asynchronous
//   resolver; on_resolved() adds the associations when the answer comes, so
//   the loop never waits for DNS. A failed `server` name is retried with
//   back-off (1 min doubling to 1 h).
// - `pool NAME` keeps up to `tos maxclock` members in all: it asks again while
//   it has fewer (after 1 min, doubling to 1 h while the answers bring
//   nothing new), and maintain() demobilises members that have been
//   unreachable for 8 polls or marked falseticker for a while, then asks for
//   replacements (other addresses than the ones it dropped, while there are).
// - An address (and port) is one association, whichever lines name it: a
//   pool never re-adds a live member, and a `server` line naming a live
//   association's address is logged and skipped.
// - configure() on a validated reload diffs the new lines against the running
//   ones: a line identical in everything but its file position keeps its
//   associations (filter, reach, poll untouched); others are removed/added.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/engine/client_engine.h"
#include "core/result.h"
#include "daemon/logger.h"

namespace meridian::daemon {

struct UpstreamSettings {
  std::optional<net::Family> family;  // -4 / -6
  int maxclock = 10;                  // tos maxclock: pool members in all
  uint16_t default_port = 123;        // `server ADDR` without `port N`
};

// A name the resolver should look up; `token` comes back with the answer.
struct Lookup {
  uint64_t token = 0;
  std::string host;
  std::optional<net::Family> family;
};

struct UpstreamChanges {
  int kept = 0, added = 0, removed = 0;  // configuration lines
};

class Upstreams {
 public:
  Upstreams(UpstreamSettings settings, Logger& log) : settings_(settings), log_(log) {}

  // Makes the running lines equal to `lines`. Associations of unchanged lines
  // are kept; removed lines' associations are demobilised through `engine`.
  UpstreamChanges configure(const std::vector<config::AssociationConfig>& lines,
                            engine::ClientEngine& engine, double now_s, time::NtpTime clock_now,
                            std::vector<engine::Action>& out);
  void set_maxclock(int maxclock) { settings_.maxclock = maxclock; }

  // Lookups due now (each is handed out once; retries come back later).
  std::vector<Lookup> take_lookups(double now_s);
  // The answer for a lookup; stale tokens (the line went away) are ignored.
  void on_resolved(uint64_t token, const Result<std::vector<net::IpAddress>>& answer,
                   engine::ClientEngine& engine, double now_s);
  // Pool upkeep; cheap, call it about once a second.
  void maintain(engine::ClientEngine& engine, double now_s, time::NtpTime clock_now,
                std::vector<engine::Action>& out);
  // The earliest time take_lookups() may have something new (for poll timeouts).
  double next_lookup_s() const;
  // Lines whose names have not been resolved yet (for the start-up log).
  size_t unresolved() const;

 private:
  struct Line {
    config::AssociationConfig config;
    std::vector<size_t> ids;                // live associations made from it
    std::vector<net::IpAddress> dropped;    // pool: members it replaced (not to be re-added soon)
    std::optional<uint64_t> pending_token;  // a lookup is out
    double next_lookup_s = 0;               // when to ask (again)
    double retry_s = 60;                    // back-off after a failure
    double refill_s = 60;                   // pool: back-off while answers bring nothing new
    bool wants_lookup = false;
  };
  bool is_pool(const Line& l) const { return l.config.kind == config::AssociationKind::kPool; }
  int pool_members() const;
  // False when the endpoint is already a live association (of any line).
  bool add(Line& line, const net::IpAddress& address, engine::ClientEngine& engine, double now_s);
  void start(Line& line, engine::ClientEngine& engine, double now_s);

  UpstreamSettings settings_;
  Logger& log_;
  std::vector<Line> lines_;
  uint64_t next_token_ = 1;
  std::vector<std::pair<size_t, double>> suspect_since_;  // pool member id → first seen bad
};

// Same line in all but its position in the file (reload diffing).
bool same_association_line(const config::AssociationConfig& a, const config::AssociationConfig& b);

}  // namespace meridian::daemon
