#include "core/access/restrict_table.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/access/address_key.h"

namespace meridian::access {

namespace {

using config::RestrictRule;

constexpr size_t address_length(net::Family family) {
  return family == net::Family::kIPv4 ? 4 : 16;
}

// Sort rank among entries with equal (address, mask); lower matches first.
int tie_rank(bool ntpport_only, bool from_source) {
  return (from_source ? 2 : 0) + (ntpport_only ? 0 : 1);
}

// Classic order (ntp_restrict.c res_sorts_before4/6): descending address,
// then descending mask, then the tie rank. For CIDR masks this puts every
// more specific prefix before the prefixes containing it.
template <typename Row>
bool sorts_before(const Row& a, const Row& b) {
  if (a.address != b.address) return a.address > b.address;
  if (a.mask != b.mask) return a.mask > b.mask;
  return tie_rank(a.ntpport_only, a.from_source) < tie_rank(b.ntpport_only, b.from_source);
}

template <typename Row>
bool same_key(const Row& a, const Row& b) {
  return a.address == b.address && a.mask == b.mask && a.ntpport_only == b.ntpport_only &&
         a.from_source == b.from_source;
}

template <typename Row>
bool is_default_row(const Row& r) {
  return r.mask == std::array<uint8_t, 16>{} && !r.ntpport_only && !r.from_source;
}

std::array<uint8_t, 16> host_mask(net::Family family) {
  std::array<uint8_t, 16> m{};
  for (size_t i = 0; i < address_length(family); ++i) m[i] = 0xff;
  return m;
}

net::IpAddress to_address(net::Family family, const std::array<uint8_t, 16>& bytes) {
  if (family == net::Family::kIPv4)
    return net::IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]});
  return net::IpAddress::v6(bytes);
}

std::string where(const RestrictRule& rule) {
  if (rule.where.file.empty()) return "restrict";
  return fmt::format("{}:{}: restrict", rule.where.file, rule.where.line);
}

// An IPv6 rule for an IPv4-mapped prefix at least 96 bits long becomes the
// equivalent IPv4 rule, since lookups canonicalise mapped sources to IPv4.
void unmap_rule(net::IpAddress& address, net::IpAddress& mask) {
  if (!is_v4_mapped(address) || mask.family() != net::Family::kIPv6) return;
  const auto& m = mask.bytes();
  for (size_t i = 0; i < 12; ++i) {
    if (m[i] != 0xff) return;
  }
  address = canonical_address(address);
  mask = net::IpAddress::v4({m[12], m[13], m[14], m[15]});
}

}  // namespace

RestrictTable::RestrictTable() {
  v4_.push_back(Row{});  // 0.0.0.0/0, no flags
  v6_.push_back(Row{});  // ::/0, no flags
}

Result<RestrictTable> RestrictTable::build(std::span<const config::RestrictRule> rules) {
  RestrictTable table;
  for (const auto& rule : rules) {
    if (Status s = table.apply(rule); !s) return s.error();
  }
  return table;
}

Status RestrictTable::apply(const config::RestrictRule& rule) {
  const uint32_t flags = rule.flags & ~uint32_t{config::kNtpPort};
  const bool ntpport = (rule.flags & config::kNtpPort) != 0;
  const Op op = !rule.unrestrict ? Op::kAdd : (flags == 0 ? Op::kRemove : Op::kClear);

  switch (rule.target) {
    case RestrictRule::Target::kHost:
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{} {}: host name was not resolved", where(rule), rule.host));

    case RestrictRule::Target::kSource:
      if (op == Op::kAdd) {
        source_flags_ = flags;  // classic keeps only the last `restrict source`
        source_ntpport_ = ntpport;
      } else if (op == Op::kRemove) {
        source_flags_.reset();
      } else if (source_flags_) {
        *source_flags_ &= ~flags;
      }
      return {};

    case RestrictRule::Target::kDefault: {
      Row key;
      key.flags = flags;
      key.ntpport_only = ntpport;
      if (!rule.family || *rule.family == net::Family::kIPv4) modify(net::Family::kIPv4, key, op);
      if (!rule.family || *rule.family == net::Family::kIPv6) modify(net::Family::kIPv6, key, op);
      return {};
    }

    case RestrictRule::Target::kAddress: {
      net::IpAddress address = rule.address;
      net::IpAddress mask = rule.mask;
      unmap_rule(address, mask);
      if (address.family() != mask.family()) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("{} {} mask {}: address and mask families differ",
                                      where(rule), address.to_string(), mask.to_string()));
      }
      Row key;
      key.mask = mask.bytes();
      for (size_t i = 0; i < 16; ++i) {
        key.address[i] = static_cast<uint8_t>(address.bytes()[i] & key.mask[i]);
      }
      key.flags = flags;
      key.ntpport_only = ntpport;
      modify(address.family(), key, op);
      return {};
    }
  }
  return {};
}

void RestrictTable::modify(net::Family family, const Row& key, Op op) {
  std::vector<Row>& rows = list(family);
  auto it = std::find_if(rows.begin(), rows.end(), [&](const Row& r) { return same_key(r, key); });
  if (it == rows.end()) {
    if (op != Op::kAdd) return;  // unrestrict of an absent entry: nothing to do
    rows.insert(std::lower_bound(rows.begin(), rows.end(), key, sorts_before<Row>), key);
    return;
  }
  switch (op) {
    case Op::kAdd:
      it->flags |= key.flags;
      break;
    case Op::kClear:
      it->flags &= ~key.flags;
      break;
    case Op::kRemove:
      if (is_default_row(*it)) {
        it->flags = 0;  // the built-in default stays, unrestricted
      } else {
        rows.erase(it);
      }
      break;
  }
}

uint32_t RestrictTable::flags_for(const net::IpAddress& address, uint16_t src_port) const {
  const net::IpAddress a = canonical_address(address);
  if (is_multicast_source(a)) return config::kIgnore;
  const std::vector<Row>& rows = a.family() == net::Family::kIPv4 ? v4_ : v6_;
  const size_t n = address_length(a.family());
  const auto& bytes = a.bytes();
  for (const Row& r : rows) {
    bool match = !r.ntpport_only || src_port == kNtpPort;
    for (size_t i = 0; match && i < n; ++i) {
      match = static_cast<uint8_t>(bytes[i] & r.mask[i]) == r.address[i];
    }
    if (match) return r.flags;
  }
  return 0;  // unreachable: the default entry matches everything
}

std::optional<uint32_t> RestrictTable::source_flags() const { return source_flags_; }

bool RestrictTable::add_source_rule(const net::IpAddress& address) {
  if (!source_flags_) return false;
  const net::IpAddress a = canonical_address(address);
  if (is_multicast_source(a)) return false;
  Row key;
  key.address = a.bytes();
  key.mask = host_mask(a.family());
  key.flags = *source_flags_;
  key.ntpport_only = source_ntpport_;
  key.from_source = true;
  modify(a.family(), key, Op::kAdd);
  return true;
}

bool RestrictTable::remove_source_rule(const net::IpAddress& address) {
  const net::IpAddress a = canonical_address(address);
  std::vector<Row>& rows = list(a.family());
  const auto mask = host_mask(a.family());
  const auto it = std::find_if(rows.begin(), rows.end(), [&](const Row& r) {
    return r.from_source && r.mask == mask && r.address == a.bytes();
  });
  if (it == rows.end()) return false;
  rows.erase(it);
  return true;
}

std::vector<RestrictTable::Entry> RestrictTable::entries() const {
  std::vector<Entry> out;
  out.reserve(size());
  for (const net::Family family : {net::Family::kIPv4, net::Family::kIPv6}) {
    for (const Row& r : family == net::Family::kIPv4 ? v4_ : v6_) {
      Entry e;
      e.address = to_address(family, r.address);
      e.mask = to_address(family, r.mask);
      e.flags = r.flags;
      e.ntpport_only = r.ntpport_only;
      e.from_source = r.from_source;
      e.is_default = is_default_row(r);
      out.push_back(e);
    }
  }
  return out;
}

}  // namespace meridian::access
