// DNS messages written and read by hand for tests, independently of
// src/core/dns (so the code under test is not checked against itself):
// replies a fake server sends, and the minimal query reading it needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace meridian::testing {

// RFC 1035 §4.1.1 header flags.
constexpr uint16_t kDnsQr = 0x8000;
constexpr uint16_t kDnsAa = 0x0400;
constexpr uint16_t kDnsTc = 0x0200;
constexpr uint16_t kDnsRd = 0x0100;
constexpr uint16_t kDnsRa = 0x0080;
constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeCname = 5;
constexpr uint16_t kTypeAaaa = 28;

// Appends big-endian fields and names to a message under construction.
class DnsWriter {
 public:
  std::vector<std::byte> bytes;

  DnsWriter& u8(uint8_t v);
  DnsWriter& u16(uint16_t v);
  DnsWriter& u32(uint32_t v);
  DnsWriter& header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns = 0,
                    uint16_t ar = 0);
  // An uncompressed name ("a.b.c"; "" is the root); returns its offset.
  size_t name(std::string_view dotted);
  // A compression pointer to `offset`.
  DnsWriter& pointer(size_t offset);
  // TYPE, CLASS IN, TTL, RDLENGTH (the owner name is written separately).
  DnsWriter& record_header(uint16_t type, uint32_t ttl, uint16_t rdlength);
  size_t size() const { return bytes.size(); }
};

// One answer record of a canned reply.
struct TestRecord {
  std::string owner;
  uint16_t type = kTypeA;
  uint32_t ttl = 300;
  std::string value;  // an address literal for A/AAAA, a name for CNAME
};

// A reply to (`id`, `qname`, `qtype`) with the question echoed and the answers
// written uncompressed. `flags` is ORed into QR|RD|RA; `rcode` goes in the low bits.
std::vector<std::byte> dns_reply(uint16_t id, std::string_view qname, uint16_t qtype, uint8_t rcode,
                                 const std::vector<TestRecord>& answers, uint16_t flags = 0);

struct TestQuery {
  uint16_t id = 0;
  uint16_t flags = 0;
  uint16_t qdcount = 0;
  std::string name;  // as sent, labels joined by '.'
  uint16_t type = 0;
  uint16_t klass = 0;
  size_t size = 0;
};
// Reads a query with one uncompressed question; nullopt if it is not one.
std::optional<TestQuery> read_test_query(std::span<const std::byte> message);

}  // namespace meridian::testing
