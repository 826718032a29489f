#include "core/result.h"

#include <gtest/gtest.h>

#include <memory>

namespace meridian {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return make_error(ErrorCode::kMalformed, "not a digit");
  return c - '0';
}

TEST(Result, HoldsAValueOrAnError) {
  auto ok = parse_digit('7');
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 7);
  auto bad = parse_digit('x');
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(bad.error().message, "not a digit");
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Status, DefaultIsSuccess) {
  Status s;
  EXPECT_TRUE(s.ok());
  Status e = make_error(ErrorCode::kIo, "disk on fire");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "disk on fire");
}

}  // namespace
}  // namespace meridian
