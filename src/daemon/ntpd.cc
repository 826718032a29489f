#include "daemon/ntpd.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/config/check.h"
#include "core/config/lint.h"
#include "core/config/parser.h"
#include "core/nts/openssl_aead.h"
#include "daemon/client_setup.h"
#include "daemon/default_config.h"
#include "daemon/drift_file.h"
#include "daemon/fast_path.h"
#include "daemon/leap_file.h"
#include "daemon/logger.h"
#include "daemon/name_lookups.h"
#include "daemon/nts_key_exchanges.h"
#include "daemon/nts_server.h"
#include "daemon/server_loop.h"
#include "daemon/server_setup.h"
#include "daemon/service_process.h"
#include "daemon/service_status.h"
#include "daemon/stats_recorder.h"
#include "daemon/upstreams.h"
#include "platform/clock.h"
#include "platform/daemonise.h"
#include "platform/disk_file_source.h"
#include "platform/random_os.h"
#include "platform/service_notify.h"

namespace meridian::daemon {

namespace {

constexpr const char* kDefaultConfigPath = "/etc/ntp.conf";

struct LoadedConfig {
  config::Config config;
  std::string source;  // file name, or "built-in default"
};

// "FILE:LINE: severity: message", the format editors and CI annotators parse.
std::string shown(const config::Diagnostic& d) {
  config::Diagnostic with_severity = d;
  with_severity.message = fmt::format("{}: {}", config::severity_name(d.severity), d.message);
  return with_severity.to_string();
}

void print_diagnostics(const std::vector<config::Diagnostic>& ds) {
  for (const auto& d : ds) fmt::print(stderr, "{}\n", shown(d));
}

Result<LoadedConfig> load_config(const Options& o) {
  platform::DiskFileSource files;
  if (!o.config_given && !platform::path_exists(kDefaultConfigPath)) {
    return LoadedConfig{config::parse_config_text(kDefaultConfig, "<built-in>", files),
                        "built-in default configuration"};
  }
  auto parsed = config::parse_config_file(o.config_file, files);
  if (!parsed) return parsed.error();
  return LoadedConfig{std::move(*parsed), o.config_file};
}

// Key files hold secrets: say so when others can read them (ntp.keys(5)).
void warn_key_file_mode(const config::Config& c) {
  if (!c.keys_file) return;
  struct stat st {};
  if (stat(c.keys_file->c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    fmt::print(stderr, "{}: warning: key file is readable by others (mode {:o}); use chmod 600\n",
               *c.keys_file, st.st_mode & 0777);
  }
}

// ntpd disciplines the system clock when it has servers to follow and
// `disable ntp` is not set. Then it must be allowed to: a daemon that
// cannot adjust the clock but serves as if it did hides the real error.
// Checked at start (and again after -u) with a write that changes nothing;
// `--clock readonly`/`virtual`, `disable ntp` or a configuration without
// server/pool lines (a local-clock server) need no permission.
bool clock_adjustable_or_explained(const Options& o, const config::Config& c, Logger& log) {
  if (o.clock != "system" || c.associations.empty()) return true;
  if (auto it = c.system_flags.find("ntp"); it != c.system_flags.end() && !it->second) return true;
  const Status st = platform::check_system_clock_adjustable();
  if (st) return true;
  const std::string line = fmt::format(
      "cannot adjust the system clock ({}); not starting (--clock readonly or `disable ntp` in "
      "ntp.conf run ntpd without adjusting it)",
      st.error().message);
  log.error(line);
  // Before daemonising, also on the terminal that started us.
  if (!o.foreground && isatty(STDERR_FILENO)) fmt::print(stderr, "ntpd: {}\n", line);
  return false;
}

bool has_errors(const std::vector<config::Diagnostic>& ds) {
  for (const auto& d : ds) {
    if (d.severity != config::Diagnostic::Severity::kWarning) return true;
  }
  return false;
}

bool uses_nts_client(const config::Config& c) {
  for (const auto& a : c.associations) {
    if (a.nts) return true;
  }
  return false;
}

// NTS files named in the configuration: the server's certificate, key and
// cookie keys (nts_server.h), and the CA files clients verify servers with.
std::vector<std::string> nts_problems(const config::Config& c) {
  std::vector<std::string> out = check_nts_server(c, std::time(nullptr));
  std::vector<std::pair<std::string, std::string>> cas;  // (FILE:LINE, CA file)
  if (uses_nts_client(c) && c.nts.ca) cas.emplace_back(where(c, "nts ca"), *c.nts.ca);
  for (const auto& a : c.associations) {
    if (a.nts && a.nts_ca)
      cas.emplace_back(fmt::format("{}:{}", a.where.file, a.where.line), *a.nts_ca);
  }
  for (const auto& [line, ca] : cas) {
    if (::access(ca.c_str(), R_OK) != 0)
      out.push_back(
          fmt::format("{}: cannot read the NTS CA file {}: {}", line, ca, std::strerror(errno)));
  }
  return out;
}

int check_only(const LoadedConfig& loaded) {
  print_diagnostics(loaded.config.diagnostics);
  const auto lints = config::lint_config(loaded.config);
  print_diagnostics(lints);
  warn_key_file_mode(loaded.config);
  const auto nts = nts_problems(loaded.config);
  for (const auto& line : nts) fmt::print(stderr, "error: {}\n", line);
  const bool bad = has_errors(loaded.config.diagnostics) || has_errors(lints) || !nts.empty();
  fmt::print(stderr, "{}: configuration {}\n", loaded.source, bad ? "has errors" : "OK");
  return bad ? 1 : 0;
}

}  // namespace

int run_ntpd(const Options& o) {
  if (o.show_help) {
    fmt::print("{}", usage());
    return 0;
  }
  if (o.show_version) {
    fmt::print("ntpd (Meridian {})\n", MERIDIAN_VERSION);
    return 0;
  }
  if (o.print_default_config) {
    fmt::print("{}", kDefaultConfig);
    return 0;
  }
  auto loaded = load_config(o);
  if (!loaded) {
    fmt::print(stderr, "ntpd: cannot read configuration: {}\n", loaded.error().message);
    return 1;
  }
  if (o.check_only) return check_only(*loaded);
  config::Config& cfg = loaded->config;  // replaced in place by a validated reload
  print_diagnostics(cfg.diagnostics);
  warn_key_file_mode(cfg);
  if (cfg.has_fatal()) {
    fmt::print(stderr, "ntpd: {}: fatal configuration errors, not starting\n", loaded->source);
    return 1;
  }
  if (!o.foreground) platform::close_inherited_descriptors();  // before opening anything
  Logger log(o.logfile.value_or(cfg.logfile.value_or("")), o.foreground, o.debug);
  log.notice(fmt::format("ntpd (Meridian {}) starting with {}", MERIDIAN_VERSION, loaded->source));
  if (log.fd() != STDERR_FILENO) {
    // Already on stderr above; the log (syslog, logfile) keeps them too, so
    // every "has no effect in Meridian" warning is on record.
    for (const auto& d : cfg.diagnostics) {
      (d.severity == config::Diagnostic::Severity::kWarning ? log.warning(shown(d))
                                                            : log.error(shown(d)));
    }
  }
  ServiceProcess service(o, log);  // -u, daemonising, pidfile, seccomp, sd_notify
  if (auto s = service.prepare(); !s) {
    log.error(s.error().message);
    return 1;
  }

  platform::VirtualClockOptions virtual_options;
  virtual_options.initial_offset_s = o.virtual_offset_s;
  virtual_options.intrinsic_ppm = o.virtual_freq_ppm;
  auto clock = platform::make_clock(o.clock, virtual_options);
  if (!clock) {
    log.error(clock.error().message);
    return 1;
  }
  if (!clock_adjustable_or_explained(o, cfg, log)) return 1;
  // NTS (RFC 8915): a bad certificate, key or key file stops the start, as
  // `ntpd --check` says.
  if (const auto nts = nts_problems(cfg); !nts.empty()) {
    for (const auto& line : nts) log.error(line);
    log.error("NTS configuration errors, not starting");
    return 1;
  }
  std::unique_ptr<NtsServer> nts_server;
  if (cfg.nts.enable) {
    auto created = NtsServer::create(cfg, NtsServer::Settings{o.port, o.family}, log);
    if (!created) {
      log.error(fmt::format("nts: {}", created.error().message));
      return 1;
    }
    nts_server = std::move(*created);
  }
  const std::shared_ptr<const server::NtsServerContext> nts_context =
      nts_server ? nts_server->context() : nullptr;
  auto core = build_server_core(cfg, log, nts_context);
  if (!core) {
    log.error(core.error().message);
    return 1;
  }
  // `threads N` / --threads N: the multi-threaded fast path (fast_path.h).
  const int threads = o.threads.value_or(cfg.threads.value_or(0));
  bool want_fast_path = threads > 0;
  if (want_fast_path && !cfg.interfaces.empty()) {
    log.warning(
        "threads: not combined with interface rules yet; serving from the main thread only");
    want_fast_path = false;
  }
  ServerLoop loop(cfg, LoopSettings{o.port, o.family, want_fast_path}, **clock, **core, log);
  if (auto s = loop.open(); !s) {
    log.error(s.error().message);
    return 1;
  }
  std::unique_ptr<FastPath> fast_path;
  if (want_fast_path) {
    auto fp = FastPath::open(cfg, threads, loop.bound(), log, nts_context);
    if (!fp) {
      log.warning(fmt::format("threads {}: {}; serving from the main thread only", threads,
                              fp.error().message));
    } else {
      fast_path = std::move(*fp);
    }
  }
  // What the workers read: the server view and how our clock relates to
  // CLOCK_REALTIME (0 for the system clock), republished on every view
  // refresh and loop iteration.
  const auto publish_view = [&] {
    if (!fast_path) return;
    const bool kernel_timescale = (*clock)->name() == "system" || (*clock)->name() == "readonly";
    fast_path->publish(PublishedState{
        (*core)->view(),
        kernel_timescale ? time::NtpDuration() : (*clock)->now() - platform::read_realtime()});
  };
  publish_view();
  loop.on_view_refresh(publish_view);
  if (fast_path || nts_server) {
    loop.add_statistics_from([&](control::ServerStatistics& st) {
      if (fast_path) fast_path->add_statistics(st);
      if (nts_server) st.nts = nts_server->statistics();
    });
  }

  // The client: upstream servers, selection, discipline. Created when the
  // configuration has server/pool lines (at start or on a later reload).
  std::optional<double> drift_ppm;
  if (cfg.driftfile) {
    auto d = read_drift_file(*cfg.driftfile);
    if (!d)
      log.warning(d.error().message);
    else
      drift_ppm = *d;
  }
  platform::OsRandom random;
  // NTS associations' AEAD, made once; the handshakes run on threads
  // (nts_key_exchanges.h), so the loop never waits for TLS.
  // Only when NTS servers are configured at start: OpenSSL's library
  // context costs memory, and an NTS server added by a reload needs a
  // restart anyway (threads are allowed by the sandbox only from the start).
  std::shared_ptr<const nts::Aead> client_aead;
  if (uses_nts_client(cfg)) {
    auto aead = nts::OpenSslAead::create();
    if (!aead) {
      log.error(aead.error().message);
      return 1;
    }
    client_aead = std::move(*aead);
  }
  NtsKeyExchanges key_exchanges(cfg.nts.ca.value_or(""));
  loop.attach_key_exchanges(&key_exchanges);
  std::unique_ptr<engine::ClientEngine> client;
  Upstreams upstreams(UpstreamSettings{o.family, cfg.tos.maxclock.value_or(10), 123}, log);
  AsyncLookups lookups(random);
  const auto monotonic_s = [] { return static_cast<double>(platform::read_monotonic_ns()) * 1e-9; };
  config::TinkerConfig running_tinker;  // what the client's discipline was built with
  const std::optional<std::string> running_logfile = cfg.logfile;  // where the Logger writes
  const auto start_client = [&] {
    auto client_config = build_client_config(cfg, o, (*clock)->precision_log2(), drift_ppm);
    running_tinker = cfg.tinker;
    if (client_config.discipline_clock) {
      // A previous daemon's kernel PLL/FLL or armed leap must not act on our clock.
      if (auto st = (*clock)->clear_stale_kernel_state(); !st) log.warning(st.error().message);
    }
    // Validated with the server policy already (same key file and trustedkey).
    if (auto engine = mac_engine_for(cfg)) {
      if (auto keys = build_client_keys(cfg, *engine)) client_config.keys = *keys;
    }
    client_config.nts_aead = client_aead;
    if (drift_ppm && client_config.discipline_clock) {
      if (auto st = (*clock)->set_frequency(*drift_ppm); !st) log.warning(st.error().message);
    }
    if (cfg.leapfile)
      client_config.leap_table = load_leap_file(*cfg.leapfile, (*clock)->now(), log);
    client = std::make_unique<engine::ClientEngine>(client_config, random, monotonic_s());
    loop.attach_client(client.get());
    loop.attach_upstreams(&upstreams, &lookups);
  };
  const auto configure_upstreams = [&] {
    std::vector<engine::Action> actions;
    const auto changes =
        upstreams.configure(cfg.associations, *client, monotonic_s(), (*clock)->now(), actions);
    loop.apply(actions);
    return changes;
  };
  if (!cfg.associations.empty()) {
    start_client();
    configure_upstreams();
    log.info(fmt::format("{} upstream server line(s) configured", cfg.associations.size()));
  } else if (o.set_once_and_exit) {
    log.error("-q: no usable server in the configuration");
    return 1;
  }
  // Statistics files (loopstats, peerstats, sysstats; reconfigured on reload).
  StatsRecorder stats(cfg, **clock, log, monotonic_s());
  attach_statistics(stats, loop);
  loop.on_reload([&] {
    const platform::ReloadNotice reload_notice;  // RELOADING=1 now, READY=1 when done
    auto next = load_config(o);
    if (!next) {
      log.error(fmt::format("reload: cannot read configuration: {}; keeping the running one",
                            next.error().message));
      return;
    }
    config::Config& fresh = next->config;
    // Stricter than start-up: the running configuration is known good, so
    // any error (not only the fatal ones) keeps it.
    bool bad = false;
    for (const auto& d : fresh.diagnostics) {
      const bool error = d.severity != config::Diagnostic::Severity::kWarning;
      bad = bad || error;
      (error ? log.error(d.to_string()) : log.warning(d.to_string()));
    }
    if (bad) {
      log.error(
          fmt::format("reload of {} refused: configuration has errors; keeping the running "
                      "configuration",
                      next->source));
      return;
    }
    if (const auto nts = nts_problems(fresh); !nts.empty()) {
      for (const auto& line : nts) log.error(line);
      log.error(
          fmt::format("reload of {} refused: NTS configuration errors; keeping the running "
                      "configuration",
                      next->source));
      return;
    }
    if (fresh.nts.enable != cfg.nts.enable || fresh.nts.cert != cfg.nts.cert ||
        fresh.nts.key != cfg.nts.key || fresh.nts.port != cfg.nts.port ||
        fresh.nts.cookie != cfg.nts.cookie) {
      log.warning(
          "reload: a changed NTS server setting (nts enable/cert/key/port/cookie) takes "
          "effect at the next start");
    }
    key_exchanges.set_default_ca(fresh.nts.ca.value_or(""));
    auto policy = build_server_policy(fresh, log, nts_context);
    if (!policy) {
      log.error(fmt::format("reload of {} refused: {}; keeping the running configuration",
                            next->source, policy.error().message));
      return;
    }
    const bool keep_limiter = fresh.discard == cfg.discard && fresh.mru == cfg.mru;
    (*core)->reconfigure(std::move(*policy), keep_limiter);
    if (fast_path) {
      if (auto st = fast_path->reconfigure(fresh, keep_limiter, log); !st)
        log.error(
            fmt::format("reload: workers keep their previous policy: {}", st.error().message));
      if (o.threads.value_or(fresh.threads.value_or(0)) != threads)
        log.notice("reload: a changed `threads` takes effect at the next start");
    }
    cfg = std::move(fresh);
    stats.reconfigure(cfg);
    UpstreamChanges changes;
    if (!client && !cfg.associations.empty()) start_client();
    if (client) {
      const auto options = build_client_config(cfg, o, (*clock)->precision_log2(), drift_ppm);
      client->set_select_options(options.select);
      client->set_discipline_clock(options.discipline_clock);
      client->set_leap_table(cfg.leapfile ? load_leap_file(*cfg.leapfile, (*clock)->now(), log)
                                          : std::nullopt);
      if (auto engine = mac_engine_for(cfg)) {
        if (auto keys = build_client_keys(cfg, *engine)) client->set_keys(*keys);
      }
      upstreams.set_maxclock(cfg.tos.maxclock.value_or(10));
      changes = configure_upstreams();
    }
    if (!o.logfile && cfg.logfile != running_logfile) {  // -l overrides the file anyway
      log.warning("reload: logfile NOT applied: the log stays where it is until ntpd is restarted");
    }
    // The discipline is built once: say exactly which settings wait for a restart.
    if (client) {
      const auto unapplied = tinker_changes(running_tinker, cfg.tinker);
      std::string list;
      for (const auto& item : unapplied) list += (list.empty() ? "" : ", ") + item;
      if (!unapplied.empty()) {
        log.warning(
            fmt::format("reload: tinker {} NOT applied: the running discipline keeps its "
                        "settings until ntpd is restarted",
                        list));
      }
    }
    log.notice(fmt::format("reloaded {}: server lines {} kept, {} added, {} removed", next->source,
                           changes.kept, changes.added, changes.removed));
  });
  // Hourly only when the value changed at the file's resolution (0.001 ppm),
  // so an idle, stable daemon does not rewrite it; always at exit.
  std::optional<double> drift_written = drift_ppm;
  const auto save_drift = [&](bool at_exit) {
    if (!cfg.driftfile || !client) return;
    const auto sys = client->system(static_cast<double>(platform::read_monotonic_ns()) * 1e-9);
    // Not a frequency the clock never got (its writes are failing).
    if (!sys.discipline.synchronised || sys.clock_write_failed) return;
    const double ppm = sys.discipline.frequency_ppm;
    if (!at_exit && !drift_changed(drift_written, ppm)) return;
    if (auto st = write_drift_file(*cfg.driftfile, ppm); !st) {
      log.warning(st.error().message);
      return;
    }
    drift_written = ppm;
  };
  loop.every(3600, [&] { save_drift(false); });
  if (nts_server) loop.every(60, [&] { nts_server->maintain(); });
  // Classic ntpd re-reads the leapfile daily: a newer one may have been
  // installed, and the expiry warning repeats while it is due.
  loop.every(86400, [&] {
    if (client && cfg.leapfile)
      client->set_leap_table(load_leap_file(*cfg.leapfile, (*clock)->now(), log));
  });
  if (o.set_once_and_exit) {
    // -q: set the clock once and exit, like ntpdate: step if the discipline
    // steps, otherwise slew the measured offset (adjtime) and restore the
    // frequency to its previous value.
    loop.on_clock_update([&](const engine::Action& a) {
      if (std::holds_alternative<engine::StepClock>(a)) {
        fmt::print("ntpd: time set {:+.6f}s\n", std::get<engine::StepClock>(a).by_s);
        return true;
      }
      if (!std::holds_alternative<engine::SetFrequency>(a)) return false;
      const auto sys = client->system(static_cast<double>(platform::read_monotonic_ns()) * 1e-9);
      if (!sys.system_peer) return false;
      (void)(*clock)->set_frequency(drift_ppm.value_or(0));
      if (auto st = (*clock)->slew(time::NtpDuration::from_seconds(sys.offset_s)); !st) {
        log.error(st.error().message);
      }
      fmt::print("ntpd: time slew {:+.6f}s\n", sys.offset_s);
      return true;
    });
  }
  std::vector<std::string> written_later;
  if (cfg.driftfile) written_later.push_back(*cfg.driftfile);
  if (auto s = service.start(written_later); !s) {
    log.error(s.error().message);
    return 1;
  }
  // -u may have taken CAP_SYS_TIME away (not in the bounding set).
  if (o.user && !clock_adjustable_or_explained(o, cfg, log)) return 1;
  SignalFlags flags;
  install_signal_handlers(flags);
  ServiceStatus service_status(platform::service_notifier(), **core, [&] { return client.get(); });
  loop.on_tick([&](int64_t now_ns) {
    publish_view();
    return service_status.tick(now_ns);
  });
  // Last: after binding, the drop, daemonising, the pidfile. Threads come
  // after it (fast path workers, NTS-KE server and handshakes) and inherit it.
  const bool threads_in_sandbox =
      fast_path != nullptr || nts_server != nullptr || uses_nts_client(cfg);
  service.confine(cfg, threads_in_sandbox, nts_server != nullptr);
  key_exchanges.allow_threads(threads_in_sandbox || !o.seccomp);
  if (nts_server) {
    if (auto st = nts_server->run(); !st) {
      log.error(fmt::format("nts: {}", st.error().message));
      return 1;
    }
  }
  if (fast_path) {
    // Started after the privilege drop and seccomp, so every worker inherits
    // both (credentials and filters are copied into new threads).
    if (auto st = fast_path->start(); !st) {
      log.error(st.error().message);
      return 1;
    }
    log.info(fmt::format("fast path: {} worker thread(s) answer client requests", threads));
  }
  service.ready(service_status.initial(platform::read_monotonic_ns()));
  const int status = loop.run(flags);
  if (fast_path) fast_path->stop();
  nts_server.reset();
  save_drift(true);
  service.finish();
  return status;
}

}  // namespace meridian::daemon
