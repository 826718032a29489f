// ParseContext reporting, Args and value helpers shared by the directive handlers.
#include "core/config/parse_context.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/config/values.h"

namespace meridian::config::internal {

void ParseContext::warning(int line, std::string message) {
  config_.diagnostics.push_back(
      Diagnostic{Diagnostic::Severity::kWarning, at(line), std::move(message)});
}

void ParseContext::error(int line, std::string message) {
  config_.diagnostics.push_back(
      Diagnostic{Diagnostic::Severity::kError, at(line), std::move(message)});
}

void ParseContext::no_effect(int line, std::string_view what, std::string_view reason) {
  warning(line, fmt::format("'{}' has no effect in Meridian: {}", what, reason));
}

void ParseContext::fatal(int line, std::string message) {
  config_.diagnostics.push_back(
      Diagnostic{Diagnostic::Severity::kFatal, at(line), std::move(message)});
}

void ParseContext::fail(int line, std::string message) {
  if (fail_is_fatal_) {
    config_.diagnostics.push_back(
        Diagnostic{Diagnostic::Severity::kFatal, at(line), std::move(message)});
    return;
  }
  error(line, std::move(message) + "; line ignored");
}

bool Args::take_if(std::string_view keyword) {
  if (done() || !iequals(peek().text, keyword)) return false;
  ++next_;
  return true;
}

std::optional<net::Family> Args::take_family() {
  if (take_if("-4")) return net::Family::kIPv4;
  if (take_if("-6")) return net::Family::kIPv6;
  return std::nullopt;
}

Result<int64_t> integer_value(std::string_view option, const Token& value, int64_t lo, int64_t hi) {
  const std::optional<int64_t> v = parse_integer(value.text);
  if (!v) {
    return make_error(ErrorCode::kMalformed,
                      fmt::format("{} '{}' is not an integer", option, value.text));
  }
  if (*v < lo || *v > hi) {
    if (hi == std::numeric_limits<int64_t>::max()) {
      return make_error(ErrorCode::kMalformed,
                        fmt::format("{} {} must be at least {}", option, *v, lo));
    }
    return make_error(ErrorCode::kMalformed,
                      fmt::format("{} {} is out of range ({}..{})", option, *v, lo, hi));
  }
  return *v;
}

Result<double> number_value(std::string_view option, const Token& value, double lo, double hi) {
  const std::optional<double> v = parse_number(value.text);
  if (!v) {
    return make_error(ErrorCode::kMalformed,
                      fmt::format("{} '{}' is not a number", option, value.text));
  }
  if (*v < lo || *v > hi) {
    if (std::isinf(hi)) {
      return make_error(ErrorCode::kMalformed,
                        fmt::format("{} {} must be at least {}", option, value.text, lo));
    }
    return make_error(ErrorCode::kMalformed,
                      fmt::format("{} {} is out of range ({}..{})", option, value.text, lo, hi));
  }
  return *v;
}

}  // namespace meridian::config::internal
