// ntpd's single-threaded main loop (DESIGN.md §5): wildcard UDP sockets on
// every IPv4/IPv6 address, poll() with a timeout, signals as flags.
#pragma once

#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "core/config/config.h"
#include "core/control/control_responder.h"
#include "core/engine/client_engine.h"
#include "core/server/server_core.h"
#include "daemon/logger.h"
#include "daemon/name_lookups.h"
#include "daemon/nts_key_exchanges.h"
#include "daemon/upstreams.h"
#include "platform/clock.h"
#include "platform/interfaces.h"
#include "platform/udp_socket.h"

namespace meridian::daemon {

// Set by signal handlers; the loop polls with a timeout and checks them.
struct SignalFlags {
  volatile std::sig_atomic_t stop = 0;
  volatile std::sig_atomic_t reload = 0;
};
void install_signal_handlers(SignalFlags& flags);

struct LoopSettings {
  uint16_t port = 123;
  std::optional<net::Family> family;  // -4 / -6
  bool reuse_port = false;            // SO_REUSEPORT: the `threads` fast path shares the port
};

class ServerLoop {
 public:
  ServerLoop(const config::Config& config, const LoopSettings& settings, platform::Clock& clock,
             server::ServerCore& core, Logger& log);
  ~ServerLoop();
  ServerLoop(const ServerLoop&) = delete;
  ServerLoop& operator=(const ServerLoop&) = delete;

  // Binds the sockets; fails when no family at all could be bound.
  Status open();
  // Runs until flags.stop; returns the exit status.
  int run(SignalFlags& flags);
  // The bound ports (useful with --port 0 in tests).
  std::vector<net::Endpoint> bound() const;
  // Attaches the client (upstream servers); optional: a pure server runs without.
  void attach_client(engine::ClientEngine* client) {
    client_ = client;
    tell_client_our_addresses();
  }
  // The attached client, if any (it may be attached later, on a reload).
  const engine::ClientEngine* client() const { return client_; }
  // The server/pool lines behind the client's associations, and how their
  // names get resolved (both needed for names; literals work without).
  void attach_upstreams(Upstreams* upstreams, NameLookups* lookups) {
    upstreams_ = upstreams;
    lookups_ = lookups;
  }
  // Runs the NTS-KE handshakes the client asks for (KeyExchange actions).
  // Without it such a request fails at once (NTS associations then send nothing).
  void attach_key_exchanges(NtsKeyExchanges* exchanges) { key_exchanges_ = exchanges; }
  // Called in the loop after SIGHUP (the validated reload lives in ntpd.cc).
  void on_reload(std::function<void()> hook) { reload_hook_ = std::move(hook); }
  // Runs engine actions (e.g. those of a reload) as if the engine emitted them.
  void apply(const std::vector<engine::Action>& actions);
  // Called after each clock update the client applied (e.g. -q exits then).
  void on_clock_update(std::function<bool(const engine::Action&)> hook) {
    update_hook_ = std::move(hook);
  }
  // Called on every loop iteration with the monotonic time (ns); returns
  // when it wants to run next, which bounds the wait (service notifier).
  void on_tick(std::function<int64_t(int64_t now_ns)> hook) { tick_hook_ = std::move(hook); }
  // Runs `task` every `interval_s` seconds of monotonic time (e.g. driftfile
  // writes, sysstats), the first time one interval after run() starts.
  void every(double interval_s, std::function<void()> task) {
    periodic_.push_back({static_cast<int64_t>(interval_s * 1e9), 0, std::move(task)});
  }
  // Runs `observer(now_s, actions)` after each client event (the engine
  // handled a reply or its timer; `actions` are what it asked for, already
  // carried out), e.g. the statistics recorder reading the views.
  using ClientObserver =
      std::function<void(double now_s, const std::vector<engine::Action>& actions)>;
  void after_client_event(ClientObserver observer) { client_observer_ = std::move(observer); }
  // The server counters since start (mode 6 ss_* variables, sysstats).
  control::ServerStatistics statistics(double now_s) const;
  // Counters kept elsewhere (the fast-path workers), added to statistics().
  void add_statistics_from(std::function<void(control::ServerStatistics&)> source) {
    statistics_source_ = std::move(source);
  }
  // Called after every refresh of the server view (the fast path republishes it).
  void on_view_refresh(std::function<void()> hook) { view_hook_ = std::move(hook); }

 private:
  // Reads what `socket` has queued in bounded batches and answers it.
  void serve(const platform::UdpSocket& socket);
  // One request from serve()'s batch (uses its reply buffer).
  void handle(const platform::UdpSocket& socket, const platform::DatagramView& d, double now_s);
  void handle_reply(size_t association, const platform::Datagram& d);
  void send_request(const engine::SendRequest& send);
  void close_unused_association_sockets();
  // Tells the client how a clock write went (it decides what a failure means).
  void report_clock_write(const Status& result);
  void log_event(const engine::LogEvent& ev);
  void handle_control(const platform::UdpSocket& socket, const platform::DatagramView& d);
  void rescan_interfaces();
  void tell_client_our_addresses();  // for the client's timing-loop check
  void refresh_view();
  void update_view();
  void run_client(double now_s);
  void run_upstreams(double now_s);
  void run_key_exchanges(double now_s);  // hands finished NTS-KE handshakes to the client

  const config::Config& config_;
  LoopSettings settings_;
  platform::Clock& clock_;
  server::ServerCore& core_;
  Logger& log_;
  std::vector<platform::UdpSocket> sockets_;  // wildcard listening sockets (serving)
  // One connected socket per client association, on a random ephemeral
  // port: requests leave from it and only replies arriving on it count
  // (RFC 9109). Opened at the association's first request, closed when the
  // association is gone.
  std::map<size_t, platform::UdpSocket> association_sockets_;
  std::map<size_t, net::Endpoint> association_peers_;  // what each socket is connected to
  std::set<size_t> association_socket_failed_;         // logged once per association
  std::vector<platform::LocalAddress> addresses_;
  // serve()'s receive batch: datagrams packed one after the other into one
  // buffer (allocated at the first request, never zeroed: only what the
  // kernel writes is touched).
  struct RxBatch;
  std::unique_ptr<RxBatch> rx_batch_;
  int64_t next_rescan_ns_ = 0;
  int64_t next_view_refresh_ns_ = 0;
  engine::ClientEngine* client_ = nullptr;
  Upstreams* upstreams_ = nullptr;
  NameLookups* lookups_ = nullptr;
  NtsKeyExchanges* key_exchanges_ = nullptr;
  double next_upkeep_s_ = 0;
  std::function<void()> reload_hook_;
  std::unique_ptr<control::ControlResponder> control_;  // mode 6 (ntpq, ntpstat)
  double started_s_ = static_cast<double>(platform::read_monotonic_ns()) * 1e-9;
  std::string processor_, system_name_;  // uname(), for mode 6
  std::function<bool(const engine::Action&)> update_hook_;
  struct Periodic {
    int64_t interval_ns;
    int64_t next_ns;  // 0: not scheduled yet
    std::function<void()> task;
  };
  std::vector<Periodic> periodic_;
  ClientObserver client_observer_;
  std::function<int64_t(int64_t)> tick_hook_;
  std::function<void(control::ServerStatistics&)> statistics_source_;
  std::function<void()> view_hook_;
  double last_synchronised_s_ = started_s_;  // monotonic; for `tos orphanwait`
  bool orphan_ = false;
  bool sync_refusal_logged_ = false;  // kernel sync-status refusals: logged once
  int exit_status_ = 0;
  bool stop_ = false;
};

}  // namespace meridian::daemon
