#include "daemon/name_lookups.h"

#include "platform/resolver.h"

namespace meridian::daemon {

void BlockingLookups::request(const Lookup& lookup, double now_s) {
  (void)now_s;
  answers_.emplace_back(lookup.token, platform::resolve_host(lookup.host, lookup.family));
}

}  // namespace meridian::daemon
