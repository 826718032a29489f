// DNS messages for a stub resolver (RFC 1035 §4): building the one-question
// query we send, and checking and reading the reply from untrusted bytes.
// Only what a client of A/AAAA lookups needs: the header, the question echo,
// and the answer section (A, AAAA and CNAME records); the authority and
// additional sections are not read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/address.h"
#include "core/result.h"

namespace meridian::dns {

constexpr size_t kHeaderSize = 12;
// RFC 1035 §4.2.1: replies over UDP without EDNS fit in 512 octets; larger
// ones arrive with TC set. We send no EDNS OPT record.
constexpr size_t kMaxUdpMessage = 512;

enum class RecordType : uint16_t { kA = 1, kCname = 5, kAaaa = 28 };
constexpr uint16_t kClassIn = 1;

// RFC 1035 §4.1.1 RCODE values (RFC 6895 for the registry).
enum class Rcode : uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
};

// The record type carrying addresses of `family`.
inline RecordType address_type(net::Family family) {
  return family == net::Family::kIPv4 ? RecordType::kA : RecordType::kAaaa;
}

// A standard query (opcode 0, RD set: we are a stub and want recursion) with
// one question `name` `type` IN and no other records. `id` must come from a
// good random source (RFC 5452 §9.2): it is half of what stops off-path
// spoofing (the random source port is the other half).
// Fails only for names canonical_host_name rejects.
Result<std::vector<std::byte>> build_query(std::string_view name, RecordType type, uint16_t id);

struct AddressAnswer {
  net::IpAddress address;
  uint32_t ttl_s = 0;  // 0 … 2^31−1 (RFC 2181 §8: a TTL with the top bit set means 0)
};

// What a reply that matches our question says.
struct Response {
  uint16_t id = 0;
  uint8_t rcode = 0;       // see Rcode; other values are kept as received
  bool truncated = false;  // TC: the answer did not fit; `addresses` holds the complete records
  bool authoritative = false;
  // The name the addresses belong to after following CNAMEs from the question
  // (== the question name when there is no CNAME), canonical form.
  std::string canonical_name;
  // The address records of the queried type owned by `canonical_name`, in
  // message order, duplicates removed. Each TTL is the smaller of the
  // record's and those of the CNAMEs leading to it.
  std::vector<AddressAnswer> addresses;

  bool name_error() const { return rcode == static_cast<uint8_t>(Rcode::kNxDomain); }
  // NOERROR but nothing of the asked type ("NODATA", RFC 2308 §2.2).
  bool no_data() const { return rcode == 0 && addresses.empty(); }
};

// Most CNAMEs followed from the question name (a loop or an absurd chain ends
// the walk with no addresses).
constexpr int kMaxCnameChain = 16;

// Parses `message` as the reply to the query (`id`, `name`, `type`). Fails
// (kTruncated/kMalformed) for anything that is not a well-formed reply to
// exactly that question: wrong id, QR clear, opcode not 0, a question
// count other than 1 or a different question. Those must be ignored, not
// treated as an answer (RFC 5452 §9.1). With TC set, records cut off at the
// end are dropped instead of failing the parse. A/AAAA records with a wrong
// RDLENGTH make the reply malformed.
Result<Response> parse_response(std::span<const std::byte> message, uint16_t id,
                                std::string_view name, RecordType type);

}  // namespace meridian::dns
