// Result<T>: a value or an Error, used across every module boundary in Meridian.
// g++ 12 has no std::expected; this is the small subset we need. No exceptions
// are thrown from src/core: a malformed packet or a config typo is data.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace meridian {

enum class ErrorCode {
  kInvalidArgument,   // caller passed something meaningless
  kMalformed,         // untrusted input failed to parse
  kTruncated,         // untrusted input ended early
  kUnsupported,       // valid but not implemented
  kPermissionDenied,  // the OS refused (EPERM/EACCES)
  kUnavailable,       // resource busy or missing (EADDRINUSE, no route, …)
  kTimeout,
  kIo,  // any other OS-level failure
};

struct Error {
  ErrorCode code;
  std::string message;
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok().
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  // REQUIRES: !ok().
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_{ErrorCode::kInvalidArgument, {}};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace meridian
