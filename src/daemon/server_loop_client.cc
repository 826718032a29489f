// ServerLoop's client side (server_loop.h): the associations' own sockets
// (RFC 9109: requests leave from, and replies count only on, a connected
// socket per association) and the client engine's timers, name lookups and
// NTS-KE handshakes.
#include <fmt/format.h>

#include "daemon/server_loop.h"

namespace meridian::daemon {

void ServerLoop::handle_reply(size_t association, const platform::Datagram& d) {
  if (client_ == nullptr) return;
  const time::NtpTime rx =
      d.kernel_rx_time ? clock_.from_kernel_realtime(*d.kernel_rx_time) : clock_.now();
  const double now_s = static_cast<double>(platform::read_monotonic_ns()) * 1e-9;
  std::vector<engine::Action> actions;
  if (client_->on_reply(association, d.from, d.data, rx, now_s, actions)) apply(actions);
}

void ServerLoop::send_request(const engine::SendRequest& send) {
  auto it = association_sockets_.find(send.association);
  if (it != association_sockets_.end() && association_peers_[send.association] != send.to) {
    // The association moved (NTS-KE port/server negotiation): a new socket,
    // connected to the new server, so only its replies get through.
    association_sockets_.erase(it);
    it = association_sockets_.end();
  }
  if (it == association_sockets_.end()) {
    auto s = platform::UdpSocket::connect(send.to);
    if (!s) {
      // E.g. no IPv6 stack, or no route: the association goes unreachable
      // (a pool then replaces it). Said once per association.
      const std::string text =
          fmt::format("cannot open a socket to {}: {}", send.to.to_string(), s.error().message);
      if (association_socket_failed_.insert(send.association).second) {
        log_.warning(text);
      } else {
        log_.debug(text);
      }
      return;
    }
    if (auto local = s->local_endpoint()) {
      log_.debug(
          fmt::format("requests to {} leave from {}", send.to.to_string(), local->to_string()));
    }
    it = association_sockets_.emplace(send.association, std::move(*s)).first;
    association_peers_[send.association] = send.to;
  }
  if (auto st = it->second.send(send.bytes); !st) {
    log_.debug(fmt::format("request to {} failed: {}", send.to.to_string(), st.error().message));
  }
}

void ServerLoop::close_unused_association_sockets() {
  std::erase_if(association_sockets_, [&](const auto& entry) {
    return client_ == nullptr || !client_->has_server(entry.first);
  });
  std::erase_if(association_socket_failed_,
                [&](size_t id) { return client_ == nullptr || !client_->has_server(id); });
  std::erase_if(association_peers_, [&](const auto& entry) {
    return client_ == nullptr || !client_->has_server(entry.first);
  });
}

// Names to resolve, answers to use, pool members to replace.
void ServerLoop::run_upstreams(double now_s) {
  if (upstreams_ == nullptr || lookups_ == nullptr) return;
  for (const auto& lookup : upstreams_->take_lookups(now_s)) lookups_->request(lookup, now_s);
  if (now_s >= lookups_->next_deadline_s()) lookups_->on_ready(now_s);
  for (const auto& [token, answer] : lookups_->take_answers()) {
    upstreams_->on_resolved(token, answer, *client_, now_s);
  }
  if (now_s >= next_upkeep_s_) {
    next_upkeep_s_ = now_s + 1;
    std::vector<engine::Action> actions;
    upstreams_->maintain(*client_, now_s, clock_.now(), actions);
    apply(actions);
  }
}

void ServerLoop::run_key_exchanges(double now_s) {
  if (key_exchanges_ == nullptr) return;
  std::vector<engine::Action> actions;
  for (auto& [association, result] : key_exchanges_->take_finished())
    client_->on_key_exchange(association, result, now_s, actions);
  if (!actions.empty()) apply(actions);
}

void ServerLoop::run_client(double now_s) {
  if (now_s < client_->next_wakeup_s()) return;
  std::vector<engine::Action> actions;
  client_->on_timer(now_s, clock_.now(), actions);
  apply(actions);
}

}  // namespace meridian::daemon
