// Shared command-line plumbing for the programs' getopt_long parsers:
// mutable argv storage, fresh getopt state, number parsing with clear errors.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace meridian::platform {

// Owns a mutable copy of the arguments in the form getopt_long wants, and
// resets getopt's global state so a parser can run more than once (tests).
class GetoptArgs {
 public:
  explicit GetoptArgs(const std::vector<std::string>& args);
  int argc() const { return static_cast<int>(storage_.size()); }
  char** argv() { return pointers_.data(); }
  // The error for getopt's '?' result: names the offending option.
  Error unknown_option() const;

 private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;
};

// "option -t: 'abc' is not a number" and the like.
Result<double> parse_number(const char* text, const char* option);
Result<long> parse_integer(const char* text, const char* option, long lo, long hi);

}  // namespace meridian::platform
