// Tests that cannot run here (not root, a missing tool): skipped outside CI,
// a failure under CI=true, where a skipped test would be a check that
// silently checked nothing (issue #12). .ci/run sets CI=true.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>

namespace meridian::testing {

inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

}  // namespace meridian::testing

// Use as a statement in a TEST body: MERIDIAN_SKIP_OUTSIDE_CI("needs root").
#define MERIDIAN_SKIP_OUTSIDE_CI(why)                                      \
  do {                                                                     \
    if (::meridian::testing::running_in_ci()) {                            \
      GTEST_FAIL() << "cannot run, and CI=true forbids skipping: " << why; \
    } else {                                                               \
      GTEST_SKIP() << why;                                                 \
    }                                                                      \
  } while (0)
