#include "core/config/key_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "core/config/values.h"

namespace meridian::config {

namespace {

constexpr size_t kMaxAsciiKey = 20;   // classic: longer keys are hex
constexpr size_t kMaxKeyBytes = 64;   // hex keys up to 128 digits
constexpr size_t kCmacKeyBytes = 16;  // RFC 8573: AES-128
constexpr uint32_t kMaxKeyId = 65535;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

std::vector<std::string_view> split_fields(std::string_view line) {
  if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
    line = line.substr(0, hash);
  }
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && is_blank(line[pos])) ++pos;
    const size_t start = pos;
    while (pos < line.size() && !is_blank(line[pos])) ++pos;
    if (pos > start) fields.push_back(line.substr(start, pos - start));
  }
  return fields;
}

std::optional<KeyType> parse_type(std::string_view text) {
  if (internal::iequals(text, "M") || internal::iequals(text, "MD5")) return KeyType::kMd5;
  if (internal::iequals(text, "SHA1")) return KeyType::kSha1;
  if (internal::iequals(text, "SHA256")) return KeyType::kSha256;
  if (internal::iequals(text, "AES128CMAC") || internal::iequals(text, "AES")) {
    return KeyType::kAes128Cmac;  // "AES" is NTPsec's name for it
  }
  return std::nullopt;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes KEY per the classic rule (≤ 20 chars ASCII, else hex); the error message otherwise.
Result<std::vector<uint8_t>> decode_secret(std::string_view key) {
  std::vector<uint8_t> secret;
  if (key.size() <= kMaxAsciiKey) {
    for (char c : key) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x21 || byte > 0x7e) {
        return make_error(ErrorCode::kMalformed,
                          "an ASCII key may hold only printable characters without blanks");
      }
      secret.push_back(byte);
    }
    return secret;
  }
  if (key.size() % 2 != 0 || key.size() > 2 * kMaxKeyBytes) {
    return make_error(ErrorCode::kMalformed,
                      fmt::format("a key longer than {} characters must be an even number of hex "
                                  "digits, at most {}",
                                  kMaxAsciiKey, 2 * kMaxKeyBytes));
  }
  for (size_t i = 0; i < key.size(); i += 2) {
    const int hi = hex_value(key[i]);
    const int lo = hex_value(key[i + 1]);
    if (hi < 0 || lo < 0) {
      return make_error(
          ErrorCode::kMalformed,
          fmt::format("a key longer than {} characters must be hex digits only", kMaxAsciiKey));
    }
    secret.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return secret;
}

}  // namespace

const SymmetricKey* KeyFile::find(uint32_t id) const {
  for (const SymmetricKey& k : keys) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

bool KeyFile::has_errors() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
    return d.severity != Diagnostic::Severity::kWarning;
  });
}

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::kMd5:
      return "MD5";
    case KeyType::kSha1:
      return "SHA1";
    case KeyType::kSha256:
      return "SHA256";
    case KeyType::kAes128Cmac:
      return "AES128CMAC";
  }
  return "?";
}

KeyFile scan_key_file(std::string_view text, const std::string& filename) {
  KeyFile out;
  auto report = [&](Diagnostic::Severity severity, int line, std::string message) {
    out.diagnostics.push_back(Diagnostic{severity, {filename, line}, std::move(message)});
  };
  std::map<uint32_t, size_t> index;  // key id → position in out.keys
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    size_t end = pos;
    while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
    const std::vector<std::string_view> fields = split_fields(text.substr(pos, end - pos));
    if (end < text.size()) {
      end += (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? size_t{2}
                                                                                   : size_t{1};
    }
    pos = end;
    if (fields.empty()) continue;
    const auto error = [&](std::string message) {
      report(Diagnostic::Severity::kError, line_no, std::move(message));
    };
    if (fields.size() < 3) {
      error("expected KEYID TYPE KEY");
      continue;
    }
    const std::optional<int64_t> id = internal::parse_integer(fields[0]);
    if (!id || fields[0].find_first_not_of("0123456789") != std::string_view::npos || *id < 1 ||
        *id > kMaxKeyId) {
      error(fmt::format("key id '{}' is not a number 1..{}", fields[0], kMaxKeyId));
      continue;
    }
    const std::optional<KeyType> type = parse_type(fields[1]);
    if (!type) {
      error(fmt::format("key {}: type '{}' is not supported (M or MD5, SHA1, SHA256, AES128CMAC)",
                        *id, fields[1]));
      continue;
    }
    if (fields.size() > 3) {
      // ntp >= 4.2.8p7 lets a fourth field limit the key to some addresses.
      // Ignoring that would widen who may use the key, so it is refused.
      error(fmt::format("key {}: per-key address lists ('{}') are not supported", *id, fields[3]));
      continue;
    }
    auto secret = decode_secret(fields[2]);
    if (!secret.ok()) {
      error(fmt::format("key {}: {}", *id, secret.error().message));
      continue;
    }
    if (*type == KeyType::kAes128Cmac && secret->size() != kCmacKeyBytes) {
      error(fmt::format("key {}: an AES128CMAC key must be 16 bytes (32 hex digits), not {}", *id,
                        secret->size()));
      continue;
    }
    SymmetricKey key{static_cast<uint32_t>(*id), *type, std::move(*secret), {filename, line_no}};
    if (auto [it, fresh] = index.try_emplace(key.id, out.keys.size()); !fresh) {
      SymmetricKey& previous = out.keys[it->second];
      report(Diagnostic::Severity::kWarning, line_no,
             fmt::format("key {} is defined again (first at line {}); this definition wins", key.id,
                         previous.where.line));
      previous = std::move(key);
      continue;
    }
    out.keys.push_back(std::move(key));
  }
  return out;
}

Result<KeyFile> parse_key_file(std::string_view text, const std::string& filename) {
  KeyFile keys = scan_key_file(text, filename);
  if (!keys.has_errors()) return keys;
  std::string message;
  for (const Diagnostic& d : keys.diagnostics) {
    if (!message.empty()) message += '\n';
    message += d.to_string();
  }
  return make_error(ErrorCode::kMalformed, std::move(message));
}

}  // namespace meridian::config
