// includefile: relative paths, directories (NTPsec), loops, depth, missing files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace meridian::config::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> hosts(const Config& c) {
  std::vector<std::string> out;
  for (const AssociationConfig& a : c.associations) out.push_back(a.host);
  return out;
}

TEST(ConfigIncludeTest, AbsoluteAndRelativeToTheIncludingFile) {
  MemoryFileSource files;
  files.add("/etc/ntp/servers.conf", "server a.example iburst\nincludefile more/b.conf\n");
  files.add("/etc/ntp/more/b.conf", "server b.example iburst\nincludefile ../../c.conf\n");
  files.add("/etc/c.conf", "server c.example iburst\n");
  Config c = parse("includefile ntp/servers.conf\nserver d.example\n", files);
  EXPECT_THAT(messages(c), IsEmpty());
  EXPECT_THAT(hosts(c), ElementsAre("a.example", "b.example", "c.example", "d.example"));
  EXPECT_EQ(c.associations[1].where, (SourceLocation{"/etc/ntp/more/b.conf", 1}));
  EXPECT_EQ(c.associations[2].where, (SourceLocation{"/etc/c.conf", 1}));
  EXPECT_EQ(c.associations[3].where, (SourceLocation{"/etc/ntp.conf", 2}));
}

TEST(ConfigIncludeTest, DiagnosticsNameTheIncludedFile) {
  MemoryFileSource files;
  files.add("/etc/ntp/bad.conf", "\n\nbogus directive\nrestrict default nomodfy\n");
  Config c = parse("includefile /etc/ntp/bad.conf\n", files);
  EXPECT_THAT(messages(c),
              ElementsAre("/etc/ntp/bad.conf:3: unknown directive 'bogus'; line ignored",
                          "/etc/ntp/bad.conf:4: restrict: unknown flag 'nomodfy'"));
  EXPECT_TRUE(c.has_fatal());
}

TEST(ConfigIncludeTest, DirectoryIncludesEveryConfSorted) {
  MemoryFileSource files;
  files.add("/etc/ntp.d/20-b.conf", "server b.example iburst\n");
  files.add("/etc/ntp.d/10-a.conf", "server a.example iburst\n");
  files.add("/etc/ntp.d/README", "not a config\n");
  files.add("/etc/ntp.d/30-c.conf.disabled", "server x.example\n");
  files.add("/etc/ntp.d/.hidden.conf", "server y.example\n");
  files.add("/etc/ntp.d/sub/40.conf", "server z.example\n");
  Config c = parse("includefile /etc/ntp.d/\nincludefile ntp.d\n", files);
  EXPECT_THAT(hosts(c), ElementsAre("a.example", "b.example", "a.example", "b.example"));
  // The second include repeats the same files: not a loop, just duplicates (lint's business).
  EXPECT_THAT(messages(c), IsEmpty());
}

TEST(ConfigIncludeTest, EmptyDirectoryWarns) {
  MemoryFileSource files;
  files.add("/etc/ntp.d/README", "x");
  Config c = parse("includefile /etc/ntp.d/\n", files);
  EXPECT_THAT(warnings(c), ElementsAre("/etc/ntp.conf:1: includefile /etc/ntp.d/: no *.conf files "
                                       "in directory"));
}

// A missing file is skipped with a warning, as classic ntpd does (the stock
// Red Hat ntp.conf includes /etc/ntp/crypto/pw), so `ntpd --check` passes.
TEST(ConfigIncludeTest, MissingFileIsAWarningAndSkipped) {
  MemoryFileSource files;
  Config c =
      parse("server a.example iburst\nincludefile /etc/ntp/crypto/pw\nserver b.example\n", files);
  EXPECT_THAT(warnings(c), ElementsAre("/etc/ntp.conf:2: includefile /etc/ntp/crypto/pw: cannot "
                                       "read (/etc/ntp/crypto/pw: no such file); skipped"));
  EXPECT_THAT(errors(c), ::testing::IsEmpty());
  EXPECT_FALSE(c.has_fatal());
  EXPECT_THAT(hosts(c), ElementsAre("a.example", "b.example"));
}

TEST(ConfigIncludeTest, LoopIsDetectedAndTheChainReported) {
  MemoryFileSource files;
  files.add("/etc/a.conf", "server a.example iburst\nincludefile b.conf\n");
  files.add("/etc/b.conf", "includefile ./a.conf\nserver b.example iburst\n");
  Config c = parse("includefile a.conf\n", files);
  EXPECT_THAT(errors(c), ElementsAre("/etc/b.conf:1: includefile ./a.conf: include loop "
                                     "(/etc/ntp.conf -> /etc/a.conf -> /etc/b.conf -> "
                                     "/etc/a.conf); not read again"));
  EXPECT_THAT(hosts(c), ElementsAre("a.example", "b.example"));
}

TEST(ConfigIncludeTest, SelfIncludeAndIncludingTheTopFile) {
  MemoryFileSource files;
  files.add("/etc/x.conf", "includefile /etc/ntp.conf\n");
  Config c = parse("includefile ntp.conf\nincludefile x.conf\n", files);
  EXPECT_THAT(errors(c),
              ElementsAre("/etc/ntp.conf:1: includefile ntp.conf: include loop (/etc/ntp.conf -> "
                          "/etc/ntp.conf); not read again",
                          "/etc/x.conf:1: includefile /etc/ntp.conf: include loop (/etc/ntp.conf "
                          "-> /etc/x.conf -> /etc/ntp.conf); not read again"));
}

TEST(ConfigIncludeTest, DepthLimit) {
  MemoryFileSource files;
  // A chain of distinct files deeper than the limit (as symlink loops would look).
  for (int i = 0; i < 15; ++i) {
    files.add("/etc/d" + std::to_string(i) + ".conf",
              "includefile d" + std::to_string(i + 1) + ".conf\n");
  }
  Config c = parse("includefile d0.conf\n", files);
  EXPECT_THAT(errors(c), ElementsAre("/etc/d9.conf:1: includefile d10.conf: includes nested "
                                     "deeper than 10 levels; not read"));
}

TEST(ConfigIncludeTest, TotalIncludedFilesAreBounded) {
  MemoryFileSource files;
  // Each level includes the next one 40 times: 40^3 reads without a bound.
  std::string level1, level2;
  for (int i = 0; i < 40; ++i) {
    level1 += "includefile l2.conf\n";
    level2 += "includefile l3.conf\n";
  }
  files.add("/etc/l1.conf", level1);
  files.add("/etc/l2.conf", level2);
  files.add("/etc/l3.conf", "server a.example iburst\n");
  std::string top;
  for (int i = 0; i < 40; ++i) top += "includefile l1.conf\n";
  Config c = parse(top, files);
  // Reads: l1, then (l2 + 40 × l3) 24 times = 985, then l2 and 14 × l3 = 1000.
  EXPECT_EQ(c.associations.size(), 24u * 40u + 14u);
  EXPECT_THAT(errors(c), ElementsAre("/etc/l2.conf:15: includefile l3.conf: more than 1000 files "
                                     "included; this and every later includefile are not read"));
}

TEST(ConfigIncludeTest, MissingNameAndExtraTokens) {
  MemoryFileSource files;
  files.add("/etc/a.conf", "");
  Config c = parse("includefile\nincludefile a.conf extra\n", files);
  EXPECT_THAT(messages(c),
              ElementsAre("/etc/ntp.conf:1: includefile: missing file name; line ignored",
                          "/etc/ntp.conf:2: includefile: extra 'extra' ignored"));
}

TEST(ConfigIncludeTest, RelativeTopLevelFile) {
  MemoryFileSource files;
  files.add("conf/inc.conf", "server a.example iburst\n");
  files.add("conf/ntp.conf", "includefile inc.conf\n");
  auto c = parse_config_file("conf/ntp.conf", files);
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(messages(*c), IsEmpty());
  EXPECT_THAT(hosts(*c), ElementsAre("a.example"));
}

TEST(ConfigIncludeTest, ParseConfigFileFailsOnlyWhenTheFileIsUnreadable) {
  MemoryFileSource files;
  auto missing = parse_config_file("/etc/ntp.conf", files);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kUnavailable);
  files.add("/etc/ntp.conf", "bogus\n");
  auto bad = parse_config_file("/etc/ntp.conf", files);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->file, "/etc/ntp.conf");
  EXPECT_THAT(messages(*bad), ElementsAre("/etc/ntp.conf:1: unknown directive 'bogus'; line "
                                          "ignored"));
}

TEST(ConfigMemoryFileSourceTest, ReadAndList) {
  MemoryFileSource files({{"/a/b.conf", "x"}, {"/a/c/d.conf", "y"}});
  EXPECT_EQ(*files.read("/a/b.conf"), "x");
  EXPECT_EQ(files.read("/a").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(files.read("/nope").error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(*files.list_directory("/a"), ElementsAre("b.conf", "c"));
  EXPECT_THAT(*files.list_directory("/a/"), ElementsAre("b.conf", "c"));
  EXPECT_FALSE(files.list_directory("/a/b.conf").ok());
  EXPECT_THAT(*files.list_directory("/"), ElementsAre("a"));
}

}  // namespace
}  // namespace meridian::config::testing
