// ClientEngine's NTS half (RFC 8915): handshakes asked of the daemon, NTS
// requests, and the check every reply of an NTS association must pass before
// it is anything else (no silent downgrade: an unauthenticated reply, a NAK
// or a forged one is never a sample).
#include <fmt/format.h>

#include <algorithm>

#include "core/engine/client_engine.h"
#include "core/wire/ntp_packet.h"

namespace meridian::engine {

namespace {

using LogLevel = LogEvent::Level;

void log(std::vector<Action>& out, LogLevel level, std::string text) {
  out.push_back(LogEvent{level, std::move(text)});
}

}  // namespace

bool ClientEngine::nts_wait_for_keys(size_t id, double now_s, time::NtpTime clock_now,
                                     std::vector<Action>& out) {
  if (!nts_[id]) {
    // No AEAD (NTS was not configured when ntpd started): never send.
    const auto it = std::find(nts_unavailable_.begin(), nts_unavailable_.end(), id);
    if (it != nts_unavailable_.end()) {
      nts_unavailable_.erase(it);
      log(out, LogLevel::kError,
          fmt::format("NTS is not available for {} in this process (NTS was not configured "
                      "when ntpd started); nothing is sent to it until ntpd is restarted",
                      associations_[id]->options().name));
    }
    return true;
  }
  NtsSource& nts = *nts_[id];
  if (!nts.needs_key_exchange()) return false;
  if (nts.key_exchange_due(now_s)) {
    const auto& o = associations_[id]->options();
    nts.key_exchange_started();
    // NTP seconds → Unix seconds (1900 → 1970: 2 208 988 800 s, RFC 5905 §6).
    constexpr int64_t kNtpToUnix_s = 2208988800;
    out.push_back(KeyExchange{id, o.name, o.endpoint.address, o.nts_port, o.nts_ca,
                              !ever_synchronised_, clock_now.seconds_since_1900() - kNtpToUnix_s});
  }
  return true;
}

void ClientEngine::on_key_exchange(size_t association, const Result<KeyExchangeResult>& result,
                                   double now_s, std::vector<Action>& out) {
  if (!has_server(association) || !nts_[association]) return;
  const std::string& name = associations_[association]->options().name;
  std::string line = nts_[association]->on_key_exchange(result, now_s, name);
  log(out, result ? LogLevel::kNotice : LogLevel::kWarning, std::move(line));
  if (result && (result->server || result->port)) follow_negotiation(association, *result, out);
  nts_last_[association].reset();
}

void ClientEngine::follow_negotiation(size_t association, const KeyExchangeResult& result,
                                      std::vector<Action>& out) {
  // RFC 8915 §4.1.7–8: the NTS-KE server names the NTP server and port to
  // use. The port is followed. Another server is said, not followed: the
  // association's address is also where the next handshake goes (and a name
  // would need a lookup first); the same server, by name or address, is fine.
  source::Association& a = *associations_[association];
  const std::string& name = a.options().name;
  net::Endpoint next = a.options().endpoint;
  if (result.port) next.port = *result.port;
  if (result.server && *result.server != name) {
    const auto literal = net::IpAddress::parse(*result.server);
    if (!literal || *literal != next.address) {
      log(out, LogLevel::kWarning,
          fmt::format("NTS-KE with {}: it names the NTP server {}; Meridian polls the NTS-KE "
                      "server's address {} (server negotiation is not followed)",
                      name, *result.server, next.address.to_string()));
    }
  }
  if (next == a.options().endpoint) return;
  for (size_t i = 0; i < associations_.size(); ++i) {
    if (i != association && associations_[i] && associations_[i]->options().endpoint == next) {
      log(out, LogLevel::kWarning,
          fmt::format("NTS-KE with {}: the NTP server it names ({}) is already another "
                      "association; keeping {}",
                      name, next.to_string(), a.options().endpoint.to_string()));
      return;
    }
  }
  log(out, LogLevel::kNotice,
      fmt::format("NTS-KE with {}: NTP requests go to {} (server/port negotiation)", name,
                  next.to_string()));
  a.set_endpoint(next);
}

bool ClientEngine::nts_request(size_t id, std::vector<std::byte>& bytes, std::vector<Action>& out) {
  if (bytes.size() < wire::kHeaderSize) return false;
  auto wrapped =
      nts_[id]->request(std::span<const std::byte>(bytes).first<wire::kHeaderSize>(), random_);
  if (!wrapped) {
    log(out, LogLevel::kWarning,
        fmt::format("NTS: no request to {}: {}", associations_[id]->options().name,
                    wrapped.error().message));
    return false;
  }
  bytes = std::move(*wrapped);
  return true;
}

bool ClientEngine::nts_reply_authentic(size_t id, std::span<const std::byte> bytes,
                                       std::vector<Action>& out) {
  NtsSource& nts = *nts_[id];
  const nts::ReplyVerdict v = nts.on_reply(bytes);
  if (v == nts::ReplyVerdict::kOk) {
    if (nts_last_[id] && *nts_last_[id] != nts::ReplyVerdict::kOk) {
      log(out, LogLevel::kNotice,
          fmt::format("NTS: {} answers authentically again", associations_[id]->options().name));
    }
    nts_last_[id] = v;
    return true;
  }
  // Logged once per change of verdict, never once per packet.
  if (nts_last_[id] != v) {
    nts_last_[id] = v;
    const std::string& name = associations_[id]->options().name;
    log(out, v == nts::ReplyVerdict::kNak ? LogLevel::kNotice : LogLevel::kWarning,
        v == nts::ReplyVerdict::kNak
            ? fmt::format("NTS: {} sent an NTS NAK (it no longer knows our cookies); new key "
                          "exchange",
                          name)
            : fmt::format("NTS: reply from {} dropped: {} ({})", name, nts::verdict_name(v),
                          nts.last_detail()));
  }
  return false;
}

}  // namespace meridian::engine
