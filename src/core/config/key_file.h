// The symmetric key file named by `keys` (classic ntp.keys(5)):
//
//   # comment
//   KEYID TYPE KEY   [# comment]
//
// KEYID is 1..65535. TYPE is M or MD5, SHA1, SHA256 or AES128CMAC (NTPsec: AES),
// in any case.
// KEY of up to 20 characters is ASCII (printable, no blanks, no '#'), the
// bytes used as written; a longer KEY is hex (40 hex digits = 20 bytes).
// An AES128CMAC key is exactly 16 bytes (32 hex digits, or 16 ASCII chars).
// Line endings LF, CRLF or CR; no final newline needed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/result.h"

namespace meridian::config {

struct KeyFile {
  std::vector<SymmetricKey> keys;       // in file order; a repeated id keeps the last
  std::vector<Diagnostic> diagnostics;  // warnings and errors, "FILE:LINE: message"

  const SymmetricKey* find(uint32_t id) const;
  bool has_errors() const;
};

// Every good line becomes a key; every bad line a kError diagnostic (the
// daemon treats any error in the key file as fatal at start-up).
KeyFile scan_key_file(std::string_view text, const std::string& filename);

// The same, as a Result: an Error (kMalformed) whose message is every
// diagnostic's "FILE:LINE: message", one per line, when any line is bad;
// otherwise the keys (and any warnings).
Result<KeyFile> parse_key_file(std::string_view text, const std::string& filename);

// "MD5", "SHA1", "SHA256", "AES128CMAC".
std::string_view key_type_name(KeyType type);

}  // namespace meridian::config
