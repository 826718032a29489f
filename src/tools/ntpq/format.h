// ntpq's output formats: classic `peers` rows, the `associations` table,
// NTPsec-style cooked `readvar` text, status word decoding, and JSON.
// Pure functions of the mode 6 answers (tests pin them byte for byte).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meridian::ntpq {

using Variables = std::vector<std::pair<std::string, std::string>>;

// "0xeeb07bee.8023fcc0" (or without 0x) → NTP seconds (era 0) as a double.
std::optional<double> parse_ntp_hex(std::string_view text);
// "eeb07bee.8023fcc0 2026-11-24T21:11:10.500Z" (NTPsec's prettydate).
std::string pretty_date(std::string_view hex);

// Classic prettyinterval: "-", "%d", "%dm", "%dh", "%dd".
std::string pretty_interval(long seconds);

// One `peers` row, before formatting.
struct PeerRow {
  uint16_t association = 0;
  char tally = ' ';
  std::string remote;  // name or address (already chosen)
  std::string refid;   // display form (".INIT.", address or name)
  int stratum = 16;
  char type = 'u';
  std::string when = "-";
  std::string poll = "-";
  unsigned reach = 0;
  double delay_ms = 0, offset_ms = 0, jitter_ms = 0;
};

// Reverse lookup hook: address text → host name (or the address). Returns
// the text unchanged when numeric output is wanted.
using NameLookup = std::function<std::string(const std::string&)>;

// From a READVAR answer of one association. `now` = NTP seconds of the
// daemon's clock (for `when`).
PeerRow make_peer_row(uint16_t association, uint16_t status, const Variables& vars, double now,
                      const NameLookup& lookup);

std::string peers_header();  // header + 78 '=' lines, each ending in '\n'
std::string format_peer_row(const PeerRow& row);
std::string apeers_header();
std::string format_apeer_row(const PeerRow& row);
std::string peers_json(const std::vector<PeerRow>& rows);

// `associations`: (association id, peer status word) pairs.
std::string associations_table(const std::vector<std::pair<uint16_t, uint16_t>>& assocs);
std::string associations_json(const std::vector<std::pair<uint16_t, uint16_t>>& assocs);

// RFC 9327 status words as ntpq prints them after "status=%04x ".
std::string system_status_text(uint16_t status);
std::string peer_status_text(uint16_t status);

// `readvar`: "associd=N status=XXXX <decoded>,\n" + cooked variables.
std::string readvar_text(uint16_t association, uint16_t status, const Variables& vars);
std::string readvar_json(uint16_t association, uint16_t status, const Variables& vars);

// `sysinfo` from the system variables.
std::string sysinfo_text(uint16_t status, const Variables& vars, const std::string& peer_name);

std::string json_string(std::string_view s);

}  // namespace meridian::ntpq
