// libFuzzer target for symmetric-key MAC verification (core/auth): arbitrary
// datagrams through wire::parse_packet → auth::verify_request against a small
// key store holding one key of every type (one untrusted).
// Invariants (violations call __builtin_trap()):
//  - verify_request never crashes and never reports kOk for a key that is
//    unknown or untrusted;
//  - kNone exactly when the packet has no MAC, kCryptoNak only for key id 0;
//  - kOk is reproducible: re-signing the covered bytes with append_mac gives
//    back the input datagram byte for byte (so kOk cannot be a fluke of
//    framing), and flipping a digest bit turns it into kBadMac.
// The client side (auth/client_auth.h, ntpd `server ... key N`, ntpdate -a)
// sees every input too, for each association key id 1..6:
//  - verify_reply never crashes; kOk only for a trusted, present key, only
//    when verify_request also says kOk with that very key id;
//  - an unparseable datagram is kMalformed, one without MAC kUnsigned, a bare
//    key id 0 kCryptoNak, another key id kWrongKeyId (never kOk).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/auth/client_auth.h"
#include "core/auth/key_store.h"
#include "core/auth/mac.h"
#include "core/auth/openssl_mac_engine.h"
#include "core/wire/ntp_packet.h"

namespace {

namespace auth = meridian::auth;
namespace wire = meridian::wire;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

std::vector<std::byte> secret(uint8_t first, size_t n) {
  std::vector<std::byte> s(n);
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<std::byte>(first + i);
  return s;
}

struct Fixture {
  std::unique_ptr<auth::OpenSslMacEngine> engine;
  auth::KeyStore keys;

  Fixture() {
    auto e = auth::OpenSslMacEngine::create();
    check(e.ok());
    engine = std::move(*e);
    check(keys.add({1, auth::KeyType::kMd5, secret('a', 8)}).ok());
    check(keys.add({2, auth::KeyType::kSha1, secret(1, 20)}).ok());
    check(keys.add({3, auth::KeyType::kSha256, secret(0x20, 32)}).ok());
    check(keys.add({4, auth::KeyType::kAes128Cmac, secret(0, 16)}).ok());
    check(keys.add({5, auth::KeyType::kMd5, secret('u', 9)}).ok());  // present, untrusted
    keys.set_trusted({1, 2, 3, 4, 6});                               // 6: trusted, absent
  }
};

void check_client_side(std::span<const std::byte> input, const wire::NtpPacket* parsed,
                       const Fixture& f) {
  for (uint32_t key_id = 1; key_id <= 6; ++key_id) {
    const auth::ClientAuth c = auth::verify_reply(input, key_id, f.keys, *f.engine);
    const bool usable = f.keys.find(key_id) != nullptr && f.keys.is_trusted(key_id);
    if (!usable) {
      check(c == auth::ClientAuth::kKeyUnavailable);
      continue;
    }
    if (parsed == nullptr) {
      check(c == auth::ClientAuth::kMalformed);
      continue;
    }
    if (!parsed->mac) {
      check(c == auth::ClientAuth::kUnsigned);
    } else if (parsed->mac->key_id == 0 && parsed->mac->digest.empty()) {
      check(c == auth::ClientAuth::kCryptoNak);
    } else if (parsed->mac->key_id != key_id) {
      check(c == auth::ClientAuth::kWrongKeyId);
    } else if (c == auth::ClientAuth::kOk) {
      const auth::VerifyResult v = auth::verify_request(input, *parsed, f.keys, *f.engine);
      check(v.ok() && v.key_id == key_id);
    } else {
      check(c == auth::ClientAuth::kBadMac);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture fixture;  // libFuzzer harness state, not core code
  const auto input = std::as_bytes(std::span<const uint8_t>(data, size));
  auto parsed = wire::parse_packet(input);
  check_client_side(input, parsed.ok() ? &*parsed : nullptr, fixture);
  if (!parsed) return 0;

  const auth::VerifyResult r = auth::verify_request(input, *parsed, fixture.keys, *fixture.engine);
  check((r.status == auth::VerifyStatus::kNone) == !parsed->mac.has_value());
  if (r.status == auth::VerifyStatus::kCryptoNak) check(parsed->mac && parsed->mac->key_id == 0);
  if (r.status != auth::VerifyStatus::kOk) return 0;

  check(fixture.keys.find(r.key_id) != nullptr && fixture.keys.is_trusted(r.key_id));
  const size_t trailer = 4 + parsed->mac->digest.size();
  const std::vector<std::byte> covered(input.begin(),
                                       input.end() - static_cast<std::ptrdiff_t>(trailer));
  auto resigned = auth::append_mac(covered, r.key_id, fixture.keys, *fixture.engine);
  check(resigned.ok());
  check(resigned->size() == input.size());
  for (size_t i = 0; i < input.size(); ++i) check((*resigned)[i] == input[i]);

  std::vector<std::byte> flipped(input.begin(), input.end());
  flipped.back() ^= std::byte{0x01};
  auto reparsed = wire::parse_packet(flipped);
  check(reparsed.ok());
  check(auth::verify_request(flipped, *reparsed, fixture.keys, *fixture.engine).status ==
        auth::VerifyStatus::kBadMac);
  return 0;
}
