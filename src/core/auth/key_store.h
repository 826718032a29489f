// Symmetric keys for the legacy NTP MAC (RFC 5905 §7.3 "MAC", RFC 8573 for
// AES-CMAC): key id → algorithm + secret, plus the `trustedkey` set.
// Reading the key file (`ID TYPE SECRET` lines, ASCII or hex secrets) is
// config/key_file's job; this module only holds the decoded entries.
//
// Key ids: 0 is reserved (a bare key id 0 trailer is the crypto-NAK, RFC 5905
// §7.4), every other 32-bit value is accepted (classic limits ids to 65535;
// chrony allows 32 bits — the key file parser may be stricter).
// AES128CMAC secrets are zero-padded or truncated to the 16-byte AES-128 key,
// as classic ntpd and NTPsec do (NTPsec authreadkeys.c check_cmac_key_length),
// so a key file works the same with either daemon. Digest keys (MD5, SHA1,
// SHA256) may be any non-empty length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/result.h"

namespace meridian::auth {

// The key file's types (config/key_file.h parses the names).
using KeyType = config::KeyType;

// "MD5", "SHA1", "SHA256", "AES128CMAC" (for logs and ntpq).
std::string_view to_string(KeyType type);

inline constexpr size_t kAes128KeyLength = 16;

struct SymmetricKey {
  uint32_t id = 0;
  KeyType type = KeyType::kMd5;
  std::vector<std::byte> secret;
};

class KeyStore {
 public:
  KeyStore() = default;
  KeyStore(const KeyStore&) = default;
  KeyStore(KeyStore&&) = default;
  KeyStore& operator=(const KeyStore&) = default;
  KeyStore& operator=(KeyStore&&) = default;
  ~KeyStore();  // overwrites the secrets before freeing them

  // The key file's keys plus the `trustedkey` set. Errors: as add().
  static Result<KeyStore> from_config(std::span<const config::SymmetricKey> keys,
                                      const std::set<uint32_t>& trusted);

  // Adds or replaces key `key.id`. Errors: id 0, empty secret.
  Status add(SymmetricKey key);
  bool remove(uint32_t id);
  const SymmetricKey* find(uint32_t id) const;
  size_t size() const { return keys_.size(); }

  // `trustedkey`: only trusted keys authenticate packets. Ids may be trusted
  // before the key itself is added (ntp.conf is read before the key file).
  void trust(uint32_t id) { trusted_.insert(id); }
  void untrust(uint32_t id) { trusted_.erase(id); }
  void set_trusted(std::set<uint32_t> ids) { trusted_ = std::move(ids); }
  bool is_trusted(uint32_t id) const { return trusted_.count(id) != 0; }

 private:
  std::map<uint32_t, SymmetricKey> keys_;  // nodes never move, so wiping reaches every copy we made
  std::set<uint32_t> trusted_;
};

}  // namespace meridian::auth
