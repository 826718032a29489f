// One NTS association's client state (core/nts/client_state.h) against the
// real server answer (core/nts/server_answer.h): cookie jar refills, each
// cookie used once, NAKs, bad replies, replays and key-exchange triggers.
#include "core/nts/client_state.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "core/nts/cookie.h"
#include "core/nts/cookie_keyring.h"
#include "core/nts/server_answer.h"
#include "tests/core/nts/nts_test_support.h"

namespace meridian::nts {
namespace {

using test_support::aead;
using test_support::header;
using test_support::test_keys;
using Bytes = std::vector<std::byte>;

constexpr int64_t kNow = 1'700'000'000;

// A server with a keyring, and what NTS-KE would hand the client.
struct Server {
  SeededRandom random;
  CookieKeyring keyring;
  NtsKeys keys = test_keys(0x10);

  explicit Server(uint64_t seed = 99) : random(seed) { EXPECT_TRUE(keyring.rotate(kNow, random)); }

  std::vector<Bytes> ke_cookies(size_t n) {
    std::vector<Bytes> out;
    for (size_t i = 0; i < n; ++i) {
      std::array<std::byte, kCookieNonceSize> nonce{};
      for (auto& b : nonce) b = static_cast<std::byte>(random.next_u64() & 0xff);
      auto c = make_cookie(aead(), keyring.current(), keys, nonce);
      EXPECT_TRUE(c.ok());
      out.push_back(*c);
    }
    return out;
  }

  ServerAnswer answer(const Bytes& request) {
    return answer_request(aead(), keyring, request, header(wire::Mode::kServer), random);
  }
};

TEST(NtsClientStateTest, NeedsKeyExchangeUntilKeysAndCookies) {
  NtsClientState state(aead());
  SeededRandom random(1);
  EXPECT_TRUE(state.needs_key_exchange());
  auto request = state.make_request(header(wire::Mode::kClient), random);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().code, ErrorCode::kUnavailable);
  state.set_keys(test_keys(), {});
  EXPECT_TRUE(state.needs_key_exchange());  // keys but no cookie
  state.set_keys(test_keys(), {Bytes(104, std::byte{1})});
  EXPECT_FALSE(state.needs_key_exchange());
  EXPECT_EQ(state.counters().requests, 0u);
}

TEST(NtsClientStateTest, JarRefillsToEightAndEachCookieIsUsedOnce) {
  Server server;
  NtsClientState state(aead());
  SeededRandom random(2);
  state.set_keys(server.keys, server.ke_cookies(2));
  std::set<Bytes> cookies_sent;
  std::set<Bytes> uids_sent;
  for (int round = 0; round < 20; ++round) {
    const size_t held = state.cookies_held();
    auto request = state.make_request(header(wire::Mode::kClient), random);
    ASSERT_TRUE(request.ok()) << request.error().message;
    auto parsed = parse_request(*request);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->placeholders, kMaxCookies - held);
    EXPECT_TRUE(cookies_sent.emplace(parsed->cookie.begin(), parsed->cookie.end()).second)
        << "cookie reused in round " << round;
    EXPECT_TRUE(uids_sent.emplace(parsed->uid.begin(), parsed->uid.end()).second);

    const ServerAnswer answer = server.answer(*request);
    ASSERT_EQ(answer.outcome, ServerOutcome::kReply) << answer.detail;
    EXPECT_LE(answer.bytes.size(), request->size());
    EXPECT_EQ(state.on_reply(answer.bytes), ReplyVerdict::kOk) << state.last_detail();
    EXPECT_EQ(state.cookies_held(), kMaxCookies);
  }
  EXPECT_EQ(state.counters().requests, 20u);
  EXPECT_EQ(state.counters().authentic_replies, 20u);
  // First reply refills 1 → 8 (7 cookies), then one per round.
  EXPECT_EQ(state.counters().cookies_received, 7u + 19u);
  EXPECT_FALSE(state.needs_key_exchange());
}

TEST(NtsClientStateTest, ReplayAndStaleRepliesAreNotOurs) {
  Server server;
  NtsClientState state(aead());
  SeededRandom random(3);
  state.set_keys(server.keys, server.ke_cookies(8));
  auto first = state.make_request(header(wire::Mode::kClient), random);
  ASSERT_TRUE(first.ok());
  const ServerAnswer first_answer = server.answer(*first);
  auto second = state.make_request(header(wire::Mode::kClient), random);
  ASSERT_TRUE(second.ok());
  // The answer to the first request arrives after the second was sent.
  EXPECT_EQ(state.on_reply(first_answer.bytes), ReplyVerdict::kNotOurs);
  const ServerAnswer second_answer = server.answer(*second);
  EXPECT_EQ(state.on_reply(second_answer.bytes), ReplyVerdict::kOk);
  const size_t held = state.cookies_held();
  EXPECT_EQ(state.on_reply(second_answer.bytes), ReplyVerdict::kNotOurs);  // replay
  EXPECT_EQ(state.cookies_held(), held);
  EXPECT_EQ(state.counters().not_ours, 2u);
}

TEST(NtsClientStateTest, TamperedReplyCountsAndLeavesTheRequestOpen) {
  Server server;
  NtsClientState state(aead());
  SeededRandom random(4);
  state.set_keys(server.keys, server.ke_cookies(4));
  auto request = state.make_request(header(wire::Mode::kClient), random);
  ASSERT_TRUE(request.ok());
  const ServerAnswer answer = server.answer(*request);
  ASSERT_EQ(answer.outcome, ServerOutcome::kReply);
  Bytes forged = answer.bytes;
  forged[40] ^= std::byte{0x01};  // the transmit timestamp
  EXPECT_EQ(state.on_reply(forged), ReplyVerdict::kBadAuth);
  EXPECT_EQ(state.counters().bad_authenticator, 1u);
  EXPECT_EQ(state.cookies_held(), 3u);
  EXPECT_EQ(state.on_reply(Bytes(10)), ReplyVerdict::kMalformed);
  EXPECT_EQ(state.counters().malformed, 1u);
  // The genuine reply still counts.
  EXPECT_EQ(state.on_reply(answer.bytes), ReplyVerdict::kOk);
  EXPECT_EQ(state.cookies_held(), 8u);
}

TEST(NtsClientStateTest, NakFromAServerThatLostItsKeysTriggersKeyExchange) {
  Server server;
  NtsClientState state(aead());
  SeededRandom random(5);
  state.set_keys(server.keys, server.ke_cookies(8));
  Server restarted(100);  // new cookie keys: the client's cookies are unknown there
  auto request = state.make_request(header(wire::Mode::kClient), random);
  ASSERT_TRUE(request.ok());
  const ServerAnswer nak = restarted.answer(*request);
  ASSERT_EQ(nak.outcome, ServerOutcome::kNak) << nak.detail;
  EXPECT_LE(nak.bytes.size(), request->size());
  EXPECT_EQ(state.on_reply(nak.bytes), ReplyVerdict::kNak);
  EXPECT_TRUE(state.needs_key_exchange());
  EXPECT_TRUE(state.nak_received());
  EXPECT_EQ(state.counters().naks, 1u);
  EXPECT_FALSE(state.make_request(header(wire::Mode::kClient), random).ok());
  // A NAK is unauthenticated: an authentic reply to the same request wins.
  const ServerAnswer genuine = server.answer(*request);
  EXPECT_EQ(state.on_reply(genuine.bytes), ReplyVerdict::kOk);
  EXPECT_FALSE(state.needs_key_exchange());
  // New NTS-KE also clears it.
  EXPECT_EQ(state.on_reply(nak.bytes), ReplyVerdict::kNotOurs);
  state.set_keys(server.keys, server.ke_cookies(8));
  EXPECT_FALSE(state.nak_received());
}

TEST(NtsClientStateTest, RunningOutOfCookiesNeedsKeyExchange) {
  Server server;
  NtsClientState state(aead());
  SeededRandom random(6);
  state.set_keys(server.keys, server.ke_cookies(2));
  ASSERT_TRUE(state.make_request(header(wire::Mode::kClient), random).ok());
  ASSERT_TRUE(state.make_request(header(wire::Mode::kClient), random).ok());  // no replies
  EXPECT_EQ(state.cookies_held(), 0u);
  EXPECT_TRUE(state.needs_key_exchange());
  EXPECT_FALSE(state.make_request(header(wire::Mode::kClient), random).ok());
  EXPECT_EQ(state.counters().requests, 2u);
}

TEST(NtsClientStateTest, SetKeysKeepsAtMostEightCookies) {
  Server server;
  NtsClientState state(aead());
  auto cookies = server.ke_cookies(10);
  cookies.push_back({});  // empty ones are dropped
  state.set_keys(server.keys, cookies);
  EXPECT_EQ(state.cookies_held(), kMaxCookies);
}

TEST(NtsServerAnswerTest, DropsMalformedAndNaksBadAuthenticators) {
  Server server;
  NtsClientState state(aead());
  SeededRandom random(7);
  EXPECT_EQ(server.answer(Bytes(48)).outcome, ServerOutcome::kDrop);
  // Right cookie, wrong c2s key: the authenticator does not verify → NAK.
  NtsKeys wrong = server.keys;
  wrong.c2s[0] ^= std::byte{1};
  state.set_keys(wrong, server.ke_cookies(1));
  auto request = state.make_request(header(wire::Mode::kClient), random);
  ASSERT_TRUE(request.ok());
  const ServerAnswer answer = server.answer(*request);
  EXPECT_EQ(answer.outcome, ServerOutcome::kNak);
  EXPECT_FALSE(answer.detail.empty());
  // No cookie key at all: nothing to answer with.
  CookieKeyring empty;
  EXPECT_EQ(answer_request(aead(), empty, *request, header(wire::Mode::kServer), random).outcome,
            ServerOutcome::kDrop);
}

}  // namespace
}  // namespace meridian::nts
