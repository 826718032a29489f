// ns per client request through the server's per-packet path, as the
// fast-path workers run it: ServerCore::handle_into = parse → restrict
// (ACL) → MRU + rate limit → answer → serialise into a fixed buffer.
//
// Baseline: a trivial parse + serialise (parse the header, turn it into a
// reply, write 48 bytes) — what any responder must do. Report ratios to it,
// measured in the same run.
//
//   build/release/bench/micro/server_path_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <vector>

#include "core/server/server_core.h"
#include "core/source/exchange.h"

namespace meridian {
namespace {

const time::NtpTime kNow = time::NtpTime::from_unix({1'800'000'000, 0});

std::vector<std::byte> request() {
  std::vector<std::byte> out;
  wire::serialize_header(source::make_client_request(kNow.to_timestamp(), 6, 4), out);
  return out;
}

// `clients` distinct source addresses (10.x.y.z), cycled through.
std::vector<net::Endpoint> clients(size_t n) {
  std::vector<net::Endpoint> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(
        net::Endpoint{net::IpAddress::v4({10, static_cast<uint8_t>(i >> 16),
                                          static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)}),
                      static_cast<uint16_t>(40000 + i % 1000)});
  }
  return out;
}

std::unique_ptr<server::ServerCore> make_core(uint32_t default_flags, int mru_depth) {
  config::RestrictRule rule;
  rule.target = config::RestrictRule::Target::kDefault;
  rule.flags = default_flags;
  auto table = access::RestrictTable::build(std::vector<config::RestrictRule>{rule});
  config::MruConfig mru;
  mru.maxdepth = mru_depth;
  mru.mindepth = std::min(600, mru_depth);
  server::ServerPolicy policy{std::move(*table),
                              access::RateLimiter(config::DiscardConfig{}, mru, 12345),
                              auth::KeyStore{}, nullptr};
  auto core = std::make_unique<server::ServerCore>(std::move(policy));
  core->set_view(server::local_clock_view(2, wire::kiss_code("GPS\0"), -20, kNow));
  return core;
}

void BM_BaselineParseSerialize(benchmark::State& state) {
  const auto req = request();
  std::array<std::byte, 128> out{};
  for (auto _ : state) {
    auto h = wire::parse_header(req);
    wire::NtpHeader reply = *h;
    reply.mode = wire::Mode::kServer;
    reply.origin = h->transmit;
    reply.receive = kNow.to_timestamp();
    reply.transmit = kNow.to_timestamp();
    wire::serialize_header_to(reply, std::span<std::byte, wire::kHeaderSize>(out.data(), 48));
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_BaselineParseSerialize);

// range(0): 1 = `restrict default limited kod`, 0 = `restrict default`;
// range(1): MRU depth = number of distinct clients cycled through.
void BM_ServerPath(benchmark::State& state) {
  const bool limited = state.range(0) != 0;
  const int depth = static_cast<int>(state.range(1));
  auto core = make_core(limited ? (config::kLimited | config::kKod) : 0u, depth);
  const auto from = clients(static_cast<size_t>(depth));
  const auto req = request();
  std::array<std::byte, server::ServerCore::kMaxReplySize> out{};
  size_t i = 0;
  double now_s = 1000;
  // Fill the MRU first, so the measured loop runs on a full table.
  for (const auto& c : from) {
    now_s += 64.0 / static_cast<double>(depth);
    (void)core->handle_into(req, c, kNow, kNow, now_s, out);
  }
  // Every client polls every 64 s (within `discard average 3 minimum 2`),
  // so with `limited` each request is judged and answered, not dropped.
  const double step_s = 64.0 / static_cast<double>(depth);
  for (auto _ : state) {
    now_s += step_s;
    const size_t n = core->handle_into(req, from[i], kNow, kNow, now_s, out);
    benchmark::DoNotOptimize(n);
    if (++i == from.size()) i = 0;
  }
  state.counters["replied"] = static_cast<double>(core->count(server::Outcome::kReplied));
  state.counters["kod"] = static_cast<double>(core->count(server::Outcome::kKissRate));
}
BENCHMARK(BM_ServerPath)
    ->Args({0, 1024})
    ->Args({1, 1024})
    ->Args({0, 100'000})
    ->Args({1, 100'000})
    ->ArgNames({"limited", "mru"});

}  // namespace
}  // namespace meridian

BENCHMARK_MAIN();
