#include "core/access/access_decision.h"

#include "core/config/config.h"

namespace meridian::access {

namespace {

using wire::Mode;

constexpr uint8_t kCurrentVersion = 4;  // RFC 5905

bool has(uint32_t flags, config::RestrictFlag flag) { return (flags & flag) != 0; }

AccessDecision drop(AccessReason reason) {
  AccessDecision d;
  d.action = AccessAction::kIgnore;
  d.reason = reason;
  return d;
}

bool is_request(Mode mode) { return mode == Mode::kSymmetricActive || mode == Mode::kClient; }

AccessDecision classify_control(uint32_t flags) {
  if (has(flags, config::kNoQuery)) return drop(AccessReason::kNoQuery);
  AccessDecision d;
  d.action = AccessAction::kServe;
  d.may_modify = !has(flags, config::kNoModify);
  d.may_trap = !has(flags, config::kNoTrap);
  d.low_priority_trap = has(flags, config::kLowPriTrap);
  d.may_mrulist = !has(flags, config::kNoMrulist);
  return d;
}

// Whether mode 1 / mode 5 may create an association (classic AM_NEWPASS and
// AM_NEWBCL; see the header).
bool may_mobilize(uint32_t flags, Mode mode, PacketAuth auth, bool require_auth) {
  const bool authentic = auth == PacketAuth::kOk;
  if (mode == Mode::kSymmetricActive) {
    if (has(flags, config::kNoEpeer)) return false;
    const bool needs_auth =
        require_auth || has(flags, config::kNoPeer) || has(flags, config::kNoTrust);
    return authentic || !needs_auth;
  }
  if (mode == Mode::kBroadcast) {
    return !has(flags, config::kNoPeer) && (authentic || !require_auth);
  }
  return false;
}

}  // namespace

std::string_view to_string(AccessReason reason) {
  switch (reason) {
    case AccessReason::kNone:
      return "none";
    case AccessReason::kIgnoreFlag:
      return "ignore";
    case AccessReason::kBadMode:
      return "bad mode";
    case AccessReason::kBadVersion:
      return "bad version";
    case AccessReason::kVersionFlag:
      return "version";
    case AccessReason::kNoServe:
      return "noserve";
    case AccessReason::kNoQuery:
      return "noquery";
    case AccessReason::kNoTrust:
      return "notrust";
    case AccessReason::kAuthFailed:
      return "authentication failed";
    case AccessReason::kCryptoNak:
      return "crypto-NAK";
  }
  return "?";
}

AccessDecision classify(uint32_t flags, wire::Mode mode, PacketAuth auth, uint8_t version,
                        bool require_auth_to_mobilize) {
  if (has(flags, config::kIgnore)) return drop(AccessReason::kIgnoreFlag);
  switch (mode) {
    case Mode::kReserved:
    case Mode::kPrivate:
      return drop(AccessReason::kBadMode);
    case Mode::kControl:
      return classify_control(flags);
    case Mode::kSymmetricActive:
    case Mode::kSymmetricPassive:
    case Mode::kClient:
    case Mode::kServer:
    case Mode::kBroadcast:
      break;
  }

  // Modes 1–5: time service.
  if (has(flags, config::kNoServe)) return drop(AccessReason::kNoServe);
  if (version < 1 || version > kCurrentVersion) return drop(AccessReason::kBadVersion);
  if (has(flags, config::kVersion) && version != kCurrentVersion) {
    return drop(AccessReason::kVersionFlag);
  }

  AccessDecision d;
  d.rate_limit = has(flags, config::kLimited);
  d.kod = d.rate_limit && has(flags, config::kKod) && is_request(mode);

  switch (auth) {
    case PacketAuth::kOk:
      break;
    case PacketAuth::kFailed:
      if (!is_request(mode)) return drop(AccessReason::kAuthFailed);
      // A client with a wrong key learns so from the NAK (RFC 5905 §9.2). The
      // NAK is shorter than the request, so it cannot amplify.
      d.action = AccessAction::kCryptoNak;
      d.reason = AccessReason::kAuthFailed;
      return d;
    case PacketAuth::kCryptoNak:
      // A crypto-NAK is never a valid request; as a reply it belongs to the
      // association (which checks its origin timestamp) unless `notrust`.
      if (is_request(mode)) return drop(AccessReason::kCryptoNak);
      if (has(flags, config::kNoTrust)) return drop(AccessReason::kNoTrust);
      break;
    case PacketAuth::kNone:
      if (has(flags, config::kNoTrust)) return drop(AccessReason::kNoTrust);
      break;
  }

  d.action = AccessAction::kServe;
  d.may_mobilize = may_mobilize(flags, mode, auth, require_auth_to_mobilize);
  return d;
}

}  // namespace meridian::access
