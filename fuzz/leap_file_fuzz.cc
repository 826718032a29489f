// libFuzzer target for the leap-seconds.list parser (core/leap). Any input
// must parse or fail with a "FILE:LINE: message" error, never crash; a table
// that parses keeps the parser's promises. Invariant violations call
// __builtin_trap() so libFuzzer records a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/leap/leap_control.h"
#include "core/leap/leap_table.h"

namespace {

namespace leap = meridian::leap;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = leap::parse_leap_seconds_list(text, "leapfile");
  if (!t) {
    check(t.error().message.rfind("leapfile:", 0) == 0);
    return 0;
  }
  check(!t->entries.empty());
  check(t->expires_ntp_s > t->updated_ntp_s);
  for (size_t i = 0; i < t->entries.size(); ++i) {
    const auto& e = t->entries[i];
    check(e.ntp_seconds % 86400 == 0);
    if (i > 0) {
      check(e.ntp_seconds > t->entries[i - 1].ntp_seconds);
      const int change = e.tai_offset_s - t->entries[i - 1].tai_offset_s;
      check(change == 1 || change == -1);
      check(t->leap_at(e.ntp_seconds) != leap::LeapKind::kNone);
    }
  }
  // The decision logic on the parsed table: any month end is a valid query.
  leap::LeapControl control(true);
  control.set_table(*t);
  const int64_t first = t->entries.front().ntp_seconds;
  (void)control.on_clock(first - 1);
  (void)control.status(t->expires_ntp_s);
  (void)leap::expiry_warning(*t, first);
  return 0;
}
