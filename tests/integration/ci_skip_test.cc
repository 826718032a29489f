// MERIDIAN_SKIP_OUTSIDE_CI: a test that cannot run here is a failure under
// CI=true (a skipped check must not let CI pass), a skip otherwise.
#include "tests/support/ci_skip.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <optional>
#include <string>

namespace meridian::testing {
namespace {

// Sets CI for the scope and restores what was there.
class ScopedCi {
 public:
  explicit ScopedCi(const char* value) {
    if (const char* old = std::getenv("CI")) old_ = old;
    if (value == nullptr) {
      unsetenv("CI");
    } else {
      setenv("CI", value, 1);
    }
  }
  ~ScopedCi() {
    if (old_) {
      setenv("CI", old_->c_str(), 1);
    } else {
      unsetenv("CI");
    }
  }
  ScopedCi(const ScopedCi&) = delete;
  ScopedCi& operator=(const ScopedCi&) = delete;

 private:
  std::optional<std::string> old_;
};

void cannot_run_here() { MERIDIAN_SKIP_OUTSIDE_CI("needs root"); }

TEST(CiSkipTest, FailsUnderCiTrue) {
  const ScopedCi ci("true");
  EXPECT_TRUE(running_in_ci());
  EXPECT_FATAL_FAILURE(cannot_run_here(), "CI=true forbids skipping: needs root");
}

TEST(CiSkipTest, OnlyTheExactValueTrueCounts) {
  {
    const ScopedCi ci(nullptr);
    EXPECT_FALSE(running_in_ci());
  }
  {
    const ScopedCi ci("false");
    EXPECT_FALSE(running_in_ci());
  }
}

}  // namespace
}  // namespace meridian::testing
