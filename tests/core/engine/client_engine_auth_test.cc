// `server ... key N` in the client engine, in closed loop with a real server
// pipeline (ServerCore: MAC check, reply signing, crypto-NAK) on simulated
// time: keyed requests, authentic replies as samples, everything else as
// no sample (counted, logged once), and key reloads.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/access/restrict_table.h"
#include "core/auth/mac.h"
#include "core/auth/openssl_mac_engine.h"
#include "core/engine/client_engine.h"
#include "core/server/server_core.h"
#include "tests/core/engine/closed_loop_harness.h"

namespace meridian::engine {
namespace {

using testing::kClient;
using testing::kEpoch;
using testing::kServer;
using time::NtpDuration;
using time::NtpTime;

std::shared_ptr<const auth::MacEngine> mac_engine() {
  static std::shared_ptr<const auth::MacEngine> e(std::move(*auth::OpenSslMacEngine::create()));
  return e;
}

std::shared_ptr<auth::KeyStore> store(uint32_t id, auth::KeyType type, std::string_view secret,
                                      bool trusted = true) {
  auto k = std::make_shared<auth::KeyStore>();
  auth::SymmetricKey key{id, type, {}};
  for (char c : secret) key.secret.push_back(static_cast<std::byte>(c));
  EXPECT_TRUE(k->add(key).ok());
  if (trusted) k->trust(id);
  return k;
}

// What the network does to the server's reply before we see it.
enum class Tamper { kNone, kStripMac, kFlipMacBit, kFlipHeaderBit };

class AuthHarness : public testing::ClosedLoop {
 public:
  AuthHarness(std::optional<uint32_t> key_id, std::shared_ptr<const auth::KeyStore> client_keys,
              std::shared_ptr<const auth::KeyStore> server_keys)
      : ClosedLoop(11) {
    auto table = access::RestrictTable::build({});
    EXPECT_TRUE(table.ok());
    server_ = std::make_unique<server::ServerCore>(server::ServerPolicy{
        std::move(*table), access::RateLimiter(config::DiscardConfig{}, config::MruConfig{}, 1),
        *server_keys, mac_engine()});
    ClientConfig config;
    source::AssociationOptions o;
    o.endpoint = kServer;
    o.iburst = true;
    o.key_id = key_id;
    config.servers.push_back(o);
    config.keys = {std::move(client_keys), mac_engine()};
    start(config);
  }

  Tamper tamper = Tamper::kNone;
  std::vector<std::vector<std::byte>> requests;  // as sent

 private:
  void handle(std::vector<Action>& out) override {
    for (size_t i = 0; i < out.size(); ++i) {
      if (auto* log = std::get_if<LogEvent>(&out[i])) logs.push_back(log->text);
      auto* send = std::get_if<SendRequest>(&out[i]);
      if (send == nullptr) continue;
      requests.push_back(send->bytes);
      server_->set_view(server::local_clock_view(1, wire::kiss_code("GPS\0"), -20, now()));
      auto reply = server_->handle(send->bytes, kClient, now(), now(), now_s_);
      if (!reply) continue;
      switch (tamper) {
        case Tamper::kNone:
          break;
        case Tamper::kStripMac:
          reply->resize(wire::kHeaderSize);
          break;
        case Tamper::kFlipMacBit:
          reply->back() ^= std::byte{1};
          break;
        case Tamper::kFlipHeaderBit:
          (*reply)[wire::kHeaderSize - 1] ^= std::byte{1};  // T3's last bit
          break;
      }
      deliver(*reply, out);
    }
  }

  std::unique_ptr<server::ServerCore> server_;
};

TEST(ClientEngineAuth, KeyedAssociationSignsRequestsAndSynchronisesOnAuthenticReplies) {
  for (auto type : {auth::KeyType::kMd5, auth::KeyType::kSha1, auth::KeyType::kSha256,
                    auth::KeyType::kAes128Cmac}) {
    const auto keys = store(7, type, "sixteen-byte-key");
    AuthHarness h(7, keys, keys);
    h.run(12);
    ASSERT_FALSE(h.requests.empty());
    for (const auto& r : h.requests) {
      EXPECT_EQ(r.size(), wire::kHeaderSize + 4 + auth::wire_digest_length(type));
      auto parsed = wire::parse_packet(r);
      ASSERT_TRUE(parsed.ok());
      EXPECT_TRUE(auth::verify_request(r, *parsed, *keys, *mac_engine()).ok());
    }
    EXPECT_TRUE(h.synchronised()) << auth::to_string(type);
    const PeerView p = h.peer();
    ASSERT_TRUE(p.auth.has_value());
    EXPECT_EQ(p.auth->key_id, 7u);
    EXPECT_TRUE(p.auth->authentic());
    EXPECT_GE(p.auth->counters.ok, 4u);
    EXPECT_EQ(p.auth->counters.dropped(), 0u);
    EXPECT_NE(p.state.reach, 0);
    EXPECT_EQ(h.log_count("authentication"), 0);
  }
}

TEST(ClientEngineAuth, UnkeyedAssociationSendsPlainRequestsAndHasNoAuthState) {
  const auto keys = store(7, auth::KeyType::kMd5, "secret");
  AuthHarness h(std::nullopt, keys, keys);
  h.run(12);
  for (const auto& r : h.requests) EXPECT_EQ(r.size(), wire::kHeaderSize);
  EXPECT_TRUE(h.synchronised());
  EXPECT_FALSE(h.peer().auth.has_value());
}

// Our secret differs from the server's: the server answers with crypto-NAKs.
TEST(ClientEngineAuth, WrongSecretGetsCryptoNaksWhichAreNoSamples) {
  AuthHarness h(7, store(7, auth::KeyType::kSha1, "ours"),
                store(7, auth::KeyType::kSha1, "theirs"));
  h.run(200);
  EXPECT_FALSE(h.synchronised());
  const PeerView p = h.peer();
  EXPECT_EQ(p.state.reach, 0);
  EXPECT_FALSE(p.state.last_sample.has_value());
  ASSERT_TRUE(p.auth.has_value());
  EXPECT_EQ(p.auth->counters.crypto_nak, h.requests.size());
  EXPECT_GE(p.auth->counters.dropped(), 6u);
  EXPECT_EQ(p.auth->counters.ok, 0u);
  EXPECT_FALSE(p.auth->authentic());
  EXPECT_EQ(h.log_count("server 192.0.2.1: reply failed authentication (crypto-NAK)"), 1);
}

TEST(ClientEngineAuth, UnsignedWronglySignedAndOtherKeyRepliesAreNoSamples) {
  struct Case {
    Tamper tamper;
    std::shared_ptr<auth::KeyStore> server_keys;
    uint64_t auth::ClientAuthCounters::*counter;
    std::string_view logged;
  };
  const auto ours = store(7, auth::KeyType::kMd5, "secret");
  // The server signs correctly; the network strips or damages the MAC.
  const Case cases[] = {
      {Tamper::kStripMac, ours, &auth::ClientAuthCounters::unsigned_, "(no MAC)"},
      {Tamper::kFlipMacBit, ours, &auth::ClientAuthCounters::bad_mac, "(bad MAC)"},
      {Tamper::kFlipHeaderBit, ours, &auth::ClientAuthCounters::bad_mac, "(bad MAC)"},
  };
  for (const Case& c : cases) {
    AuthHarness h(7, ours, c.server_keys);
    h.tamper = c.tamper;
    h.run(200);
    EXPECT_FALSE(h.synchronised());
    const PeerView p = h.peer();
    EXPECT_EQ(p.state.reach, 0);
    ASSERT_TRUE(p.auth.has_value());
    EXPECT_EQ(p.auth->counters.*c.counter, h.requests.size()) << c.logged;
    EXPECT_EQ(p.auth->counters.ok, 0u);
    EXPECT_EQ(h.log_count(c.logged), 1) << c.logged;
  }
}

TEST(ClientEngineAuth, ReplySignedWithAnotherTrustedKeyIsNoSample) {
  // We trust keys 7 and 8; the association uses 7; the reply is signed with 8.
  auto ours = store(7, auth::KeyType::kMd5, "seven");
  ASSERT_TRUE(ours->add({8, auth::KeyType::kMd5, {std::byte{'8'}}}).ok());
  ours->trust(8);
  ClientConfig config;
  source::AssociationOptions o;
  o.endpoint = kServer;
  o.key_id = 7;
  config.servers.push_back(o);
  config.keys = {ours, mac_engine()};
  SeededRandom random(3);
  ClientEngine engine(config, random, 0.0);
  std::vector<Action> out;
  engine.on_timer(5, kEpoch, out);
  ASSERT_EQ(out.size(), 1u);
  auto request = wire::parse_header(std::get<SendRequest>(out[0]).bytes);
  ASSERT_TRUE(request.ok());
  const auto view = server::local_clock_view(1, wire::kiss_code("GPS\0"), -20, kEpoch);
  const NtpTime t2 = kEpoch + NtpDuration::from_seconds(0.005);
  const NtpTime t4 = kEpoch + NtpDuration::from_seconds(0.010);
  const auto answer = server::answer_request(*request, {}, view, t2, t2, false);
  auto reply = auth::append_mac(server::serialize_reply(answer.header), 8, *ours, *mac_engine());
  ASSERT_TRUE(reply.ok());
  out.clear();
  EXPECT_TRUE(engine.on_packet(kServer, *reply, t4, 5.01, out));
  const PeerView p = engine.peers(5.01).at(0);
  EXPECT_EQ(p.state.reach, 0);
  EXPECT_EQ(p.auth->counters.wrong_key, 1u);
  // The same reply signed with key 7 is a sample.
  auto good = auth::append_mac(server::serialize_reply(answer.header), 7, *ours, *mac_engine());
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(engine.on_packet(kServer, *good, t4, 5.02, out));
  EXPECT_EQ(engine.peers(5.02).at(0).state.reach, 1);
}

TEST(ClientEngineAuth, AnUnauthenticatedKissOfDeathCannotStopAKeyedAssociation) {
  const auto keys = store(7, auth::KeyType::kMd5, "secret");
  ClientConfig config;
  source::AssociationOptions o;
  o.endpoint = kServer;
  o.key_id = 7;
  config.servers.push_back(o);
  config.keys = {keys, mac_engine()};
  SeededRandom random(3);
  ClientEngine engine(config, random, 0.0);
  std::vector<Action> out;
  engine.on_timer(5, kEpoch, out);
  auto request = wire::parse_header(std::get<SendRequest>(out.at(0)).bytes);
  ASSERT_TRUE(request.ok());
  wire::NtpHeader deny;
  deny.mode = wire::Mode::kServer;
  deny.version = 4;
  deny.stratum = 0;
  deny.reference_id = wire::kKissDeny;
  deny.origin = request->transmit;  // an on-path forger knows it
  deny.receive = deny.transmit = kEpoch.to_timestamp();
  EXPECT_TRUE(engine.on_packet(kServer, server::serialize_reply(deny), kEpoch, 5.01, out));
  const PeerView p = engine.peers(5.01).at(0);
  EXPECT_FALSE(p.state.stopped);
  EXPECT_TRUE(p.state.kiss.empty());
  EXPECT_EQ(p.auth->counters.unsigned_, 1u);
}

TEST(ClientEngineAuth, MissingOrUntrustedKeySendsNothingAndSaysSoOnce) {
  for (const bool in_file : {false, true}) {
    // In the file but not trusted, or trusted (listed) but not in the file.
    auto keys = in_file ? store(7, auth::KeyType::kMd5, "secret", /*trusted=*/false)
                        : std::make_shared<auth::KeyStore>();
    if (!in_file) keys->trust(7);
    AuthHarness h(7, keys, store(7, auth::KeyType::kMd5, "secret"));
    h.run(300);
    EXPECT_TRUE(h.requests.empty());
    const PeerView p = h.peer();
    ASSERT_TRUE(p.auth.has_value());
    EXPECT_GE(p.auth->counters.not_sent, 6u);
    EXPECT_EQ(h.log_count("key 7 is not in the key file or not trusted"), 1);
  }
}

TEST(ClientEngineAuth, ReloadedKeysApplyToTheRunningAssociation) {
  const auto server_keys = store(7, auth::KeyType::kSha256, "right");
  AuthHarness h(7, store(7, auth::KeyType::kSha256, "wrong"), server_keys);
  h.run(30);
  EXPECT_FALSE(h.synchronised());
  EXPECT_GT(h.peer().auth->counters.crypto_nak, 0u);
  // The key file is fixed and reloaded: same association, new secret.
  h.engine().set_keys({store(7, auth::KeyType::kSha256, "right"), mac_engine()});
  h.run(200);
  EXPECT_TRUE(h.synchronised());
  EXPECT_TRUE(h.peer().auth->authentic());
  EXPECT_EQ(h.log_count("replies authenticated again with key 7"), 1);
}

}  // namespace
}  // namespace meridian::engine
