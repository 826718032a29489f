#include "core/leap/leap_table.h"

#include <gtest/gtest.h>

#include <string>

#include "core/leap/sha1.h"

namespace meridian::leap {
namespace {

std::string hex(const Sha1Digest& d) {
  std::string s;
  const char* digits = "0123456789abcdef";
  for (uint8_t b : d) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

// FIPS 180-2 appendix A test vectors.
TEST(Sha1, KnownVectors) {
  EXPECT_EQ(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(hex(sha1(std::string(1000000, 'a'))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

// The data lines, update, expiry and hash of tzdata 2025b's
// /usr/share/zoneinfo/leap-seconds.list (IERS, updated 2025-07-08,
// expiring 2026-06-28), with its long comments left out: the published hash
// does not cover comments, so this excerpt must verify.
constexpr const char* kRealFile =
    "#\tLeap seconds list (IERS), excerpt\n"
    "#$\t 3960835200\n"
    "#@\t 3991593600\n"
    "2272060800      10      # 1 Jan 1972\n"
    "2287785600      11      # 1 Jul 1972\n"
    "2303683200      12      # 1 Jan 1973\n"
    "2335219200      13      # 1 Jan 1974\n"
    "2366755200      14      # 1 Jan 1975\n"
    "2398291200      15      # 1 Jan 1976\n"
    "2429913600      16      # 1 Jan 1977\n"
    "2461449600      17      # 1 Jan 1978\n"
    "2492985600      18      # 1 Jan 1979\n"
    "2524521600      19      # 1 Jan 1980\n"
    "2571782400      20      # 1 Jul 1981\n"
    "2603318400      21      # 1 Jul 1982\n"
    "2634854400      22      # 1 Jul 1983\n"
    "2698012800      23      # 1 Jul 1985\n"
    "2776982400      24      # 1 Jan 1988\n"
    "2840140800      25      # 1 Jan 1990\n"
    "2871676800      26      # 1 Jan 1991\n"
    "2918937600      27      # 1 Jul 1992\n"
    "2950473600      28      # 1 Jul 1993\n"
    "2982009600      29      # 1 Jul 1994\n"
    "3029443200      30      # 1 Jan 1996\n"
    "3076704000      31      # 1 Jul 1997\n"
    "3124137600      32      # 1 Jan 1999\n"
    "3345062400      33      # 1 Jan 2006\n"
    "3439756800      34      # 1 Jan 2009\n"
    "3550089600      35      # 1 Jul 2012\n"
    "3644697600      36      # 1 Jul 2015\n"
    "3692217600      37      # 1 Jan 2017\n"
    "#\n"
    "#h\t49db2447 571e5e1b 2f002a53 9c8da8e4 39b8e49e\n";

constexpr int64_t k2017 = 3692217600;  // 2017-01-01T00:00:00Z

TEST(LeapTable, RealFileVerifiesAndAnswers) {
  auto t = parse_leap_seconds_list(kRealFile, "leap-seconds.list");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->entries.size(), 28u);
  EXPECT_EQ(t->updated_ntp_s, 3960835200);
  EXPECT_EQ(t->expires_ntp_s, 3991593600);
  EXPECT_EQ(t->leap_at(k2017), LeapKind::kInsert);
  EXPECT_EQ(t->leap_at(k2017 - 86400), LeapKind::kNone);
  EXPECT_EQ(t->leap_at(2272060800), LeapKind::kNone);  // the first line is no leap
  EXPECT_EQ(t->tai_offset_at(k2017 - 1), 36);
  EXPECT_EQ(t->tai_offset_at(k2017), 37);
  EXPECT_EQ(t->last_leap()->ntp_seconds, k2017);
  EXPECT_FALSE(t->expired(3991593599));
  EXPECT_TRUE(t->expired(3991593600));
}

TEST(LeapTable, ChangedDigitBreaksTheRealHash) {
  std::string text = kRealFile;
  text.replace(text.find("3960835200"), 10, "3960835201");  // the #$ time is hashed too
  auto t = parse_leap_seconds_list(text, "leap-seconds.list");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message.rfind("leap-seconds.list:33: hash mismatch", 0), 0u)
      << t.error().message;
}

TEST(LeapTable, CommentsAndWhitespaceAreNotHashed) {
  std::string text = kRealFile;
  text.replace(text.find("# 1 Jan 1972"), 12, "# changed comment");
  text.insert(0, "# another comment\n\n   \n");
  EXPECT_TRUE(parse_leap_seconds_list(text, "f").ok());
}

// A file built here, its hash computed from the data by the documented rule.
std::string make_file(const std::string& data_lines, const std::string& digits,
                      const std::string& update = "3676924800",
                      const std::string& expiry = "3707596800") {
  const Sha1Digest d = sha1(update + expiry + digits);
  std::string h = hex(d);
  std::string words;
  for (size_t i = 0; i < 40; i += 8) words += " " + h.substr(i, 8);
  return "#$ " + update + "\n#@ " + expiry + "\n" + data_lines + "#h" + words + "\n";
}

TEST(LeapTable, DeletionAndDroppedLeadingZerosInHashWords) {
  const std::string data =
      "3644697600 36\n"
      "3692217600 35 # a deleted second\n";
  std::string text = make_file(data,
                               "3644697600363692217600"
                               "35");
  auto t = parse_leap_seconds_list(text, "f");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->leap_at(k2017), LeapKind::kDelete);
  // A hash word written without its leading zeros still matches.
  const Sha1Digest d = sha1(
      "3676924800"
      "3707596800"
      "3644697600363692217600"
      "35");
  std::string words;
  for (size_t w = 0; w < 5; ++w) {
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) v = v << 8 | d[4 * w + j];
    char buf[16];
    std::snprintf(buf, sizeof buf, " %x", v);
    words += buf;
  }
  std::string text2 = "#$ 3676924800\n#@ 3707596800\n" + data + "#h" + words + "\n";
  EXPECT_TRUE(parse_leap_seconds_list(text2, "f").ok());
}

void expect_error(const std::string& text, const std::string& prefix) {
  auto t = parse_leap_seconds_list(text, "leapfile");
  ASSERT_FALSE(t.ok()) << "accepted: " << text;
  EXPECT_EQ(t.error().message.rfind(prefix, 0), 0u) << t.error().message;
}

TEST(LeapTable, ErrorsNameFileAndLine) {
  const std::string ok_data = "3644697600 36\n3692217600 37\n";
  const std::string digits =
      "3644697600"
      "36"
      "3692217600"
      "37";
  ASSERT_TRUE(parse_leap_seconds_list(make_file(ok_data, digits), "f").ok());
  expect_error("", "leapfile:0: no leap second data lines");
  expect_error("#$ 1\n#@ 2\n3644697600 36\n", "leapfile:0: no hash (#h) line");
  expect_error("#@ 2\n3644697600 36\n#h 1 2 3 4 5\n", "leapfile:0: no last-update");
  expect_error("#$ 1\n3644697600 36\n#h 1 2 3 4 5\n", "leapfile:0: no expiry");
  expect_error("#$ 1\n#$ 2\n", "leapfile:2: second last-update");
  expect_error("#$ x1\n", "leapfile:1: last-update (#$) time 'x1'");
  expect_error("#$ 1\n#@ 2\n3644697601 36\n", "leapfile:3: time 3644697601 is not a UTC midnight");
  expect_error("#$ 1\n#@ 2\n3692217600 36\n3644697600 37\n", "leapfile:4: times must increase");
  expect_error("#$ 1\n#@ 2\n3644697600 36\n3692217600 38\n", "leapfile:4: TAI-UTC changes by 2 s");
  expect_error("3644697600\n", "leapfile:1: data line needs two fields");
  expect_error("3644697600 36 7\n", "leapfile:1: data line needs two fields");
  expect_error("3644697600 -1\n", "leapfile:1: bad TAI-UTC offset '-1'");
  expect_error("99999999999999999999 1\n", "leapfile:1: time '99999999999999999999'");
  expect_error("#h 1 2 3 4\n", "leapfile:1: hash (#h) line needs five words");
  expect_error("#h 1 2 3 4 123456789\n", "leapfile:1: hash (#h) line needs five words");
  expect_error("#h 1 2 3 4 g\n", "leapfile:1: hash (#h) line needs five words");
  expect_error("#h 1 2 3 4 5\n3644697600 36\n", "leapfile:2: data line after the hash");
  expect_error(make_file(ok_data, digits, "3707596800", "3676924800"),
               "leapfile:0: expiry (#@) is not after");
  expect_error(make_file(ok_data, digits + "0"), "leapfile:5: hash mismatch");
  expect_error(std::string("3644697600 36\0\n", 16), "leapfile:1: NUL byte");
  expect_error(std::string(5000, '1') + "\n", "leapfile:1: line too long");
}

TEST(LeapTable, ExpiryWarning) {
  auto t = parse_leap_seconds_list(kRealFile, "f");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(expiry_warning(*t, 3991593600 - 29 * 86400));
  auto soon = expiry_warning(*t, 3991593600 - 27 * 86400);
  ASSERT_TRUE(soon);
  EXPECT_NE(soon->find("expires on 2026-06-28"), std::string::npos) << *soon;
  auto gone = expiry_warning(*t, 3991593600);
  ASSERT_TRUE(gone);
  EXPECT_NE(gone->find("expired on 2026-06-28"), std::string::npos) << *gone;
}

}  // namespace
}  // namespace meridian::leap
