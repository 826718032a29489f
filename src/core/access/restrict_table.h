// The `restrict` access list of classic ntpd (ntp.conf(5) "Access Control
// Support", ntpd/ntp_restrict.c) as a pure value: rules in, flags out.
//
// Semantics, all following classic ntpd 4.2.8:
//  - An entry is (address & mask, mask, match flags). Lookup returns the flags
//    of the most specific matching entry. Classic keeps each family's list
//    sorted by descending address then descending mask and takes the first
//    match; for CIDR masks that is exactly longest-prefix match, and for the
//    odd non-contiguous masks classic accepts it is the same order classic
//    uses. Ties on (address, mask): `ntpport` entries before plain ones (they
//    match a subset of packets), configured entries before `restrict source`
//    ones (so an operator's static rule for a pool server wins).
//  - Each family has a built-in default entry (0.0.0.0/0, ::/0) with no flags,
//    so with no rules at all every packet is allowed.
//  - `restrict default …` without -4/-6 applies to BOTH families (classic
//    ntp_config.c: "a default rule without a -4 / -6 qualifier, add to both
//    lists"; NTPsec does the same). `restrict -4 default` / `-6 default` touch
//    one family.
//  - Repeating a rule for the same (address, mask, ntpport) ORs the flags in
//    (classic hack_restrict RESTRICT_FLAGS). `restrict 0.0.0.0 mask 0.0.0.0 X`
//    is therefore the same entry as `restrict -4 default X`.
//  - `unrestrict` (NTPsec) with no flags removes the entry; with flags it clears
//    just those flags. The default entries cannot be removed: unrestricting one
//    with no flags resets it to "no restrictions".
//  - `restrict source FLAGS` is a template, not an entry: add_source_rule()
//    installs a host entry with those flags when an association is mobilised
//    (classic restrict_source()). A later `restrict source` line replaces the
//    template (classic keeps only the last).
//  - IPv4-mapped IPv6 sources match the IPv4 list; multicast sources are
//    always `ignore` (classic restrictions()).
//  - `ntpport` is a match flag: the entry applies only to packets from source
//    port 123. It is not part of the returned flags.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/config/config.h"
#include "core/net/address.h"
#include "core/result.h"

namespace meridian::access {

inline constexpr uint16_t kNtpPort = 123;

class RestrictTable {
 public:
  // One entry, as listed by ntpq's `reslist`: address already masked.
  struct Entry {
    net::IpAddress address;
    net::IpAddress mask;
    uint32_t flags = 0;         // config::RestrictFlag bits, without kNtpPort
    bool ntpport_only = false;  // matches only source port 123
    bool from_source = false;   // installed by add_source_rule()
    bool is_default = false;    // the built-in 0.0.0.0/0 or ::/0 entry
  };

  // An empty table: only the two built-in defaults, everything allowed.
  RestrictTable();

  // Applies `rules` in order (order matters for `unrestrict`).
  // REQUIRES: kHost rules were resolved by the caller into kAddress rules; a
  // remaining kHost rule, or an address/mask family mismatch, is an error
  // naming the rule's file:line.
  static Result<RestrictTable> build(std::span<const config::RestrictRule> rules);

  // Flags (config::RestrictFlag bits) for a packet from `address`:`src_port`.
  uint32_t flags_for(const net::IpAddress& address, uint16_t src_port) const;

  // Applies one rule (restrict or unrestrict) to the table.
  Status apply(const config::RestrictRule& rule);

  // The `restrict source` template, if configured.
  std::optional<uint32_t> source_flags() const;
  // Installs a host entry for a newly mobilised association's address with
  // the `restrict source` flags. Returns false (and does nothing) when there
  // is no `restrict source` line or the address is multicast.
  bool add_source_rule(const net::IpAddress& address);
  // Removes the entry add_source_rule() installed (association demobilised).
  bool remove_source_rule(const net::IpAddress& address);

  // All entries in match order, IPv4 first (for ntpq reslist and debugging).
  std::vector<Entry> entries() const;
  size_t size() const { return v4_.size() + v6_.size(); }

 private:
  struct Row {
    std::array<uint8_t, 16> address{};  // masked; IPv4 uses the first 4 bytes
    std::array<uint8_t, 16> mask{};
    uint32_t flags = 0;
    bool ntpport_only = false;
    bool from_source = false;
  };
  enum class Op { kAdd, kClear, kRemove };

  std::vector<Row>& list(net::Family family) { return family == net::Family::kIPv4 ? v4_ : v6_; }
  void modify(net::Family family, const Row& key, Op op);

  std::vector<Row> v4_;  // sorted: most specific first; the default is last
  std::vector<Row> v6_;
  std::optional<uint32_t> source_flags_;
  bool source_ntpport_ = false;
};

}  // namespace meridian::access
