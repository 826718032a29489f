#include "daemon/upstreams.h"

#include <fmt/format.h>

#include <algorithm>

namespace meridian::daemon {

namespace {

constexpr double kMaxRetry_s = 3600;         // failed lookups: back off up to an hour
constexpr double kPoolRefill_s = 60;         // a pool short of members asks again this often
constexpr double kFalsetickerGrace_s = 900;  // a pool member may be 'x' this long
constexpr int kUnreachablePolls = 8;         // …or unanswered for this many polls

source::AssociationOptions association_options(const config::AssociationConfig& a,
                                               const net::IpAddress& address,
                                               uint16_t default_port) {
  source::AssociationOptions o;
  o.endpoint = net::Endpoint{address, a.port.value_or(default_port)};
  o.name = a.host;
  o.iburst = a.iburst;
  o.burst = a.burst;
  o.prefer = a.prefer;
  o.noselect = a.noselect;
  o.true_ticker = a.true_ticker;
  o.from_pool = a.kind == config::AssociationKind::kPool;
  o.minpoll = std::clamp(a.minpoll.value_or(source::kDefaultMinPoll), 3, 17);
  o.maxpoll = std::clamp(a.maxpoll.value_or(source::kDefaultMaxPoll), o.minpoll, 17);
  o.version = static_cast<uint8_t>(std::clamp(a.version.value_or(4), 1, 4));
  o.key_id = a.key;
  o.nts = a.nts;
  o.nts_port = a.nts_port.value_or(4460);
  o.nts_ca = a.nts_ca.value_or("");
  return o;
}

}  // namespace

bool same_association_line(const config::AssociationConfig& a, const config::AssociationConfig& b) {
  return a.kind == b.kind && a.host == b.host && a.family == b.family && a.port == b.port &&
         a.iburst == b.iburst && a.burst == b.burst && a.prefer == b.prefer &&
         a.noselect == b.noselect && a.true_ticker == b.true_ticker && a.nts == b.nts &&
         a.nts_port == b.nts_port && a.nts_ca == b.nts_ca && a.minpoll == b.minpoll &&
         a.maxpoll == b.maxpoll && a.key == b.key && a.version == b.version;
}

UpstreamChanges Upstreams::configure(const std::vector<config::AssociationConfig>& lines,
                                     engine::ClientEngine& engine, double now_s,
                                     time::NtpTime clock_now, std::vector<engine::Action>& out) {
  UpstreamChanges changes;
  std::vector<Line> next;
  std::vector<bool> taken(lines_.size(), false);
  for (const auto& c : lines) {
    if (c.kind == config::AssociationKind::kPeer) {
      log_.warning(fmt::format("{}:{}: symmetric peers are not supported yet; using {} as a server",
                               c.where.file, c.where.line, c.host));
    }
    bool kept = false;
    for (size_t i = 0; i < lines_.size() && !kept; ++i) {
      if (taken[i] || !same_association_line(lines_[i].config, c)) continue;
      taken[i] = true;
      kept = true;
      next.push_back(std::move(lines_[i]));
      next.back().config.where = c.where;
      ++changes.kept;
    }
    if (kept) continue;
    Line line;
    line.config = c;
    next.push_back(std::move(line));
    ++changes.added;
  }
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (taken[i]) continue;
    ++changes.removed;
    for (size_t id : lines_[i].ids) engine.remove_server(id, now_s, clock_now, out);
  }
  lines_ = std::move(next);
  for (auto& l : lines_) {
    if (l.ids.empty() && !l.pending_token && !l.wants_lookup) start(l, engine, now_s);
  }
  return changes;
}

// A new line: a literal becomes an association now; a name waits for DNS.
void Upstreams::start(Line& line, engine::ClientEngine& engine, double now_s) {
  if (auto literal = net::IpAddress::parse(line.config.host)) {
    const auto family = line.config.family ? line.config.family : settings_.family;
    if (family && literal->family() != *family) {
      log_.error(fmt::format("{}:{}: {} is not an {} address; ignored", line.config.where.file,
                             line.config.where.line, line.config.host,
                             *family == net::Family::kIPv4 ? "IPv4" : "IPv6"));
      return;
    }
    add(line, *literal, engine, now_s);
    return;
  }
  line.wants_lookup = true;
  line.next_lookup_s = now_s;
}

bool Upstreams::add(Line& line, const net::IpAddress& address, engine::ClientEngine& engine,
                    double now_s) {
  const auto options = association_options(line.config, address, settings_.default_port);
  const auto id = engine.add_server(options, now_s);
  if (!id) {
    // A pool's own live member is the normal case (DNS returns it again).
    if (!is_pool(line)) {
      log_.warning(fmt::format("{}:{}: {} is already an association; ignored",
                               line.config.where.file, line.config.where.line,
                               options.endpoint.to_string()));
    }
    return false;
  }
  line.ids.push_back(*id);
  return true;
}

std::vector<Lookup> Upstreams::take_lookups(double now_s) {
  std::vector<Lookup> out;
  for (auto& l : lines_) {
    if (!l.wants_lookup || l.pending_token || now_s < l.next_lookup_s) continue;
    l.pending_token = next_token_++;
    l.wants_lookup = false;
    out.push_back(Lookup{*l.pending_token, l.config.host,
                         l.config.family ? l.config.family : settings_.family});
  }
  return out;
}

double Upstreams::next_lookup_s() const {
  double next = 1e300;
  for (const auto& l : lines_) {
    if (l.wants_lookup && !l.pending_token) next = std::min(next, l.next_lookup_s);
  }
  return next;
}

size_t Upstreams::unresolved() const {
  return static_cast<size_t>(std::count_if(lines_.begin(), lines_.end(), [](const Line& l) {
    return l.ids.empty() && (l.wants_lookup || l.pending_token);
  }));
}

int Upstreams::pool_members() const {
  int n = 0;
  for (const auto& l : lines_) {
    if (is_pool(l)) n += static_cast<int>(l.ids.size());
  }
  return n;
}

void Upstreams::on_resolved(uint64_t token, const Result<std::vector<net::IpAddress>>& answer,
                            engine::ClientEngine& engine, double now_s) {
  auto it = std::find_if(lines_.begin(), lines_.end(),
                         [&](const Line& l) { return l.pending_token == token; });
  if (it == lines_.end()) return;  // the line went away on a reload meanwhile
  Line& line = *it;
  line.pending_token.reset();
  const auto& where = line.config.where;
  if (!answer || answer->empty()) {
    log_.error(fmt::format("{}:{}: cannot resolve {}: {}; retrying in {:.0f} s", where.file,
                           where.line, line.config.host,
                           answer ? std::string("no address") : answer.error().message,
                           line.retry_s));
    line.wants_lookup = true;
    line.next_lookup_s = now_s + line.retry_s;
    line.retry_s = std::min(line.retry_s * 2, kMaxRetry_s);
    return;
  }
  line.retry_s = 60;
  if (!is_pool(line)) {
    // A `server` name uses its first address (classic).
    add(line, answer->front(), engine, now_s);
    log_.info(fmt::format("{} resolved to {}", line.config.host, answer->front().to_string()));
    return;
  }
  int added = 0;
  for (const auto& a : *answer) {
    if (pool_members() >= settings_.maxclock) break;
    // Members replaced recently stay out while there are others.
    if (std::find(line.dropped.begin(), line.dropped.end(), a) != line.dropped.end()) continue;
    // Live members (of any line) are refused by add(): one address, one association.
    if (add(line, a, engine, now_s)) ++added;
  }
  if (added > 0 || line.ids.empty()) {
    log_.info(fmt::format("pool {}: {} new server(s), {} in all", line.config.host, added,
                          line.ids.size()));
  }
  if (pool_members() < settings_.maxclock) {
    // DNS rotates pool answers: ask again later for the rest, less and less
    // often while the answers bring nothing new (a pool name with fewer
    // addresses than maxclock is asked ~7 times in its first hour, then hourly).
    line.refill_s = added > 0 ? kPoolRefill_s : std::min(line.refill_s * 2, kMaxRetry_s);
    line.wants_lookup = true;
    line.next_lookup_s = now_s + line.refill_s;
    // Only replaced members came back: they may return next time round.
    if (added == 0) line.dropped.clear();
  }
}

void Upstreams::maintain(engine::ClientEngine& engine, double now_s, time::NtpTime clock_now,
                         std::vector<engine::Action>& out) {
  bool any_pool = false;
  for (const auto& l : lines_) any_pool = any_pool || is_pool(l);
  if (!any_pool) return;
  const auto peers = engine.peers(now_s);
  for (auto& line : lines_) {
    if (!is_pool(line)) continue;
    bool replaced = false;
    for (size_t k = 0; k < line.ids.size();) {
      const size_t id = line.ids[k];
      const auto p = std::find_if(peers.begin(), peers.end(),
                                  [&](const engine::PeerView& v) { return v.id == id; });
      bool drop = p == peers.end();
      std::string why;
      if (!drop && (p->state.stopped || p->state.unreach >= kUnreachablePolls)) {
        drop = true;
        why = p->state.stopped ? "refused us (kiss-o'-death)" : "unreachable";
      }
      if (!drop && p->tally == select::Tally::kFalseticker) {
        auto s = std::find_if(suspect_since_.begin(), suspect_since_.end(),
                              [&](const auto& e) { return e.first == id; });
        if (s == suspect_since_.end()) {
          suspect_since_.emplace_back(id, now_s);
        } else if (now_s - s->second > kFalsetickerGrace_s) {
          drop = true;
          why = "a falseticker";
        }
      } else {
        std::erase_if(suspect_since_, [&](const auto& e) { return e.first == id; });
      }
      if (!drop) {
        ++k;
        continue;
      }
      if (p != peers.end()) {
        log_.notice(fmt::format("pool {}: replacing {}, {}", line.config.host,
                                p->options.endpoint.address.to_string(), why));
      }
      if (p != peers.end()) line.dropped.push_back(p->options.endpoint.address);
      engine.remove_server(id, now_s, clock_now, out);
      std::erase_if(suspect_since_, [&](const auto& e) { return e.first == id; });
      line.ids.erase(line.ids.begin() + static_cast<long>(k));
      replaced = true;
    }
    if (replaced) {
      // A replacement is wanted now, not after the refill back-off.
      line.refill_s = kPoolRefill_s;
      if (!line.pending_token) {
        line.wants_lookup = true;
        line.next_lookup_s = now_s;
      }
    } else if (pool_members() < settings_.maxclock && !line.pending_token && !line.wants_lookup) {
      line.wants_lookup = true;
      line.next_lookup_s = now_s;
    }
  }
}

}  // namespace meridian::daemon
