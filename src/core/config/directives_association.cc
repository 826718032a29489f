// server / pool / peer lines, including the classic 127.127.T.U reference
// clock pseudo-addresses (127.127.1.U is the LOCAL clock driver).
#include <fmt/format.h>

#include <string_view>

#include "core/config/address_spec.h"
#include "core/config/parse_context.h"
#include "core/config/values.h"

namespace meridian::config::internal {

namespace {

// RFC 5905 §7.3: poll exponents the classic daemon accepts (NTP_MINPOLL..NTP_MAXPOLL).
constexpr int64_t kMinPoll = 3;
constexpr int64_t kMaxPoll = 17;

const char* kind_name(AssociationKind kind) {
  switch (kind) {
    case AssociationKind::kServer:
      return "server";
    case AssociationKind::kPool:
      return "pool";
    case AssociationKind::kPeer:
      return "peer";
  }
  return "server";
}

// Options recognised but without effect in Meridian: their reason.
const char* ignored_option_reason(std::string_view option) {
  if (option == "autokey") return "Autokey is not supported";
  if (option == "xleave") return "interleaved mode is not supported";
  if (option == "preempt") return "pool associations are always preemptible";
  if (option == "dynamic") return "obsolete";
  if (option == "noval") return "NTS certificate checks cannot be disabled";
  return nullptr;
}

// Options with a value that are recognised but without effect.
const char* ignored_valued_option_reason(std::string_view option) {
  if (option == "ttl") return "only used by broadcast and manycast modes";
  if (option == "mode") return "only used by reference clocks";
  if (option == "bias") return "NTPsec offset bias is not supported";
  if (option == "ask" || option == "require" || option == "aead" || option == "cert" ||
      option == "expire") {
    return "NTS options other than `nts`, `ntsport` and `ca` are not supported";
  }
  return nullptr;
}

// One option of a server/pool/peer line; returns false when its value was missing.
bool parse_association_option(ParseContext& ctx, Args& args, AssociationConfig& a) {
  const Token& opt_token = args.take();
  const std::string opt = to_lower(opt_token.text);
  const char* who = kind_name(a.kind);
  if (opt == "iburst") {
    a.iburst = true;
  } else if (opt == "burst") {
    a.burst = true;
  } else if (opt == "prefer") {
    a.prefer = true;
  } else if (opt == "noselect") {
    a.noselect = true;
  } else if (opt == "true") {
    a.true_ticker = true;
  } else if (opt == "nts") {
    // RFC 8915: authenticated by NTS, never used as plain NTP (engine/nts_source.h).
    a.nts = true;
  } else if (opt == "ntsport" || opt == "ca") {
    if (args.done()) {
      ctx.error(opt_token.line, fmt::format("{}: option '{}' needs a value", who, opt));
      return false;
    }
    const Token& value = args.take();
    if (opt == "ca") {
      a.nts_ca = value.text;
    } else if (auto n = integer_value(opt, value, 1, 65535); n.ok()) {
      a.nts_port = static_cast<uint16_t>(*n);
    } else {
      ctx.fatal(value.line, fmt::format("{}: {}", who, n.error().message));
    }
  } else if (const char* reason = ignored_option_reason(opt)) {
    ctx.no_effect(opt_token.line, fmt::format("{} {}", who, opt), reason);
  } else if (opt == "minpoll" || opt == "maxpoll" || opt == "key" || opt == "version" ||
             opt == "port" || ignored_valued_option_reason(opt) != nullptr) {
    if (args.done()) {
      ctx.error(opt_token.line, fmt::format("{}: option '{}' needs a value", who, opt));
      return false;
    }
    const Token& value = args.take();
    if (const char* why = ignored_valued_option_reason(opt)) {
      ctx.no_effect(opt_token.line, fmt::format("{} {}", who, opt), why);
      return true;
    }
    Result<int64_t> v = opt == "key"       ? integer_value(opt, value, 1, 65535)
                        : opt == "version" ? integer_value(opt, value, 1, 4)
                        : opt == "port"    ? integer_value(opt, value, 1, 65535)
                                           : integer_value(opt, value, kMinPoll, kMaxPoll);
    if (!v.ok()) {
      ctx.error(value.line, fmt::format("{}: {}; option ignored", who, v.error().message));
      return true;
    }
    if (opt == "minpoll") a.minpoll = static_cast<int>(*v);
    if (opt == "maxpoll") a.maxpoll = static_cast<int>(*v);
    if (opt == "key") a.key = static_cast<uint32_t>(*v);
    if (opt == "version") a.version = static_cast<int>(*v);
    if (opt == "port") a.port = static_cast<uint16_t>(*v);
  } else {
    ctx.error(opt_token.line,
              fmt::format("{}: unknown option '{}'; option ignored", who, opt_token.text));
    if (!args.done() && parse_number(args.peek().text)) args.take();  // its value
  }
  return true;
}

// `server 127.127.T.U [options]`: T = 1 is the LOCAL clock, others are
// recorded as reference clocks (which lint reports as unsupported).
void parse_refclock_server(ParseContext& ctx, Args& args, const Token& address_token,
                           const net::IpAddress& address) {
  const int type = address.bytes()[2];
  const int unit = address.bytes()[3];
  std::map<std::string, std::string> options;
  while (!args.done()) {
    const Token& opt_token = args.take();
    const std::string opt = to_lower(opt_token.text);
    if (opt == "prefer" || opt == "noselect" || opt == "true" || opt == "iburst" ||
        opt == "burst") {
      options[opt] = "";
    } else if (opt == "mode" || opt == "minpoll" || opt == "maxpoll" || opt == "ttl" ||
               opt == "version" || opt == "key") {
      if (args.done()) {
        ctx.error(opt_token.line, fmt::format("server: option '{}' needs a value", opt));
        break;
      }
      const Token& value = args.take();
      if (!parse_integer(value.text)) {
        ctx.error(value.line, fmt::format("server: {} '{}' is not an integer; option ignored", opt,
                                          value.text));
        continue;
      }
      options[opt] = value.text;
    } else {
      ctx.error(opt_token.line,
                fmt::format("server: unknown option '{}' for a reference clock; option ignored",
                            opt_token.text));
      if (!args.done() && parse_number(args.peek().text)) args.take();  // its value
    }
  }
  Config& config = ctx.config();
  if (type == 1) {
    for (const LocalClockConfig& existing : config.local_clocks) {
      if (existing.unit == unit) {
        ctx.warning(
            address_token.line,
            fmt::format("server {}: local clock unit {} already configured at {}:{}; "
                        "line ignored",
                        address_token.text, unit, existing.where.file, existing.where.line));
        return;
      }
    }
    LocalClockConfig local;
    local.unit = unit;
    local.prefer = options.count("prefer") > 0;
    local.where = ctx.at(address_token.line);
    config.local_clocks.push_back(std::move(local));
    return;
  }
  ctx.no_effect(address_token.line, fmt::format("server {}", address_token.text),
                "reference clock drivers other than LOCAL (127.127.1.u) are not supported; it "
                "will not be used");
  RefclockConfig refclock;
  refclock.driver = address.to_string();
  refclock.unit = unit;
  refclock.options = std::move(options);
  refclock.where = ctx.at(address_token.line);
  config.refclocks.push_back(std::move(refclock));
}

bool is_refclock_address(const net::IpAddress& a) {
  return a.family() == net::Family::kIPv4 && a.bytes()[0] == 127 && a.bytes()[1] == 127;
}

}  // namespace

void parse_association(ParseContext& ctx, const Statement& st) {
  Args args(st);
  AssociationConfig a;
  const std::string directive = to_lower(st.tokens.front().text);
  a.kind = directive == "pool"   ? AssociationKind::kPool
           : directive == "peer" ? AssociationKind::kPeer
                                 : AssociationKind::kServer;
  const char* who = kind_name(a.kind);
  a.family = args.take_family();
  if (args.done()) {
    ctx.fail(st.line, fmt::format("{}: missing address or host name", who));
    return;
  }
  const Token& address_token = args.take();
  auto spec = parse_address_spec(address_token.text, /*allow_prefix=*/false);
  if (!spec.ok()) {
    ctx.fail(address_token.line, fmt::format("{}: {}", who, spec.error().message));
    return;
  }
  if (spec->address && is_refclock_address(*spec->address)) {
    if (a.kind != AssociationKind::kServer) {
      ctx.fail(address_token.line,
               fmt::format("{}: reference clock address {} is only valid with 'server'", who,
                           address_token.text));
      return;
    }
    parse_refclock_server(ctx, args, address_token, *spec->address);
    return;
  }
  if (spec->address && a.family && *a.family != spec->address->family()) {
    ctx.fail(address_token.line, fmt::format("{}: {} is not an {} address", who, spec->text,
                                             *a.family == net::Family::kIPv4 ? "IPv4" : "IPv6"));
    return;
  }
  a.host = spec->text;
  a.where = ctx.at(st.line);
  if (a.kind == AssociationKind::kPeer) {
    ctx.warning(st.line, fmt::format("peer {}: symmetric mode is not supported; {} is polled as "
                                     "a server (client mode 3), as if the line said 'server'",
                                     a.host, a.host));
  }
  while (!args.done()) {
    if (!parse_association_option(ctx, args, a)) break;
  }
  if (a.minpoll && a.maxpoll && *a.minpoll > *a.maxpoll) {
    ctx.warning(st.line, fmt::format("{} {}: minpoll {} is greater than maxpoll {}", who, a.host,
                                     *a.minpoll, *a.maxpoll));
  }
  if (!a.nts && (a.nts_port || a.nts_ca)) {
    ctx.no_effect(st.line, fmt::format("{} {}", who, a.nts_port ? "ntsport" : "ca"),
                  "it applies to NTS servers only (add 'nts')");
  }
  if (a.nts && a.key) {
    ctx.fatal(st.line, fmt::format("{} {}: 'nts' and 'key' exclude each other (NTS brings its "
                                   "own keys)",
                                   who, a.host));
  }
  ctx.config().associations.push_back(std::move(a));
}

}  // namespace meridian::config::internal
