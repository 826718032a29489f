// The NTS fuzz target's seed corpus (fuzz/corpus/nts_fields/) comes from
// these packets, built by the code under test with the fuzz target's fixed
// keys (fuzz/nts_fuzz_fixture.h). This test pins what each seed exercises;
// with MERIDIAN_WRITE_NTS_SEEDS=DIR it also writes them there.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "core/nts/server_answer.h"
#include "fuzz/nts_fuzz_fixture.h"

namespace meridian::nts {
namespace {

TEST(NtsFuzzSeedsTest, SeedsReachTheirPaths) {
  const fuzz::NtsFuzzFixture f;
  const auto seeds = fuzz::nts_seed_packets(f);
  std::map<std::string, std::vector<std::byte>> by_name(seeds.begin(), seeds.end());
  ASSERT_EQ(by_name.size(), seeds.size());

  SeededRandom random(1);
  const auto server = fuzz::fuzz_header(wire::Mode::kServer);
  const auto outcome = [&](const std::string& name) {
    return answer_request(*f.aead, f.keyring, by_name.at(name), server, random).outcome;
  };
  EXPECT_EQ(outcome("request_p0"), ServerOutcome::kReply);
  EXPECT_EQ(outcome("request_p7"), ServerOutcome::kReply);
  EXPECT_EQ(outcome("request_bad_authenticator"), ServerOutcome::kNak);
  EXPECT_EQ(outcome("request_unknown_cookie_key"), ServerOutcome::kNak);
  EXPECT_EQ(outcome("plain_client"), ServerOutcome::kDrop);

  const auto verdict = [&](const std::string& name) {
    return verify_reply(*f.aead, f.keys, by_name.at(name), f.uid).verdict;
  };
  EXPECT_EQ(verdict("reply_p0"), ReplyVerdict::kOk);
  EXPECT_EQ(verdict("reply_p3"), ReplyVerdict::kOk);
  EXPECT_EQ(verify_reply(*f.aead, f.keys, by_name.at("reply_p7"), f.uid).cookies.size(), 8u);
  EXPECT_EQ(verdict("nak"), ReplyVerdict::kNak);

  if (const char* dir = std::getenv("MERIDIAN_WRITE_NTS_SEEDS")) {
    for (const auto& [name, bytes] : seeds) {
      std::ofstream out(std::string(dir) + "/" + name + ".bin", std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size()));
      ASSERT_TRUE(out.good()) << name;
    }
  }
}

}  // namespace
}  // namespace meridian::nts
