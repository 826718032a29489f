// A 10 000-line generated configuration parses completely and correctly.
// (Timing is measured and reported outside the tests; no timing assertions.)
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace meridian::config::testing {
namespace {

std::string generate(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i) {
    const int a = (i / 256) % 256;
    const int b = i % 256;
    switch (i % 5) {
      case 0:
        text += fmt::format("server 10.{}.{}.1 iburst minpoll 4 maxpoll 10 # server {}\n", a, b, i);
        break;
      case 1:
        text +=
            fmt::format("restrict 10.{}.{}.0 mask 255.255.255.0 nomodify notrap nopeer\n", a, b);
        break;
      case 2:
        text += fmt::format("restrict 2001:db8:{:x}::/48 kod limited noquery\n", i);
        break;
      case 3:
        text += fmt::format("tinker panic 0 stepout {} step 0.5\n", i);
        break;
      default:
        text += fmt::format("\t  # comment line {} with ünïcödé\r\n", i);
        break;
    }
  }
  return text;
}

TEST(ConfigLargeTest, TenThousandLines) {
  const std::string text = generate(10000);
  Config c = parse(text);
  EXPECT_TRUE(c.diagnostics.empty());
  EXPECT_EQ(c.associations.size(), 2000u);
  EXPECT_EQ(c.restricts.size(), 4000u);
  EXPECT_EQ(c.associations.back().where.line, 9996);
  EXPECT_EQ(c.tinker.stepout_s, 9998.0);
}

}  // namespace
}  // namespace meridian::config::testing
