// DNS domain names (RFC 1035 §3.1, §4.1.4): validating a host name we are
// asked to look up, encoding it as labels, and decoding (possibly
// compressed) names from untrusted messages without ever looping.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace meridian::dns {

// RFC 1035 §2.3.4: 63 octets per label, 255 octets per name on the wire.
constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxWireName = 255;

// Validates a host name to look up and returns it in canonical form: lower
// case, without the trailing dot. Labels are 1–63 characters of letters,
// digits, '-' and '_' (host names and service labels; IDNs arrive as
// punycode "xn--"), and the encoded name fits in 255 octets. A single
// trailing dot (absolute name) is accepted; "." alone (the root) is not a host.
Result<std::string> canonical_host_name(std::string_view name);

// Appends the wire form (length-prefixed labels, terminating zero) of a name
// accepted by canonical_host_name.
Status encode_name(std::string_view name, std::vector<std::byte>& out);

// A name decoded from a message, in presentation form: labels joined by '.',
// ASCII letters lower-cased, and any byte that is not a letter, digit, '-' or
// '_' written as \DDD (so a '.' inside a label never compares equal to a label
// boundary). The root is "".
struct DecodedName {
  std::string text;
  size_t end = 0;  // offset just past the name where it started (after the first pointer)
};

// Decodes the name at `offset` in `message`, following compression pointers
// (RFC 1035 §4.1.4). Loop-safe: every pointer must point strictly before the
// label it replaces started, so each jump goes backwards and the walk ends;
// the decoded name must also fit in 255 octets.
Result<DecodedName> decode_name(std::span<const std::byte> message, size_t offset);

}  // namespace meridian::dns
