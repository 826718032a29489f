#include "core/config/values.h"

#include <charconv>
#include <cmath>

namespace meridian::config::internal {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<double> parse_number(std::string_view text) {
  const bool plus = !text.empty() && text.front() == '+';
  if (plus) text.remove_prefix(1);
  if (!text.empty() && (text.front() == '+' || (plus && text.front() == '-'))) return std::nullopt;
  if (text.empty() || text.size() > 64) return std::nullopt;
  // from_chars also takes "inf", "nan" and exponents; only plain decimals
  // (optionally with an exponent) are numbers here.
  for (char c : text) {
    if (!is_digit(c) && c != '.' && c != '-' && c != 'e' && c != 'E' && c != '+') {
      return std::nullopt;
    }
  }
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> parse_integer(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  if (!digits.empty() &&
      (digits.front() == '+' || (text.front() == '+' && digits.front() == '-'))) {
    return std::nullopt;
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (!digits.empty() && ec == std::errc() && end == digits.data() + digits.size()) return value;
  const std::optional<double> number = parse_number(text);
  if (!number || std::trunc(*number) != *number || std::fabs(*number) > 9.0e15) {
    return std::nullopt;
  }
  return static_cast<int64_t>(*number);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
  return out;
}

bool looks_numeric_dotted(std::string_view text) {
  for (char c : text) {
    if (!is_digit(c) && c != '.') return false;
  }
  return !text.empty();
}

bool is_host_name(std::string_view text) {
  if (text.empty() || text.size() > 253 || text.front() == '-' || text.front() == '.') return false;
  for (char c : text) {
    const char l = lower(c);
    if (!is_digit(c) && !(l >= 'a' && l <= 'z') && c != '-' && c != '_' && c != '.') return false;
  }
  return !looks_numeric_dotted(text);
}

}  // namespace meridian::config::internal
