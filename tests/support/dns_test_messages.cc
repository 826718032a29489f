#include "tests/support/dns_test_messages.h"

#include <cstdlib>

#include "core/net/address.h"

namespace meridian::testing {

DnsWriter& DnsWriter::u8(uint8_t v) {
  bytes.push_back(std::byte{v});
  return *this;
}

DnsWriter& DnsWriter::u16(uint16_t v) {
  u8(static_cast<uint8_t>(v >> 8));
  return u8(static_cast<uint8_t>(v & 0xff));
}

DnsWriter& DnsWriter::u32(uint32_t v) {
  u16(static_cast<uint16_t>(v >> 16));
  return u16(static_cast<uint16_t>(v & 0xffff));
}

DnsWriter& DnsWriter::header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                             uint16_t ar) {
  return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
}

size_t DnsWriter::name(std::string_view dotted) {
  const size_t at = bytes.size();
  while (!dotted.empty()) {
    const size_t dot = dotted.find('.');
    const std::string_view label = dotted.substr(0, dot);
    u8(static_cast<uint8_t>(label.size()));
    for (char c : label) u8(static_cast<uint8_t>(c));
    dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
  }
  u8(0);
  return at;
}

DnsWriter& DnsWriter::pointer(size_t offset) {
  return u16(static_cast<uint16_t>(0xc000 | (offset & 0x3fff)));
}

DnsWriter& DnsWriter::record_header(uint16_t type, uint32_t ttl, uint16_t rdlength) {
  return u16(type).u16(1).u32(ttl).u16(rdlength);
}

std::vector<std::byte> dns_reply(uint16_t id, std::string_view qname, uint16_t qtype, uint8_t rcode,
                                 const std::vector<TestRecord>& answers, uint16_t flags) {
  DnsWriter w;
  w.header(id, static_cast<uint16_t>(kDnsQr | kDnsRd | kDnsRa | flags | (rcode & 0x0f)), 1,
           static_cast<uint16_t>(answers.size()));
  w.name(qname);
  w.u16(qtype).u16(1);
  for (const auto& rr : answers) {
    w.name(rr.owner);
    if (rr.type == kTypeCname) {
      DnsWriter target;
      target.name(rr.value);
      w.record_header(rr.type, rr.ttl, static_cast<uint16_t>(target.size()));
      w.bytes.insert(w.bytes.end(), target.bytes.begin(), target.bytes.end());
      continue;
    }
    const auto address = net::IpAddress::parse(rr.value);
    if (!address) std::abort();  // a typo in a test, not a runtime condition
    const size_t n = address->family() == net::Family::kIPv4 ? 4 : 16;
    w.record_header(rr.type, rr.ttl, static_cast<uint16_t>(n));
    for (size_t i = 0; i < n; ++i) w.u8(address->bytes()[i]);
  }
  return std::move(w.bytes);
}

std::optional<TestQuery> read_test_query(std::span<const std::byte> m) {
  auto at = [&](size_t i) { return std::to_integer<uint8_t>(m[i]); };
  auto u16_at = [&](size_t i) { return static_cast<uint16_t>(at(i) << 8 | at(i + 1)); };
  if (m.size() < 12) return std::nullopt;
  TestQuery q;
  q.id = u16_at(0);
  q.flags = u16_at(2);
  q.qdcount = u16_at(4);
  size_t pos = 12;
  while (true) {
    if (pos >= m.size()) return std::nullopt;
    const uint8_t len = at(pos);
    if (len == 0) break;
    if (len > 63 || pos + 1 + len > m.size()) return std::nullopt;
    if (!q.name.empty()) q.name.push_back('.');
    for (size_t i = 0; i < len; ++i) q.name.push_back(static_cast<char>(at(pos + 1 + i)));
    pos += 1 + size_t{len};
  }
  ++pos;
  if (pos + 4 > m.size()) return std::nullopt;
  q.type = u16_at(pos);
  q.klass = u16_at(pos + 2);
  q.size = m.size();
  return q;
}

}  // namespace meridian::testing
