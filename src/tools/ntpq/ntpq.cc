#include "tools/ntpq/ntpq.h"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <map>
#include <sstream>

#include "core/control/local_clock_peer.h"
#include "platform/command_line.h"
#include "platform/socket_address.h"
#include "tools/ntpq/format.h"
#include "tools/ntpq/line_reader.h"
#include "tools/ntpq/session.h"

namespace meridian::ntpq {
namespace {

constexpr const char* kCommandHelp =
    "commands: peers (-p), lpeers, opeers, apeers, associations (as), readvar (rv) [assoc] "
    "[var,...], mrulist, sysinfo, sysstats, version, host [HOST], raw, cooked, json, help, quit\n";

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

// Reverse lookup of an address literal (classic ntpq shows host names, cut to 15).
// Reference clock pseudo-addresses (127.127.T.U) show their driver's name,
// LOCAL(0), as in classic ntpq.
std::string reverse_lookup(const std::string& text) {
  static std::map<std::string, std::string> cache;
  if (auto it = cache.find(text); it != cache.end()) return it->second;
  std::string name = text;
  const auto address = net::IpAddress::parse(text);
  if (auto refclock = address ? control::refclock_name(*address) : std::nullopt) return *refclock;
  if (address) {
    sockaddr_storage storage{};
    const socklen_t length = platform::to_sockaddr(net::Endpoint{*address, 0}, storage);
    char host[NI_MAXHOST];
    if (getnameinfo(reinterpret_cast<const sockaddr*>(&storage), length, host, sizeof host, nullptr,
                    0, NI_NAMEREQD) == 0) {
      name = host;
    }
  }
  cache[text] = name;
  return name;
}

class Shell {
 public:
  Shell(const Options& o, std::FILE* out, std::FILE* err) : o_(o), out_(out), err_(err) {
    json_ = o.json;
  }

  bool connect(const std::string& host) {
    auto target = resolve_target(host, o_.port, o_.family);
    if (!target) {
      fmt::print(err_, "ntpq: {}: {}\n", host, target.error().message);
      return false;
    }
    auto session = Session::open(*target, o_.timeout_s);
    if (!session) {
      fmt::print(err_, "ntpq: {}\n", session.error().message);
      return false;
    }
    session_.emplace(std::move(*session));
    host_ = host;
    return true;
  }

  // Returns false when the command failed.
  bool execute(const std::string& line) {
    const auto words = split_words(line);
    if (words.empty()) return true;
    const std::string& cmd = words[0];
    const std::vector<std::string> args(words.begin() + 1, words.end());
    if (cmd == "help" || cmd == "?") {
      fmt::print(out_, "{}", kCommandHelp);
      return true;
    }
    if (cmd == "version") {
      fmt::print(out_, "ntpq Meridian {}\n", MERIDIAN_VERSION);
      return true;
    }
    if (cmd == "raw" || cmd == "cooked") {
      raw_ = cmd == "raw";
      return true;
    }
    if (cmd == "json") {
      json_ = !json_;
      return true;
    }
    if (cmd == "host") {
      if (args.empty()) {
        fmt::print(out_, "current host is {}\n", host_);
        return true;
      }
      return connect(args[0]);
    }
    if (!session_) {
      fmt::print(err_, "***No host open, use `host' command\n");
      return false;
    }
    if (cmd == "peers" || cmd == "lpeers" || cmd == "pe") return peers(false, false);
    if (cmd == "apeers") return peers(true, false);
    if (cmd == "opeers") return peers(false, true);
    if (cmd == "associations" || cmd == "as" || cmd == "lassociations") return associations();
    if (cmd == "readvar" || cmd == "rv") return readvar(args);
    if (cmd == "sysinfo") return sysinfo();
    if (cmd == "sysstats") return sysstats();
    if (cmd == "mrulist") return mrulist();
    fmt::print(err_, "***Command `{}' unknown\n", cmd);
    return false;
  }

 private:
  bool fail(const Error& e) {
    fmt::print(err_, "{}\n", e.message);
    return false;
  }

  Result<std::vector<std::pair<uint16_t, uint16_t>>> read_associations() {
    auto r = session_->query(control::Opcode::kReadStatus, 0);
    if (!r) return r.error();
    std::vector<std::pair<uint16_t, uint16_t>> list;
    const std::string& d = r->data;
    for (size_t i = 0; i + 4 <= d.size(); i += 4) {
      auto byte = [&](size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(d[k])); };
      list.emplace_back(static_cast<uint16_t>(byte(i) << 8 | byte(i + 1)),
                        static_cast<uint16_t>(byte(i + 2) << 8 | byte(i + 3)));
    }
    associations_ = list;
    return list;
  }

  bool associations() {
    auto list = read_associations();
    if (!list) return fail(list.error());
    fmt::print(out_, "{}", json_ ? associations_json(*list) : associations_table(*list));
    return true;
  }

  bool peers(bool with_assid, bool old_style) {
    auto list = read_associations();
    if (!list) return fail(list.error());
    // `when` is measured on the daemon's clock, not ours (they may differ).
    double now = 0;
    if (auto sys = session_->query(control::Opcode::kReadVariables, 0, "clock")) {
      now = parse_ntp_hex(find_variable(parse_variables(sys->data), "clock").value_or(""))
                .value_or(0);
    }
    if (now == 0) {
      now = static_cast<double>(std::time(nullptr)) + 2208988800.0;
      if (now >= 4294967296.0) now -= 4294967296.0;
    }
    const NameLookup lookup = o_.numeric ? NameLookup{} : NameLookup{reverse_lookup};
    std::vector<PeerRow> rows;
    for (const auto& [id, status] : *list) {
      auto r = session_->query(control::Opcode::kReadVariables, id);
      if (!r) return fail(r.error());
      const auto vars = parse_variables(r->data);
      PeerRow row = make_peer_row(id, status, vars, now, lookup);
      if (old_style) {
        row.refid = find_variable(vars, "dstadr").value_or("");
        row.jitter_ms = std::atof(find_variable(vars, "dispersion").value_or("0").c_str());
      }
      rows.push_back(row);
    }
    if (json_) {
      fmt::print(out_, "{}", peers_json(rows));
      return true;
    }
    if (old_style) {
      fmt::print(
          out_,
          "     remote           local      st t when poll reach   delay   offset    disp\n{}\n",
          std::string(78, '='));
    } else {
      fmt::print(out_, "{}", with_assid ? apeers_header() : peers_header());
    }
    for (const auto& row : rows) {
      fmt::print(out_, "{}", with_assid ? format_apeer_row(row) : format_peer_row(row));
    }
    return true;
  }

  bool readvar(const std::vector<std::string>& args) {
    uint16_t assoc = 0;
    std::string names;
    size_t next = 0;
    if (!args.empty()) {
      std::string a = args[0];
      if (!a.empty() && a[0] == '&') {
        if (associations_.empty() && !read_associations()) return false;
        const long index = std::strtol(a.c_str() + 1, nullptr, 10);
        if (index < 1 || static_cast<size_t>(index) > associations_.size()) {
          fmt::print(err_, "***Association index {} out of range\n", a);
          return false;
        }
        assoc = associations_[static_cast<size_t>(index - 1)].first;
        next = 1;
      } else if (std::isdigit(static_cast<unsigned char>(a[0])) != 0) {
        assoc = static_cast<uint16_t>(std::strtoul(a.c_str(), nullptr, 0));
        next = 1;
      }
    }
    for (size_t i = next; i < args.size(); ++i) names += (names.empty() ? "" : ",") + args[i];
    auto r = session_->query(control::Opcode::kReadVariables, assoc, names);
    if (!r) return fail(r.error());
    const auto vars = parse_variables(r->data);
    if (json_) {
      fmt::print(out_, "{}", readvar_json(assoc, r->status, vars));
    } else if (raw_) {
      std::string text = r->data;
      for (size_t p; (p = text.find('\r')) != std::string::npos;) text.erase(p, 1);
      fmt::print(out_, "associd={} status={:04x},\n{}", assoc, r->status, text);
    } else {
      fmt::print(out_, "{}", readvar_text(assoc, r->status, vars));
    }
    return true;
  }

  bool sysinfo() {
    auto r = session_->query(control::Opcode::kReadVariables, 0);
    if (!r) return fail(r.error());
    const auto vars = parse_variables(r->data);
    if (json_) {
      fmt::print(out_, "{}", readvar_json(0, r->status, vars));
      return true;
    }
    std::string peer = "-";
    const auto peer_id =
        std::strtoul(find_variable(vars, "peer").value_or("0").c_str(), nullptr, 0);
    if (peer_id != 0) {
      if (auto p = session_->query(control::Opcode::kReadVariables, static_cast<uint16_t>(peer_id),
                                   "srcadr,srcport")) {
        const auto pv = parse_variables(p->data);
        const std::string addr = find_variable(pv, "srcadr").value_or("?");
        peer = fmt::format("{}:{}", o_.numeric ? addr : reverse_lookup(addr),
                           find_variable(pv, "srcport").value_or("123"));
      }
    }
    fmt::print(out_, "{}", sysinfo_text(r->status, vars, peer));
    return true;
  }

  // NTPsec/classic layout: one "label: value" line per ss_* counter.
  bool sysstats() {
    static constexpr std::pair<const char*, const char*> kStats[] = {
        {"ss_uptime", "uptime:"},
        {"ss_reset", "sysstats reset:"},
        {"ss_received", "packets received:"},
        {"ss_thisver", "current version:"},
        {"ss_oldver", "older version:"},
        {"ss_badformat", "bad length or format:"},
        {"ss_badauth", "authentication failed:"},
        {"ss_declined", "declined:"},
        {"ss_restricted", "restricted:"},
        {"ss_limited", "rate limited:"},
        {"ss_kodsent", "KoD responses:"},
        {"ss_processed", "processed for time:"},
    };
    std::string names;
    for (const auto& [name, label] : kStats)
      names += (names.empty() ? "" : ",") + std::string(name);
    auto r = session_->query(control::Opcode::kReadVariables, 0, names);
    if (!r) return fail(r.error());
    const auto vars = parse_variables(r->data);
    if (json_) {
      fmt::print(out_, "{}", readvar_json(0, r->status, vars));
      return true;
    }
    for (const auto& [name, label] : kStats) {
      fmt::print(out_, "{:<24}{}\n", label, find_variable(vars, name).value_or("-"));
    }
    return true;
  }

  bool mrulist() {
    auto n = session_->query(control::Opcode::kRequestNonce, 0);
    if (!n) return fail(n.error());
    std::string nonce = n->data;
    while (!nonce.empty() && (nonce.back() == '\n' || nonce.back() == '\r')) nonce.pop_back();
    struct Entry {
      std::string addr;
      double last = 0, first = 0;
      long count = 0;
      unsigned mv = 0, rs = 0;
    };
    std::vector<Entry> entries;
    double now = 0;
    for (int round = 0; round < 64 && now == 0; ++round) {
      std::string request = nonce + ", frags=16";
      if (!entries.empty()) {
        request += fmt::format(", addr.0={}, last.0=", entries.back().addr);
      }
      auto r = session_->query(control::Opcode::kReadMru, 0, request);
      if (!r) return fail(r.error());
      std::map<std::string, Entry> batch;
      for (const auto& [name, value] : parse_variables(r->data)) {
        const size_t dot = name.find('.');
        if (name == "nonce") nonce = "nonce=" + value;
        if (name == "now") now = parse_ntp_hex(value).value_or(0);
        if (dot == std::string::npos || name == "last.newest") continue;
        Entry& e = batch[name.substr(dot + 1)];
        const std::string field = name.substr(0, dot);
        if (field == "addr") e.addr = value;
        if (field == "last") e.last = parse_ntp_hex(value).value_or(0);
        if (field == "first") e.first = parse_ntp_hex(value).value_or(0);
        if (field == "ct") e.count = std::strtol(value.c_str(), nullptr, 0);
        if (field == "mv") e.mv = static_cast<unsigned>(std::strtoul(value.c_str(), nullptr, 0));
        if (field == "rs") e.rs = static_cast<unsigned>(std::strtoul(value.c_str(), nullptr, 0));
      }
      std::vector<std::pair<long, Entry>> ordered;
      for (auto& [index, e] : batch)
        ordered.emplace_back(std::strtol(index.c_str(), nullptr, 10), e);
      std::sort(ordered.begin(), ordered.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      if (ordered.empty() && now == 0) break;
      for (auto& [index, e] : ordered) entries.push_back(e);
    }
    if (json_) {
      std::string out = "[";
      for (size_t i = entries.size(); i-- > 0;) {
        const Entry& e = entries[i];
        out += fmt::format(
            "{}{{\"addr\":{},\"last_s_ago\":{:.0f},\"first_s_ago\":{:.0f},"
            "\"count\":{},\"mode\":{},\"version\":{},\"restrict\":\"0x{:x}\"}}",
            out.size() > 1 ? "," : "", json_string(e.addr), now - e.last, now - e.first, e.count,
            e.mv & 7, (e.mv >> 3) & 7, e.rs);
      }
      fmt::print(out_, "{}]\n", out);
      return true;
    }
    fmt::print(out_, "lstint avgint rstr r m v  count rport remote address\n{}\n",
               std::string(78, '='));
    for (size_t i = entries.size(); i-- > 0;) {  // newest first
      const Entry& e = entries[i];
      const long lstint = std::lround(now - e.last);
      const long avgint =
          e.count > 1 ? std::lround((e.last - e.first) / static_cast<double>(e.count - 1)) : 0;
      std::string addr = e.addr, port;
      if (const size_t colon = addr.rfind(':'); colon != std::string::npos) {
        port = addr.substr(colon + 1);
        addr = addr.substr(0, colon);
        if (addr.size() > 2 && addr.front() == '[') addr = addr.substr(1, addr.size() - 2);
      }
      fmt::print(out_, "{:>6} {:>6} {:>4x} {} {} {} {:>6} {:>5} {}\n", lstint, avgint,
                 e.rs & 0xffff, '.', e.mv & 7, (e.mv >> 3) & 7, e.count, port,
                 o_.numeric ? addr : reverse_lookup(addr));
    }
    return true;
  }

  const Options& o_;
  std::FILE* out_;
  std::FILE* err_;
  std::optional<Session> session_;
  std::string host_;
  std::vector<std::pair<uint16_t, uint16_t>> associations_;
  bool raw_ = false;
  bool json_ = false;
};

}  // namespace

std::string usage() {
  return "usage: ntpq [-46dinp] [--json] [--port N] [-t SECONDS] [-c CMD]... [host[:port]]...\n" +
         std::string(kCommandHelp);
}

Result<Options> parse_options(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* what) -> Result<std::string> {
      if (i + 1 >= args.size()) {
        return make_error(ErrorCode::kInvalidArgument, fmt::format("{} needs {}", a, what));
      }
      return args[++i];
    };
    if (a == "--json") {
      o.json = true;
    } else if (a == "--help" || a == "-h") {
      o.show_help = true;
    } else if (a == "--version" || a == "-V") {
      o.show_version = true;
    } else if (a == "--port") {
      auto v = value("a port");
      if (!v) return v.error();
      auto p = platform::parse_integer(v->c_str(), "--port", 1, 65535);
      if (!p) return p.error();
      o.port = static_cast<uint16_t>(*p);
    } else if (a == "-t" || a == "--timeout") {
      auto v = value("seconds");
      if (!v) return v.error();
      auto t = platform::parse_number(v->c_str(), "-t");
      if (!t) return t.error();
      o.timeout_s = *t;
    } else if (a.size() > 1 && a[0] == '-' && a[1] != '-') {
      for (size_t k = 1; k < a.size(); ++k) {
        switch (a[k]) {
          case '4':
            o.family = net::Family::kIPv4;
            break;
          case '6':
            o.family = net::Family::kIPv6;
            break;
          case 'd':
            o.debug = true;
            break;
          case 'i':
            o.interactive = true;
            break;
          case 'n':
            o.numeric = true;
            break;
          case 'p':
            o.commands.emplace_back("peers");
            break;
          case 'c': {
            std::string cmd = a.substr(k + 1);
            if (cmd.empty()) {
              auto v = value("a command");
              if (!v) return v.error();
              cmd = *v;
            }
            o.commands.push_back(cmd);
            k = a.size();
            break;
          }
          default:
            return make_error(ErrorCode::kInvalidArgument, fmt::format("unknown option -{}", a[k]));
        }
      }
    } else if (!a.empty() && a[0] == '-') {
      return make_error(ErrorCode::kInvalidArgument, "unknown option " + a);
    } else {
      o.hosts.push_back(a);
    }
  }
  if (o.commands.empty()) o.interactive = true;
  if (o.hosts.empty()) o.hosts.emplace_back("localhost");
  return o;
}

int run(const Options& options, std::FILE* in, std::FILE* out, std::FILE* err) {
  Shell shell(options, out, err);
  bool ok = true;
  for (const auto& host : options.hosts) {
    if (!shell.connect(host)) {
      ok = false;
      continue;
    }
    if (options.hosts.size() > 1 && !options.json) fmt::print(out, "server={} ", host);
    for (const auto& cmd : options.commands) ok = shell.execute(cmd) && ok;
  }
  if (!options.interactive) return ok ? 0 : 1;
  // The prompt: one command per line, with line editing and history on a terminal.
  LineReader reader(in, out);
  while (auto text = reader.read("ntpq> ")) {
    if (*text == "quit" || *text == "exit" || *text == "q") break;
    shell.execute(*text);
    std::fflush(out);
  }
  return 0;
}

}  // namespace meridian::ntpq
