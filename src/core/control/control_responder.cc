#include "core/control/control_responder.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

namespace meridian::control {
namespace {

uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct KeyValue {
  std::string_view key, value;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r' || s.front() == '\n' ||
                        s.front() == '\t' || s.front() == '\0'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n' ||
                        s.back() == '\t' || s.back() == '\0'))
    s.remove_suffix(1);
  return s;
}

std::vector<KeyValue> parse_pairs(std::string_view data) {
  std::vector<KeyValue> out;
  size_t at = 0;
  while (at < data.size()) {
    size_t comma = data.find(',', at);
    if (comma == std::string_view::npos) comma = data.size();
    const std::string_view item = trim(data.substr(at, comma - at));
    const size_t eq = item.find('=');
    if (!item.empty()) {
      out.push_back(eq == std::string_view::npos
                        ? KeyValue{item, {}}
                        : KeyValue{trim(item.substr(0, eq)), trim(item.substr(eq + 1))});
    }
    at = comma + 1;
  }
  return out;
}

std::optional<uint64_t> parse_hex(std::string_view s) {
  uint64_t v = 0;
  if (s.empty() || s.size() > 16) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Copies octets into text (no casts over untrusted bytes).
std::string as_text(std::span<const std::byte> b) {
  std::string out;
  out.reserve(b.size());
  for (std::byte c : b) out.push_back(static_cast<char>(std::to_integer<unsigned char>(c)));
  return out;
}

ControlHeader response_to(const ControlHeader& request, const ControlSnapshot& s) {
  ControlHeader h = request;
  h.leap = static_cast<uint8_t>(static_cast<unsigned>(s.server.leap) & 3);
  h.response = true;
  h.error = false;
  h.more = false;
  h.offset = 0;
  return h;
}

size_t total_size(const std::vector<std::vector<std::byte>>& fragments) {
  size_t n = 0;
  for (const auto& f : fragments) n += f.size();
  return n;
}

}  // namespace

uint64_t siphash24(std::array<uint64_t, 2> key, std::span<const std::byte> data) {
  uint64_t v0 = 0x736f6d6570736575ULL ^ key[0];
  uint64_t v1 = 0x646f72616e646f6dULL ^ key[1];
  uint64_t v2 = 0x6c7967656e657261ULL ^ key[0];
  uint64_t v3 = 0x7465646279746573ULL ^ key[1];
  auto round = [&] {
    v0 += v1;
    v1 = rotl(v1, 13) ^ v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16) ^ v2;
    v0 += v3;
    v3 = rotl(v3, 21) ^ v0;
    v2 += v1;
    v1 = rotl(v1, 17) ^ v2;
    v2 = rotl(v2, 32);
  };
  const size_t n = data.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t m = 0;
    for (size_t j = 0; j < 8; ++j) m |= uint64_t{std::to_integer<uint8_t>(data[i + j])} << (8 * j);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  uint64_t last = uint64_t{n & 0xff} << 56;
  for (size_t j = 0; i + j < n; ++j)
    last |= uint64_t{std::to_integer<uint8_t>(data[i + j])} << (8 * j);
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xff;
  for (int r = 0; r < 4; ++r) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t ControlResponder::nonce_mac(const net::IpAddress& client, uint64_t timestamp) const {
  std::array<std::byte, 25> buf{};
  for (size_t i = 0; i < 16; ++i) buf[i] = static_cast<std::byte>(client.bytes()[i]);
  for (size_t i = 0; i < 8; ++i) buf[16 + i] = static_cast<std::byte>(timestamp >> (8 * i));
  buf[24] = static_cast<std::byte>(client.family() == net::Family::kIPv4 ? 4 : 6);
  return siphash24(secret_, buf);
}

std::string ControlResponder::make_nonce(const net::IpAddress& client, time::NtpTime now) const {
  const uint64_t ts = now.to_timestamp().raw();
  return fmt::format("nonce={:016x}{:08x}", ts,
                     static_cast<uint32_t>(nonce_mac(client, ts) & 0xffffffff));
}

bool ControlResponder::check_nonce(std::string_view nonce, const net::IpAddress& client,
                                   time::NtpTime now) const {
  if (nonce.size() != 24) return false;
  const auto ts = parse_hex(nonce.substr(0, 16));
  const auto mac = parse_hex(nonce.substr(16));
  if (!ts || !mac) return false;
  if (*mac != (nonce_mac(client, *ts) & 0xffffffff)) return false;
  const double age =
      static_cast<double>(static_cast<int64_t>(now.to_timestamp().raw() - *ts)) / 4294967296.0;
  return age >= -1 && age <= kNonceLifetime_s;
}

std::vector<std::vector<std::byte>> ControlResponder::error(const ControlHeader& h, ControlError e,
                                                            const ControlSnapshot& s) {
  ++counters_.errors;
  return {error_response(h, e, static_cast<uint8_t>(static_cast<unsigned>(s.server.leap) & 3))};
}

bool ControlResponder::admit(const net::IpAddress& client, double now_s) {
  if (limit_.per_second <= 0) return true;
  const auto& a = client.bytes();
  const uint64_t h = siphash24(secret_, std::as_bytes(std::span(a)));
  Bucket& b = buckets_[h % kRateSlots];
  if (!b.used) {
    b = Bucket{limit_.burst, now_s, true};
  } else if (now_s > b.last_s) {  // a clock step back refills nothing
    b.tokens = std::min(limit_.burst, b.tokens + (now_s - b.last_s) * limit_.per_second);
    b.last_s = now_s;
  }
  if (b.tokens < 1) {
    ++counters_.rate_limited;
    return false;
  }
  b.tokens -= 1;
  return true;
}

std::vector<std::vector<std::byte>> ControlResponder::handle(std::span<const std::byte> request,
                                                             const net::Endpoint& client,
                                                             const access::AccessDecision& decision,
                                                             const ControlSnapshot& s,
                                                             const access::MruTable* mru) {
  ++counters_.requests;
  auto parsed = parse_message(request);
  if (!parsed || parsed->header.response || parsed->header.error || parsed->header.more ||
      parsed->header.offset != 0) {
    // Never answer responses (no loops between servers) nor fragmented requests.
    ++counters_.malformed;
    return {};
  }
  if (!decision.served()) return {};
  if (!admit(client.address, s.now_s)) return {};
  const ControlMessage& m = *parsed;
  std::vector<std::vector<std::byte>> out;
  switch (static_cast<Opcode>(m.header.opcode)) {
    case Opcode::kReadStatus:
      out = read_status(m.header, s);
      break;
    case Opcode::kReadVariables:
      out = read_variables(m, s);
      break;
    case Opcode::kRequestNonce: {
      const std::string body = make_nonce(client.address, s.clock) + "\r\n";
      out = fragment(response_to(m.header, s), as_bytes(body));
      break;
    }
    case Opcode::kReadMru:
      if (!decision.may_mrulist)
        return error(m.header, ControlError::kAdministrativelyProhibited, s);
      return read_mru(m, client, s, mru);  // source proven by the nonce: not size-bounded
    case Opcode::kWriteVariables:
    case Opcode::kWriteClock:
    case Opcode::kSetTrap:
    case Opcode::kUnsetTrap:
    case Opcode::kConfigure:
    case Opcode::kSaveConfig: {
      // `nomodify` refuses writes, `notrap` trap set-up (classic CERR_PERMISSION).
      const bool trap = m.header.opcode == static_cast<uint8_t>(Opcode::kSetTrap) ||
                        m.header.opcode == static_cast<uint8_t>(Opcode::kUnsetTrap);
      if (trap ? !decision.may_trap : !decision.may_modify) ++counters_.refused_restricted;
      // Otherwise writes need `controlkey` authentication, which this server
      // does not offer (yet): refused as classic refuses an unauthenticated write.
      return error(m.header, ControlError::kAdministrativelyProhibited, s);
    }
    default:
      return error(m.header, ControlError::kBadOpcode, s);
  }
  if (total_size(out) > kMaxAmplification * request.size()) {
    ++counters_.refused_size;
    return error(m.header, ControlError::kAdministrativelyProhibited, s);
  }
  return out;
}

std::vector<std::vector<std::byte>> ControlResponder::read_status(const ControlHeader& h,
                                                                  const ControlSnapshot& s) const {
  ControlHeader r = response_to(h, s);
  std::vector<std::byte> body;
  if (h.association == 0) {
    r.status = system_status(s);
    for (const auto& p : s.peers) {
      const uint16_t id = association_id(p.id);
      const uint16_t st = peer_status(s, p);
      for (uint16_t v : {id, st}) {
        body.push_back(static_cast<std::byte>(v >> 8));
        body.push_back(static_cast<std::byte>(v & 0xff));
      }
    }
    return fragment(r, body);
  }
  const engine::PeerView* p = find_peer(s, h.association);
  if (p == nullptr) return {error_response(h, ControlError::kUnknownAssociation, r.leap)};
  r.status = peer_status(s, *p);
  return fragment(r, body);
}

std::vector<std::vector<std::byte>> ControlResponder::read_variables(const ControlMessage& m,
                                                                     const ControlSnapshot& s) {
  ControlHeader r = response_to(m.header, s);
  std::vector<Variable> all;
  if (m.header.association == 0) {
    r.status = system_status(s);
    all = system_variables(s);
    // ss_* statistics only when asked for by name (ntpq sysstats).
    if (!requested_names(as_text(m.data)).empty()) {
      auto stats = system_statistics(s);
      all.insert(all.end(), stats.begin(), stats.end());
    }
  } else {
    const engine::PeerView* p = find_peer(s, m.header.association);
    if (p == nullptr) return error(m.header, ControlError::kUnknownAssociation, s);
    r.status = peer_status(s, *p);
    all = peer_variables(s, *p);
    // Authentication and drop counters only when asked for by name (classic).
    if (!requested_names(as_text(m.data)).empty()) {
      auto extra = peer_auth_variables(*p);
      all.insert(all.end(), extra.begin(), extra.end());
      auto drops = peer_drop_variables(*p);
      all.insert(all.end(), drops.begin(), drops.end());
      auto nts = peer_nts_variables(*p, s.now_s);
      all.insert(all.end(), nts.begin(), nts.end());
    }
  }
  const auto names = requested_names(as_text(m.data));
  std::vector<Variable> chosen;
  if (names.empty()) {
    chosen = std::move(all);
  } else {
    for (const auto& name : names) {
      auto it =
          std::find_if(all.begin(), all.end(), [&](const Variable& v) { return v.name == name; });
      if (it == all.end()) return error(m.header, ControlError::kUnknownVariable, s);
      chosen.push_back(*it);
    }
  }
  const std::string body = render(chosen);
  return fragment(r, as_bytes(body));
}

std::vector<std::vector<std::byte>> ControlResponder::read_mru(const ControlMessage& m,
                                                               const net::Endpoint& client,
                                                               const ControlSnapshot& s,
                                                               const access::MruTable* mru) {
  const std::string text = as_text(m.data);
  const auto pairs = parse_pairs(text);
  std::string_view nonce;
  size_t frags = 4;
  std::optional<net::IpAddress> after;
  for (const auto& kv : pairs) {
    if (kv.key == "nonce") {
      nonce = kv.value;
    } else if (kv.key == "frags" || kv.key == "limit") {
      size_t v = 0;
      auto [end, ec] = std::from_chars(kv.value.data(), kv.value.data() + kv.value.size(), v);
      if (ec != std::errc() || v == 0) return error(m.header, ControlError::kBadValue, s);
      frags = kv.key == "frags" ? v : v / 8 + 1;  // ~8 rows per fragment
    } else if (kv.key == "addr.0") {
      std::string_view a = kv.value;
      if (!a.empty() && a.front() == '[') {
        a = a.substr(1, a.find(']') == std::string_view::npos ? 0 : a.find(']') - 1);
      } else if (a.find(':') == a.rfind(':')) {
        a = a.substr(0, a.find(':'));
      }
      after = net::IpAddress::parse(a);
    }
  }
  if (!check_nonce(nonce, client.address, s.clock)) {
    ++counters_.bad_nonce;
    return error(m.header, ControlError::kBadValue, s);
  }
  frags = std::min(frags, kMaxMruFragments);
  const size_t budget = frags * kMaxFragmentData;

  std::string body = make_nonce(client.address, s.clock);
  bool complete = true;
  if (mru != nullptr) {
    auto range = mru->oldest_first();
    auto it = range.begin();
    if (after) {
      auto found = std::find_if(range.begin(), range.end(),
                                [&](const access::MruEntry& e) { return e.address == *after; });
      if (found != range.end()) it = ++found;
    }
    size_t index = 0;
    for (; it != range.end(); ++it, ++index) {
      const access::MruEntry& e = *it;
      const std::string addr = e.address.family() == net::Family::kIPv6
                                   ? fmt::format("[{}]:{}", e.address.to_string(), e.port)
                                   : fmt::format("{}:{}", e.address.to_string(), e.port);
      std::string row = fmt::format(
          ", addr.{0}={1}, last.{0}={2}, first.{0}={3}, ct.{0}={4}, mv.{0}={5}, rs.{0}=0x{6:x}",
          index, addr, hex_timestamp(control::wall_time(s, e.last_seen_s).to_timestamp()),
          hex_timestamp(control::wall_time(s, e.first_seen_s).to_timestamp()), e.count,
          (e.version << 3) | e.mode, e.restrict_flags);
      if (body.size() + row.size() + 64 > budget) {
        complete = false;
        break;
      }
      body += row;
    }
  }
  if (complete) {
    body += fmt::format(", now={}, last.newest={}", hex_timestamp(s.clock.to_timestamp()),
                        hex_timestamp(s.clock.to_timestamp()));
  }
  body += "\r\n";
  ControlHeader r = response_to(m.header, s);
  r.status = system_status(s);
  return fragment(r, as_bytes(body));
}

}  // namespace meridian::control
