// The client half of the engine (DESIGN.md §7): associations, selection and
// the clock discipline, driven by events (a timer, a received reply) and
// answering with actions (send this request, step/steer the clock, log).
// Pure: the caller supplies monotonic time and clock readings, and carries
// out the actions. The same engine runs in ntpd, in tests and in the simulator.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/auth/client_auth.h"
#include "core/discipline/discipline.h"
#include "core/engine/nts_source.h"
#include "core/leap/leap_control.h"
#include "core/leap/leap_table.h"
#include "core/net/address.h"
#include "core/random.h"
#include "core/result.h"
#include "core/select/selection.h"
#include "core/server/server_view.h"
#include "core/source/association.h"

namespace meridian::engine {

struct ClientConfig {
  std::vector<source::AssociationOptions> servers;
  select::SelectOptions select;
  discipline::DisciplineOptions discipline;
  bool discipline_clock = true;         // `disable ntp` turns this off: measure, never correct
  bool use_rfc5905_discipline = false;  // the classic baseline (simulator comparisons)
  int8_t precision = -20;               // our clock's precision, log2 s
  // Leap seconds (core/leap/leap_control.h): the `leapfile` table, if any,
  // and whether the clock applies an armed leap itself (kernel, virtual
  // clock) or the engine must step it.
  std::optional<leap::LeapTable> leap_table;
  bool clock_applies_leap = true;
  // Keys for `server ... key N` associations (auth/client_auth.h). Without
  // them a keyed association sends nothing: it cannot sign its requests.
  auth::ClientKeys keys;
  // The AEAD for `server HOST nts` associations (nts/aead.h). Without it an
  // NTS association sends nothing.
  std::shared_ptr<const nts::Aead> nts_aead;
};

// Actions out.
struct SendRequest {
  size_t association = 0;
  net::Endpoint to;
  std::vector<std::byte> bytes;
};
struct StepClock {
  double by_s = 0;           // positive = forward
  bool leap_second = false;  // the leap itself (clock_applies_leap = false), not a correction
};
// Arm the clock for a leap at the end of the current UTC day (kernel
// STA_INS/STA_DEL), or disarm it (kNone).
struct ArmLeap {
  leap::LeapKind kind = leap::LeapKind::kNone;
};
struct SetFrequency {
  double ppm = 0;  // absolute frequency correction (positive = faster)
};
struct LogEvent {
  enum class Level { kError, kWarning, kNotice, kInfo } level = Level::kInfo;
  std::string text;
};
struct Panic {
  double offset_s = 0;  // the offset that exceeded the panic threshold
};
// Run NTS-KE (RFC 8915 §4) for an NTS association: TLS to `name` (the
// certificate must match it) at `address`:`port`; report the outcome with
// ClientEngine::on_key_exchange(). `allow_loose`: the engine has not
// synchronised yet, so a certificate whose only fault is its validity period
// may be accepted (the result says so; see nts_source.h).
struct KeyExchange {
  size_t association = 0;
  std::string name;
  net::IpAddress address;
  uint16_t port = 4460;
  std::string ca_file;  // empty: `nts ca` or the system store
  bool allow_loose = false;
  int64_t now_unix_s = 0;  // our clock: certificate validity is checked against it
};
using Action =
    std::variant<SendRequest, StepClock, SetFrequency, LogEvent, Panic, ArmLeap, KeyExchange>;

// One association as ntpq -p / mode 6 see it.
struct PeerView {
  size_t id = 0;
  source::AssociationOptions options;
  source::AssociationView state;
  select::Tally tally = select::Tally::kReject;
  // The clock filter's stages, newest first (mode 6 filtdelay/filtoffset/filtdisp).
  std::array<std::optional<source::FilterSample>, source::kFilterStages> filter_stages{};
  // Keyed associations only (`key N`): counters and the latest verdict.
  std::optional<auth::ClientAuthView> auth;
  // NTS associations only.
  std::optional<NtsView> nts;
};

// The system variables (RFC 5905 §11): what ntpstat and clients read.
struct SystemView {
  server::ServerView server;          // leap, stratum, refid, root delay/dispersion, reftime
  std::optional<size_t> system_peer;  // association id
  double offset_s = 0;                // last combined offset
  double system_jitter_s = 0;
  discipline::DisciplineState discipline;
  int poll_log2 = 6;
  leap::LeapStatus leap;                      // at the last clock reading
  std::optional<leap::LeapTable> leap_table;  // the leapfile in use (mode 6 tai/leapsec/expire)
  int64_t clock_ntp_s = 0;                    // that clock reading, whole NTP seconds
  // The last clock write failed (on_clock_write): the discipline's state
  // describes corrections the clock never got.
  bool clock_write_failed = false;
};

class ClientEngine {
 public:
  ClientEngine(ClientConfig config, RandomSource& random, double now_s);
  ~ClientEngine();

  // The monotonic time at which on_timer wants to run next.
  double next_wakeup_s() const;
  // Due polls and discipline ticks. `clock_now` is the disciplined clock read
  // just now (T1 of any request sent).
  void on_timer(double now_s, time::NtpTime clock_now, std::vector<Action>& out);
  // A datagram from `from`; `rx` its receive time on the disciplined clock.
  // Returns false if it belongs to no association (the server may want it).
  bool on_packet(const net::Endpoint& from, std::span<const std::byte> bytes, time::NtpTime rx,
                 double now_s, std::vector<Action>& out);
  // A datagram that arrived on association `association`'s own (connected)
  // socket, the daemon's path (RFC 9109: a reply counts only there). Returns
  // false, and changes nothing, if that association is gone or `from` is
  // not its server's address and port.
  bool on_reply(size_t association, const net::Endpoint& from, std::span<const std::byte> bytes,
                time::NtpTime rx, double now_s, std::vector<Action>& out);
  // The outcome of a clock write the engine asked for (StepClock,
  // SetFrequency), reported by whoever carried it out. After a failure the
  // clock is not where the engine believes it is: system() is unsynchronised
  // (LI=3, stratum 16, no system peer) until a later write succeeds. Logs
  // once per change of state.
  void on_clock_write(const Status& result, std::vector<Action>& out);
  // Adds an association (e.g. a resolved pool address). Returns its id, or
  // nothing if a live association already has that endpoint (address and
  // port): one server, one association, whichever lines name it.
  std::optional<size_t> add_server(const source::AssociationOptions& options, double now_s);
  // Demobilises an association (its `server` line went away on reload, or a
  // pool member is being replaced). Ids are never reused: ntpq's association
  // ids stay stable. If it was the system peer, selection runs again.
  void remove_server(size_t id, double now_s, time::NtpTime clock_now, std::vector<Action>& out);
  bool has_server(size_t id) const;
  size_t live_count() const;
  // Settings a validated reload may change without disturbing any state.
  void set_select_options(const select::SelectOptions& o) { config_.select = o; }
  void set_discipline_clock(bool on) { config_.discipline_clock = on; }
  // Our own addresses (the daemon rescans them). A server whose refid is one
  // of them is synchronised to us: selecting it would close a timing loop,
  // so it is not selectable (logged once per change). Loopback addresses are
  // left out: 127.0.0.1 is also the refid of any orphan-mode server.
  void set_own_addresses(std::span<const net::IpAddress> addresses);
  // A (re)loaded leapfile, or none; takes effect at the next tick.
  void set_leap_table(std::optional<leap::LeapTable> table);
  // The outcome of the KeyExchange the engine asked for. A success installs
  // keys and cookies (requests go out from the next on_timer); a failure
  // backs off. Ignored for an association that is gone.
  void on_key_exchange(size_t association, const Result<KeyExchangeResult>& result, double now_s,
                       std::vector<Action>& out);
  // A reloaded key file / `trustedkey` list: used from the next request and reply on.
  void set_keys(auth::ClientKeys keys) { config_.keys = std::move(keys); }
  const ClientConfig& config() const { return config_; }

  SystemView system(double now_s) const;
  // The leap indicator we serve now (cheap; the simulator samples it).
  wire::LeapIndicator served_leap() const { return system_.server.leap; }
  std::vector<PeerView> peers(double now_s) const;

 private:
  void reselect(double now_s, time::NtpTime clock_now, std::vector<Action>& out);
  void apply(const discipline::ClockAdjustment& adj, std::vector<Action>& out);
  // Servers whose vote start-up waits for: answered once, or still young.
  size_t expected_voters(double now_s) const;
  // Leap seconds: the survivors' vote after a selection, the per-tick
  // decision (arm, disarm, apply) and the LI we serve.
  void update_leap_vote(const std::vector<select::Candidate>& candidates,
                        const select::Selection& sel, double now_s);
  void leap_tick(double now_s, time::NtpTime clock_now, std::vector<Action>& out);
  // Keyed associations: sign a request / vet a reply (auth/client_auth.h).
  // False: send nothing / the reply is no sample.
  bool sign_request(size_t id, std::vector<std::byte>& bytes, std::vector<Action>& out);
  bool reply_authentic(size_t id, std::span<const std::byte> bytes, std::vector<Action>& out);
  // NTS associations: wrap a request / vet a reply (nts_source.h). False:
  // send nothing / the reply is no sample.
  bool nts_request(size_t id, std::vector<std::byte>& bytes, std::vector<Action>& out);
  bool nts_reply_authentic(size_t id, std::span<const std::byte> bytes, std::vector<Action>& out);
  // NTS associations waiting for keys: start due handshakes. True while the
  // association has no keys (it must not poll).
  void follow_negotiation(size_t association, const KeyExchangeResult& result,
                          std::vector<Action>& out);
  bool nts_wait_for_keys(size_t id, double now_s, time::NtpTime clock_now,
                         std::vector<Action>& out);

  ClientConfig config_;
  RandomSource& random_;
  std::vector<std::unique_ptr<source::Association>> associations_;
  std::vector<select::Tally> tally_;
  std::vector<bool> in_loop_;         // per association: its refid is one of ours
  std::vector<uint32_t> own_refids_;  // refid_for() of each non-loopback own address
  std::vector<std::optional<auth::ClientAuthState>> auth_;  // per association; keyed ones only
  std::vector<std::unique_ptr<NtsSource>> nts_;             // per association; NTS ones only
  std::vector<std::optional<nts::ReplyVerdict>> nts_last_;  // last verdict logged, per association
  std::vector<size_t>
      nts_unavailable_;  // NTS associations without an AEAD: logged once, then dropped
  std::unique_ptr<discipline::Discipline> discipline_;
  std::optional<size_t> system_peer_;
  SystemView system_;
  double next_tick_s_ = 0;
  double last_update_s_ = -1;
  bool ever_synchronised_ = false;
  leap::LeapControl leap_;
  int64_t clock_ntp_s_ = 0;                       // the last clock reading, whole NTP seconds
  std::optional<std::string> clock_write_error_;  // the last clock write failed (why)
};

// The classic refid of an upstream server: its IPv4 address, or for IPv6 the
// first four bytes of the MD5 of the address (RFC 5905 §7.3) — here a
// stable non-cryptographic hash, documented as such.
uint32_t refid_for(const net::IpAddress& address);

}  // namespace meridian::engine
