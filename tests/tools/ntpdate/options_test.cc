#include "tools/ntpdate/options.h"

#include <gtest/gtest.h>

namespace meridian::ntpdate {
namespace {

Result<Options> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "ntpdate");
  return parse_options(args);
}

TEST(NtpdateOptions, DefaultsAreClassic) {
  auto o = parse({"pool.example"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->samples, 4);
  EXPECT_DOUBLE_EQ(o->timeout_s, 1.0);
  EXPECT_EQ(o->version, 4);
  EXPECT_EQ(o->port, 123);
  EXPECT_EQ(o->clock, "system");
  EXPECT_FALSE(o->query_only);
  EXPECT_EQ(o->servers, std::vector<std::string>{"pool.example"});
}

TEST(NtpdateOptions, BundledFlagsAndAttachedValues) {
  auto o = parse({"-qub", "-p2", "-t", "0.4", "-o3", "-4", "a", "b"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_TRUE(o->query_only);
  EXPECT_TRUE(o->unprivileged_port);
  EXPECT_TRUE(o->always_step);
  EXPECT_EQ(o->samples, 2);
  EXPECT_DOUBLE_EQ(o->timeout_s, 0.4);
  EXPECT_EQ(o->version, 3);
  EXPECT_EQ(o->family, net::Family::kIPv4);
  EXPECT_EQ(o->servers, (std::vector<std::string>{"a", "b"}));
}

TEST(NtpdateOptions, LongOptions) {
  auto o = parse({"--port", "12345", "--clock", "virtual", "--virtual-offset", "-0.75",
                  "--interval", "0.1", "127.0.0.1"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->port, 12345);
  EXPECT_EQ(o->clock, "virtual");
  EXPECT_DOUBLE_EQ(o->virtual_offset_s, -0.75);
  EXPECT_DOUBLE_EQ(o->interval_s, 0.1);
}

TEST(NtpdateOptions, RejectsOutOfRangeAndNonsense) {
  EXPECT_FALSE(parse({"-p", "0", "x"}).ok());
  EXPECT_FALSE(parse({"-p", "9", "x"}).ok());
  EXPECT_FALSE(parse({"-o", "5", "x"}).ok());
  EXPECT_FALSE(parse({"-t", "abc", "x"}).ok());
  EXPECT_FALSE(parse({"-t", "0", "x"}).ok());
  EXPECT_FALSE(parse({"--port", "70000", "x"}).ok());
  EXPECT_FALSE(parse({"--clock", "sundial", "x"}).ok());
  EXPECT_FALSE(parse({"-b", "-B", "x"}).ok());
  EXPECT_FALSE(parse({"-Z", "x"}).ok());
  EXPECT_FALSE(parse({"-p"}).ok());
}

TEST(NtpdateOptions, NoServerIsAnErrorUnlessHelp) {
  auto o = parse({"-q"});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message, "no servers can be used, exiting");
  EXPECT_TRUE(parse({"--help"}).ok());
}

TEST(NtpdateOptions, AuthOptionsAreParsed) {
  auto o = parse({"-a", "7", "-k", "/etc/ntp/keys", "-e", "0.001", "x"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->key_id, 7u);
  EXPECT_EQ(o->key_file, "/etc/ntp/keys");
  EXPECT_DOUBLE_EQ(*o->auth_delay_s, 0.001);
}

}  // namespace
}  // namespace meridian::ntpdate
