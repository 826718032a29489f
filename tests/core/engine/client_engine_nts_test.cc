// `server HOST nts` in the client engine, in closed loop with the real server
// pipeline (ServerCore with an NTS context: cookie, authenticator, reply or
// NAK) on simulated time. The NTS-KE handshake is the daemon's I/O: here the
// harness answers each KeyExchange action itself with fresh keys and cookies
// sealed by the server's context, or with a failure.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/access/restrict_table.h"
#include "core/engine/client_engine.h"
#include "core/nts/openssl_aead.h"
#include "core/server/nts_server_context.h"
#include "core/server/server_core.h"
#include "tests/core/engine/closed_loop_harness.h"

namespace meridian::engine {
namespace {

using testing::kClient;
using testing::kServer;

std::shared_ptr<const nts::Aead> aead() {
  static std::shared_ptr<const nts::Aead> a(std::move(*nts::OpenSslAead::create()));
  return a;
}

enum class KeOutcome { kOk, kLoose, kFail };

class NtsHarness : public testing::ClosedLoop {
 public:
  NtsHarness() : ClosedLoop(7), server_random_(std::make_shared<SeededRandom>(99)) {
    context_ = std::make_shared<server::NtsServerContext>(aead(), server_random_);
    rotate_server_keys();
    auto table = access::RestrictTable::build({});
    EXPECT_TRUE(table.ok());
    server_ = std::make_unique<server::ServerCore>(server::ServerPolicy{
        std::move(*table), access::RateLimiter(config::DiscardConfig{}, config::MruConfig{}, 1),
        auth::KeyStore{}, nullptr, context_});
    ClientConfig config;
    source::AssociationOptions o;
    o.endpoint = kServer;
    o.name = "ntp.test";
    o.iburst = true;
    o.nts = true;
    config.servers.push_back(o);
    config.nts_aead = aead();
    start(config);
  }

  // A new cookie master key, the old ones forgotten: clients' cookies die.
  void rotate_server_keys() {
    auto ring = std::make_shared<nts::CookieKeyring>();
    ring->rotate(1'800'000'000 + static_cast<int64_t>(now_s_) + rotations_++ * 100000,
                 *server_random_);
    context_->publish(ring);
  }

  KeOutcome ke = KeOutcome::kOk;
  bool flip_reply_byte = false;
  std::vector<KeyExchange> exchanges;  // as asked for
  std::vector<double> exchange_times_s;
  std::vector<std::vector<std::byte>> requests;  // as sent

 private:
  void handle(std::vector<Action>& out) override {
    for (size_t i = 0; i < out.size(); ++i) {
      if (auto* log = std::get_if<LogEvent>(&out[i])) logs.push_back(log->text);
      if (auto* k = std::get_if<KeyExchange>(&out[i])) {
        exchanges.push_back(*k);
        exchange_times_s.push_back(now_s_);
        std::vector<Action> more;
        engine_->on_key_exchange(k->association, key_exchange(), now_s_, more);
        out.insert(out.end(), more.begin(), more.end());
        continue;
      }
      auto* send = std::get_if<SendRequest>(&out[i]);
      if (send == nullptr) continue;
      requests.push_back(send->bytes);
      server_->set_view(server::local_clock_view(1, wire::kiss_code("GPS\0"), -20, now()));
      auto reply = server_->handle(send->bytes, kClient, now(), now(), now_s_);
      if (!reply) continue;
      if (flip_reply_byte) reply->back() ^= std::byte{1};  // inside the authenticator
      deliver(*reply, out);
    }
  }
  Result<KeyExchangeResult> key_exchange() {
    if (ke == KeOutcome::kFail) return make_error(ErrorCode::kUnavailable, "connection refused");
    KeyExchangeResult r;
    server_random_->fill(r.keys.c2s);
    server_random_->fill(r.keys.s2c);
    auto cookies = context_->make_cookies(r.keys, 8);
    EXPECT_TRUE(cookies.ok());
    r.cookies = std::move(*cookies);
    r.loose = ke == KeOutcome::kLoose;
    return r;
  }

  std::shared_ptr<SeededRandom> server_random_;
  std::shared_ptr<server::NtsServerContext> context_;
  std::unique_ptr<server::ServerCore> server_;
  int rotations_ = 0;
};

TEST(ClientEngineNts, NothingIsSentBeforeTheHandshakeThenOnlyNtsRequests) {
  NtsHarness h;
  h.ke = KeOutcome::kFail;
  h.run(1);
  ASSERT_EQ(h.exchanges.size(), 1u);
  EXPECT_EQ(h.exchanges[0].name, "ntp.test");
  EXPECT_EQ(h.exchanges[0].port, 4460);
  EXPECT_TRUE(h.exchanges[0].allow_loose);  // never synchronised yet
  EXPECT_TRUE(h.requests.empty());          // no plain NTP while there are no keys
  h.ke = KeOutcome::kOk;
  h.run(40);
  ASSERT_FALSE(h.requests.empty());
  for (const auto& r : h.requests) EXPECT_GT(r.size(), wire::kHeaderSize);  // NTS fields
  EXPECT_TRUE(h.synchronised());
  const PeerView p = h.peer();
  ASSERT_TRUE(p.nts.has_value());
  EXPECT_GE(p.nts->counters.authentic_replies, 1u);
  EXPECT_EQ(p.nts->ke_failures, 1u);
  EXPECT_EQ(p.nts->ke_ok, 1u);
}

TEST(ClientEngineNts, FailedHandshakesBackOff) {
  NtsHarness h;
  h.ke = KeOutcome::kFail;
  h.run(200);
  // 0, then 16, 32, 64 s later: 0, 16, 48, 112.
  ASSERT_EQ(h.exchange_times_s.size(), 4u);
  EXPECT_NEAR(h.exchange_times_s[1] - h.exchange_times_s[0], 16, 0.01);
  EXPECT_NEAR(h.exchange_times_s[2] - h.exchange_times_s[1], 32, 0.01);
  EXPECT_NEAR(h.exchange_times_s[3] - h.exchange_times_s[2], 64, 0.01);
  EXPECT_TRUE(h.requests.empty());
  EXPECT_FALSE(h.synchronised());
}

TEST(ClientEngineNts, TamperedRepliesAreNoSamplesAndLoggedOnce) {
  NtsHarness h;
  h.flip_reply_byte = true;
  h.run(60);
  EXPECT_FALSE(h.requests.empty());
  EXPECT_FALSE(h.synchronised());
  const PeerView p = h.peer();
  ASSERT_TRUE(p.nts.has_value());
  EXPECT_EQ(p.nts->counters.authentic_replies, 0u);
  EXPECT_GE(p.nts->counters.bad_authenticator + p.nts->counters.malformed, 2u);
  EXPECT_EQ(h.log_count("NTS: reply from ntp.test dropped"), 1);
}

TEST(ClientEngineNts, LooseKeysAreReplacedStrictlyOnceSynchronised) {
  NtsHarness h;
  h.ke = KeOutcome::kLoose;
  h.run(30);
  ASSERT_TRUE(h.synchronised());
  ASSERT_GE(h.exchanges.size(), 2u);
  EXPECT_TRUE(h.exchanges[0].allow_loose);
  EXPECT_FALSE(h.exchanges[1].allow_loose);  // after the first sync: time checked
  EXPECT_EQ(h.log_count("checking ntp.test's certificate again"), 1);
}

TEST(ClientEngineNts, ANakAfterTheServerForgotItsKeysStartsANewHandshake) {
  NtsHarness h;
  h.run(20);
  ASSERT_TRUE(h.synchronised());
  ASSERT_EQ(h.exchanges.size(), 1u);
  h.rotate_server_keys();  // e.g. a server restarted without its cookie key file
  h.run(200);
  EXPECT_GE(h.exchanges.size(), 2u);
  const PeerView p = h.peer();
  ASSERT_TRUE(p.nts.has_value());
  EXPECT_GE(p.nts->counters.naks, 1u);
  EXPECT_EQ(p.nts->ke_ok, h.exchanges.size());
  EXPECT_GE(h.log_count("sent an NTS NAK"), 1);
}

}  // namespace
}  // namespace meridian::engine
