// Reads statistics lines back (the formats of records.h, which are those of
// classic ntpd 4.2.8): for tests, and for tools that summarise the files.
// Lines are untrusted input: any deviation (field count, a number that does
// not parse or is not finite, a bad address, trailing junk) is an Error
// naming the field, never a crash. Fields are separated by runs of blanks.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/result.h"
#include "core/stats/records.h"

namespace meridian::stats {

struct Stamp {
  int64_t mjd = 0;
  double seconds = 0;  // past UTC midnight, [0, 86400)
};

template <typename R>
struct StatsLine {
  Stamp stamp;
  R record;
};

Result<StatsLine<LoopRecord>> parse_loopstats(std::string_view line);
Result<StatsLine<PeerRecord>> parse_peerstats(std::string_view line);
Result<StatsLine<SysRecord>> parse_sysstats(std::string_view line);

}  // namespace meridian::stats
