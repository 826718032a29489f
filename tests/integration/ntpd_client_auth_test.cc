// `server ... key N` end to end between two of our daemons: a wrong secret
// gets crypto-NAKs (no sample, counted, logged once, ntpq shows auth bad),
// and fixing the key file + SIGHUP makes the same association authentic.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <regex>
#include <thread>

#include "tests/support/ntpd_harness.h"
#include "tests/support/process.h"

namespace meridian {
namespace {

using testing::Completed;

const std::string kBin = MERIDIAN_BIN_DIR;
const std::string kAuthVars = "keyid,authentic,badauth,flash,reach,auth_cryptonak";

class NtpdClientAuth : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir(); }

  std::string ntpq(uint16_t port, const std::string& command) {
    const Completed c = testing::run_command(
        {kBin + "/ntpq", "-n", "-c", command, fmt::format("127.0.0.1:{}", port)}, dir_, 20);
    return c.out;
  }
  // The value of NAME in `ntpq -c "rv &1"` output ("" if absent).
  static std::string rv_value(const std::string& rv, const std::string& name) {
    std::smatch m;
    if (std::regex_search(rv, m, std::regex("(^|[\\s,])" + name + "=([^,\\s]*)"))) return m[2];
    return "";
  }
  // The association id of the first row of `ntpq -c as`.
  std::string assid(uint16_t port) {
    std::smatch m;
    const std::string as = ntpq(port, "as");
    if (std::regex_search(as, m, std::regex(R"(\n\s+1\s+(\d+)\s)"))) return m[1];
    return "";
  }
  bool wait_for(const std::function<bool()>& done) {
    for (int i = 0; i < 120; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::string dir_;
};

TEST_F(NtpdClientAuth, WrongSecretIsNeverUsedAndAReloadedKeyFileFixesIt) {
  testing::write_file(dir_ + "/server.keys", "1 SHA1 right-secret\n");
  testing::write_file(dir_ + "/client.keys", "1 SHA1 wrong-secret\n");
  const uint16_t server_port = testing::free_udp_port();
  auto server = testing::start_ntpd(kBin, dir_, "server",
                                    fmt::format("keys {}/server.keys\ntrustedkey 1\n"
                                                "server 127.127.1.0\nfudge 127.127.1.0 stratum 2\n",
                                                dir_),
                                    server_port);
  const uint16_t port = testing::free_udp_port();
  auto client = testing::start_ntpd(
      kBin, dir_, "client",
      fmt::format("keys {}/client.keys\ntrustedkey 1\nserver 127.0.0.1 port {} iburst key 1\n",
                  dir_, server_port),
      port);

  // Our server answers the badly signed requests with crypto-NAKs.
  ASSERT_TRUE(wait_for([&] {
    return client->stderr_text().find(
               "server 127.0.0.1: reply failed authentication "
               "(crypto-NAK); key 1 expected") != std::string::npos;
  })) << client->stderr_text();
  std::string rv;
  ASSERT_TRUE(wait_for([&] {
    rv = ntpq(port, "rv &1 " + kAuthVars);
    const std::string naks = rv_value(rv, "auth_cryptonak");
    return !naks.empty() && std::stoi(naks) >= 3;
  })) << rv;
  EXPECT_EQ(rv_value(rv, "keyid"), "1");
  EXPECT_EQ(rv_value(rv, "authentic"), "0");
  EXPECT_EQ(rv_value(rv, "reach"), "000");
  EXPECT_EQ(rv_value(rv, "badauth"), rv_value(rv, "auth_cryptonak"));
  EXPECT_TRUE(std::regex_search(ntpq(port, "as"),
                                std::regex(R"(\n\s+1\s+\d+\s+[0-9a-f]{4}\s+yes\s+no\s+bad\s)")))
      << ntpq(port, "as");
  const std::string text = client->stderr_text();
  size_t logged = 0;
  for (size_t at = 0; (at = text.find("failed authentication", at)) != std::string::npos; ++at)
    ++logged;
  EXPECT_EQ(logged, 1u) << "logged per packet, not per state change:\n" << text;
  EXPECT_EQ(text.find("synchronised to"), std::string::npos) << text;

  // Fix the key file; the reload applies it to the running association.
  const std::string id_before = assid(port);
  ASSERT_FALSE(id_before.empty());
  testing::write_file(dir_ + "/client.keys", "1 SHA1 right-secret\n");
  client->signal(SIGHUP);
  ASSERT_TRUE(wait_for([&] {
    return client->stderr_text().find("replies authenticated again with key 1") !=
               std::string::npos &&
           client->stderr_text().find("synchronised to 127.0.0.1 stratum 3") != std::string::npos;
  })) << client->stderr_text();
  ASSERT_TRUE(wait_for([&] { return ntpq(port, "peers").find("*127.0.0.1") != std::string::npos; }))
      << ntpq(port, "peers");
  rv = ntpq(port, "rv &1 " + kAuthVars);
  EXPECT_EQ(rv_value(rv, "authentic"), "1") << rv;
  EXPECT_EQ(rv_value(rv, "flash"), "00");  // ntpq cooks 0x0 as "00 ok"
  EXPECT_TRUE(std::regex_search(ntpq(port, "as"), std::regex(R"(\s+yes\s+yes\s+ok\s)")));
  // Same association (the server line did not change), same id.
  EXPECT_EQ(assid(port), id_before);
  client->signal(SIGTERM);
  EXPECT_EQ(client->wait(5), 0) << client->stderr_text();
}

}  // namespace
}  // namespace meridian
