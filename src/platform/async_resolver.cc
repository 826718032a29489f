#include "platform/async_resolver.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

#include "core/dns/hosts_file.h"
#include "core/dns/message.h"
#include "core/dns/name.h"
#include "platform/disk_file_source.h"

namespace meridian::platform {

namespace {

// Replies to our queries fit in 512 octets (no EDNS); a little room for
// servers that ignore that, and anything larger is dropped unread.
constexpr size_t kMaxReply = 4096;
// Datagrams read from one socket per on_ready: a flood of spoofed replies
// cannot hold the loop.
constexpr int kMaxDatagramsPerReady = 8;
constexpr int64_t kNsPerSecond = 1'000'000'000;

// Which failure says most about a query that got no usable answer: a reply
// (even SERVFAIL) beats silence, silence beats not being able to send.
int query_failure_rank(ResolveStatus s) {
  switch (s) {
    case ResolveStatus::kServerFailure:
      return 3;
    case ResolveStatus::kTimeout:
      return 2;
    case ResolveStatus::kNoNameservers:
      return 1;
    default:
      return 0;
  }
}

// Which outcome of a name in the search list to report when no name had
// addresses: a transient failure first (the caller should try again later),
// then "exists without addresses", then "does not exist".
int lookup_failure_rank(ResolveStatus s) {
  if (s == ResolveStatus::kNxDomain) return 1;
  if (s == ResolveStatus::kNoAddresses) return 2;
  return 2 + query_failure_rank(s);
}

std::string rcode_name(uint8_t rcode) {
  switch (static_cast<dns::Rcode>(rcode)) {
    case dns::Rcode::kFormErr:
      return "FORMERR";
    case dns::Rcode::kServFail:
      return "SERVFAIL";
    case dns::Rcode::kNotImp:
      return "NOTIMP";
    case dns::Rcode::kRefused:
      return "REFUSED";
    default:
      return fmt::format("RCODE {}", rcode);
  }
}

std::string_view strip_brackets(std::string_view name) {
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    return name.substr(1, name.size() - 2);
  }
  return name;
}

}  // namespace

std::string_view describe(ResolveStatus status) {
  switch (status) {
    case ResolveStatus::kOk:
      return "resolved";
    case ResolveStatus::kNxDomain:
      return "name does not exist (NXDOMAIN)";
    case ResolveStatus::kNoAddresses:
      return "no address records (NODATA)";
    case ResolveStatus::kServerFailure:
      return "nameserver failure";
    case ResolveStatus::kTimeout:
      return "no nameserver answered (timeout)";
    case ResolveStatus::kNoNameservers:
      return "no nameserver reachable";
    case ResolveStatus::kInvalidName:
      return "not a valid host name";
    case ResolveStatus::kFamilyExcluded:
      return "address family excluded by -4/-6";
    case ResolveStatus::kTooManyRequests:
      return "too many lookups in progress";
  }
  return "unknown";
}

AsyncResolver::AsyncResolver(AsyncResolverOptions options, RandomSource& random)
    : options_(std::move(options)), random_(random) {
  options_.max_queries_in_flight = std::max<size_t>(1, options_.max_queries_in_flight);
}

ResolveRequestId AsyncResolver::immediate(std::string_view name, ResolveStatus status,
                                          ResolveSource source,
                                          std::vector<net::IpAddress> addresses,
                                          std::string detail) {
  Resolution r;
  r.id = next_id_++;
  r.name = std::string(name);
  r.status = status;
  r.source = source;
  r.addresses = std::move(addresses);
  r.detail = std::move(detail);
  results_.push_back(std::move(r));
  return results_.back().id;
}

ResolveRequestId AsyncResolver::request(std::string_view name, std::optional<net::Family> only,
                                        int64_t now_ns) {
  // Literals need no resolver at all.
  if (auto literal = net::IpAddress::parse(strip_brackets(name))) {
    if (only && literal->family() != *only) {
      return immediate(name, ResolveStatus::kFamilyExcluded, ResolveSource::kLiteral, {},
                       fmt::format("{}: {}", name, describe(ResolveStatus::kFamilyExcluded)));
    }
    return immediate(name, ResolveStatus::kOk, ResolveSource::kLiteral, {*literal},
                     fmt::format("{}: address literal", name));
  }
  auto canonical = dns::canonical_host_name(name);
  if (!canonical) {
    return immediate(name, ResolveStatus::kInvalidName, ResolveSource::kDns, {},
                     canonical.error().message);
  }
  if (lookups_.size() >= options_.max_pending_requests) {
    return immediate(name, ResolveStatus::kTooManyRequests, ResolveSource::kDns, {},
                     fmt::format("{}: {}", name, describe(ResolveStatus::kTooManyRequests)));
  }
  // hosts(5) first ("hosts: files dns"); a missing or unreadable file lists nothing.
  DiskFileSource files;
  if (auto text = files.read(options_.hosts_path)) {
    auto addresses = dns::HostsTable::parse(*text).lookup(*canonical, only);
    if (!addresses.empty()) {
      std::string detail =
          fmt::format("{}: {} address(es) from {}", name, addresses.size(), options_.hosts_path);
      return immediate(name, ResolveStatus::kOk, ResolveSource::kHostsFile, std::move(addresses),
                       std::move(detail));
    }
  }
  Lookup lookup;
  lookup.id = next_id_++;
  lookup.name = std::string(name);
  if (only) {
    lookup.families = {*only};
  } else {
    lookup.families = {net::Family::kIPv4, net::Family::kIPv6};
  }
  // A missing resolv.conf means defaults: the nameserver on this machine.
  auto conf = files.read(options_.resolv_conf_path);
  lookup.config = dns::parse_resolv_conf(conf ? std::string_view(*conf) : std::string_view());
  lookup.names = dns::search_names(name, lookup.config);
  const ResolveRequestId id = lookup.id;
  if (lookup.names.empty()) {  // cannot happen for a canonical name; never index an empty list
    results_.push_back(Resolution{id,
                                  lookup.name,
                                  ResolveStatus::kInvalidName,
                                  ResolveSource::kDns,
                                  {},
                                  std::nullopt,
                                  lookup.name});
    return id;
  }
  auto& stored = lookups_.emplace(id, std::move(lookup)).first->second;
  start_name(stored, now_ns);
  return id;
}

void AsyncResolver::start_name(Lookup& lookup, int64_t now_ns) {
  lookup.outcomes.assign(lookup.families.size(), Outcome{});
  lookup.queries_pending = lookup.families.size();
  // Copies: a query can fail synchronously and complete (erase) the lookup.
  const ResolveRequestId id = lookup.id;
  const std::string qname = lookup.names[lookup.name_index];
  const std::vector<net::Family> families = lookup.families;
  for (net::Family family : families) {
    if (lookups_.find(id) == lookups_.end()) return;
    Query q;
    q.lookup = id;
    q.qname = qname;
    q.family = family;
    q.failure = Outcome{ResolveStatus::kNoNameservers, {}, 0, "no nameserver tried"};
    schedule(std::move(q), now_ns);
  }
}

void AsyncResolver::schedule(Query query, int64_t now_ns) {
  if (active_.size() >= options_.max_queries_in_flight) {
    waiting_.push_back(std::move(query));
    return;
  }
  transmit(std::move(query), now_ns);
}

void AsyncResolver::start_waiting(int64_t now_ns) {
  while (!waiting_.empty() && active_.size() < options_.max_queries_in_flight) {
    Query q = std::move(waiting_.front());
    waiting_.pop_front();
    transmit(std::move(q), now_ns);
  }
}

void AsyncResolver::transmit(Query query, int64_t now_ns) {
  const auto it = lookups_.find(query.lookup);
  if (it == lookups_.end()) return;  // cancelled meanwhile
  const dns::ResolverConfig& config = it->second.config;
  const net::Endpoint server{config.nameservers[query.server], options_.nameserver_port};
  query.id = static_cast<uint16_t>(random_.next_u64() & 0xffff);
  auto packet = dns::build_query(query.qname, dns::address_type(query.family), query.id);
  if (!packet) {  // search_names only yields valid names; stay safe anyway
    finish_query(query, Outcome{ResolveStatus::kInvalidName, {}, 0, packet.error().message},
                 now_ns);
    return;
  }
  auto socket = ConnectedUdpSocket::open(server);
  if (!socket) {
    fail_transmission(std::move(query), ResolveStatus::kNoNameservers,
                      fmt::format("nameserver {}: {}", server.to_string(), socket.error().message),
                      now_ns);
    return;
  }
  if (auto sent = socket->send(*packet); !sent) {
    fail_transmission(std::move(query), ResolveStatus::kNoNameservers,
                      fmt::format("nameserver {}: {}", server.to_string(), sent.error().message),
                      now_ns);
    return;
  }
  query.socket = std::move(*socket);
  query.deadline_ns = now_ns + int64_t{config.timeout_s} * kNsPerSecond;
  active_.push_back(std::move(query));
}

void AsyncResolver::fail_transmission(Query query, ResolveStatus why, std::string detail,
                                      int64_t now_ns) {
  query.socket = ConnectedUdpSocket();  // closes it
  if (query_failure_rank(why) >= query_failure_rank(query.failure.status)) {
    query.failure = Outcome{why, {}, 0, std::move(detail)};
  }
  const auto it = lookups_.find(query.lookup);
  if (it == lookups_.end()) return;
  const dns::ResolverConfig& config = it->second.config;
  // Next server; after the last one, the next round (resolv.conf "attempts").
  if (++query.server >= config.nameservers.size()) {
    query.server = 0;
    ++query.round;
  }
  if (query.round >= config.attempts) {
    Outcome failure = query.failure;
    finish_query(query, std::move(failure), now_ns);
    return;
  }
  transmit(std::move(query), now_ns);
}

void AsyncResolver::handle_reply(size_t index, std::span<const std::byte> reply, int64_t now_ns) {
  Query& q = active_[index];
  auto response = dns::parse_response(reply, q.id, q.qname, dns::address_type(q.family));
  if (!response) return;  // not an answer to this query: ignore it and keep waiting
  const auto it = lookups_.find(q.lookup);
  const std::string server =
      it == lookups_.end()
          ? std::string()
          : net::Endpoint{it->second.config.nameservers[q.server], options_.nameserver_port}
                .to_string();
  Query query = std::move(active_[index]);
  active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(index));
  query.socket = ConnectedUdpSocket();

  if (response->name_error()) {
    finish_query(query, Outcome{ResolveStatus::kNxDomain, {}, 0, {}}, now_ns);
  } else if (response->rcode == 0 && !response->addresses.empty()) {
    Outcome ok{ResolveStatus::kOk, {}, std::numeric_limits<uint32_t>::max(), {}};
    for (const auto& a : response->addresses) {
      ok.addresses.push_back(a.address);
      ok.ttl_s = std::min(ok.ttl_s, a.ttl_s);
    }
    finish_query(query, std::move(ok), now_ns);
  } else if (response->rcode == 0 && !response->truncated) {
    finish_query(query, Outcome{ResolveStatus::kNoAddresses, {}, 0, {}}, now_ns);
  } else if (response->rcode == 0) {
    fail_transmission(std::move(query), ResolveStatus::kServerFailure,
                      fmt::format("nameserver {} sent a truncated reply without a complete "
                                  "address (no TCP fallback)",
                                  server),
                      now_ns);
  } else {
    fail_transmission(std::move(query), ResolveStatus::kServerFailure,
                      fmt::format("nameserver {} answered {}", server, rcode_name(response->rcode)),
                      now_ns);
  }
}

void AsyncResolver::finish_query(const Query& query, Outcome outcome, int64_t now_ns) {
  const auto it = lookups_.find(query.lookup);
  if (it != lookups_.end()) {
    Lookup& lookup = it->second;
    const auto family = std::find(lookup.families.begin(), lookup.families.end(), query.family);
    lookup.outcomes[static_cast<size_t>(family - lookup.families.begin())] = std::move(outcome);
    if (--lookup.queries_pending == 0) finish_name(lookup, now_ns);
  }
  start_waiting(now_ns);  // a socket slot may have freed up
}

void AsyncResolver::finish_name(Lookup& lookup, int64_t now_ns) {
  // Addresses in family order (IPv4 first), deduplicated across families.
  std::vector<net::IpAddress> addresses;
  uint32_t ttl_s = std::numeric_limits<uint32_t>::max();
  for (const auto& o : lookup.outcomes) {
    if (o.status != ResolveStatus::kOk) continue;
    for (const auto& a : o.addresses) {
      if (std::find(addresses.begin(), addresses.end(), a) == addresses.end()) {
        addresses.push_back(a);
      }
    }
    ttl_s = std::min(ttl_s, o.ttl_s);
  }
  const std::string& qname = lookup.names[lookup.name_index];
  if (!addresses.empty()) {
    Resolution r{
        lookup.id, lookup.name, ResolveStatus::kOk, ResolveSource::kDns, std::move(addresses),
        ttl_s,     {}};
    r.detail = fmt::format("{}: {} address(es) from DNS for {} (TTL {} s)", lookup.name,
                           r.addresses.size(), qname, ttl_s);
    results_.push_back(std::move(r));
    lookups_.erase(lookup.id);
    return;
  }
  // This name's outcome: NXDOMAIN for any type means the name does not
  // exist at all; else the most informative transient failure; else NODATA.
  Outcome name_outcome{ResolveStatus::kNoAddresses, {}, 0, {}};
  for (const auto& o : lookup.outcomes) {
    if (name_outcome.status == ResolveStatus::kNxDomain) break;
    if (o.status == ResolveStatus::kNxDomain ||
        query_failure_rank(o.status) > query_failure_rank(name_outcome.status)) {
      name_outcome = o;
    }
  }
  if (!name_outcome.detail.empty()) {
    name_outcome.detail = fmt::format("querying {}: {}", qname, name_outcome.detail);
  }
  if (!lookup.best_failure ||
      lookup_failure_rank(name_outcome.status) > lookup_failure_rank(lookup.best_failure->status)) {
    lookup.best_failure = name_outcome;
  }
  // Unreachable servers stay unreachable for the next name in the search list.
  const bool servers_unreachable = name_outcome.status == ResolveStatus::kTimeout ||
                                   name_outcome.status == ResolveStatus::kNoNameservers;
  if (!servers_unreachable && lookup.name_index + 1 < lookup.names.size()) {
    ++lookup.name_index;
    start_name(lookup, now_ns);
    return;
  }
  const Outcome& failure = *lookup.best_failure;
  Resolution r{lookup.id, lookup.name, failure.status, ResolveSource::kDns, {}, std::nullopt, {}};
  r.detail = fmt::format("{}: {}", lookup.name, describe(failure.status));
  if (!failure.detail.empty()) {
    r.detail += "; " + failure.detail;
  } else if (lookup.name_index > 0) {
    r.detail += fmt::format(
        "; tried {}",
        fmt::join(lookup.names.begin(),
                  lookup.names.begin() + static_cast<std::ptrdiff_t>(lookup.name_index + 1), ", "));
  }
  results_.push_back(std::move(r));
  lookups_.erase(lookup.id);
}

void AsyncResolver::cancel(ResolveRequestId id, int64_t now_ns) {
  lookups_.erase(id);
  std::erase_if(active_, [&](const Query& q) { return q.lookup == id; });
  std::erase_if(waiting_, [&](const Query& q) { return q.lookup == id; });
  start_waiting(now_ns);
}

std::vector<int> AsyncResolver::poll_fds() const {
  std::vector<int> fds;
  fds.reserve(active_.size());
  for (const auto& q : active_) fds.push_back(q.socket.fd());
  return fds;
}

std::optional<int64_t> AsyncResolver::next_timeout_ns() const {
  std::optional<int64_t> next;
  for (const auto& q : active_) {
    if (!next || q.deadline_ns < *next) next = q.deadline_ns;
  }
  // Queries waiting for a free slot while one is free (not expected: every
  // freed slot is refilled at once): ask to be called straight away.
  if (!waiting_.empty() && active_.size() < options_.max_queries_in_flight) next = 0;
  return next;
}

void AsyncResolver::on_ready(std::span<const int> readable, int64_t now_ns) {
  for (int fd : readable) {
    for (int n = 0; n < kMaxDatagramsPerReady; ++n) {
      // Looked up afresh each time: handling a reply reorders active_.
      const auto it = std::find_if(active_.begin(), active_.end(),
                                   [&](const Query& q) { return q.socket.fd() == fd; });
      if (it == active_.end()) break;
      const auto index = static_cast<size_t>(it - active_.begin());
      auto datagram = it->socket.receive(kMaxReply);
      if (!datagram) {  // an ICMP error for the server: try the next one now
        Query q = std::move(*it);
        active_.erase(it);
        const auto lookup = lookups_.find(q.lookup);
        const std::string server = lookup == lookups_.end()
                                       ? std::string()
                                       : net::Endpoint{lookup->second.config.nameservers[q.server],
                                                       options_.nameserver_port}
                                             .to_string();
        fail_transmission(std::move(q), ResolveStatus::kNoNameservers,
                          fmt::format("nameserver {}: {}", server, datagram.error().message),
                          now_ns);
        break;
      }
      if (!*datagram) break;
      const size_t before = active_.size();
      handle_reply(index, **datagram, now_ns);
      if (active_.size() != before || index >= active_.size() || active_[index].socket.fd() != fd) {
        break;  // the query ended or moved on: this fd is no longer its socket
      }
    }
  }
  on_timeout(now_ns);
}

void AsyncResolver::on_ready(int64_t now_ns) {
  const std::vector<int> fds = poll_fds();
  on_ready(fds, now_ns);
}

void AsyncResolver::on_timeout(int64_t now_ns) {
  // Each pass removes one expired query; retransmissions get deadlines ≥ 1 s
  // ahead, so the loop ends.
  while (true) {
    const auto it = std::find_if(active_.begin(), active_.end(),
                                 [&](const Query& q) { return q.deadline_ns <= now_ns; });
    if (it == active_.end()) break;
    Query q = std::move(*it);
    active_.erase(it);
    const auto lookup = lookups_.find(q.lookup);
    std::string detail;
    if (lookup != lookups_.end()) {
      detail = fmt::format(
          "no reply from nameserver {} within {} s",
          net::Endpoint{lookup->second.config.nameservers[q.server], options_.nameserver_port}
              .to_string(),
          lookup->second.config.timeout_s);
    }
    fail_transmission(std::move(q), ResolveStatus::kTimeout, std::move(detail), now_ns);
  }
  start_waiting(now_ns);
}

std::vector<Resolution> AsyncResolver::take_results() {
  std::vector<Resolution> out;
  out.swap(results_);
  return out;
}

}  // namespace meridian::platform
