// Fixed keys for the NTS fuzz target (nts_fields_fuzz.cc) and the packets its
// seed corpus holds (corpus/nts_fields/), shared with the unit test that
// checks — and, with MERIDIAN_WRITE_NTS_SEEDS=DIR, writes — those seeds
// (tests/core/nts/nts_fuzz_seeds_test.cc), so seeds and target never drift
// apart: every seed reply verifies under these very keys.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/nts/cookie.h"
#include "core/nts/cookie_keyring.h"
#include "core/nts/ntp_fields.h"
#include "core/nts/openssl_aead.h"
#include "core/wire/ntp_packet.h"

namespace meridian::nts::fuzz {

template <size_t N>
std::array<std::byte, N> counting_bytes(unsigned first) {
  std::array<std::byte, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = static_cast<std::byte>((first + i) & 0xff);
  return out;
}

inline std::array<std::byte, wire::kHeaderSize> fuzz_header(wire::Mode mode) {
  wire::NtpHeader h;
  h.mode = mode;
  h.stratum = 2;
  h.poll = 6;
  h.precision = -20;
  h.transmit = time::NtpTimestamp::from_raw(0xe9a1b2c3d4e5f607ull);
  std::array<std::byte, wire::kHeaderSize> out{};
  wire::serialize_header_to(h, out);
  return out;
}

struct NtsFuzzFixture {
  std::unique_ptr<OpenSslAead> aead;
  NtsKeys keys;                           // what NTS-KE gave the client
  std::array<std::byte, kUidSize> uid{};  // the client's outstanding request
  CookieKeyring keyring;                  // the server's cookie keys

  NtsFuzzFixture() {
    auto created = OpenSslAead::create();
    if (!created) __builtin_trap();
    aead = std::move(*created);
    keys.c2s = counting_bytes<kKeySize>(0x00);
    keys.s2c = counting_bytes<kKeySize>(0x20);
    uid = counting_bytes<kUidSize>(0x40);
    CookieKey master;
    master.id = 0x4d524431;  // "MRD1"
    master.created_unix_s = 1'700'000'000;
    master.key = counting_bytes<kKeySize>(0x60);
    if (!keyring.add(master)) __builtin_trap();
  }

  std::vector<std::byte> cookie(unsigned nonce_first) const {
    auto c =
        make_cookie(*aead, keyring.current(), keys, counting_bytes<kCookieNonceSize>(nonce_first));
    if (!c) __builtin_trap();
    return *c;
  }
};

// Named seed packets: requests the server answers, replies and a NAK the
// client accepts, and near misses.
inline std::vector<std::pair<std::string, std::vector<std::byte>>> nts_seed_packets(
    const NtsFuzzFixture& f) {
  std::vector<std::pair<std::string, std::vector<std::byte>>> seeds;
  const auto client = fuzz_header(wire::Mode::kClient);
  const auto server = fuzz_header(wire::Mode::kServer);
  const auto nonce = counting_bytes<kNonceSize>(0x80);
  const auto server_nonce = counting_bytes<kNonceSize>(0x90);
  const auto request = [&](size_t placeholders, const NtsKeys& keys) {
    auto r = build_request(*f.aead, keys, client, f.uid, f.cookie(0xa0), placeholders, nonce);
    if (!r) __builtin_trap();
    return *r;
  };
  for (const size_t p : {0u, 3u, 7u}) {
    const auto req = request(p, f.keys);
    seeds.emplace_back("request_p" + std::to_string(p), req);
    auto parsed = parse_request(req);
    if (!parsed) __builtin_trap();
    std::vector<std::vector<std::byte>> cookies;
    for (size_t i = 0; i < reply_cookie_count(*parsed, kCookieSize, kNonceSize); ++i) {
      cookies.push_back(f.cookie(static_cast<unsigned>(0xb0 + i)));
    }
    auto reply = build_reply(*f.aead, f.keys.s2c, server, *parsed, cookies, server_nonce);
    if (!reply) __builtin_trap();
    seeds.emplace_back("reply_p" + std::to_string(p), *reply);
    if (p == 0) seeds.emplace_back("nak", build_nak(server, parsed->uid));
  }
  NtsKeys wrong = f.keys;
  wrong.c2s[0] ^= std::byte{1};
  seeds.emplace_back("request_bad_authenticator", request(1, wrong));
  auto unknown_key = request(1, f.keys);
  unknown_key[wire::kHeaderSize + 36 + 4] ^= std::byte{0xff};  // the cookie's key id
  seeds.emplace_back("request_unknown_cookie_key", unknown_key);
  seeds.emplace_back("plain_client", std::vector<std::byte>(client.begin(), client.end()));
  return seeds;
}

}  // namespace meridian::nts::fuzz
