// `nts …` (NTPsec's syntax for Network Time Security, RFC 8915):
//   nts enable | disable        run the NTS-KE server (TLS 1.3 on TCP `nts port`)
//   nts cert FILE / key FILE    the server's PEM certificate chain and private key
//   nts ca FILE                 CA bundle that NTS servers we use must chain to
//   nts cookie FILE             the server's cookie keys, kept across restarts
//   nts port N                  NTS-KE port (Meridian extension; default 4460)
// NTPsec's TLS tuning knobs are accepted without effect: Meridian speaks
// TLS 1.3 with OpenSSL's defaults and AEAD_AES_SIV_CMAC_256 only.
#include <fmt/format.h>

#include "core/config/parse_context.h"
#include "core/config/values.h"

namespace meridian::config::internal {

namespace {

// Accepted, without effect: their reason (docs/ntp.conf.md directive status).
const char* nts_no_effect_reason(std::string_view sub) {
  if (sub == "mintls" || sub == "maxtls" || sub == "tlsciphers" || sub == "tlsciphersuites" ||
      sub == "tlsecdhcurves") {
    return "NTS-KE uses TLS 1.3 with OpenSSL's default cipher suites and groups";
  }
  return nullptr;
}

std::optional<std::string>* nts_file_slot(NtsConfig& nts, std::string_view sub) {
  if (sub == "cert") return &nts.cert;
  if (sub == "key") return &nts.key;
  if (sub == "ca") return &nts.ca;
  if (sub == "cookie") return &nts.cookie;
  return nullptr;
}

}  // namespace

void parse_nts(ParseContext& ctx, const Statement& st) {
  Args args(st);
  if (args.done()) {
    ctx.fail(st.line, "nts: missing keyword (enable, disable, cert, key, ca, cookie, port)");
    return;
  }
  const Token& sub_token = args.take();
  const std::string sub = to_lower(sub_token.text);
  NtsConfig& nts = ctx.config().nts;
  nts.where = ctx.at(st.line);
  if (sub == "enable" || sub == "disable") {
    nts.enable = sub == "enable";
  } else if (std::optional<std::string>* slot = nts_file_slot(nts, sub)) {
    if (args.done() || args.peek().text.empty()) {
      ctx.fatal(st.line, fmt::format("nts {}: missing file name", sub));
      return;
    }
    *slot = args.take().text;
    ctx.set_location("nts " + sub, st.line);
  } else if (sub == "port") {
    if (args.done()) {
      ctx.fatal(st.line, "nts port: missing port number");
      return;
    }
    const Token& value = args.take();
    auto n = integer_value("nts port", value, 1, 65535);
    if (!n.ok()) {
      ctx.fatal(value.line, n.error().message);
      return;
    }
    nts.port = static_cast<uint16_t>(*n);
  } else if (sub == "aead") {
    // The one algorithm both peers must have (RFC 8915 §5.1); any other
    // choice cannot be honoured.
    if (args.done()) {
      ctx.fatal(st.line, "nts aead: missing algorithm name");
      return;
    }
    const std::string name = args.take().text;
    if (name != "AES_SIV_CMAC_256" && name != "AEAD_AES_SIV_CMAC_256") {
      ctx.fatal(st.line,
                fmt::format("nts aead: '{}' is not supported (only AES_SIV_CMAC_256)", name));
    }
    return;
  } else if (const char* why = nts_no_effect_reason(sub)) {
    ctx.no_effect(st.line, fmt::format("nts {}", sub), why);
    return;
  } else {
    ctx.fatal(sub_token.line, fmt::format("nts: unknown keyword '{}'", sub_token.text));
    return;
  }
  if (!args.done()) {
    ctx.warning(args.line(), fmt::format("nts {}: extra '{}' ignored", sub, args.peek().text));
  }
}

}  // namespace meridian::config::internal
