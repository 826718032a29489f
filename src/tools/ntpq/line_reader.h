// The ntpq> prompt's input: libedit (line editing and history, like the
// classic ntpq) when reading a terminal, plain fgets otherwise (pipes, tests).
#pragma once

#include <cstdio>
#include <optional>
#include <string>

namespace meridian::ntpq {

class LineReader {
 public:
  LineReader(std::FILE* in, std::FILE* out);
  // The next line without its newline; nullopt at end of input.
  std::optional<std::string> read(const char* prompt);

 private:
  std::FILE* in_;
  std::FILE* out_;
  bool terminal_;
};

}  // namespace meridian::ntpq
