// Reference clocks: classic `fudge 127.127.T.U ...` (applied after the whole
// file is read, so it may precede its `server` line) and NTPsec's
// `refclock NAME [unit N] [options]`.
#include <fmt/format.h>

#include <algorithm>

#include "core/config/address_spec.h"
#include "core/config/parse_context.h"
#include "core/config/values.h"

namespace meridian::config::internal {

namespace {

// A refid is at most four ASCII characters (RFC 5905 §7.3).
bool valid_refid(std::string_view refid) {
  if (refid.empty() || refid.size() > 4) return false;
  return std::all_of(refid.begin(), refid.end(), [](char c) { return c > ' ' && c < 127; });
}

bool is_flag_option(std::string_view opt) {
  return opt == "flag1" || opt == "flag2" || opt == "flag3" || opt == "flag4";
}

// Options shared by fudge and refclock: stratum, refid, time1/time2, flagN.
// Returns false when `opt` is not one of them.
bool parse_clock_option(ParseContext& ctx, std::string_view who, Args& args, const Token& opt_token,
                        std::optional<int>& stratum, std::optional<std::string>& refid,
                        std::map<std::string, std::string>& options) {
  const std::string opt = to_lower(opt_token.text);
  const bool known = opt == "stratum" || opt == "refid" || opt == "time1" || opt == "time2" ||
                     opt == "minjitter" || is_flag_option(opt);
  if (!known) return false;
  if (is_flag_option(opt)) {
    // NTPsec writes a bare `flag1`; classic fudge writes `flag1 0|1`.
    if (!args.done() && (args.peek().text == "0" || args.peek().text == "1")) {
      options[opt] = args.take().text;
    } else {
      options[opt] = "1";
    }
    return true;
  }
  if (args.done()) {
    ctx.error(opt_token.line, fmt::format("{}: option '{}' needs a value", who, opt));
    return true;
  }
  const Token& value = args.take();
  if (opt == "refid") {
    if (!valid_refid(value.text)) {
      ctx.error(value.line, fmt::format("{}: refid '{}' must be 1 to 4 printable characters; "
                                        "option ignored",
                                        who, value.text));
      return true;
    }
    refid = value.text;
    return true;
  }
  if (opt == "stratum") {
    auto v = integer_value(opt, value, 0, 15);
    if (!v.ok()) {
      ctx.error(value.line, fmt::format("{}: {}; option ignored", who, v.error().message));
      return true;
    }
    stratum = static_cast<int>(*v);
    return true;
  }
  auto v = number_value(opt, value, -1e9, 1e9);
  if (!v.ok()) {
    ctx.error(value.line, fmt::format("{}: {}; option ignored", who, v.error().message));
    return true;
  }
  options[opt] = value.text;
  return true;
}

}  // namespace

void parse_fudge(ParseContext& ctx, const Statement& st) {
  Args args(st);
  if (args.done()) {
    ctx.fail(st.line, "fudge: missing reference clock address");
    return;
  }
  const Token& address_token = args.take();
  const std::optional<net::IpAddress> a = net::IpAddress::parse(address_token.text);
  if (!a || a->family() != net::Family::kIPv4 || a->bytes()[0] != 127 || a->bytes()[1] != 127) {
    ctx.fail(address_token.line,
             fmt::format("fudge: '{}' is not a reference clock address (127.127.t.u)",
                         address_token.text));
    return;
  }
  PendingFudge fudge;
  fudge.address = a->to_string();
  fudge.type = a->bytes()[2];
  fudge.unit = a->bytes()[3];
  fudge.where = ctx.at(st.line);
  while (!args.done()) {
    const Token& opt = args.take();
    if (!parse_clock_option(ctx, "fudge", args, opt, fudge.stratum, fudge.refid, fudge.options)) {
      ctx.error(opt.line, fmt::format("fudge: unknown option '{}'; option ignored", opt.text));
      if (!args.done() && parse_number(args.peek().text)) args.take();  // its value
    }
  }
  ctx.fudges.push_back(std::move(fudge));
}

void apply_fudges(ParseContext& ctx) {
  Config& config = ctx.config();
  for (const PendingFudge& fudge : ctx.fudges) {
    auto report = [&](Diagnostic::Severity severity, std::string message) {
      config.diagnostics.push_back(Diagnostic{severity, fudge.where, std::move(message)});
    };
    if (fudge.type == 1) {
      auto local = std::find_if(config.local_clocks.begin(), config.local_clocks.end(),
                                [&](const LocalClockConfig& l) { return l.unit == fudge.unit; });
      if (local == config.local_clocks.end()) {
        report(Diagnostic::Severity::kWarning,
               fmt::format("fudge {}: no 'server {}' line; ignored", fudge.address, fudge.address));
        continue;
      }
      if (fudge.stratum) local->stratum = *fudge.stratum;
      if (fudge.refid) local->refid = fudge.refid;
      for (const auto& [option, value] : fudge.options) {
        report(Diagnostic::Severity::kWarning,
               fmt::format("fudge {}: '{}' has no effect on the local clock; ignored",
                           fudge.address, option));
      }
      continue;
    }
    auto refclock =
        std::find_if(config.refclocks.begin(), config.refclocks.end(),
                     [&](const RefclockConfig& r) { return r.driver == fudge.address; });
    if (refclock == config.refclocks.end()) {
      report(Diagnostic::Severity::kWarning,
             fmt::format("fudge {}: no 'server {}' line; ignored", fudge.address, fudge.address));
      continue;
    }
    if (fudge.stratum) refclock->options["stratum"] = std::to_string(*fudge.stratum);
    if (fudge.refid) refclock->options["refid"] = *fudge.refid;
    for (const auto& [option, value] : fudge.options) refclock->options[option] = value;
  }
}

void parse_refclock(ParseContext& ctx, const Statement& st) {
  Args args(st);
  if (args.done()) {
    ctx.fail(st.line, "refclock: missing driver name");
    return;
  }
  const Token& name_token = args.take();
  const std::string driver = to_lower(name_token.text);
  int unit = 0;
  std::optional<int> stratum;
  std::optional<std::string> refid;
  std::map<std::string, std::string> options;
  while (!args.done()) {
    const Token& opt_token = args.take();
    const std::string opt = to_lower(opt_token.text);
    if (parse_clock_option(ctx, "refclock", args, opt_token, stratum, refid, options)) {
      continue;  // stratum, refid, time1, time2, flagN
    }
    if (opt == "prefer" || opt == "noselect" || opt == "iburst" || opt == "burst" ||
        opt == "true") {
      options[opt] = "";
    } else if (opt == "unit" || opt == "path" || opt == "ppspath" || opt == "mode" ||
               opt == "minpoll" || opt == "maxpoll" || opt == "baud" || opt == "subtype" ||
               opt == "holdover") {
      if (args.done()) {
        ctx.error(opt_token.line, fmt::format("refclock: option '{}' needs a value", opt));
        break;
      }
      const Token& value = args.take();
      if (opt == "unit") {
        auto v = integer_value(opt, value, 0, 255);
        if (!v.ok()) {
          ctx.fail(value.line, fmt::format("refclock: {}", v.error().message));
          return;
        }
        unit = static_cast<int>(*v);
      } else {
        options[opt] = value.text;
      }
    } else {
      ctx.error(opt_token.line,
                fmt::format("refclock: unknown option '{}'; option ignored", opt_token.text));
      if (!args.done() && parse_number(args.peek().text)) args.take();  // its value
    }
  }
  Config& config = ctx.config();
  if (driver == "local") {
    LocalClockConfig local;
    local.unit = unit;
    if (stratum) local.stratum = *stratum;
    local.refid = refid;
    local.prefer = options.count("prefer") > 0;
    local.where = ctx.at(st.line);
    config.local_clocks.push_back(std::move(local));
    return;
  }
  ctx.no_effect(st.line, fmt::format("refclock {}", driver),
                "reference clock drivers other than LOCAL are not supported; it will not be used");
  RefclockConfig refclock;
  refclock.driver = driver;
  refclock.unit = unit;
  if (stratum) options["stratum"] = std::to_string(*stratum);
  if (refid) options["refid"] = *refid;
  refclock.options = std::move(options);
  refclock.where = ctx.at(st.line);
  config.refclocks.push_back(std::move(refclock));
}

}  // namespace meridian::config::internal
