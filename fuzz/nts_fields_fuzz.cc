// libFuzzer target for NTS in NTP packets (core/nts, RFC 8915 §5): arbitrary
// datagrams through the server's request parser and whole answer, and the
// client's reply check, with the fixed keys of nts_fuzz_fixture.h.
// Invariants (violations call __builtin_trap()):
//  - server: a request that parses has exactly the shape §5.7 demands (UID
//    ≥ 32 bytes, a cookie, the authenticator last, every view inside the
//    input); answer_request never drops a request that parses (the keyring
//    is not empty), and never answers with more bytes than it got; a kReply
//    exists only when the cookie opens and the authenticator verifies, and
//    the client holding those keys accepts it with exactly the cookies the
//    reply promised, each of which opens to the same keys;
//  - client: kOk only for mode 4 with our UID and an authenticator that
//    verifies under s2c — flipping any header byte makes it fail; cookies
//    only with kOk, at most 8; kNak only for stratum 0 with kiss code NTSN.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/nts/client_state.h"
#include "core/nts/cookie.h"
#include "core/nts/ntp_fields.h"
#include "core/nts/server_answer.h"
#include "core/random.h"
#include "nts_fuzz_fixture.h"

namespace {

namespace nts = meridian::nts;
namespace wire = meridian::wire;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool inside(std::span<const std::byte> part, std::span<const std::byte> whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void check_server_side(std::span<const std::byte> input, const nts::fuzz::NtsFuzzFixture& f) {
  auto parsed = nts::parse_request(input);
  meridian::SeededRandom random(input.size());
  const auto reply_header = nts::fuzz::fuzz_header(wire::Mode::kServer);
  const nts::ServerAnswer answer =
      nts::answer_request(*f.aead, f.keyring, input, reply_header, random);
  check(answer.bytes.size() <= input.size());
  if (!parsed) {
    check(answer.outcome == nts::ServerOutcome::kDrop && answer.bytes.empty());
    return;
  }
  check(parsed->size == input.size());
  check(parsed->uid.size() >= nts::kUidSize && inside(parsed->uid, input));
  check(!parsed->cookie.empty() && inside(parsed->cookie, input));
  check(parsed->authenticator.nonce.size() >= 1 && inside(parsed->authenticator.nonce, input));
  check(parsed->authenticator.sealed.size() >= nts::kSivTagSize &&
        inside(parsed->authenticator.sealed, input));
  check(parsed->authenticator_offset >= wire::kHeaderSize &&
        parsed->authenticator_offset < input.size());
  check(parsed->placeholders <= input.size() / 16);

  auto keys = nts::open_cookie(*f.aead, f.keyring, parsed->cookie);
  const bool authentic = keys && nts::open_request(*f.aead, keys->c2s, input, *parsed).ok();
  check(answer.outcome != nts::ServerOutcome::kDrop);
  check((answer.outcome == nts::ServerOutcome::kReply) == authentic);
  if (answer.outcome == nts::ServerOutcome::kNak) {
    const nts::ReplyCheck nak = nts::verify_reply(*f.aead, f.keys, answer.bytes, parsed->uid);
    check(nak.verdict == nts::ReplyVerdict::kNak);
    return;
  }
  const nts::ReplyCheck reply = nts::verify_reply(*f.aead, *keys, answer.bytes, parsed->uid);
  check(reply.verdict == nts::ReplyVerdict::kOk);
  check(reply.cookies.size() ==
        nts::reply_cookie_count(*parsed, nts::kCookieSize, nts::kNonceSize));
  for (const auto& cookie : reply.cookies) {
    auto inner = nts::open_cookie(*f.aead, f.keyring, cookie);
    check(inner.ok() && inner->c2s == keys->c2s && inner->s2c == keys->s2c);
  }
}

void check_client_side(std::span<const std::byte> input, const nts::fuzz::NtsFuzzFixture& f) {
  const nts::ReplyCheck reply = nts::verify_reply(*f.aead, f.keys, input, f.uid);
  check(reply.cookies.size() <= nts::kMaxCookies);
  if (reply.verdict != nts::ReplyVerdict::kOk) check(reply.cookies.empty());
  if (reply.verdict == nts::ReplyVerdict::kNak) {
    auto header = wire::parse_header(input);
    check(header.ok() && header->stratum == 0 && header->reference_id == nts::kKissNtsNak);
  }
  if (reply.verdict != nts::ReplyVerdict::kOk) return;
  check(input.size() > wire::kHeaderSize && (std::to_integer<uint8_t>(input[0]) & 7) == 4);
  // The header is covered by the authenticator: any flipped bit breaks it
  // (byte 1 = stratum; byte 40 = transmit timestamp).
  for (const size_t at : {size_t{1}, size_t{40}}) {
    std::vector<std::byte> flipped(input.begin(), input.end());
    flipped[at] ^= std::byte{0x01};
    check(nts::verify_reply(*f.aead, f.keys, flipped, f.uid).verdict != nts::ReplyVerdict::kOk);
  }
  // A client state whose outstanding request is not this UID ignores it.
  nts::NtsClientState state(*f.aead);
  state.set_keys(f.keys, {std::vector<std::byte>(16, std::byte{1})});
  check(state.on_reply(input) == nts::ReplyVerdict::kNotOurs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nts::fuzz::NtsFuzzFixture fixture;  // libFuzzer harness state, not core code
  const auto input = std::as_bytes(std::span<const uint8_t>(data, size));
  check_server_side(input, fixture);
  check_client_side(input, fixture);
  return 0;
}
