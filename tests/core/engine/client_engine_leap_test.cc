// The engine's leap second wiring (core/leap/leap_control.h decides; these
// tests pin what the engine emits): ArmLeap in the last day only, disarm
// after, and the engine's own step when the clock cannot apply a leap.
#include <gtest/gtest.h>

#include "core/engine/client_engine.h"

namespace meridian::engine {
namespace {

constexpr int64_t k2017 = 3692217600;  // 2017-01-01T00:00:00Z

class FixedRandom final : public RandomSource {
 public:
  uint64_t next_u64() override { return 42; }
};

leap::LeapTable insert_2017() {
  leap::LeapTable t;
  t.entries = {{3644697600, 36}, {k2017, 37}};
  t.updated_ntp_s = 3644697600;
  t.expires_ntp_s = k2017 + 100 * 86400;
  return t;
}

// Runs the engine's timer once a second of monotonic time while its clock
// reads `clock_start + elapsed`, collecting the actions.
struct LeapRun {
  explicit LeapRun(bool clock_applies_leap) {
    ClientConfig c;
    c.leap_table = insert_2017();
    c.clock_applies_leap = clock_applies_leap;
    engine = std::make_unique<ClientEngine>(c, random, 0.0);
  }
  std::vector<Action> tick_at(int64_t clock_ntp_s) {
    now_s += 1;
    std::vector<Action> out;
    engine->on_timer(now_s, time::NtpTime::from_parts(clock_ntp_s, 0), out);
    return out;
  }
  FixedRandom random;
  std::unique_ptr<ClientEngine> engine;
  double now_s = 0;
};

template <typename T>
const T* find(const std::vector<Action>& out) {
  for (const auto& a : out) {
    if (const auto* x = std::get_if<T>(&a)) return x;
  }
  return nullptr;
}

TEST(ClientEngineLeap, ArmsInTheLastDayAndDisarmsAfter) {
  LeapRun r(true);
  EXPECT_EQ(find<ArmLeap>(r.tick_at(k2017 - 86401)), nullptr);
  // Keep the actions alive: find() points into them.
  const auto armed = r.tick_at(k2017 - 86400);
  const auto* arm = find<ArmLeap>(armed);
  ASSERT_NE(arm, nullptr);
  EXPECT_EQ(arm->kind, leap::LeapKind::kInsert);
  EXPECT_EQ(r.engine->system(r.now_s).leap.armed, leap::LeapKind::kInsert);
  EXPECT_EQ(find<ArmLeap>(r.tick_at(k2017 - 1)), nullptr);
  const auto after = r.tick_at(k2017);
  arm = find<ArmLeap>(after);
  ASSERT_NE(arm, nullptr);
  EXPECT_EQ(arm->kind, leap::LeapKind::kNone);
  EXPECT_EQ(find<StepClock>(after), nullptr);  // the clock did it
  EXPECT_EQ(r.engine->system(r.now_s).leap.last_leap_ntp_s, k2017);
}

TEST(ClientEngineLeap, StepsItselfWhenTheClockCannot) {
  LeapRun r(false);
  EXPECT_EQ(find<ArmLeap>(r.tick_at(k2017 - 86400)), nullptr);
  EXPECT_EQ(find<StepClock>(r.tick_at(k2017 - 1)), nullptr);
  const auto stepped = r.tick_at(k2017);
  const auto* step = find<StepClock>(stepped);
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->by_s, -1.0);
  EXPECT_TRUE(step->leap_second);
  EXPECT_EQ(find<StepClock>(r.tick_at(k2017 - 1 + 1)), nullptr);  // the repeated second
}

TEST(ClientEngineLeap, NoTableNoServersNoLeap) {
  FixedRandom random;
  ClientEngine e(ClientConfig{}, random, 0.0);
  std::vector<Action> out;
  e.on_timer(1, time::NtpTime::from_parts(k2017 - 100, 0), out);
  EXPECT_EQ(find<ArmLeap>(out), nullptr);
  EXPECT_EQ(e.system(1).leap.pending, leap::LeapKind::kNone);
}

}  // namespace
}  // namespace meridian::engine
