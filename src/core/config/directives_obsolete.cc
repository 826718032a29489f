// Directives Meridian recognises but does not implement. "Obsolete" ones are
// accepted with a warning and ignored, so a config the classic daemon ran
// still runs; "refused" ones change what the daemon would do for others
// (serve smeared time, send broadcasts), so they are errors (still skipped,
// never fatal). docs/ntp.conf.md lists both.
#include <fmt/format.h>

#include "core/config/parse_context.h"
#include "core/config/values.h"

namespace meridian::config::internal {

namespace {

struct Reason {
  std::string_view directive;
  const char* reason;
};

constexpr Reason kObsolete[] = {
    {"authenticate", "obsolete since ntp 4 (authentication is always on)"},
    {"automax", "Autokey is not supported"},
    {"broadcastclient", "broadcast client mode is not supported; use server or pool lines"},
    {"broadcastdelay", "broadcast mode is not supported"},
    {"calldelay", "the modem reference clock is not supported"},
    {"crypto", "Autokey is not supported"},
    {"dscp", "packet priority marking is not supported"},
    {"ident", "Autokey is not supported"},
    {"keysdir", "Autokey is not supported"},
    {"manycastclient", "manycast is not supported; use server or pool lines"},
    {"manycastserver", "manycast is not supported"},
    {"mdnstries", "mDNS registration is not supported"},
    {"multicastclient", "multicast client mode is not supported; use server or pool lines"},
    {"nonvolatile", "the drift file is written on Meridian's own schedule"},
    {"phone", "the modem reference clock is not supported"},
    {"pidfile", "use ntpd -p PIDFILE"},
    {"pps", "obsolete; use a PPS reference clock"},
    {"qos", "packet priority marking is not supported"},
    {"revoke", "Autokey is not supported"},
    {"rlimit", "resource limits are left to the service manager"},
    {"saveconfigdir", "saving the runtime configuration is not supported"},
    {"setvar", "user-defined system variables are not supported"},
    {"trap", "mode 6 traps are not supported"},
    {"ttl", "broadcast and manycast modes are not supported"},
};

constexpr Reason kRefused[] = {
    {"broadcast", "sending broadcast or multicast time is not supported"},
    {"leapsmearinterval", "leap smearing is not supported"},
    {"simulate", "the classic simulator configuration is not supported"},
};

template <size_t N>
const char* find_reason(std::string_view name, const Reason (&table)[N]) {
  for (const Reason& r : table) {
    if (r.directive == name) return r.reason;
  }
  return nullptr;
}

}  // namespace

const char* obsolete_reason(std::string_view name) { return find_reason(name, kObsolete); }
const char* refused_reason(std::string_view name) { return find_reason(name, kRefused); }

void parse_obsolete(ParseContext& ctx, const Statement& st) {
  const std::string name = to_lower(st.tokens.front().text);
  ctx.no_effect(st.line, name, obsolete_reason(name));
}

void parse_refused(ParseContext& ctx, const Statement& st) {
  const std::string name = to_lower(st.tokens.front().text);
  ctx.error(st.line, fmt::format("'{}' refused: {}; line ignored", name, refused_reason(name)));
}

}  // namespace meridian::config::internal
