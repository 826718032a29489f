#include "core/config/lexer.h"

namespace meridian::config::internal {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

bool rest_is_blank(std::string_view s, size_t from) {
  for (size_t i = from; i < s.size(); ++i) {
    if (!is_blank(s[i])) return false;
  }
  return true;
}

// Lexes one physical line into `st`; returns true when it ends in a
// continuation backslash.
bool lex_line(std::string_view line_text, int line, Statement& st) {
  size_t p = 0;
  const size_t n = line_text.size();
  while (p < n) {
    const char c = line_text[p];
    if (is_blank(c)) {
      ++p;
      continue;
    }
    if (c == '#') return false;
    if (st.tokens.empty() && st.error.empty()) st.line = line;
    if (c == '"') {
      const size_t close = line_text.find('"', p + 1);
      if (close == std::string_view::npos) {
        if (st.error.empty()) {
          st.error = "unterminated quoted string";
          st.error_line = line;
        }
        st.tokens.push_back(Token{std::string(line_text.substr(p + 1)), line, true});
        return false;
      }
      st.tokens.push_back(Token{std::string(line_text.substr(p + 1, close - p - 1)), line, true});
      p = close + 1;
      continue;
    }
    size_t end = p;
    while (end < n && !is_blank(line_text[end]) && line_text[end] != '#') ++end;
    std::string_view word = line_text.substr(p, end - p);
    if (word.back() == '\\' && rest_is_blank(line_text, end)) {
      word.remove_suffix(1);
      if (!word.empty()) st.tokens.push_back(Token{std::string(word), line, false});
      return true;
    }
    st.tokens.push_back(Token{std::string(word), line, false});
    p = end;
  }
  return false;
}

}  // namespace

std::vector<Statement> lex_config(std::string_view text) {
  std::vector<Statement> out;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte-order mark
  Statement current;
  int line = 1;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = pos;
    while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
    const bool continues = lex_line(text.substr(pos, end - pos), line, current);
    if (end < text.size()) {
      // CRLF is one line ending; a lone CR (old Mac files) or LF is one too.
      end += (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? size_t{2}
                                                                                   : size_t{1};
    }
    pos = end;
    ++line;
    if (continues) continue;
    if (!current.tokens.empty() || !current.error.empty()) {
      out.push_back(std::move(current));
      current = Statement{};
    }
  }
  if (!current.tokens.empty() || !current.error.empty()) out.push_back(std::move(current));
  return out;
}

}  // namespace meridian::config::internal
