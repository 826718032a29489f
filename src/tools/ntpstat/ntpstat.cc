#include "tools/ntpstat/ntpstat.h"

#include <fmt/format.h>

#include <cstdlib>

#include "platform/command_line.h"
#include "tools/ntpq/session.h"

namespace meridian::ntpstat {
namespace {

// RFC 9327 §2.3 clock sources, with the names classic ntpstat prints.
constexpr const char* kSourceNames[] = {"unspecified", "atomic clock", "VLF radio",  "HF radio",
                                        "UHF radio",   "local net",    "NTP server", "UDP/TIME",
                                        "wristwatch",  "modem"};

std::string value_of(const std::vector<std::pair<std::string, std::string>>& vars,
                     std::string_view name) {
  return ntpq::find_variable(vars, name).value_or("");
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

}  // namespace

std::string usage() { return "usage: ntpstat [--json] [-t SECONDS] [--port N] [host[:port]]\n"; }

Result<Options> parse_options(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto next = [&]() -> Result<std::string> {
      if (i + 1 >= args.size())
        return make_error(ErrorCode::kInvalidArgument, a + " needs a value");
      return args[++i];
    };
    if (a == "--json" || a == "-j") {
      o.json = true;
    } else if (a == "-h" || a == "--help") {
      o.show_help = true;
    } else if (a == "-V" || a == "--version") {
      o.show_version = true;
    } else if (a == "-t" || a == "--timeout") {
      auto v = next();
      if (!v) return v.error();
      auto t = platform::parse_number(v->c_str(), "-t");
      if (!t) return t.error();
      o.timeout_s = *t;
    } else if (a == "--port" || a == "-p") {
      auto v = next();
      if (!v) return v.error();
      auto p = platform::parse_integer(v->c_str(), "--port", 1, 65535);
      if (!p) return p.error();
      o.port = static_cast<uint16_t>(*p);
    } else if (!a.empty() && a[0] == '-') {
      return make_error(ErrorCode::kInvalidArgument, "unknown option " + a);
    } else {
      o.host = a;
    }
  }
  return o;
}

Report make_report(uint16_t status, const std::vector<std::pair<std::string, std::string>>& vars,
                   bool json) {
  Report r;
  const unsigned leap = status >> 14;
  const unsigned source = (status >> 8) & 0x3f;
  const unsigned event = status & 0xf;
  const std::string stratum = value_of(vars, "stratum");
  const std::string refid = value_of(vars, "refid");
  const double rootdelay = std::atof(value_of(vars, "rootdelay").c_str());
  const double rootdisp = std::atof(value_of(vars, "rootdisp").c_str());
  const int tc = std::atoi(value_of(vars, "tc").c_str());
  const long poll = tc >= 0 && tc < 31 ? 1L << tc : 0;
  const double within_ms = rootdisp + rootdelay / 2;
  const bool synced = leap != 3;
  r.exit_status = synced ? 0 : 1;
  if (json) {
    r.text = fmt::format(
        "{{\"synchronised\":{},\"source\":{},\"refid\":{},\"stratum\":{},"
        "\"correct_within_ms\":{:.3f},\"poll_s\":{},\"leap\":{},\"restarting\":{}}}\n",
        synced ? "true" : "false",
        json_string(source < 10 ? kSourceNames[source] : "unknown source"), json_string(refid),
        stratum.empty() ? "null" : stratum, within_ms, poll, leap,
        !synced && event == 1 ? "true" : "false");
    return r;
  }
  if (!synced) {
    r.text = "unsynchronised\n";
    if (event == 1) r.text += "  time server re-starting\n";
  } else {
    r.text = "synchronised to ";
    r.text += source < 10 ? kSourceNames[source] : "unknown source";
    if (source == 6) r.text += fmt::format(" ({})", refid);
    r.text += fmt::format(" at stratum {} \n", stratum);
    r.text += fmt::format("   time correct to within {:.0f} ms\n", within_ms);
  }
  r.text += fmt::format("   polling server every {} s\n", poll);
  return r;
}

int run(const Options& options, std::FILE* out, std::FILE* err) {
  auto target = ntpq::resolve_target(options.host, options.port);
  if (!target) {
    fmt::print(err, "ntpstat: {}\n", target.error().message);
    return 2;
  }
  auto session = ntpq::Session::open(*target, options.timeout_s);
  if (!session) {
    fmt::print(err, "{}\n", kUnreachable);
    return 2;
  }
  auto response = session->query(control::Opcode::kReadVariables, 0);
  if (!response) {
    if (options.json) {
      fmt::print(out, "{{\"error\":\"{}\"}}\n", kUnreachable);
    } else {
      fmt::print(err, "{}\n", kUnreachable);
    }
    return 2;
  }
  const Report r =
      make_report(response->status, ntpq::parse_variables(response->data), options.json);
  fmt::print(out, "{}", r.text);
  return r.exit_status;
}

}  // namespace meridian::ntpstat
