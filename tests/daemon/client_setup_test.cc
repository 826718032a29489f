// client_setup: ntp.conf tos/tinker → the client engine's options, and the
// reload report of tinker settings the running discipline did not take.
#include "daemon/client_setup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/config/file_source.h"
#include "core/config/parser.h"

namespace meridian::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

config::Config parse(std::string_view text) {
  config::MemoryFileSource files;
  return config::parse_config_text(text, "ntp.conf", files);
}

engine::ClientConfig build(std::string_view text) {
  return build_client_config(parse(text), Options{}, -20, std::nullopt);
}

TEST(ClientSetupTest, TosFloorCeilingMindistReachTheSelection) {
  const auto c = build("tos floor 2 ceiling 9 mindist 0.004 maxdist 2 minsane 2\n");
  EXPECT_EQ(c.select.floor, 2);
  EXPECT_EQ(c.select.ceiling, 9);
  EXPECT_DOUBLE_EQ(c.select.mindist_s, 0.004);
  EXPECT_DOUBLE_EQ(c.select.maxdist_s, 2);
  EXPECT_EQ(c.select.minsane, 2);
  const auto defaults = build("");
  EXPECT_EQ(defaults.select.floor, select::SelectOptions{}.floor);
  EXPECT_EQ(defaults.select.ceiling, select::SelectOptions{}.ceiling);
  EXPECT_DOUBLE_EQ(defaults.select.mindist_s, 0);
}

TEST(ClientSetupTest, TinkerStepbackStepfwdReachTheDiscipline) {
  const auto c = build("tinker step 0.3 stepback 0 stepfwd 1.5 stepout 60 panic 0\n");
  EXPECT_DOUBLE_EQ(c.discipline.step_threshold_s, 0.3);
  EXPECT_EQ(c.discipline.step_back_threshold_s, 0.0);
  EXPECT_EQ(c.discipline.step_forward_threshold_s, 1.5);
  EXPECT_DOUBLE_EQ(c.discipline.stepout_s, 60);
  EXPECT_DOUBLE_EQ(c.discipline.panic_threshold_s, 0);
  const auto defaults = build("");
  EXPECT_FALSE(defaults.discipline.step_back_threshold_s);
  EXPECT_FALSE(defaults.discipline.step_forward_threshold_s);
}

TEST(ClientSetupTest, TinkerChangesNameEachSettingWithOldAndNewValues) {
  const auto running = parse("tinker step 0.2 panic 0\n").tinker;
  EXPECT_THAT(tinker_changes(running, running), IsEmpty());
  EXPECT_THAT(tinker_changes(running, parse("tinker step 0.5 stepback 1\n").tinker),
              ElementsAre("panic default (running: 0 s)", "step 0.5 s (running: 0.2 s)",
                          "stepback 1 s (running: default)"));
}

}  // namespace
}  // namespace meridian::daemon
