#include "tools/ntpq/line_reader.h"

#include <editline/readline.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

namespace meridian::ntpq {

LineReader::LineReader(std::FILE* in, std::FILE* out)
    : in_(in), out_(out), terminal_(in == stdin && out == stdout && isatty(STDIN_FILENO) != 0) {}

std::optional<std::string> LineReader::read(const char* prompt) {
  if (terminal_) {
    char* line = readline(prompt);
    if (line == nullptr) return std::nullopt;
    std::string text(line);
    std::free(line);
    if (!text.empty()) add_history(text.c_str());  // up-arrow recalls it
    return text;
  }
  fmt::print(out_, "{}", prompt);
  std::fflush(out_);
  char buf[1024];
  if (std::fgets(buf, sizeof buf, in_) == nullptr) return std::nullopt;
  std::string text(buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace meridian::ntpq
