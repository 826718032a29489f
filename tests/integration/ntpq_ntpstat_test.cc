// Our ntpq and ntpstat against our ntpd on loopback: a server ntpd (local
// clock driver) and a client ntpd synchronising from it, both with virtual
// clocks; mode 6 READSTAT/READVAR/MRU over real sockets.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::Completed;
using testing::Process;

const std::string kBin = MERIDIAN_BIN_DIR;

class NtpqAgainstNtpd : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir(); }

  std::unique_ptr<Process> start(const std::string& name, const std::string& config,
                                 uint16_t port) {
    const std::string path = dir_ + "/" + name + ".conf";
    testing::write_file(path, config);
    auto p = std::make_unique<Process>(
        std::vector<std::string>{kBin + "/ntpd", "-n", "-c", path, "--port", std::to_string(port),
                                 "--clock", "virtual"},
        dir_);
    EXPECT_TRUE(p->wait_for_stderr("ready: ", 10)) << p->stderr_text();
    return p;
  }

  Completed tool(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), kBin + "/" + name);
    return testing::run_command(args, dir_, 20);
  }

  std::string dir_;
};

TEST_F(NtpqAgainstNtpd, UnsynchronisedThenSynchronised) {
  const uint16_t server_port = testing::free_udp_port();
  const uint16_t client_port = testing::free_udp_port();
  // The client starts before its server, so the first check sees it
  // unsynchronised however slowly this machine runs the tools (with the
  // server up first, iburst could synchronise it before ntpstat ran).
  auto client = start("client",
                      fmt::format("restrict default noquery\nrestrict 127.0.0.1\n"
                                  "server 127.0.0.1 port {} iburst minpoll 4 maxpoll 4\n",
                                  server_port),
                      client_port);
  const std::string target = fmt::format("127.0.0.1:{}", client_port);

  Completed s = tool("ntpstat", {target});
  EXPECT_EQ(s.status, 1) << s.out << s.err;
  EXPECT_EQ(s.out.substr(0, 15), "unsynchronised\n");
  EXPECT_NE(s.out.find("   polling server every "), std::string::npos);

  auto server = start("server",
                      "restrict default noquery\nrestrict 127.0.0.1\n"
                      "server 127.127.1.0\nfudge 127.127.1.0 stratum 2\n",
                      server_port);
  // The iburst went unanswered; the next poll (16 s) synchronises it.
  for (int i = 0; i < 160 && s.status != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    s = tool("ntpstat", {target});
  }
  ASSERT_EQ(s.status, 0) << s.out << s.err;
  EXPECT_TRUE(std::regex_match(s.out, std::regex("synchronised to NTP server \\(127\\.0\\.0\\.1\\) "
                                                 "at stratum 4 \n   time correct to within "
                                                 "[0-9]+ ms\n   polling server every [0-9]+ s\n")))
      << s.out;

  Completed p = tool("ntpq", {"-pn", target});
  ASSERT_EQ(p.status, 0) << p.err;
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = p.out.find('\n', at)) != std::string::npos; at = nl + 1) {
    lines.push_back(p.out.substr(at, nl - at));
  }
  ASSERT_EQ(lines.size(), 3u) << p.out;
  EXPECT_EQ(lines[0],
            "     remote           refid      st t when poll reach   delay   offset  jitter");
  EXPECT_EQ(lines[1], std::string(78, '='));
  EXPECT_TRUE(std::regex_match(
      lines[2],
      std::regex(
          "\\*127\\.0\\.0\\.1       [0-9.]+ +3 u +[0-9]+ +[0-9]+ +[0-7]+ +-?[0-9]+\\.[0-9]{3}"
          " +-?[0-9]+\\.[0-9]{3} +[0-9]+\\.[0-9]{3}")))
      << lines[2];
  EXPECT_EQ(lines[2].size(), 78u);

  Completed as = tool("ntpq", {"-c", "as", target});
  EXPECT_NE(as.out.find("  1     1  b61a   yes   yes  none  sys.peer    sys_peer  1"),
            std::string::npos)
      << as.out;

  Completed rv = tool("ntpq", {"-c", "rv", "-c", "rv 1 srcadr,stratum", target});
  EXPECT_EQ(rv.status, 0) << rv.err;
  EXPECT_NE(rv.out.find("associd=0 status=0615 leap_none, sync_ntp, 1 event, clock_sync,"),
            std::string::npos)
      << rv.out;
  EXPECT_NE(rv.out.find("stratum=4,"), std::string::npos);
  EXPECT_NE(rv.out.find("srcadr=127.0.0.1, stratum=3"), std::string::npos) << rv.out;

  Completed js = tool("ntpq", {"--json", "-p", target});
  EXPECT_NE(js.out.find("\"tally\":\"*\""), std::string::npos) << js.out;
  Completed sj = tool("ntpstat", {"--json", target});
  EXPECT_NE(sj.out.find("\"synchronised\":true"), std::string::npos) << sj.out;

  // The server's MRU list shows the client's requests (mode 3, version 4).
  Completed mru = tool("ntpq", {"-n", "-c", "mrulist", fmt::format("127.0.0.1:{}", server_port)});
  EXPECT_EQ(mru.status, 0) << mru.err;
  EXPECT_NE(mru.out.find(fmt::format(" 3 4 "), 0), std::string::npos) << mru.out;
  EXPECT_NE(mru.out.find(fmt::format("{} 127.0.0.1", client_port)), std::string::npos) << mru.out;

  Completed bad = tool("ntpq", {"-c", "rv 77", target});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("unknown association"), std::string::npos) << bad.err;

  // Without -n the refid 127.127.1.0 (the server follows its local clock
  // driver) reads LOCAL(0), as classic ntpq shows it.
  Completed named = tool("ntpq", {"-p", target});
  EXPECT_TRUE(
      std::regex_search(named.out, std::regex(R"(\n\*localhost       LOCAL\(0\)         3 u )")))
      << named.out;
  // On the server, the driver is the classic pseudo-association: LOCAL(0),
  // refid .LOCL., its fudged stratum, type l, the system peer.
  const std::string server_target = fmt::format("127.0.0.1:{}", server_port);
  Completed local = tool("ntpq", {"-p", server_target});
  EXPECT_TRUE(std::regex_search(
      local.out,
      std::regex(R"(\n\*LOCAL\(0\)        \.LOCL\.           2 l +[0-9]+   64 +[0-7]+ )")))
      << local.out;
  Completed local_n = tool("ntpq", {"-pn", server_target});
  EXPECT_NE(local_n.out.find("\n*127.127.1.0     .LOCL.           2 l "), std::string::npos)
      << local_n.out;
  Completed server_rv = tool("ntpq", {"-c", "rv 0 refid,stratum", server_target});
  EXPECT_NE(server_rv.out.find("refid=127.127.1.0, stratum=3"), std::string::npos) << server_rv.out;
}

TEST_F(NtpqAgainstNtpd, NoqueryAndUnreachableFailCleanly) {
  const uint16_t port = testing::free_udp_port();
  auto server = start("noquery", "restrict default noquery\nserver 127.127.1.0\n", port);
  const std::string target = fmt::format("127.0.0.1:{}", port);
  Completed p = tool("ntpq", {"-t", "0.5", "-p", target});
  EXPECT_EQ(p.status, 1);
  EXPECT_NE(p.err.find("timed out"), std::string::npos) << p.err;
  Completed s = tool("ntpstat", {"-t", "0.5", target});
  EXPECT_EQ(s.status, 2);
  EXPECT_NE(s.err.find("Unable to talk to NTP daemon. Is it running?"), std::string::npos);

  server.reset();
  s = tool("ntpstat", {"-t", "0.5", target});
  EXPECT_EQ(s.status, 2);
}

}  // namespace
}  // namespace meridian
