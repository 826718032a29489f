#include "core/dns/message.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

#include "core/dns/name.h"
#include "core/wire/byte_reader.h"

namespace meridian::dns {

namespace {

// RFC 1035 §4.1.1 header flag bits.
constexpr uint16_t kFlagQr = 0x8000;
constexpr uint16_t kOpcodeMask = 0x7800;
constexpr uint16_t kFlagAa = 0x0400;
constexpr uint16_t kFlagTc = 0x0200;
constexpr uint16_t kFlagRd = 0x0100;
constexpr uint16_t kRcodeMask = 0x000f;

struct Header {
  uint16_t id = 0;
  uint16_t flags = 0;
  uint16_t qdcount = 0;
  uint16_t ancount = 0;
};

struct Record {
  std::string owner;
  uint16_t type = 0;
  uint16_t klass = 0;
  uint32_t ttl_s = 0;
  size_t rdata = 0;  // offset of RDATA in the message
  uint16_t rdlength = 0;
};

// RFC 2181 §8: a TTL with the most significant bit set is treated as zero.
uint32_t sane_ttl(uint32_t ttl) { return (ttl & 0x80000000u) != 0 ? 0 : ttl; }

Result<Record> read_record(std::span<const std::byte> message, size_t& offset) {
  auto owner = decode_name(message, offset);
  if (!owner) return owner.error();
  wire::ByteReader r(message.subspan(owner->end));
  const auto type = r.u16();
  const auto klass = r.u16();
  const auto ttl = r.u32();
  const auto rdlength = r.u16();
  // A failed read consumes nothing, so a later field may "succeed" on the
  // bytes an earlier one could not take: check every field.
  if (!type || !klass || !ttl || !rdlength) {
    return make_error(ErrorCode::kTruncated, "record header cut short");
  }
  if (r.remaining() < *rdlength) return make_error(ErrorCode::kTruncated, "record data cut short");
  Record rec{std::move(owner->text),    *type,    *klass, sane_ttl(*ttl),
             owner->end + r.position(), *rdlength};
  offset = rec.rdata + rec.rdlength;
  return rec;
}

// The address in an A/AAAA record of class IN, or an error for a wrong RDLENGTH.
Result<net::IpAddress> read_address(std::span<const std::byte> message, const Record& rec) {
  const size_t want = rec.type == static_cast<uint16_t>(RecordType::kA) ? 4 : 16;
  if (rec.rdlength != want) {
    return make_error(ErrorCode::kMalformed,
                      fmt::format("address record with RDLENGTH {}", rec.rdlength));
  }
  const auto data = message.subspan(rec.rdata, want);
  if (want == 4) {
    std::array<uint8_t, 4> b{};
    for (size_t i = 0; i < 4; ++i) b[i] = std::to_integer<uint8_t>(data[i]);
    return net::IpAddress::v4(b);
  }
  std::array<uint8_t, 16> b{};
  for (size_t i = 0; i < 16; ++i) b[i] = std::to_integer<uint8_t>(data[i]);
  return net::IpAddress::v6(b);
}

Result<std::string> read_cname_target(std::span<const std::byte> message, const Record& rec) {
  auto target = decode_name(message, rec.rdata);
  if (!target) return target.error();
  if (target->end != rec.rdata + rec.rdlength) {
    return make_error(ErrorCode::kMalformed, "CNAME data is not exactly one name");
  }
  return std::move(target->text);
}

// Checks the header and the echoed question; returns the offset of the answers.
Result<size_t> check_reply_to(std::span<const std::byte> message, const Header& h, uint16_t id,
                              const std::string& name, RecordType type) {
  if (h.id != id) return make_error(ErrorCode::kMalformed, "reply id does not match the query");
  if ((h.flags & kFlagQr) == 0) return make_error(ErrorCode::kMalformed, "not a reply (QR clear)");
  if ((h.flags & kOpcodeMask) != 0) return make_error(ErrorCode::kMalformed, "opcode is not QUERY");
  const auto rcode = static_cast<uint8_t>(h.flags & kRcodeMask);
  // A server error may come without the question (some servers answer FORMERR
  // so); it can only make us try the next server, never give us an answer.
  const bool server_error = rcode != static_cast<uint8_t>(Rcode::kNoError) &&
                            rcode != static_cast<uint8_t>(Rcode::kNxDomain);
  if (h.qdcount == 0 && server_error && h.ancount == 0) return kHeaderSize;
  if (h.qdcount != 1) {
    return make_error(ErrorCode::kMalformed, fmt::format("{} questions in reply", h.qdcount));
  }
  auto qname = decode_name(message, kHeaderSize);
  if (!qname) return qname.error();
  wire::ByteReader r(message.subspan(qname->end));
  const auto qtype = r.u16();
  const auto qclass = r.u16();
  if (!qtype || !qclass) return make_error(ErrorCode::kTruncated, "question cut short");
  if (qname->text != name || *qtype != static_cast<uint16_t>(type) || *qclass != kClassIn) {
    return make_error(ErrorCode::kMalformed, "reply is for a different question");
  }
  return qname->end + 4;
}

void collect_addresses(const std::vector<Record>& records, std::span<const std::byte> message,
                       RecordType type, Response& out,
                       const std::vector<std::pair<size_t, std::string>>& cnames) {
  // Follow the CNAME chain from the question name (RFC 1034 §3.6.2).
  uint32_t chain_ttl = UINT32_MAX;
  std::string current = out.canonical_name;
  int steps = 0;
  for (; steps <= kMaxCnameChain; ++steps) {
    const auto it = std::find_if(cnames.begin(), cnames.end(),
                                 [&](const auto& c) { return records[c.first].owner == current; });
    if (it == cnames.end()) break;
    chain_ttl = std::min(chain_ttl, records[it->first].ttl_s);
    current = it->second;
  }
  out.canonical_name = current;
  if (steps > kMaxCnameChain) return;  // a loop or an absurd chain: no answer
  for (const auto& rec : records) {
    if (rec.type != static_cast<uint16_t>(type) || rec.klass != kClassIn || rec.owner != current) {
      continue;
    }
    auto address = read_address(message, rec);
    if (!address) continue;  // checked while reading the records
    const bool seen = std::any_of(out.addresses.begin(), out.addresses.end(),
                                  [&](const AddressAnswer& a) { return a.address == *address; });
    if (!seen) out.addresses.push_back({*address, std::min(rec.ttl_s, chain_ttl)});
  }
}

}  // namespace

Result<std::vector<std::byte>> build_query(std::string_view name, RecordType type, uint16_t id) {
  std::vector<std::byte> out;
  out.reserve(kHeaderSize + name.size() + 6);
  wire::ByteWriter w(out);
  w.u16(id);
  w.u16(kFlagRd);  // QUERY, recursion desired
  w.u16(1);        // QDCOUNT
  w.u16(0);        // ANCOUNT
  w.u16(0);        // NSCOUNT
  w.u16(0);        // ARCOUNT
  if (auto st = encode_name(name, out); !st) return st.error();
  w.u16(static_cast<uint16_t>(type));
  w.u16(kClassIn);
  return out;
}

Result<Response> parse_response(std::span<const std::byte> message, uint16_t id,
                                std::string_view name, RecordType type) {
  auto canonical = canonical_host_name(name);
  if (!canonical) return canonical.error();
  if (message.size() < kHeaderSize)
    return make_error(ErrorCode::kTruncated, "shorter than a header");
  wire::ByteReader r(message);
  // Braced initialisers evaluate left to right: id, flags, QDCOUNT, ANCOUNT.
  const Header h{*r.u16(), *r.u16(), *r.u16(), *r.u16()};
  auto offset = check_reply_to(message, h, id, *canonical, type);
  if (!offset) return offset.error();

  Response out;
  out.id = h.id;
  out.rcode = static_cast<uint8_t>(h.flags & kRcodeMask);
  out.truncated = (h.flags & kFlagTc) != 0;
  out.authoritative = (h.flags & kFlagAa) != 0;
  out.canonical_name = *canonical;

  std::vector<Record> records;
  std::vector<std::pair<size_t, std::string>> cnames;  // index in records, target
  size_t pos = *offset;
  for (uint16_t i = 0; i < h.ancount; ++i) {
    auto rec = read_record(message, pos);
    if (!rec) {
      // With TC set the message was cut where it stopped fitting: keep what came whole.
      if (out.truncated && rec.error().code == ErrorCode::kTruncated) break;
      return rec.error();
    }
    if (rec->klass == kClassIn && (rec->type == static_cast<uint16_t>(RecordType::kA) ||
                                   rec->type == static_cast<uint16_t>(RecordType::kAaaa))) {
      if (auto a = read_address(message, *rec); !a) return a.error();
    }
    if (rec->klass == kClassIn && rec->type == static_cast<uint16_t>(RecordType::kCname)) {
      auto target = read_cname_target(message, *rec);
      if (!target) return target.error();
      cnames.emplace_back(records.size(), std::move(*target));
    }
    records.push_back(std::move(*rec));
  }
  collect_addresses(records, message, type, out, cnames);
  return out;
}

}  // namespace meridian::dns
