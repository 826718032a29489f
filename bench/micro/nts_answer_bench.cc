// ns per NTS request through the server's pure answer (core/nts/
// server_answer.h: parse, open the cookie, verify the authenticator, seal one
// new cookie and the reply; RFC 8915 §5.7), the part of an NTS server's
// per-packet cost that plain NTP does not have. Steady state of a real
// client: one cookie in, no placeholders, one cookie out.
//
// Two AEADs behind the same core code: core's OpenSslAead (a fresh OpenSSL
// context per operation, and per CMAC inside S2V, so one instance can be
// shared by worker threads) and the load generator's KeyedSivAead (contexts
// kept per key, bench/load/keyed_siv_aead.h), which shows how much of the
// cost is context set-up rather than AES.
//
//   build/release/bench/micro/nts_answer_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <vector>

#include "core/nts/client_state.h"
#include "core/nts/cookie.h"
#include "core/nts/cookie_keyring.h"
#include "core/nts/openssl_aead.h"
#include "core/nts/server_answer.h"
#include "keyed_siv_aead.h"

namespace meridian {
namespace {

constexpr int64_t kNowUnixS = 1'800'000'000;

struct Setup {
  nts::CookieKeyring keyring;
  std::vector<std::byte> request;
  std::array<std::byte, 48> reply_header{};
};

// A keyring with one current key, and a client request built by our client
// code with a cookie from that keyring (keys and nonces from a fixed seed).
Setup make_setup(const nts::Aead& aead) {
  Setup s;
  SeededRandom random(42);
  s.keyring.rotate(kNowUnixS, random);
  nts::NtsKeys keys;
  for (size_t i = 0; i < nts::kKeySize; ++i) {
    keys.c2s[i] = static_cast<std::byte>(i + 1);
    keys.s2c[i] = static_cast<std::byte>(0xa0 + i);
  }
  std::vector<std::vector<std::byte>> cookies;
  for (int i = 0; i < 8; ++i) {
    std::array<std::byte, nts::kCookieNonceSize> nonce{};
    nonce[0] = static_cast<std::byte>(i);
    cookies.push_back(*nts::make_cookie(aead, s.keyring.current(), keys, nonce));
  }
  nts::NtsClientState client(aead);
  client.set_keys(keys, std::move(cookies));
  std::array<std::byte, 48> header{};
  header[0] = std::byte{0x23};  // version 4, mode 3
  header[47] = std::byte{1};    // transmit timestamp
  s.request = *client.make_request(header, random);
  s.reply_header = header;
  s.reply_header[0] = std::byte{0x24};  // mode 4
  s.reply_header[1] = std::byte{1};     // stratum 1
  return s;
}

template <typename A>
std::unique_ptr<nts::Aead> make_aead() {
  auto a = A::create();
  if (!a) std::abort();
  return std::move(*a);
}

template <typename A>
void BM_NtsAnswer(benchmark::State& state) {
  const auto aead = make_aead<A>();
  Setup s = make_setup(*aead);
  SeededRandom random(7);
  for (auto _ : state) {
    auto answer = nts::answer_request(*aead, s.keyring, s.request, s.reply_header, random);
    if (answer.outcome != nts::ServerOutcome::kReply) {
      state.SkipWithError("the server did not reply");
      break;
    }
    benchmark::DoNotOptimize(answer.bytes.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NtsAnswer<nts::OpenSslAead>)->Name("BM_NtsAnswer/OpenSslAead");
BENCHMARK(BM_NtsAnswer<bench::KeyedSivAead>)->Name("BM_NtsAnswer/KeyedSivAead");

}  // namespace
}  // namespace meridian

BENCHMARK_MAIN();
