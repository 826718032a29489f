// The ntp.conf lexer: messy files as operators write them.
#include "core/config/lexer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meridian::config::internal {
namespace {

using ::testing::ElementsAre;

// Each statement as "LINE:tok tok tok".
std::vector<std::string> lex(std::string_view text) {
  std::vector<std::string> out;
  for (const Statement& st : lex_config(text)) {
    std::string s = std::to_string(st.line) + ":";
    for (size_t i = 0; i < st.tokens.size(); ++i) s += (i ? " " : "") + st.tokens[i].text;
    if (!st.error.empty()) s += " !" + st.error;
    out.push_back(s);
  }
  return out;
}

TEST(ConfigLexerTest, EmptyAndCommentOnly) {
  EXPECT_TRUE(lex("").empty());
  EXPECT_TRUE(lex("\n\n   \n\t\n").empty());
  EXPECT_TRUE(lex("# only a comment\n  # indented comment\n").empty());
}

TEST(ConfigLexerTest, TabsRunsOfSpacesLeadingAndTrailingWhitespace) {
  EXPECT_THAT(lex("\t server\t\t  0.pool.ntp.org    iburst  \t \n"),
              ElementsAre("1:server 0.pool.ntp.org iburst"));
}

TEST(ConfigLexerTest, LineEndingsLfCrlfLoneCrAndNoFinalNewline) {
  EXPECT_THAT(lex("a 1\nb 2\n"), ElementsAre("1:a 1", "2:b 2"));
  EXPECT_THAT(lex("a 1\r\nb 2\r\n"), ElementsAre("1:a 1", "2:b 2"));
  EXPECT_THAT(lex("a 1\rb 2\r"), ElementsAre("1:a 1", "2:b 2"));
  EXPECT_THAT(lex("a 1\nb 2"), ElementsAre("1:a 1", "2:b 2"));
  EXPECT_THAT(lex("a 1\r\n\r\nb 2"), ElementsAre("1:a 1", "3:b 2"));
  EXPECT_THAT(lex("a\r\r\nb"), ElementsAre("1:a", "3:b"));  // CR, then CRLF
}

TEST(ConfigLexerTest, CommentAfterDirectiveDropsTheRest) {
  EXPECT_THAT(lex("restrict default kod nopeer # noquery limited\n"),
              ElementsAre("1:restrict default kod nopeer"));
  EXPECT_THAT(lex("server a#b c\n"), ElementsAre("1:server a"));
}

TEST(ConfigLexerTest, Utf8InCommentsAndByteOrderMark) {
  EXPECT_THAT(lex("\xEF\xBB\xBF# Zeitserver für das Büro — ☃\nserver a # ünïcödé\n"),
              ElementsAre("2:server a"));
}

TEST(ConfigLexerTest, QuotedTokens) {
  auto st = lex_config("leapfile \"/x y\" # c\n");
  ASSERT_EQ(st.size(), 1u);
  ASSERT_EQ(st[0].tokens.size(), 2u);
  EXPECT_EQ(st[0].tokens[1].text, "/x y");
  EXPECT_TRUE(st[0].tokens[1].quoted);
  EXPECT_FALSE(st[0].tokens[0].quoted);
  EXPECT_THAT(lex("logfile \"a#b\"\n"), ElementsAre("1:logfile a#b"));
  EXPECT_THAT(lex("keys \"\"\n"), ElementsAre("1:keys "));
}

TEST(ConfigLexerTest, UnterminatedQuoteIsALexError) {
  auto st = lex_config("\nleapfile \"/x y\n");
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].error, "unterminated quoted string");
  EXPECT_EQ(st[0].error_line, 2);
  EXPECT_EQ(st[0].line, 2);
}

TEST(ConfigLexerTest, BackslashContinuesTheLine) {
  auto st = lex_config("restrict default kod \\\n   nomodify \\  \n\tnoquery\nserver a\n");
  ASSERT_EQ(st.size(), 2u);
  ASSERT_EQ(st[0].tokens.size(), 5u);
  EXPECT_EQ(st[0].line, 1);
  EXPECT_EQ(st[0].tokens[3].text, "nomodify");
  EXPECT_EQ(st[0].tokens[3].line, 2);
  EXPECT_EQ(st[0].tokens[4].line, 3);
  EXPECT_EQ(st[1].line, 4);
  // Attached to a word, and with CRLF endings.
  EXPECT_THAT(lex("server a\\\r\n iburst\r\n"), ElementsAre("1:server a iburst"));
  // A backslash in a comment does not continue; one at end of file is harmless.
  EXPECT_THAT(lex("server a # c \\\nserver b\\"), ElementsAre("1:server a", "2:server b"));
  // Not at the end of the line: part of the token.
  EXPECT_THAT(lex("logfile a\\b\n"), ElementsAre("1:logfile a\\b"));
}

TEST(ConfigLexerTest, TokenLinesAreExact) {
  auto st = lex_config("\n\n  tinker panic 0\n");
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].line, 3);
  for (const Token& t : st[0].tokens) EXPECT_EQ(t.line, 3);
}

TEST(ConfigLexerTest, ControlBytesAndNulDoNotCrash) {
  const char raw[] = "server \0x\x01 y\n";
  const std::string text(raw, sizeof(raw) - 1);
  auto st = lex_config(text);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].tokens.size(), 3u);
}

}  // namespace
}  // namespace meridian::config::internal
