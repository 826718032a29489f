// ns per NTS request through the server's pure answer (core/nts/
// server_answer.h: parse, open the cookie, verify the authenticator, seal one
// new cookie and the reply; RFC 8915 §5.7), the part of an NTS server's
// per-packet cost that plain NTP does not have. Steady state of a real
// client: one cookie in, no placeholders, one cookie out.
//
// Two AEADs behind the same core code: core's OpenSslAead (keyed contexts
// kept per thread: the cookie master key stays keyed, a new client's keys are
// keyed in place) and the load generator's KeyedSivAead (contexts kept per
// key for ever, bench/load/keyed_siv_aead.h; single-threaded). "/1" reuses
// one client's request (its keys stay keyed too), "/1000" cycles through a
// thousand clients (each request brings keys that must be keyed: the server's
// steady state).
//
//   build/release/bin/nts_answer_bench --benchmark_repetitions=3
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
  std::vector<std::vector<std::byte>> requests;  // one per client
  std::array<std::byte, 48> reply_header{};
};

// A keyring with one current key, and `clients` client requests built by our
// client code, each client with its own keys and a cookie from that keyring
// (keys and nonces from a fixed seed).
Setup make_setup(const nts::Aead& aead, size_t clients) {
  Setup s;
  SeededRandom random(42);
  s.keyring.rotate(kNowUnixS, random);
  std::array<std::byte, 48> header{};
  header[0] = std::byte{0x23};  // version 4, mode 3
  header[47] = std::byte{1};    // transmit timestamp
  for (size_t c = 0; c < clients; ++c) {
    nts::NtsKeys keys;
    random.fill(keys.c2s);
    random.fill(keys.s2c);
    // A full jar (8 cookies): the request carries one and no placeholders,
    // so the reply carries one new cookie.
    std::vector<std::vector<std::byte>> cookies;
    for (size_t i = 0; i < nts::kMaxCookies; ++i) {
      std::array<std::byte, nts::kCookieNonceSize> nonce{};
      random.fill(nonce);
      cookies.push_back(*nts::make_cookie(aead, s.keyring.current(), keys, nonce));
    }
    nts::NtsClientState client(aead);
    client.set_keys(keys, std::move(cookies));
    s.requests.push_back(*client.make_request(header, random));
  }
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

// state.range(0) clients take turns: with 1 the client's keys repeat (a
// per-key cache hits them); with 1000 every request brings keys not seen for
// 999 requests, as on a server with many clients.
template <typename A>
void BM_NtsAnswer(benchmark::State& state) {
  const auto aead = make_aead<A>();
  Setup s = make_setup(*aead, static_cast<size_t>(state.range(0)));
  SeededRandom random(7);
  size_t next = 0;
  for (auto _ : state) {
    auto answer = nts::answer_request(*aead, s.keyring, s.requests[next], s.reply_header, random);
    if (answer.outcome != nts::ServerOutcome::kReply) {
      state.SkipWithError("the server did not reply");
      break;
    }
    next = next + 1 == s.requests.size() ? 0 : next + 1;
    benchmark::DoNotOptimize(answer.bytes.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NtsAnswer<nts::OpenSslAead>)->Name("BM_NtsAnswer/OpenSslAead")->Arg(1)->Arg(1000);
BENCHMARK(BM_NtsAnswer<bench::KeyedSivAead>)->Name("BM_NtsAnswer/KeyedSivAead")->Arg(1);

}  // namespace
}  // namespace meridian

BENCHMARK_MAIN();
