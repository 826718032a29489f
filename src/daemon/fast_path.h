// The multi-threaded server fast path (`threads N` / `--threads N`, issue
// #13): N worker threads answer client requests (mode 3) in batches while
// the main thread keeps everything else — the client engine, mode 6
// (ntpq/ntpstat), replies to our own requests, timers, reloads.
//
// - Sockets: each worker owns one SO_REUSEPORT socket per listening address
//   (same port as the main thread's sockets, which join the group first).
//   A reuseport BPF program (platform/batch_udp.h) steers mode 3 by source
//   address hash to a worker and everything else to the main thread's
//   socket, so non-request traffic never crosses threads.
// - State: the main thread publishes the ServerView and the clock offset
//   through a seqlock (ViewSnapshot); workers never touch the engine or the
//   Clock. Each worker has its own ServerCore: restrict table, keys, and a
//   rate limiter + MRU holding 1/N of `mru maxdepth` (a client always lands
//   on the same worker, so no lock). A reload hands each worker its new
//   policy through a slot checked once per batch.
// - Statistics: per-worker counters (relaxed atomics, written after each
//   batch) summed by the main thread for mode 6 sysstats and sysstats files.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/config/config.h"
#include "core/control/variables.h"
#include "core/server/server_core.h"
#include "daemon/logger.h"
#include "daemon/view_snapshot.h"
#include "platform/udp_socket.h"

namespace meridian::daemon {

// `mru maxdepth` (and maxmem) split over `workers`, rounded up.
config::MruConfig mru_share(const config::MruConfig& total, int workers);

class FastPath {
 public:
  // Binds `threads` worker sockets on every endpoint in `main_bound` (the
  // main thread's SO_REUSEPORT sockets, bound before) and attaches the
  // steering program. Fails if the kernel refuses either: the caller then
  // runs single-threaded.
  // `nts`: the NTS server's context (`nts enable`), so workers answer NTS
  // requests too.
  static Result<std::unique_ptr<FastPath>> open(
      const config::Config& config, int threads, const std::vector<net::Endpoint>& main_bound,
      Logger& log, std::shared_ptr<const server::NtsServerContext> nts = nullptr);
  ~FastPath();
  FastPath(const FastPath&) = delete;
  FastPath& operator=(const FastPath&) = delete;

  // Main thread. REQUIRES: publish() before start().
  void publish(const PublishedState& state) { snapshot_.publish(state); }
  // Starts the workers (after the privilege drop and seccomp: they inherit both).
  Status start();
  // Stops and joins the workers (bounded: they poll with a short timeout).
  void stop();
  // A validated reload: each worker takes its new policy before its next batch.
  Status reconfigure(const config::Config& config, bool keep_limiter, Logger& log);
  // Adds the workers' counters to `st` (mode 6 ss_*, sysstats).
  void add_statistics(control::ServerStatistics& st) const;
  size_t workers() const { return workers_.size(); }
  // Requests answered per worker (tests: steering keeps a client on one worker).
  std::vector<uint64_t> received_per_worker() const;

 private:
  struct Worker;
  FastPath() = default;
  void run(Worker& w);

  ViewSnapshot snapshot_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stop_{false};
  std::shared_ptr<const server::NtsServerContext> nts_;
};

}  // namespace meridian::daemon
