#include "tools/ntpq/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "core/net/address.h"

namespace meridian::ntpq {
namespace {

constexpr size_t kCookWidth = 78;  // NTPsec ntpq: terminal width (80) − 2

constexpr std::array<const char*, 4> kLeapNames = {"leap_none", "leap_add_sec", "leap_del_sec",
                                                   "leap_alarm"};
constexpr std::array<const char*, 10> kSourceNames = {
    "sync_unspec", "sync_pps", "sync_lf_radio", "sync_hf_radio",   "sync_uhf_radio",
    "sync_local",  "sync_ntp", "sync_other",    "sync_wristwatch", "sync_telephone"};
constexpr std::array<const char*, 16> kSystemEvents = {
    "unspecified",    "freq_not_set", "freq_set",      "spike_detect",
    "freq_mode",      "clock_sync",   "restart",       "panic_stop",
    "no_system_peer", "leap_armed",   "leap_disarmed", "leap_event",
    "clock_step",     "kern",         "TAI",           "stale_leapsecond_values"};
constexpr std::array<const char*, 16> kPeerEvents = {
    "unspecified",   "mobilize",   "demobilize",      "unreachable",
    "reachable",     "restart",    "no_reply",        "rate_exceeded",
    "access_denied", "leap_armed", "sys_peer",        "clock_event",
    "bad_auth",      "popcorn",    "interleave_mode", "interleave_error"};
constexpr std::array<const char*, 8> kSelections = {
    "reject", "falsetick", "excess", "outlier", "candidate", "backup", "sys.peer", "pps.peer"};
constexpr char kTally[] = " x.-+#*o";

std::optional<long long> parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  std::string_view digits = s;
  if (digits.front() == '-' || digits.front() == '+') {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    return std::nullopt;  // Python's int(x, 0) refuses leading zeros
  }
  long long v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    return std::nullopt;
  }
  return negative ? -v : v;
}

std::optional<double> parse_float(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Python's repr(float): shortest round-trip digits, fixed for 1e-4 ≤ |v| < 1e16.
std::string py_float(double v) {
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, end);
  const size_t e = sci.find('e');
  std::string mantissa = sci.substr(0, e);
  const int exponent = std::atoi(sci.c_str() + e + 1);
  std::string sign;
  if (mantissa[0] == '-') {
    sign = "-";
    mantissa.erase(0, 1);
  }
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  if (exponent >= -5 && exponent < 16) {
    std::string out;
    if (exponent < 0) {
      out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    } else {
      const auto point = static_cast<size_t>(exponent + 1);
      if (digits.size() <= point) {
        out = digits + std::string(point - digits.size(), '0') + ".0";
      } else {
        out = digits.substr(0, point) + "." + digits.substr(point);
      }
    }
    return sign + out;
  }
  return sign + mantissa + fmt::format("e{}{:02d}", exponent < 0 ? '-' : '+', std::abs(exponent));
}

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
    return std::string(v.substr(1, v.size() - 2));
  return std::string(v);
}

std::string cook_value(const std::string& name, const std::string& value) {
  if (name == "reftime" || name == "clock" || name == "org" || name == "rec" || name == "xmt") {
    return pretty_date(value);
  }
  if (name == "srcadr" || name == "peeradr" || name == "dstadr" || name == "refid") return value;
  if (name == "leap") {
    const auto v = parse_int(value);
    if (v && *v >= 0 && *v <= 3) return fmt::format("{}{}", (*v >> 1) & 1, *v & 1);
  }
  if (name == "reach") {
    if (const auto v = parse_int(value)) return fmt::format("{:03o}", *v);
  }
  if (name == "flash") {
    if (const auto v = parse_int(value)) return fmt::format("{:02x} {}", *v, *v == 0 ? "ok" : "");
  }
  if (const auto i = parse_int(value)) return fmt::format("{}", *i);
  if (const auto f = parse_float(value)) return py_float(*f);
  return "\"" + unquote(value) + "\"";
}

std::string json_value(const std::string& value) {
  if (const auto i = parse_int(value)) return fmt::format("{}", *i);
  if (const auto f = parse_float(value); f && std::isfinite(*f)) return value;
  return json_string(unquote(value));
}

}  // namespace

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::optional<double> parse_ntp_hex(std::string_view text) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text.remove_prefix(2);
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  uint32_t s = 0, f = 0;
  auto a = std::from_chars(text.data(), text.data() + dot, s, 16);
  auto b = std::from_chars(text.data() + dot + 1, text.data() + text.size(), f, 16);
  if (a.ec != std::errc() || b.ec != std::errc() || a.ptr != text.data() + dot ||
      b.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return static_cast<double>(s) + static_cast<double>(f) / 4294967296.0;
}

std::string pretty_date(std::string_view hex) {
  std::string_view h = hex;
  if (h.size() > 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X')) h.remove_prefix(2);
  const auto t = parse_ntp_hex(h);
  if (!t) return std::string(hex);
  // Era 0 before 2036; later timestamps are in era 1 (RFC 5905 §6 pivot).
  double unix_s = *t - 2208988800.0;
  if (*t < 2147483648.0) unix_s += 4294967296.0;
  const auto whole = static_cast<std::time_t>(std::floor(unix_s));
  // Milliseconds truncated, as NTPsec's prettydate does.
  const auto ms = std::min(999, static_cast<int>((unix_s - std::floor(unix_s)) * 1000));
  std::tm tm{};
  gmtime_r(&whole, &tm);
  return fmt::format("{} {:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", h, tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

std::string pretty_interval(long diff) {
  if (diff < 0) return "-";
  if (diff <= 2048) return fmt::format("{}", diff);
  diff = (diff + 29) / 60;
  if (diff <= 300) return fmt::format("{}m", diff);
  diff = (diff + 29) / 60;
  if (diff <= 96) return fmt::format("{}h", diff);
  diff = (diff + 11) / 24;
  return fmt::format("{}d", diff);
}

PeerRow make_peer_row(uint16_t association, uint16_t status, const Variables& vars, double now,
                      const NameLookup& lookup) {
  PeerRow row;
  row.association = association;
  row.tally = kTally[(status >> 8) & 7];
  auto get = [&](std::string_view name) -> std::string {
    for (const auto& [n, v] : vars) {
      if (n == name) return v;
    }
    return "";
  };
  const std::string srcadr = get("srcadr");
  row.remote = lookup ? lookup(srcadr) : srcadr;
  row.stratum = static_cast<int>(parse_int(get("stratum")).value_or(16));
  const std::string refid = get("refid");
  if (net::IpAddress::parse(refid) && row.stratum > 1 && row.stratum < 16) {
    row.refid = lookup ? lookup(refid) : refid;
  } else if (refid.size() <= 4) {
    row.refid = "." + refid + ".";
  } else {
    row.refid = refid;
  }
  const auto hmode = parse_int(get("hmode")).value_or(3);
  if (srcadr.rfind("127.127.", 0) == 0) {
    row.type = 'l';
  } else if (hmode == 1 || hmode == 2) {
    row.type = 's';
  } else if (hmode == 5) {
    row.type = 'b';
  } else if (hmode == 6) {
    row.type = 'B';
  } else {
    row.type = 'u';
  }
  const auto rec = parse_ntp_hex(get("rec"));
  if (rec && *rec > 0 && now > 0) row.when = pretty_interval(std::lround(now - *rec));
  const auto hpoll = parse_int(get("hpoll"));
  if (hpoll && *hpoll >= 0 && *hpoll < 31) row.poll = pretty_interval(1L << *hpoll);
  row.reach = static_cast<unsigned>(parse_int(get("reach")).value_or(0) & 0xff);
  row.delay_ms = parse_float(get("delay")).value_or(0);
  row.offset_ms = parse_float(get("offset")).value_or(0);
  row.jitter_ms = parse_float(get("jitter")).value_or(0);
  return row;
}

std::string peers_header() {
  return "     remote           refid      st t when poll reach   delay   offset  jitter\n" +
         std::string(78, '=') + "\n";
}

std::string format_peer_row(const PeerRow& r) {
  // Classic: "%c%-15.15s %-15.15s %2d %c %4.4s %4.4s  %3o  %7.7s %8.7s %7.7s"
  const std::string delay = fmt::format("{:.3f}", r.delay_ms);
  const std::string offset = fmt::format("{:.3f}", r.offset_ms);
  const std::string jitter = fmt::format("{:.3f}", r.jitter_ms);
  auto cut = [](const std::string& s, size_t n) { return s.substr(0, n); };
  return fmt::format("{}{:<15} {:<15} {:>2} {} {:>4} {:>4}  {:>3o}  {:>7} {:>8} {:>7}\n", r.tally,
                     cut(r.remote, 15), cut(r.refid, 15), r.stratum, r.type, cut(r.when, 4),
                     cut(r.poll, 4), r.reach, cut(delay, 7), cut(offset, 7), cut(jitter, 7));
}

std::string apeers_header() {
  return "     remote       refid   assid  st t when poll reach   delay   offset  jitter\n" +
         std::string(78, '=') + "\n";
}

std::string format_apeer_row(const PeerRow& r) {
  const std::string delay = fmt::format("{:.3f}", r.delay_ms);
  const std::string offset = fmt::format("{:.3f}", r.offset_ms);
  const std::string jitter = fmt::format("{:.3f}", r.jitter_ms);
  auto cut = [](const std::string& s, size_t n) { return s.substr(0, n); };
  return fmt::format("{}{:<15} {:<8} {:>5} {:>2} {} {:>4} {:>4}  {:>3o}  {:>7} {:>8} {:>7}\n",
                     r.tally, cut(r.remote, 15), cut(r.refid, 8), r.association, r.stratum, r.type,
                     cut(r.when, 4), cut(r.poll, 4), r.reach, cut(delay, 7), cut(offset, 7),
                     cut(jitter, 7));
}

std::string peers_json(const std::vector<PeerRow>& rows) {
  std::string out = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const PeerRow& r = rows[i];
    out += fmt::format(
        "{}{{\"assid\":{},\"tally\":{},\"remote\":{},\"refid\":{},\"stratum\":{},\"type\":{},"
        "\"when\":{},\"poll\":{},\"reach\":{},\"delay_ms\":{:.6f},\"offset_ms\":{:.6f},"
        "\"jitter_ms\":{:.6f}}}",
        i == 0 ? "" : ",", r.association, json_string(std::string(1, r.tally)),
        json_string(r.remote), json_string(r.refid), r.stratum, json_string(std::string(1, r.type)),
        json_string(r.when), json_string(r.poll), r.reach, r.delay_ms, r.offset_ms, r.jitter_ms);
  }
  return out + "]\n";
}

namespace {
// The `as` auth column from the status word's high byte: auth enabled (0x40)
// and authentic (0x20), as classic ntpq prints it.
const char* auth_column(unsigned hi) {
  return (hi & 0x40) != 0 ? ((hi & 0x20) != 0 ? "ok" : "bad") : "none";
}
}  // namespace

std::string associations_table(const std::vector<std::pair<uint16_t, uint16_t>>& assocs) {
  std::string out = "\nind assid status  conf reach auth condition  last_event cnt\n" +
                    std::string(59, '=') + "\n";
  int index = 1;
  for (const auto& [id, st] : assocs) {
    const unsigned hi = st >> 8;
    const char* auth = auth_column(hi);
    const unsigned count = (st >> 4) & 0xf;
    const char* event = count > 0 ? kPeerEvents[st & 0xf] : "";
    out += fmt::format("{:>3} {:>5}  {:04x}   {:>3.3}  {:>4}  {:>4.4} {:>9.9} {:>11} {:>2}\n",
                       index++, id, st, (hi & 0x80) != 0 ? "yes" : "no",
                       (hi & 0x10) != 0 ? "yes" : "no", auth, kSelections[hi & 7], event, count);
  }
  return out;
}

std::string associations_json(const std::vector<std::pair<uint16_t, uint16_t>>& assocs) {
  std::string out = "[";
  int index = 1;
  for (const auto& [id, st] : assocs) {
    const unsigned hi = st >> 8;
    out += fmt::format(
        "{}{{\"ind\":{},\"assid\":{},\"status\":\"{:04x}\",\"conf\":{},\"reach\":{},"
        "\"auth\":{},\"condition\":{},\"last_event\":{},\"event_count\":{}}}",
        index == 1 ? "" : ",", index, id, st, (hi & 0x80) != 0, (hi & 0x10) != 0,
        json_string(auth_column(hi)), json_string(kSelections[hi & 7]),
        json_string(kPeerEvents[st & 0xf]), (st >> 4) & 0xf);
    ++index;
  }
  return out + "]\n";
}

std::string system_status_text(uint16_t st) {
  const unsigned source = (st >> 8) & 0x3f;
  const unsigned count = (st >> 4) & 0xf;
  std::string out =
      fmt::format("{}, {}, {} event{}", kLeapNames[st >> 14],
                  source < kSourceNames.size() ? kSourceNames[source] : "sync_unknown", count,
                  count == 1 ? "" : "s");
  if (count > 0) out += fmt::format(", {}", kSystemEvents[st & 0xf]);
  return out;
}

std::string peer_status_text(uint16_t st) {
  const unsigned hi = st >> 8;
  std::string out;
  if (hi & 0x80) out += "conf, ";
  if (hi & 0x40) out += "authenb, ";
  if (hi & 0x20) out += "auth, ";
  if (hi & 0x10) out += "reach, ";
  if (hi & 0x08) out += "bcast, ";
  const unsigned count = (st >> 4) & 0xf;
  out += fmt::format("sel_{}, {} event{}", kSelections[hi & 7], count, count == 1 ? "" : "s");
  if (count > 0) out += fmt::format(", {}", kPeerEvents[st & 0xf]);
  return out;
}

std::string readvar_text(uint16_t association, uint16_t status, const Variables& vars) {
  std::string out =
      fmt::format("associd={} status={:04x} {},\n", association, status,
                  association == 0 ? system_status_text(status) : peer_status_text(status));
  std::string text;
  size_t line = 0;  // characters since the last newline of `text`
  for (const auto& [name, value] : vars) {
    const std::string item = name + "=" + cook_value(name, value) + ", ";
    if (line + item.size() > kCookWidth && !text.empty()) {
      text.back() = '\n';
      line = 0;
    }
    text += item;
    line += item.size();
  }
  if (text.size() >= 2) text.resize(text.size() - 2);
  return out + text + "\n";
}

std::string readvar_json(uint16_t association, uint16_t status, const Variables& vars) {
  std::string out = fmt::format(
      "{{\"associd\":{},\"status\":\"{:04x}\",\"status_text\":{},\"variables\":{{", association,
      status,
      json_string(association == 0 ? system_status_text(status) : peer_status_text(status)));
  for (size_t i = 0; i < vars.size(); ++i) {
    out += fmt::format("{}{}:{}", i == 0 ? "" : ",", json_string(vars[i].first),
                       json_value(vars[i].second));
  }
  return out + "}}\n";
}

std::string sysinfo_text(uint16_t status, const Variables& vars, const std::string& peer_name) {
  auto get = [&](std::string_view name) -> std::string {
    for (const auto& [n, v] : vars) {
      if (n == name) return cook_value(n, v);
    }
    return "";
  };
  auto line = [](std::string_view label, const std::string& value) {
    const size_t width = label.size() + value.size() < 32 ? 32 - label.size() : value.size() + 1;
    return fmt::format("{}{:>{}}\n", label, value, width);
  };
  std::string out =
      fmt::format("associd=0 status={:04x} {},\n", status, system_status_text(status));
  out += fmt::format("system peer:       {}\n", peer_name);
  out += "system peer mode:   client\n";
  out += line("leap indicator:", get("leap"));
  out += line("stratum:", get("stratum"));
  out += line("log2 precision:", get("precision"));
  out += line("root delay:", get("rootdelay"));
  out += line("root dispersion:", get("rootdisp"));
  out += line("reference ID:", get("refid"));
  out += fmt::format("reference time:    {}\n", get("reftime"));
  out += line("system jitter:", get("sys_jitter"));
  out += line("clock jitter:", get("clk_jitter"));
  out += line("clock wander:", get("clk_wander"));
  return out;
}

}  // namespace meridian::ntpq
