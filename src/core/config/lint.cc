#include "core/config/lint.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <tuple>

#include "core/config/address_spec.h"
#include "core/config/values.h"

namespace meridian::config {

namespace {

using internal::apply_mask;
using internal::mask_ones;

class Linter {
 public:
  explicit Linter(const Config& config) : c_(config) {
    collect_active_rules();
    for (const SymmetricKey& k : c_.keys) defined_keys_.insert(k.id);
  }

  std::vector<Diagnostic> run() {
    pool_without_restrict_source();
    servers_ignored_by_default();
    noquery_on_management_addresses();
    missing_default_restrict();
    noncontiguous_masks();
    associations_without_iburst();
    duplicate_associations();
    keys_not_trusted();
    keys_not_defined();
    local_clock_stratum();
    no_time_sources();
    return std::move(out_);
  }

 private:
  void warn(const SourceLocation& where, std::string message) {
    out_.push_back(Diagnostic{Diagnostic::Severity::kWarning, where, std::move(message)});
  }
  SourceLocation file_level() const { return SourceLocation{c_.file, 0}; }

  // The access list as classic ntpd builds it (ntp_restrict.c hack_restrict):
  // one entry per (target, family, address, mask, ntpport); repeating a
  // rule ORs its flags in; `unrestrict` clears the given flags, or all of
  // them when none are given; `restrict default` without -4/-6 is an entry
  // in each family.
  struct Entry {
    RestrictRule::Target target;
    std::optional<net::Family> family;
    net::IpAddress address;
    net::IpAddress mask;
    std::string host;
    uint32_t flags = 0;
    SourceLocation where;  // the last line that touched the entry
  };

  void collect_active_rules() {
    // Entry identity → index in entries_, so building is O(n log n).
    using Key = std::tuple<int, int, std::array<uint8_t, 16>, std::array<uint8_t, 16>, int,
                           std::string, bool>;
    std::map<Key, size_t> index;
    for (const RestrictRule& r : c_.restricts) {
      std::vector<std::optional<net::Family>> families{r.family};
      if (r.target == RestrictRule::Target::kDefault && !r.family) {
        families = {net::Family::kIPv4, net::Family::kIPv6};
      }
      for (const std::optional<net::Family>& family : families) {
        const Key key{static_cast<int>(r.target),
                      family ? static_cast<int>(*family) : -1,
                      r.address.bytes(),
                      r.mask.bytes(),
                      static_cast<int>(r.address.family()),
                      r.host,
                      (r.flags & kNtpPort) != 0};
        auto it = index.find(key);
        if (r.unrestrict) {
          if (it == index.end()) continue;
          Entry& e = entries_[it->second];
          e.flags = (r.flags & ~kNtpPort) == 0 ? (e.flags & kNtpPort) : e.flags & ~r.flags;
          e.where = r.where;
          continue;
        }
        if (it == index.end()) {
          it = index.emplace(key, entries_.size()).first;
          entries_.push_back(Entry{r.target, family, r.address, r.mask, r.host, 0, r.where});
        }
        entries_[it->second].flags |= r.flags;
        entries_[it->second].where = r.where;
      }
    }
  }

  const Entry* default_rule(net::Family family) const {
    for (const Entry& e : entries_) {
      if (e.target == RestrictRule::Target::kDefault && e.family == family) return &e;
    }
    return nullptr;
  }

  const Entry* source_rule() const {
    for (const Entry& e : entries_) {
      if (e.target == RestrictRule::Target::kSource) return &e;
    }
    return nullptr;
  }

  static bool is_loopback(const net::IpAddress& a) {
    return a == net::IpAddress::v4_loopback() || a == *net::IpAddress::parse("::1");
  }

  // The entry a packet from `a` would meet: the most specific matching
  // address entry, else the default; nullptr = no rule. `ntpport` entries
  // match only packets from port 123 (server replies, not ntpq).
  const Entry* rule_for(const net::IpAddress& a, bool from_port_123) const {
    const Entry* best = nullptr;
    int best_ones = -1;
    for (const Entry& e : entries_) {
      if ((e.flags & kNtpPort) && !from_port_123) continue;
      int ones = -1;
      if (e.target == RestrictRule::Target::kAddress && e.address.family() == a.family() &&
          apply_mask(a, e.mask) == e.address) {
        ones = mask_ones(e.mask);
      } else if (e.target == RestrictRule::Target::kHost &&
                 internal::iequals(e.host, "localhost") && is_loopback(a)) {
        ones = internal::family_bits(a.family());
      }
      if (ones > best_ones) {
        best = &e;
        best_ones = ones;
      }
    }
    return best != nullptr ? best : default_rule(a.family());
  }

  // RFC 8633 §3.3 and ntp.conf(5): classic ntpd mobilises pool servers as
  // preemptible associations, which `nopeer` (or `ignore`) in the default
  // rule refuses unless a `restrict source` rule lets them in. Meridian
  // accepts its servers' replies before any restrict rule, so this is about
  // the file still working with classic ntpd (a drop-in goes both ways).
  void pool_without_restrict_source() {
    if (source_rule() != nullptr) return;
    const auto pool = std::find_if(c_.associations.begin(), c_.associations.end(),
                                   [](auto& a) { return a.kind == AssociationKind::kPool; });
    if (pool == c_.associations.end()) return;
    for (net::Family f : {net::Family::kIPv4, net::Family::kIPv6}) {
      const Entry* d = default_rule(f);
      if (d == nullptr || (d->flags & (kNoPeer | kIgnore)) == 0) continue;
      warn(d->where, fmt::format("restrict default has {} and there is no 'restrict source' line: "
                                 "classic ntpd would refuse the servers from 'pool {}' ({}:{}) "
                                 "(Meridian does not); add 'restrict source' with the default's "
                                 "flags minus nopeer",
                                 (d->flags & kIgnore) ? "ignore" : "nopeer", pool->host,
                                 pool->where.file, pool->where.line));
      return;
    }
  }

  // With classic ntpd, `restrict default ignore` also drops the replies of
  // configured servers (Meridian accepts them before any restrict rule).
  void servers_ignored_by_default() {
    if (source_rule() != nullptr) return;
    if (std::none_of(entries_.begin(), entries_.end(),
                     [](const Entry& e) { return (e.flags & kIgnore) != 0; })) {
      return;
    }
    for (const AssociationConfig& a : c_.associations) {
      if (a.kind == AssociationKind::kPool) continue;  // reported above
      const std::optional<net::IpAddress> literal = net::IpAddress::parse(a.host);
      const Entry* r =
          literal ? rule_for(*literal, true) : default_rule(a.family.value_or(net::Family::kIPv4));
      if (r == nullptr || (r->flags & kIgnore) == 0) continue;
      warn(a.where, fmt::format("{} {}: its replies match 'restrict ... ignore' ({}:{}), which "
                                "classic ntpd applies to them (Meridian does not); add 'restrict "
                                "source' or a rule for it",
                                a.kind == AssociationKind::kPeer ? "peer" : "server", a.host,
                                r->where.file, r->where.line));
    }
  }

  // Interface rules: the last matching one decides (classic ntpd); none = listen.
  bool listens_on(const net::IpAddress& a) const {
    bool listen = true;
    for (const InterfaceRule& rule : c_.interfaces) {
      bool match = false;
      switch (rule.match) {
        case InterfaceRule::Match::kAll:
          match = true;
          break;
        case InterfaceRule::Match::kIpv4:
          match = a.family() == net::Family::kIPv4;
          break;
        case InterfaceRule::Match::kIpv6:
          match = a.family() == net::Family::kIPv6;
          break;
        case InterfaceRule::Match::kWildcard:
          break;
        case InterfaceRule::Match::kName:
          match = is_loopback(a) && rule.name.compare(0, 2, "lo") == 0;
          break;
        case InterfaceRule::Match::kPrefix:
          match = rule.address.family() == a.family() &&
                  apply_mask(a, internal::prefix_mask(a.family(), rule.prefix_len)) == rule.address;
          break;
      }
      if (match) listen = rule.action == InterfaceRule::Action::kListen;
    }
    return listen;
  }

  // ntpq on this host must reach the daemon on some address without noquery.
  void noquery_on_management_addresses() {
    std::vector<net::IpAddress> candidates;
    for (const net::IpAddress& a : {net::IpAddress::v4_loopback(), *net::IpAddress::parse("::1")}) {
      if (listens_on(a)) candidates.push_back(a);
    }
    for (const InterfaceRule& rule : c_.interfaces) {
      if (rule.action == InterfaceRule::Action::kListen &&
          rule.match == InterfaceRule::Match::kPrefix &&
          rule.prefix_len == internal::family_bits(rule.address.family()) &&
          std::find(candidates.begin(), candidates.end(), rule.address) == candidates.end()) {
        candidates.push_back(rule.address);
      }
    }
    if (candidates.empty()) return;
    std::string names;
    const Entry* first = nullptr;
    for (const net::IpAddress& a : candidates) {
      const Entry* r = rule_for(a, false);
      if (r == nullptr || (r->flags & (kNoQuery | kIgnore)) == 0) return;
      if (first == nullptr) first = r;
      names += (names.empty() ? "" : ", ") + a.to_string();
    }
    warn(first->where,
         fmt::format("noquery applies to every address ntpq can use on this host ({}): 'ntpq -p' "
                     "will be refused; add e.g. 'restrict 127.0.0.1' and 'restrict ::1'",
                     names));
  }

  void missing_default_restrict() {
    const bool v4 = default_rule(net::Family::kIPv4) != nullptr;
    const bool v6 = default_rule(net::Family::kIPv6) != nullptr;
    if (v4 && v6) return;
    const char* which = (!v4 && !v6) ? "'restrict default'"
                        : v4         ? "'restrict -6 default'"
                                     : "'restrict -4 default'";
    warn(file_level(),
         fmt::format("no {} line: any host may query this server (mode 6); "
                     "consider 'restrict default kod limited nomodify noquery nopeer'",
                     which));
  }

  void noncontiguous_masks() {
    for (const RestrictRule& r : c_.restricts) {
      if (r.target != RestrictRule::Target::kAddress && !r.has_mask) continue;
      if (internal::mask_prefix_length(r.mask)) continue;
      warn(r.where, fmt::format("restrict: mask {} is not contiguous (ones then zeros); it "
                                "matches scattered addresses, which is rarely what is meant",
                                r.mask.to_string()));
    }
  }

  void associations_without_iburst() {
    for (const AssociationConfig& a : c_.associations) {
      if (a.kind == AssociationKind::kPeer || a.iburst) continue;
      warn(a.where, fmt::format("{} {}: no 'iburst'; the first synchronisation takes minutes "
                                "instead of seconds",
                                a.kind == AssociationKind::kPool ? "pool" : "server", a.host));
    }
  }

  static std::string association_key(const AssociationConfig& a) {
    std::string host = internal::to_lower(a.host);
    if (auto literal = net::IpAddress::parse(host)) host = literal->to_string();
    while (!host.empty() && host.back() == '.') host.pop_back();
    return fmt::format("{}:{}", host, a.port.value_or(123));
  }

  void duplicate_associations() {
    std::map<std::string, const AssociationConfig*> seen;
    for (const AssociationConfig& a : c_.associations) {
      auto [it, fresh] = seen.emplace(association_key(a), &a);
      if (fresh) continue;
      warn(a.where, fmt::format("{} is already configured at {}:{}", a.host, it->second->where.file,
                                it->second->where.line));
    }
  }

  void keys_not_trusted() {
    for (const AssociationConfig& a : c_.associations) {
      if (a.key && !c_.trusted_keys.count(*a.key)) {
        warn(a.where, fmt::format("{}: key {} is not listed in 'trustedkey'; its replies will "
                                  "not be accepted",
                                  a.host, *a.key));
      }
    }
    for (const char* directive : {"requestkey", "controlkey"}) {
      const std::optional<uint32_t>& id = directive[0] == 'r' ? c_.request_key : c_.control_key;
      if (!id || c_.trusted_keys.count(*id)) continue;
      warn(location_of(directive), fmt::format("{} {} is not listed in 'trustedkey'; requests "
                                               "signed with it will be refused",
                                               directive, *id));
    }
  }

  SourceLocation location_of(const std::string& directive) const {
    auto it = c_.locations.find(directive);
    return it != c_.locations.end() ? it->second : file_level();
  }

  bool defined(uint32_t id) const { return defined_keys_.count(id) > 0; }

  std::string missing_key_reason() const {
    return c_.keys_file ? fmt::format("not in the key file {}", *c_.keys_file)
                        : std::string("used but no 'keys' file is configured");
  }

  void keys_not_defined() {
    for (const AssociationConfig& a : c_.associations) {
      if (a.key && !defined(*a.key)) {
        warn(a.where, fmt::format("{}: key {} is {}", a.host, *a.key, missing_key_reason()));
      }
    }
    for (const char* directive : {"requestkey", "controlkey"}) {
      const std::optional<uint32_t>& id = directive[0] == 'r' ? c_.request_key : c_.control_key;
      if (id && !defined(*id)) {
        warn(location_of(directive),
             fmt::format("{} {} is {}", directive, *id, missing_key_reason()));
      }
    }
    std::vector<uint32_t> missing;
    for (uint32_t id : c_.trusted_keys) {
      if (!defined(id)) missing.push_back(id);
    }
    if (missing.empty()) return;
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 8; ++i) {
      list += (i == 0 ? "" : ", ") + std::to_string(missing[i]);
    }
    if (missing.size() > 8) list += fmt::format(" and {} more", missing.size() - 8);
    warn(location_of("trustedkey"),
         fmt::format("trustedkey: key{} {} {} {}", missing.size() > 1 ? "s" : "", list,
                     missing.size() > 1 ? "are" : "is", missing_key_reason()));
  }

  // The LOCAL clock should only win when every real source is gone.
  void local_clock_stratum() {
    if (c_.associations.empty()) return;
    for (const LocalClockConfig& l : c_.local_clocks) {
      if (l.stratum >= 10) continue;
      warn(l.where, fmt::format("local clock at stratum {} may be preferred to the network "
                                "servers; use 'fudge 127.127.1.{} stratum 10' or 'tos orphan 10'",
                                l.stratum, l.unit));
    }
  }

  void no_time_sources() {
    if (!c_.associations.empty() || !c_.local_clocks.empty() || !c_.refclocks.empty()) return;
    warn(file_level(), "no server, pool, peer or local clock: this daemon has no time source");
  }

  const Config& c_;
  std::vector<Entry> entries_;
  std::set<uint32_t> defined_keys_;
  std::vector<Diagnostic> out_;
};

}  // namespace

std::vector<Diagnostic> lint_config(const Config& config) { return Linter(config).run(); }

}  // namespace meridian::config
