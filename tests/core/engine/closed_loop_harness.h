// Shared by the client-engine tests that run a ClientEngine in closed loop
// with the real server pipeline (ServerCore) on simulated time: the clock,
// the timer loop and the views; each test's harness decides what happens to
// the actions (handle) — what the server answers and how the network mangles it.
#pragma once

#include <algorithm>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/client_engine.h"

namespace meridian::engine::testing {

inline const time::NtpTime kEpoch = time::NtpTime::from_unix({1'800'000'000, 0});
inline const net::Endpoint kServer{net::IpAddress::v4({192, 0, 2, 1}), 123};
inline const net::Endpoint kClient{net::IpAddress::v4({192, 0, 2, 100}), 123};

class ClosedLoop {
 public:
  explicit ClosedLoop(uint64_t seed) : random_(seed) {}
  virtual ~ClosedLoop() = default;

  time::NtpTime now() const { return kEpoch + time::NtpDuration::from_seconds(now_s_); }
  // Runs the engine's timers up to `until_s`, handling every action.
  void run(double until_s) {
    while (now_s_ < until_s) {
      now_s_ = std::min(engine_->next_wakeup_s(), until_s);
      std::vector<Action> out;
      engine_->on_timer(now_s_, now(), out);
      handle(out);
    }
  }
  ClientEngine& engine() { return *engine_; }
  PeerView peer() { return engine_->peers(now_s_).at(0); }
  bool synchronised() { return engine_->system(now_s_).system_peer.has_value(); }
  int log_count(std::string_view needle) const {
    return static_cast<int>(std::count_if(logs.begin(), logs.end(), [&](const std::string& l) {
      return l.find(needle) != std::string::npos;
    }));
  }

  std::vector<std::string> logs;

 protected:
  // Carries out `out` (it may grow: follow-up actions are appended).
  virtual void handle(std::vector<Action>& out) = 0;
  void start(const ClientConfig& config) {
    engine_ = std::make_unique<ClientEngine>(config, random_, 0.0);
  }
  // The server's reply reaches the engine 2 ms later; what it asks for is appended.
  void deliver(std::span<const std::byte> reply, std::vector<Action>& out) {
    now_s_ += 0.002;
    std::vector<Action> more;
    engine_->on_packet(kServer, reply, now(), now_s_, more);
    out.insert(out.end(), more.begin(), more.end());
  }

  SeededRandom random_;
  std::unique_ptr<ClientEngine> engine_;
  double now_s_ = 0;
};

}  // namespace meridian::engine::testing
