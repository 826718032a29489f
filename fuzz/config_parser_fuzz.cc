// libFuzzer target for the ntp.conf parser (lexer, directives, includefile,
// fudge, key loading), lint, and the key file parser (core/config). Any
// input must parse without crashing, and the results must keep the parser's
// promises. Invariant violations call __builtin_trap() so libFuzzer records
// a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/config/address_spec.h"
#include "core/config/config.h"
#include "core/config/file_source.h"
#include "core/config/key_file.h"
#include "core/config/lint.h"
#include "core/config/parser.h"

namespace {

namespace config = meridian::config;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

// Include targets: the input itself (as the top file, an include and the key
// file, so loops and key parsing are reachable), a file that includes back,
// and a directory of *.conf files.
config::MemoryFileSource files_for(const std::string& input) {
  config::MemoryFileSource files;
  files.add("/etc/ntp.conf", input);
  files.add("/etc/ntp/keys", input);
  files.add("/etc/ntp/inc.conf",
            "server 192.0.2.1 iburst key 1\nincludefile ../ntp.conf\nrestrict default nopeer\n"
            "fudge 127.127.1.0 stratum 10\ntrustedkey 1 (2 ... 4)\n");
  files.add("/etc/ntp.d/10-a.conf", "pool 2.pool.ntp.org iburst\nincludefile /etc/ntp.d/\n");
  files.add("/etc/ntp.d/20-b.conf", input);
  files.add("/etc/ntp.d/readme", "not a config");
  return files;
}

void check_config(const config::Config& c) {
  bool fatal = false;
  for (const config::Diagnostic& d : c.diagnostics) {
    check(!d.message.empty());
    check(!d.where.file.empty() && d.where.line >= 1);
    check(!d.to_string().empty());
    fatal = fatal || d.severity == config::Diagnostic::Severity::kFatal;
  }
  check(fatal == c.has_fatal());
  for (const config::AssociationConfig& a : c.associations) {
    check(!a.host.empty());
    if (a.minpoll) check(*a.minpoll >= 3 && *a.minpoll <= 17);
    if (a.key) check(*a.key >= 1 && *a.key <= 65535);
  }
  for (const config::RestrictRule& r : c.restricts) {
    if (r.target != config::RestrictRule::Target::kAddress) continue;
    // Rules are stored masked, and address and mask are of one family.
    check(r.mask.family() == r.address.family());
    check(config::internal::apply_mask(r.address, r.mask) == r.address);
  }
  for (const config::InterfaceRule& i : c.interfaces) {
    if (i.match != config::InterfaceRule::Match::kPrefix) continue;
    check(i.prefix_len >= 0 && i.prefix_len <= config::internal::family_bits(i.address.family()));
  }
  for (uint32_t id : c.trusted_keys) check(id >= 1 && id <= 65535);
  if (c.threads) check(*c.threads >= 1 && *c.threads <= 256);
  for (const config::Diagnostic& d : config::lint_config(c)) {
    check(d.severity == config::Diagnostic::Severity::kWarning);
    check(!d.message.empty());
  }
}

void check_keys(std::string_view input) {
  const config::KeyFile keys = config::scan_key_file(input, "/etc/ntp/keys");
  for (const config::SymmetricKey& k : keys.keys) {
    check(k.id >= 1 && k.id <= 65535);
    check(!k.secret.empty() && k.secret.size() <= 64);
    if (k.type == config::KeyType::kAes128Cmac) check(k.secret.size() == 16);
    check(k.where.line >= 1);
  }
  const auto parsed = config::parse_key_file(input, "/etc/ntp/keys");
  check(parsed.ok() == !keys.has_errors());
  if (!parsed.ok()) check(!parsed.error().message.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  config::MemoryFileSource files = files_for(input);
  auto parsed = config::parse_config_file("/etc/ntp.conf", files);
  check(parsed.ok());
  check_config(*parsed);
  // The same text under another name: relative includes resolve elsewhere.
  check_config(config::parse_config_text(input, "/etc/ntp/inc.conf", files));
  check_keys(input);
  return 0;
}
