// The ntp.conf lexer: text → logical lines of whitespace-separated tokens.
//
// Takes files as operators write them: LF, CRLF or lone-CR line endings, no
// final newline, tabs and runs of blanks anywhere, a UTF-8 byte-order mark,
// `#` comments (whole-line or after a directive; any bytes, UTF-8 included),
// "double-quoted" tokens (for paths with blanks; no escapes, as in the classic
// scanner), and a backslash as the last character of a line joining the next
// line to it (a Meridian convenience; classic ntpd has no continuation).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace meridian::config::internal {

struct Token {
  std::string text;  // without the quotes of a quoted token
  int line = 0;      // 1-based physical line the token starts on
  bool quoted = false;
};

// One directive: its tokens (at least one unless `error` is set), possibly
// spanning physical lines joined by continuation backslashes.
struct Statement {
  std::vector<Token> tokens;
  int line = 0;       // line of the first token
  std::string error;  // non-empty: the lexer could not read this line (e.g. unterminated quote)
  int error_line = 0;
};

std::vector<Statement> lex_config(std::string_view text);

}  // namespace meridian::config::internal
