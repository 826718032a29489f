// restrict / unrestrict and interface / nic: the access-control lines. Any
// problem on them is fatal (ParseContext::fail), because skipping a rule the
// operator wrote could leave the server more open than intended.
#include <fmt/format.h>

#include "core/config/address_spec.h"
#include "core/config/parse_context.h"
#include "core/config/values.h"

namespace meridian::config::internal {

namespace {

struct FlagName {
  std::string_view name;
  uint32_t bit;
};

constexpr FlagName kRestrictFlags[] = {
    {"ignore", kIgnore},          {"noserve", kNoServe}, {"noquery", kNoQuery},
    {"nomodify", kNoModify},      {"notrap", kNoTrap},   {"nopeer", kNoPeer},
    {"notrust", kNoTrust},        {"kod", kKod},         {"limited", kLimited},
    {"lowpriotrap", kLowPriTrap}, {"version", kVersion}, {"ntpport", kNtpPort},
    {"nomrulist", kNoMrulist},    {"noepeer", kNoEpeer},
};

const char* family_name(net::Family f) { return f == net::Family::kIPv4 ? "IPv4" : "IPv6"; }

// The target of a restrict line: default, source, ADDR[/N] or a host name.
// Returns false after reporting a failure.
bool parse_restrict_target(ParseContext& ctx, const char* who, const Token& token,
                           RestrictRule& rule) {
  if (iequals(token.text, "default")) {
    rule.target = RestrictRule::Target::kDefault;
    return true;
  }
  if (iequals(token.text, "source")) {
    if (rule.family) {
      ctx.fail(token.line, fmt::format("{}: -4/-6 cannot be used with 'source'", who));
      return false;
    }
    rule.target = RestrictRule::Target::kSource;
    return true;
  }
  auto spec = parse_address_spec(token.text, /*allow_prefix=*/true);
  if (!spec.ok()) {
    ctx.fail(token.line, fmt::format("{}: {}", who, spec.error().message));
    return false;
  }
  if (!spec->address) {
    rule.target = RestrictRule::Target::kHost;
    rule.host = spec->host;
    return true;
  }
  const net::Family family = spec->address->family();
  if (rule.family && *rule.family != family) {
    ctx.fail(token.line, fmt::format("{}: {} is not an {} address", who, spec->text,
                                     family_name(*rule.family)));
    return false;
  }
  rule.target = RestrictRule::Target::kAddress;
  rule.family = family;
  rule.address = *spec->address;
  rule.mask = prefix_mask(family, spec->prefix_len.value_or(family_bits(family)));
  rule.has_mask = spec->prefix_len.has_value();
  return true;
}

bool parse_restrict_mask(ParseContext& ctx, const char* who, Args& args, const Token& keyword,
                         RestrictRule& rule) {
  using Target = RestrictRule::Target;
  if (rule.target == Target::kDefault || rule.target == Target::kSource) {
    ctx.fail(keyword.line, fmt::format("{}: 'mask' needs an address, not default/source", who));
    return false;
  }
  if (rule.has_mask) {
    ctx.fail(keyword.line, fmt::format("{}: mask given twice (or with a /prefix)", who));
    return false;
  }
  if (args.done()) {
    ctx.fail(keyword.line, fmt::format("{}: 'mask' needs a value", who));
    return false;
  }
  const Token& value = args.take();
  auto spec = parse_address_spec(value.text, /*allow_prefix=*/false);
  if (!spec.ok() || !spec->address) {
    ctx.fail(value.line, fmt::format("{}: mask '{}' is not an address", who, value.text));
    return false;
  }
  const net::Family family = spec->address->family();
  if (rule.family && *rule.family != family) {
    ctx.fail(value.line, fmt::format("{}: mask {} is not an {} mask", who, value.text,
                                     family_name(*rule.family)));
    return false;
  }
  rule.mask = *spec->address;
  rule.has_mask = true;
  return true;
}

// "eth0", "enp3s0", "br-lan", "eth*", or a Linux alias "eth0:1". An alias
// name must not be all hex digits, so a mistyped IPv6 address is not taken
// for a (non-existent) interface name.
bool is_interface_name(std::string_view text) {
  if (text.empty() || text.find_first_of("/[]") != std::string_view::npos) return false;
  if (looks_numeric_dotted(text)) return false;
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return true;
  const std::string_view base = text.substr(0, colon);
  const std::string_view alias = text.substr(colon + 1);
  if (base.empty() || alias.empty() || alias.find_first_not_of("0123456789") != alias.npos) {
    return false;
  }
  return base.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos;
}

}  // namespace

void parse_restrict(ParseContext& ctx, const Statement& st) {
  Args args(st);
  RestrictRule rule;
  rule.unrestrict = iequals(st.tokens.front().text, "unrestrict");
  const char* who = rule.unrestrict ? "unrestrict" : "restrict";
  rule.where = ctx.at(st.line);
  rule.family = args.take_family();
  if (args.done()) {
    ctx.fail(st.line,
             fmt::format("{}: missing address (default, source, an address or a name)", who));
    return;
  }
  if (!parse_restrict_target(ctx, who, args.take(), rule)) return;
  while (!args.done()) {
    const Token& token = args.take();
    const std::string word = to_lower(token.text);
    if (word == "mask") {
      if (!parse_restrict_mask(ctx, who, args, token, rule)) return;
      continue;
    }
    if (word == "ippeerlimit") {
      if (args.done() || !parse_integer(args.peek().text)) {
        ctx.fail(token.line, fmt::format("{}: 'ippeerlimit' needs a number", who));
        return;
      }
      args.take();
      ctx.no_effect(token.line, fmt::format("{} ippeerlimit", who),
                    "symmetric peer associations are never mobilised");
      continue;
    }
    if (word == "mssntp") {
      ctx.no_effect(token.line, fmt::format("{} mssntp", who),
                    "MS-SNTP (Samba signing) is not supported");
      continue;
    }
    if (word == "serverresponse" && args.take_if("fuzz")) {
      ctx.no_effect(token.line, fmt::format("{} serverresponse fuzz", who),
                    "timestamps are not fuzzed per client");
      continue;
    }
    bool found = false;
    for (const FlagName& flag : kRestrictFlags) {
      if (flag.name == word) {
        rule.flags |= flag.bit;
        found = true;
      }
    }
    if (!found) {
      ctx.fail(token.line, fmt::format("{}: unknown flag '{}'", who, token.text));
      return;
    }
  }
  if (rule.flags & kLowPriTrap) {
    ctx.no_effect(st.line, fmt::format("{} lowpriotrap", who), "mode 6 traps are not supported");
  }
  if (rule.target == RestrictRule::Target::kAddress) {
    const net::IpAddress masked = apply_mask(rule.address, rule.mask);
    if (masked != rule.address) {
      ctx.warning(st.line,
                  fmt::format("{}: {} has bits outside its mask {}; it matches {}", who,
                              rule.address.to_string(), rule.mask.to_string(), masked.to_string()));
      rule.address = masked;
    }
  }
  ctx.config().restricts.push_back(std::move(rule));
}

void parse_interface(ParseContext& ctx, const Statement& st) {
  Args args(st);
  const std::string who = to_lower(st.tokens.front().text);
  InterfaceRule rule;
  rule.where = ctx.at(st.line);
  if (args.done()) {
    ctx.fail(st.line, fmt::format("{}: missing action (listen, ignore or drop)", who));
    return;
  }
  const Token& action = args.take();
  if (iequals(action.text, "listen")) {
    rule.action = InterfaceRule::Action::kListen;
  } else if (iequals(action.text, "ignore")) {
    rule.action = InterfaceRule::Action::kIgnore;
  } else if (iequals(action.text, "drop")) {
    rule.action = InterfaceRule::Action::kDrop;
  } else {
    ctx.fail(action.line,
             fmt::format("{}: unknown action '{}' (listen, ignore or drop)", who, action.text));
    return;
  }
  if (args.done()) {
    ctx.fail(st.line,
             fmt::format("{}: missing all, ipv4, ipv6, wildcard, a name or an address", who));
    return;
  }
  const Token& match = args.take();
  if (!args.done()) {
    ctx.fail(args.line(), fmt::format("{}: unexpected '{}'", who, args.peek().text));
    return;
  }
  const std::string word = to_lower(match.text);
  if (word == "all") {
    rule.match = InterfaceRule::Match::kAll;
  } else if (word == "ipv4") {
    rule.match = InterfaceRule::Match::kIpv4;
  } else if (word == "ipv6") {
    rule.match = InterfaceRule::Match::kIpv6;
  } else if (word == "wildcard") {
    rule.match = InterfaceRule::Match::kWildcard;
  } else {
    auto spec = parse_address_spec(match.text, /*allow_prefix=*/true);
    if (spec.ok() && spec->address) {
      const net::Family family = spec->address->family();
      rule.match = InterfaceRule::Match::kPrefix;
      rule.prefix_len = spec->prefix_len.value_or(family_bits(family));
      rule.address = apply_mask(*spec->address, prefix_mask(family, rule.prefix_len));
    } else if (is_interface_name(match.text)) {
      rule.match = InterfaceRule::Match::kName;  // may hold fnmatch-style wildcards: eth*
      rule.name = match.text;
    } else {
      ctx.fail(match.line,
               fmt::format("{}: {}", who, spec.ok() ? "not an interface" : spec.error().message));
      return;
    }
  }
  ctx.config().interfaces.push_back(std::move(rule));
}

}  // namespace meridian::config::internal
