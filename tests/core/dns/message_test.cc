// Building queries and checking replies (RFC 1035 §4.1, RFC 2181 §8–9,
// RFC 2308, RFC 5452 §9.1) against messages written by hand.
#include "core/dns/message.h"

#include <gtest/gtest.h>

#include "tests/support/dns_test_messages.h"

namespace meridian::dns {
namespace {

using testing::dns_reply;
using testing::DnsWriter;
using testing::kTypeA;
using testing::kTypeAaaa;
using testing::kTypeCname;
using testing::TestRecord;

net::IpAddress ip(const char* text) { return *net::IpAddress::parse(text); }

TEST(DnsQuery, HeaderQuestionAndFlags) {
  auto q = build_query("Pool.NTP.org", RecordType::kAaaa, 0xbeef);
  ASSERT_TRUE(q.ok());
  auto read = testing::read_test_query(*q);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->id, 0xbeef);
  EXPECT_EQ(read->flags, testing::kDnsRd);  // QUERY, RD, nothing else
  EXPECT_EQ(read->qdcount, 1);
  EXPECT_EQ(read->name, "pool.ntp.org");
  EXPECT_EQ(read->type, kTypeAaaa);
  EXPECT_EQ(read->klass, 1);
  EXPECT_EQ(read->size, q->size());  // nothing after the question
  // ANCOUNT, NSCOUNT, ARCOUNT are zero.
  for (size_t i = 6; i < 12; ++i) EXPECT_EQ(std::to_integer<int>((*q)[i]), 0) << i;
}

TEST(DnsQuery, InvalidNamesAreRefused) {
  EXPECT_EQ(build_query("bad name", RecordType::kA, 1).error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(build_query("", RecordType::kA, 1).ok());
}

TEST(DnsResponse, AddressesWithTtls) {
  const auto reply = dns_reply(7, "pool.ntp.org", kTypeA, 0,
                               {{"pool.ntp.org", kTypeA, 150, "192.0.2.1"},
                                {"POOL.ntp.org", kTypeA, 90, "192.0.2.2"},
                                {"pool.ntp.org", kTypeA, 150, "192.0.2.1"}},
                               testing::kDnsAa);
  auto r = parse_response(reply, 7, "pool.ntp.org", RecordType::kA);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rcode, 0);
  EXPECT_FALSE(r->truncated);
  EXPECT_TRUE(r->authoritative);
  EXPECT_FALSE(r->no_data());
  EXPECT_EQ(r->canonical_name, "pool.ntp.org");
  ASSERT_EQ(r->addresses.size(), 2u);  // the duplicate is dropped
  EXPECT_EQ(r->addresses[0].address, ip("192.0.2.1"));
  EXPECT_EQ(r->addresses[0].ttl_s, 150u);
  EXPECT_EQ(r->addresses[1].address, ip("192.0.2.2"));
  EXPECT_EQ(r->addresses[1].ttl_s, 90u);
}

TEST(DnsResponse, AaaaAnswersOnlyOfTheAskedType) {
  const auto reply = dns_reply(
      9, "time.example", kTypeAaaa, 0,
      {{"time.example", kTypeAaaa, 60, "2001:db8::1"}, {"time.example", kTypeA, 60, "192.0.2.9"}});
  auto r = parse_response(reply, 9, "time.example.", RecordType::kAaaa);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->addresses.size(), 1u);
  EXPECT_EQ(r->addresses[0].address, ip("2001:db8::1"));
}

TEST(DnsResponse, FollowsCnameChainInAnyOrderAndKeepsTheSmallestTtl) {
  const auto reply = dns_reply(1, "ntp.example", kTypeA, 0,
                               {{"b.cdn.example", kTypeA, 300, "198.51.100.7"},
                                {"other.example", kTypeA, 300, "198.51.100.99"},
                                {"a.cdn.example", kTypeCname, 30, "b.cdn.example"},
                                {"ntp.example", kTypeCname, 600, "A.cdn.example"}});
  auto r = parse_response(reply, 1, "ntp.example", RecordType::kA);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->canonical_name, "b.cdn.example");
  ASSERT_EQ(r->addresses.size(), 1u);
  EXPECT_EQ(r->addresses[0].address, ip("198.51.100.7"));
  EXPECT_EQ(r->addresses[0].ttl_s, 30u);
}

TEST(DnsResponse, CnameWithoutTargetRecordsIsNoData) {
  const auto reply = dns_reply(1, "ntp.example", kTypeA, 0,
                               {{"ntp.example", kTypeCname, 60, "elsewhere.example"}});
  auto r = parse_response(reply, 1, "ntp.example", RecordType::kA);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->no_data());
  EXPECT_EQ(r->canonical_name, "elsewhere.example");
}

TEST(DnsResponse, CnameLoopEndsWithoutAnswer) {
  const auto reply = dns_reply(1, "a.example", kTypeA, 0,
                               {{"a.example", kTypeCname, 60, "b.example"},
                                {"b.example", kTypeCname, 60, "a.example"},
                                {"a.example", kTypeA, 60, "192.0.2.1"}});
  auto r = parse_response(reply, 1, "a.example", RecordType::kA);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->addresses.empty());
}

TEST(DnsResponse, RcodesAreReported) {
  auto nx = parse_response(dns_reply(3, "nope.example", kTypeA, 3, {}), 3, "nope.example",
                           RecordType::kA);
  ASSERT_TRUE(nx.ok());
  EXPECT_TRUE(nx->name_error());
  EXPECT_FALSE(nx->no_data());
  auto nodata = parse_response(dns_reply(3, "v6only.example", kTypeA, 0, {}), 3, "v6only.example",
                               RecordType::kA);
  ASSERT_TRUE(nodata.ok());
  EXPECT_TRUE(nodata->no_data());
  EXPECT_FALSE(nodata->name_error());
  auto servfail =
      parse_response(dns_reply(3, "x.example", kTypeA, 2, {}), 3, "x.example", RecordType::kA);
  ASSERT_TRUE(servfail.ok());
  EXPECT_EQ(servfail->rcode, static_cast<uint8_t>(Rcode::kServFail));
  EXPECT_FALSE(servfail->no_data());
}

TEST(DnsResponse, ServerErrorWithoutQuestionIsAccepted) {
  DnsWriter w;
  w.header(5, testing::kDnsQr | 1 /* FORMERR */, 0, 0);
  auto r = parse_response(w.bytes, 5, "x.example", RecordType::kA);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rcode, static_cast<uint8_t>(Rcode::kFormErr));
  // …but an answer or a name error always needs the question echoed.
  DnsWriter nx;
  nx.header(5, testing::kDnsQr | 3, 0, 0);
  EXPECT_FALSE(parse_response(nx.bytes, 5, "x.example", RecordType::kA).ok());
}

TEST(DnsResponse, RepliesToOtherQueriesAreRejected) {
  const auto reply =
      dns_reply(10, "pool.ntp.org", kTypeA, 0, {{"pool.ntp.org", kTypeA, 60, "192.0.2.1"}});
  EXPECT_FALSE(parse_response(reply, 11, "pool.ntp.org", RecordType::kA).ok());     // id
  EXPECT_FALSE(parse_response(reply, 10, "pool.ntp.com", RecordType::kA).ok());     // name
  EXPECT_FALSE(parse_response(reply, 10, "pool.ntp.org", RecordType::kAaaa).ok());  // type
  auto query = build_query("pool.ntp.org", RecordType::kA, 10);                     // QR clear
  EXPECT_FALSE(parse_response(*query, 10, "pool.ntp.org", RecordType::kA).ok());
  auto opcode = reply;
  opcode[2] |= std::byte{0x10};  // opcode 2 (STATUS)
  EXPECT_FALSE(parse_response(opcode, 10, "pool.ntp.org", RecordType::kA).ok());
  auto two_questions = reply;
  two_questions[5] = std::byte{2};
  EXPECT_FALSE(parse_response(two_questions, 10, "pool.ntp.org", RecordType::kA).ok());
  DnsWriter other_class;
  other_class.header(10, testing::kDnsQr, 1, 0);
  other_class.name("pool.ntp.org");
  other_class.u16(kTypeA).u16(3);  // CHAOS
  EXPECT_FALSE(parse_response(other_class.bytes, 10, "pool.ntp.org", RecordType::kA).ok());
}

TEST(DnsResponse, CompressedOwnerNamesAndCnameTargets) {
  DnsWriter w;
  w.header(42, testing::kDnsQr | testing::kDnsRd | testing::kDnsRa, 1, 2);
  const size_t qname = w.name("ntp.example");
  w.u16(kTypeA).u16(1);
  // ntp.example CNAME s1.ntp.example (target = "s1" + pointer to the question name)
  w.pointer(qname).record_header(kTypeCname, 100, 5);
  const size_t target = w.size();
  w.u8(2).u8('s').u8('1').pointer(qname);
  // s1.ntp.example A 203.0.113.5 (owner = pointer to the CNAME target)
  w.pointer(target).record_header(kTypeA, 200, 4).u8(203).u8(0).u8(113).u8(5);
  auto r = parse_response(w.bytes, 42, "ntp.example", RecordType::kA);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->canonical_name, "s1.ntp.example");
  ASSERT_EQ(r->addresses.size(), 1u);
  EXPECT_EQ(r->addresses[0].address, ip("203.0.113.5"));
  EXPECT_EQ(r->addresses[0].ttl_s, 100u);
}

TEST(DnsResponse, TtlWithTopBitSetMeansZero) {
  const auto reply =
      dns_reply(1, "t.example", kTypeA, 0, {{"t.example", kTypeA, 0x80000001u, "192.0.2.1"}});
  auto r = parse_response(reply, 1, "t.example", RecordType::kA);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->addresses.size(), 1u);
  EXPECT_EQ(r->addresses[0].ttl_s, 0u);
}

TEST(DnsResponse, TruncatedReplyKeepsTheCompleteRecords) {
  auto reply = dns_reply(
      1, "big.example", kTypeA, 0,
      {{"big.example", kTypeA, 60, "192.0.2.1"}, {"big.example", kTypeA, 60, "192.0.2.2"}},
      testing::kDnsTc);
  reply.resize(reply.size() - 3);  // the second record is cut
  auto r = parse_response(reply, 1, "big.example", RecordType::kA);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->truncated);
  ASSERT_EQ(r->addresses.size(), 1u);
  EXPECT_EQ(r->addresses[0].address, ip("192.0.2.1"));
  // Without TC the same cut is an error.
  reply[2] &= std::byte{0xfd};
  auto cut = parse_response(reply, 1, "big.example", RecordType::kA);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, ErrorCode::kTruncated);
}

TEST(DnsResponse, WrongAddressLengthIsMalformed) {
  DnsWriter w;
  w.header(1, testing::kDnsQr, 1, 1);
  const size_t q = w.name("x.example");
  w.u16(kTypeA).u16(1);
  w.pointer(q).record_header(kTypeA, 60, 5).u8(1).u8(2).u8(3).u8(4).u8(5);
  auto r = parse_response(w.bytes, 1, "x.example", RecordType::kA);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
}

TEST(DnsResponse, CnameDataMustBeExactlyOneName) {
  DnsWriter w;
  w.header(1, testing::kDnsQr, 1, 1);
  const size_t q = w.name("x.example");
  w.u16(kTypeA).u16(1);
  w.pointer(q).record_header(kTypeCname, 60, 4).u8(1).u8('y').u8(0).u8(0);  // a spare byte
  EXPECT_FALSE(parse_response(w.bytes, 1, "x.example", RecordType::kA).ok());
}

TEST(DnsResponse, OtherRecordTypesAreSkipped) {
  DnsWriter w;
  w.header(1, testing::kDnsQr, 1, 2);
  const size_t q = w.name("x.example");
  w.u16(kTypeA).u16(1);
  w.pointer(q).record_header(16 /* TXT */, 60, 3).u8(2).u8('h').u8('i');
  w.pointer(q).record_header(kTypeA, 60, 4).u8(192).u8(0).u8(2).u8(3);
  auto r = parse_response(w.bytes, 1, "x.example", RecordType::kA);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->addresses.size(), 1u);
  EXPECT_EQ(r->addresses[0].address, ip("192.0.2.3"));
}

TEST(DnsResponse, EveryPrefixOfAValidReplyFailsCleanly) {
  const auto reply = dns_reply(
      1, "pool.ntp.org", kTypeA, 0,
      {{"pool.ntp.org", kTypeCname, 60, "p.ntp.org"}, {"p.ntp.org", kTypeA, 60, "192.0.2.1"}});
  ASSERT_TRUE(parse_response(reply, 1, "pool.ntp.org", RecordType::kA).ok());
  for (size_t n = 0; n < reply.size(); ++n) {
    auto r = parse_response(std::span(reply).first(n), 1, "pool.ntp.org", RecordType::kA);
    EXPECT_FALSE(r.ok()) << n;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kTruncated) << n;
    }
  }
}

}  // namespace
}  // namespace meridian::dns
