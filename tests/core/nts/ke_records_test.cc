// NTS-KE records (RFC 8915 §4): framing, the client request and server
// response we build (byte for byte against the RFC's layout), and how we
// judge what the other side sent.
#include "core/nts/ke_records.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/random.h"

namespace meridian::nts {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

// One record: |C| type | length | body, as RFC 8915 §4 draws it.
std::vector<std::byte> record(bool critical, uint16_t type, std::vector<std::byte> body) {
  const uint16_t head = static_cast<uint16_t>(type | (critical ? 0x8000 : 0));
  std::vector<std::byte> out = bytes_of({head >> 8, head & 0xff, static_cast<int>(body.size() >> 8),
                                         static_cast<int>(body.size() & 0xff)});
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<std::byte> concat(std::initializer_list<std::vector<std::byte>> parts) {
  std::vector<std::byte> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<std::byte> text(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

const std::vector<std::byte> kEom = bytes_of({0x80, 0x00, 0x00, 0x00});
const std::vector<std::byte> kNtpV4 = record(true, 1, bytes_of({0x00, 0x00}));
const std::vector<std::byte> kAesSiv = record(true, 4, bytes_of({0x00, 0x0f}));

std::vector<std::byte> cookie(int fill, size_t n) {
  return std::vector<std::byte>(n, static_cast<std::byte>(fill));
}

// A response as chrony or NTPsec would send it: two cookies, server, port.
std::vector<std::byte> good_response() {
  return concat({kNtpV4, kAesSiv, record(false, 5, cookie(0xa1, 100)),
                 record(false, 5, cookie(0xb2, 100)), record(true, 6, text("ntp.example.net")),
                 record(true, 7, bytes_of({0x11, 0x94})), kEom});
}

// ------------------------------------------------------------------ framing
TEST(NtsKeFramingTest, NeedsMoreUntilEndOfMessageArrives) {
  const auto msg = good_response();
  for (size_t n = 0; n < msg.size(); ++n) {
    auto len = message_length(std::span(msg).first(n));
    ASSERT_TRUE(len) << n << ": " << len.error().message;
    EXPECT_FALSE(*len) << "complete after only " << n << " of " << msg.size() << " bytes";
  }
  auto len = message_length(msg);
  ASSERT_TRUE(len && *len);
  EXPECT_EQ(**len, msg.size());
}

TEST(NtsKeFramingTest, LengthStopsAtEndOfMessage) {
  auto msg = concat({kNtpV4, kEom, bytes_of({0xde, 0xad})});
  auto len = message_length(msg);
  ASSERT_TRUE(len && *len);
  EXPECT_EQ(**len, kNtpV4.size() + kEom.size());
}

TEST(NtsKeFramingTest, EndOfMessageWithABodyIsMalformed) {
  auto msg = concat({kNtpV4, record(true, 0, bytes_of({0x00}))});
  EXPECT_FALSE(message_length(msg));
  EXPECT_FALSE(split_records(msg));
}

TEST(NtsKeFramingTest, MessageOverTheLimitIsAnErrorNotAWait) {
  // Two 40000-byte cookies: the second crosses 64 KiB before End of Message.
  auto msg = concat({record(false, 5, cookie(1, 40000)), record(false, 5, cookie(2, 40000))});
  auto len = message_length(std::span(msg).first(40004 + 4));  // only the second header
  EXPECT_FALSE(len);
  // A small limit applies to headers too.
  EXPECT_FALSE(message_length(kNtpV4, 6));
  auto ok = message_length(concat({kNtpV4, kEom}), 10);
  ASSERT_TRUE(ok && *ok);
  EXPECT_EQ(**ok, 10u);
}

TEST(NtsKeFramingTest, SplitRecordsRejectsTruncationAndTrailingBytes) {
  EXPECT_FALSE(split_records(bytes_of({0x80, 0x01, 0x00})));
  EXPECT_FALSE(split_records(bytes_of({0x80, 0x01, 0x00, 0x04, 0x00, 0x00})));
  EXPECT_FALSE(split_records(kNtpV4));  // no End of Message
  EXPECT_FALSE(split_records(concat({kEom, bytes_of({0})})));
  auto recs = split_records(concat({kNtpV4, record(false, 0x1234, bytes_of({7})), kEom}));
  ASSERT_TRUE(recs);
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_TRUE((*recs)[0].critical);
  EXPECT_EQ((*recs)[0].type, 1);
  EXPECT_FALSE((*recs)[1].critical);
  EXPECT_EQ((*recs)[1].type, 0x1234);
  EXPECT_EQ((*recs)[1].body.size(), 1u);
  EXPECT_EQ((*recs)[2].type, 0);
}

TEST(NtsKeFramingTest, ExporterContextIsProtocolAeadDirection) {
  // RFC 8915 §5.1: NTPv4 (0x0000), AEAD 15 (0x000f), then 0x00 C2S / 0x01 S2C.
  auto c2s = exporter_context(kAeadAesSivCmac256, KeyDirection::kClientToServer);
  auto s2c = exporter_context(kAeadAesSivCmac256, KeyDirection::kServerToClient);
  EXPECT_EQ(std::vector<std::byte>(c2s.begin(), c2s.end()), bytes_of({0, 0, 0, 15, 0}));
  EXPECT_EQ(std::vector<std::byte>(s2c.begin(), s2c.end()), bytes_of({0, 0, 0, 15, 1}));
  EXPECT_EQ(kExporterLabel, "EXPORTER-network-time-security");
  EXPECT_EQ(kKeAlpn, "ntske/1");
  EXPECT_EQ(kKeDefaultPort, 4460);
}

// ------------------------------------------------------------- client side
TEST(NtsKeClientTest, RequestIsNextProtocolAeadEndOfMessage) {
  EXPECT_EQ(build_client_request(), concat({kNtpV4, kAesSiv, kEom}));
}

TEST(NtsKeClientTest, RequestMayAskForServerAndPortNonCritically) {
  auto req = build_client_request({"ntp.test", 1234});
  EXPECT_EQ(req, concat({kNtpV4, kAesSiv, record(false, 6, text("ntp.test")),
                         record(false, 7, bytes_of({0x04, 0xd2})), kEom}));
}

TEST(NtsKeClientTest, ParsesCookiesServerAndPort) {
  auto r = parse_server_response(good_response());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->aead, 15);
  ASSERT_EQ(r->cookies.size(), 2u);
  EXPECT_EQ(r->cookies[0], cookie(0xa1, 100));
  EXPECT_EQ(r->cookies[1], cookie(0xb2, 100));
  EXPECT_EQ(r->server, "ntp.example.net");
  EXPECT_EQ(r->port, 0x1194);
}

TEST(NtsKeClientTest, ServerAndPortAreOptional) {
  auto r = parse_server_response(concat({kAesSiv, record(false, 5, cookie(1, 8)), kNtpV4, kEom}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->cookies.size(), 1u);
  EXPECT_FALSE(r->server);
  EXPECT_FALSE(r->port);
}

TEST(NtsKeClientTest, ErrorRecordIsReportedWithItsCode) {
  auto r = parse_server_response(concat({record(true, 2, bytes_of({0, 1})), kEom}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("error 1 (bad request)"), std::string::npos)
      << r.error().message;
  // Even when the rest of the response looks complete.
  auto r2 = parse_server_response(concat(
      {kNtpV4, kAesSiv, record(false, 5, cookie(1, 8)), record(true, 2, bytes_of({0, 2})), kEom}));
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message.find("error 2"), std::string::npos) << r2.error().message;
}

TEST(NtsKeClientTest, AnyWarningIsAnError) {
  auto r = parse_server_response(concat(
      {kNtpV4, kAesSiv, record(false, 5, cookie(1, 8)), record(true, 3, bytes_of({0, 7})), kEom}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("warning 7"), std::string::npos) << r.error().message;
}

TEST(NtsKeClientTest, RefusedProtocolOrAeadIsAnError) {
  auto no_proto = parse_server_response(concat({record(true, 1, {}), kEom}));
  ASSERT_FALSE(no_proto);
  EXPECT_NE(no_proto.error().message.find("does not offer NTPv4"), std::string::npos);
  auto no_aead = parse_server_response(concat({kNtpV4, record(true, 4, {}), kEom}));
  ASSERT_FALSE(no_aead);
  EXPECT_NE(no_aead.error().message.find("none of our AEAD"), std::string::npos);
  auto other_aead = parse_server_response(
      concat({kNtpV4, record(true, 4, bytes_of({0, 17})), record(false, 5, cookie(1, 8)), kEom}));
  EXPECT_FALSE(other_aead);
  auto other_proto = parse_server_response(concat(
      {record(true, 1, bytes_of({0x80, 0x01})), kAesSiv, record(false, 5, cookie(1, 8)), kEom}));
  EXPECT_FALSE(other_proto);
}

TEST(NtsKeClientTest, MissingRecordsAreErrors) {
  const auto c = record(false, 5, cookie(1, 8));
  EXPECT_FALSE(parse_server_response(concat({kAesSiv, c, kEom})));  // no Next Protocol
  EXPECT_FALSE(parse_server_response(concat({kNtpV4, c, kEom})));   // no AEAD
  auto no_cookie = parse_server_response(concat({kNtpV4, kAesSiv, kEom}));
  ASSERT_FALSE(no_cookie);
  EXPECT_NE(no_cookie.error().message.find("without a cookie"), std::string::npos);
  EXPECT_FALSE(parse_server_response(concat({kNtpV4, kAesSiv, record(false, 5, {}), kEom})));
}

TEST(NtsKeClientTest, UnknownRecordsCriticalFailNonCriticalAreIgnored) {
  const auto c = record(false, 5, cookie(1, 8));
  auto crit = parse_server_response(concat({kNtpV4, kAesSiv, c, record(true, 99, {}), kEom}));
  ASSERT_FALSE(crit);
  EXPECT_NE(crit.error().message.find("critical record type 99"), std::string::npos);
  EXPECT_TRUE(parse_server_response(concat({kNtpV4, kAesSiv, c, record(false, 99, {}), kEom})));
}

TEST(NtsKeClientTest, DuplicatesAndBadBodiesAreErrors) {
  const auto c = record(false, 5, cookie(1, 8));
  EXPECT_FALSE(parse_server_response(concat({kNtpV4, kNtpV4, kAesSiv, c, kEom})));
  EXPECT_FALSE(parse_server_response(concat({kNtpV4, kAesSiv, kAesSiv, c, kEom})));
  EXPECT_FALSE(parse_server_response(concat({record(true, 1, bytes_of({0})), kAesSiv, c, kEom})));
  EXPECT_FALSE(
      parse_server_response(concat({kNtpV4, kAesSiv, c, record(true, 7, bytes_of({0})), kEom})));
  EXPECT_FALSE(
      parse_server_response(concat({kNtpV4, kAesSiv, c, record(true, 7, bytes_of({0, 0})), kEom})));
  EXPECT_FALSE(
      parse_server_response(concat({kNtpV4, kAesSiv, c, record(true, 6, text("a b")), kEom})));
  EXPECT_FALSE(parse_server_response(concat({kNtpV4, kAesSiv, c, record(true, 6, {}), kEom})));
  EXPECT_FALSE(parse_server_response(
      concat({kNtpV4, kAesSiv, c, record(true, 6, text("a")), record(true, 6, text("b")), kEom})));
  EXPECT_FALSE(parse_server_response(concat({record(true, 2, bytes_of({0})), kEom})));
}

// ------------------------------------------------------------- server side
TEST(NtsKeServerTest, OurOwnRequestParses) {
  auto v = parse_client_request(build_client_request({"198.51.100.7", 123}));
  ASSERT_TRUE(std::holds_alternative<ClientRequest>(v));
  const auto& req = std::get<ClientRequest>(v);
  EXPECT_TRUE(req.offers_ntpv4());
  EXPECT_TRUE(req.offers_aes_siv());
  EXPECT_EQ(req.server, "198.51.100.7");
  EXPECT_EQ(req.port, 123);
  EXPECT_FALSE(build_refusal_response(req));
}

TEST(NtsKeServerTest, RequestErrorsGiveTheRightCode) {
  auto code_of = [](const std::vector<std::byte>& msg) {
    auto v = parse_client_request(msg);
    EXPECT_TRUE(std::holds_alternative<RequestError>(v));
    return std::holds_alternative<RequestError>(v) ? std::get<RequestError>(v).code
                                                   : KeErrorCode::kInternalServerError;
  };
  EXPECT_EQ(code_of(concat({kNtpV4, kAesSiv, record(true, 0x4000, {}), kEom})),
            KeErrorCode::kUnrecognizedCriticalRecord);
  EXPECT_EQ(code_of(concat({kAesSiv, kEom})), KeErrorCode::kBadRequest);
  EXPECT_EQ(code_of(concat({kNtpV4, kEom})), KeErrorCode::kBadRequest);  // no AEAD
  EXPECT_EQ(code_of(concat({record(true, 1, {}), kAesSiv, kEom})), KeErrorCode::kBadRequest);
  EXPECT_EQ(code_of(concat({kNtpV4, record(true, 4, {}), kEom})), KeErrorCode::kBadRequest);
  EXPECT_EQ(code_of(concat({kNtpV4, kNtpV4, kAesSiv, kEom})), KeErrorCode::kBadRequest);
  EXPECT_EQ(code_of(concat({kNtpV4, kAesSiv, record(true, 2, bytes_of({0, 0})), kEom})),
            KeErrorCode::kBadRequest);
  EXPECT_EQ(code_of(concat({kNtpV4, kAesSiv, record(true, 7, bytes_of({1})), kEom})),
            KeErrorCode::kBadRequest);
  EXPECT_EQ(code_of(concat({kNtpV4, kAesSiv})), KeErrorCode::kBadRequest);  // no EOM
  EXPECT_EQ(code_of({}), KeErrorCode::kBadRequest);
}

TEST(NtsKeServerTest, NonCriticalUnknownRecordsAndCookiesInRequestsAreIgnored) {
  auto v = parse_client_request(
      concat({record(false, 0x4001, cookie(3, 5)), kNtpV4, record(false, 5, cookie(1, 3)),
              record(false, 4, bytes_of({0, 30, 0, 15})), kEom}));
  ASSERT_TRUE(std::holds_alternative<ClientRequest>(v));
  EXPECT_EQ(std::get<ClientRequest>(v).aeads, (std::vector<uint16_t>{30, 15}));
  EXPECT_TRUE(std::get<ClientRequest>(v).offers_aes_siv());
}

TEST(NtsKeServerTest, RefusalNamesWhatCannotBeGranted) {
  auto other_proto = parse_client_request(concat({record(true, 1, bytes_of({0x80, 0})), kEom}));
  ASSERT_TRUE(std::holds_alternative<ClientRequest>(other_proto));
  auto r1 = build_refusal_response(std::get<ClientRequest>(other_proto));
  ASSERT_TRUE(r1);
  EXPECT_EQ(*r1, concat({record(true, 1, {}), kEom}));

  auto other_aead =
      parse_client_request(concat({kNtpV4, record(true, 4, bytes_of({0, 30})), kEom}));
  ASSERT_TRUE(std::holds_alternative<ClientRequest>(other_aead));
  auto r2 = build_refusal_response(std::get<ClientRequest>(other_aead));
  ASSERT_TRUE(r2);
  EXPECT_EQ(*r2, concat({kNtpV4, record(true, 4, {}), kEom}));
  // What the client makes of them.
  EXPECT_FALSE(parse_server_response(*r1));
  EXPECT_FALSE(parse_server_response(*r2));
}

TEST(NtsKeServerTest, ResponseLayoutAndRoundTrip) {
  ServerResponseFields f{{cookie(0x11, 4), cookie(0x22, 6)}, "ntp.test", 4123};
  auto resp = build_server_response(f);
  ASSERT_TRUE(resp) << resp.error().message;
  EXPECT_EQ(*resp, concat({kNtpV4, kAesSiv, record(false, 5, cookie(0x11, 4)),
                           record(false, 5, cookie(0x22, 6)), record(true, 6, text("ntp.test")),
                           record(true, 7, bytes_of({0x10, 0x1b})), kEom}));
  auto parsed = parse_server_response(*resp);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->cookies, f.cookies);
  EXPECT_EQ(parsed->server, f.server);
  EXPECT_EQ(parsed->port, f.port);
}

TEST(NtsKeServerTest, ResponseBuilderRejectsWhatItCannotSend) {
  EXPECT_FALSE(build_server_response({}));
  EXPECT_FALSE(build_server_response({{std::vector<std::byte>{}}, {}, {}}));
  EXPECT_FALSE(build_server_response({{cookie(1, 70000)}, {}, {}}));
  EXPECT_FALSE(build_server_response({{cookie(1, 8)}, "bad name", {}}));
  EXPECT_FALSE(build_server_response({{cookie(1, 60000), cookie(2, 60000)}, {}, {}}));
}

TEST(NtsKeServerTest, ErrorResponseLayout) {
  EXPECT_EQ(build_error_response(KeErrorCode::kBadRequest),
            concat({record(true, 2, bytes_of({0, 1})), kEom}));
  EXPECT_EQ(build_error_response(KeErrorCode::kUnrecognizedCriticalRecord),
            concat({record(true, 2, bytes_of({0, 0})), kEom}));
}

// Random bytes and random mutations of valid messages never crash the parsers,
// and whatever parses satisfies the result's invariants.
TEST(NtsKeRobustnessTest, RandomInputsAndMutations) {
  SeededRandom rng(8915);
  const std::vector<std::vector<std::byte>> seeds = {good_response(), build_client_request()};
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::byte> msg;
    if (i % 2 == 0) {
      msg.resize(rng.next_u64() % 64);
      for (auto& b : msg) b = static_cast<std::byte>(rng.next_u64());
    } else {
      msg = seeds[(i / 2) % seeds.size()];
      const int flips = 1 + static_cast<int>(rng.next_u64() % 4);
      for (int f = 0; f < flips; ++f) {
        msg[rng.next_u64() % msg.size()] = static_cast<std::byte>(rng.next_u64());
      }
    }
    auto len = message_length(msg);
    if (len && *len) {
      ASSERT_LE(**len, msg.size());
    }
    if (auto r = parse_server_response(msg)) {
      ASSERT_FALSE(r->cookies.empty());
      ASSERT_EQ(r->aead, kAeadAesSivCmac256);
    }
    (void)parse_client_request(msg);
  }
}

}  // namespace
}  // namespace meridian::nts
