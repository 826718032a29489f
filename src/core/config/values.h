// Scalar values in ntp.conf and key files: numbers as operators write them
// ("-.000097", "50000000.0", "+5"), keywords compared case-insensitively.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meridian::config::internal {

// A finite decimal number; a leading '+' is allowed. No hex, inf or nan.
std::optional<double> parse_number(std::string_view text);

// A decimal integer, also written as an integral number ("3.0").
std::optional<int64_t> parse_integer(std::string_view text);

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view text);

// True when every byte is an ASCII digit or '.' (text that must be an IPv4
// literal rather than a host name).
bool looks_numeric_dotted(std::string_view text);

// A host name as ntp.conf may carry it: letters, digits, '-', '_' and '.'.
bool is_host_name(std::string_view text);

}  // namespace meridian::config::internal
