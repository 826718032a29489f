// Tuning directives made of `keyword value` pairs, any number per line:
// tinker, tos, discard, mru. A bad pair is reported and skipped; the others
// on the line still apply (`tinker panic 0 stepout 1 dispersion 50000000.0`).
#include <fmt/format.h>

#include <limits>

#include "core/config/parse_context.h"
#include "core/config/values.h"

namespace meridian::config::internal {

namespace {

constexpr double kNoLimit = std::numeric_limits<double>::infinity();
constexpr int64_t kNoIntLimit = std::numeric_limits<int64_t>::max();

// One `keyword value` option of a pair directive.
struct PairOption {
  std::string_view name;
  double lo;
  double hi;
  bool integer;
  // Stores the value; nullptr: nothing to store.
  void (*apply)(Config&, double);
  // Non-null: recognised but without effect in Meridian; the warning's reason.
  const char* no_effect = nullptr;
};

void parse_pairs(ParseContext& ctx, const Statement& st, const PairOption* options, size_t count) {
  Args args(st);
  const std::string who = to_lower(st.tokens.front().text);
  if (args.done()) {
    ctx.warning(st.line, fmt::format("{}: no options given", who));
    return;
  }
  while (!args.done()) {
    const Token& key = args.take();
    const std::string name = to_lower(key.text);
    const PairOption* option = nullptr;
    for (size_t i = 0; i < count; ++i) {
      if (options[i].name == name) option = &options[i];
    }
    if (option == nullptr) {
      ctx.error(key.line, fmt::format("{}: unknown option '{}'; option ignored", who, key.text));
      if (!args.done() && parse_number(args.peek().text)) args.take();  // its value
      continue;
    }
    if (args.done()) {
      ctx.error(key.line, fmt::format("{}: option '{}' needs a value", who, name));
      return;
    }
    const Token& value = args.take();
    double v = 0;
    if (option->integer) {
      auto r =
          integer_value(name, value, static_cast<int64_t>(option->lo),
                        option->hi == kNoLimit ? kNoIntLimit : static_cast<int64_t>(option->hi));
      if (!r.ok()) {
        ctx.error(value.line, fmt::format("{}: {}; option ignored", who, r.error().message));
        continue;
      }
      v = static_cast<double>(*r);
    } else {
      auto r = number_value(name, value, option->lo, option->hi);
      if (!r.ok()) {
        ctx.error(value.line, fmt::format("{}: {}; option ignored", who, r.error().message));
        continue;
      }
      v = *r;
    }
    if (option->no_effect != nullptr) {
      ctx.no_effect(key.line, fmt::format("{} {}", who, name), option->no_effect);
      continue;
    }
    option->apply(ctx.config(), v);
  }
}

int as_int(double v) { return static_cast<int>(v); }

// Values are in seconds or ppm as in ntp.conf(5); the engine validates
// combinations (e.g. step vs panic). Options with a `no_effect` reason are
// checked, warned about and not stored.
constexpr const char* kNoHuffPuff = "the huff-n'-puff filter is not implemented";
constexpr const char* kOwnTolerance =
    "Meridian's discipline estimates its frequency error from the measurements (the RFC 5905 "
    "one uses the fixed constant)";
constexpr const char* kNoBroadcast = "broadcast and manycast modes are not supported";

// Classic ntpd (loop_config): `step` sets both the forward and the backward
// step threshold, `stepback`/`stepfwd` one each; the last one written wins.
constexpr PairOption kTinker[] = {
    {"panic", 0, kNoLimit, false, [](Config& c, double v) { c.tinker.panic_s = v; }},
    {"step", 0, kNoLimit, false,
     [](Config& c, double v) {
       c.tinker.step_s = v;
       c.tinker.stepback_s.reset();
       c.tinker.stepfwd_s.reset();
     }},
    {"stepout", 0, kNoLimit, false, [](Config& c, double v) { c.tinker.stepout_s = v; }},
    {"stepback", 0, kNoLimit, false, [](Config& c, double v) { c.tinker.stepback_s = v; }},
    {"stepfwd", 0, kNoLimit, false, [](Config& c, double v) { c.tinker.stepfwd_s = v; }},
    {"dispersion", 0, kNoLimit, false, nullptr, kOwnTolerance},
    {"allan", 0, kNoLimit, false, nullptr,
     "the discipline chooses its averaging from the measurements (no fixed Allan intercept)"},
    {"huffpuff", 0, kNoLimit, false, nullptr, kNoHuffPuff},
    {"freq", -500, 500, false, nullptr,
     "the initial frequency comes from the drift file (driftfile); without one it is measured"},
    {"tick", 0, kNoLimit, false, nullptr, "the kernel tick is never changed"},
};

// tos floor/ceiling/mindist are applied by the selection (select/selection.h).
constexpr PairOption kTos[] = {
    {"minsane", 0, 100, true, [](Config& c, double v) { c.tos.minsane = as_int(v); }},
    {"minclock", 1, 100, true, [](Config& c, double v) { c.tos.minclock = as_int(v); }},
    {"maxclock", 1, 100, true, [](Config& c, double v) { c.tos.maxclock = as_int(v); }},
    {"orphan", 1, 15, true, [](Config& c, double v) { c.tos.orphan = as_int(v); }},
    {"orphanwait", 0, kNoLimit, true, [](Config& c, double v) { c.tos.orphanwait_s = as_int(v); }},
    {"ceiling", 0, 16, true, [](Config& c, double v) { c.tos.ceiling = as_int(v); }},
    {"floor", 0, 16, true, [](Config& c, double v) { c.tos.floor = as_int(v); }},
    {"cohort", 0, 1, true, nullptr,
     "orphan-mode peers are not supported (cohort only changes how they are selected)"},
    {"beacon", 0, kNoLimit, true, nullptr, kNoBroadcast},
    {"maxdist", 0, kNoLimit, false, [](Config& c, double v) { c.tos.maxdist_s = v; }},
    {"mindist", 0, kNoLimit, false, [](Config& c, double v) { c.tos.mindist_s = v; }},
    {"bcpollbstep", 0, kNoLimit, true, nullptr, kNoBroadcast},
    {"maxdisp", 0, kNoLimit, false, nullptr, "the RFC 5905 maximum dispersion (16 s) is fixed"},
};

constexpr PairOption kDiscard[] = {
    {"average", 0, 16, true, [](Config& c, double v) { c.discard.average_log2 = as_int(v); }},
    {"minimum", 0, 3600, true, [](Config& c, double v) { c.discard.minimum_s = as_int(v); }},
    {"monitor", 0, 1e9, true, nullptr,
     "every admitted packet is recorded in the MRU list (no sampling probability)"},
};

constexpr const char* kMruAllocation =
    "the MRU list is sized by maxdepth/maxmem and allocated once";

constexpr PairOption kMru[] = {
    {"maxdepth", 0, 1e9, true, [](Config& c, double v) { c.mru.maxdepth = as_int(v); }},
    {"mindepth", 0, 1e9, true, [](Config& c, double v) { c.mru.mindepth = as_int(v); }},
    {"maxage", 0, 1e9, true, [](Config& c, double v) { c.mru.maxage_s = as_int(v); }},
    {"maxmem", 0, 1e9, true, [](Config& c, double v) { c.mru.maxmem_kib = as_int(v); }},
    {"minage", 0, 1e9, true, nullptr, "entries are recycled by mindepth and maxage"},
    {"initalloc", 0, 1e9, true, nullptr, kMruAllocation},
    {"initmem", 0, 1e9, true, nullptr, kMruAllocation},
    {"incalloc", 0, 1e9, true, nullptr, kMruAllocation},
    {"incmem", 0, 1e9, true, nullptr, kMruAllocation},
};

template <size_t N>
void parse_table(ParseContext& ctx, const Statement& st, const PairOption (&table)[N]) {
  parse_pairs(ctx, st, table, N);
}

}  // namespace

void parse_tinker(ParseContext& ctx, const Statement& st) { parse_table(ctx, st, kTinker); }
void parse_tos(ParseContext& ctx, const Statement& st) { parse_table(ctx, st, kTos); }
void parse_discard(ParseContext& ctx, const Statement& st) { parse_table(ctx, st, kDiscard); }
void parse_mru(ParseContext& ctx, const Statement& st) { parse_table(ctx, st, kMru); }

}  // namespace meridian::config::internal
