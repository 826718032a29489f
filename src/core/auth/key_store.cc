#include "core/auth/key_store.h"

#include <fmt/format.h>

#include "core/config/key_file.h"

namespace meridian::auth {

namespace {

// Volatile writes so the compiler cannot drop the wipe as a dead store.
void wipe(std::vector<std::byte>& bytes) {
  volatile std::byte* p = bytes.data();
  for (size_t i = 0; i < bytes.size(); ++i) p[i] = std::byte{0};
}

}  // namespace

std::string_view to_string(KeyType type) { return config::key_type_name(type); }

Result<KeyStore> KeyStore::from_config(std::span<const config::SymmetricKey> keys,
                                       const std::set<uint32_t>& trusted) {
  KeyStore store;
  for (const config::SymmetricKey& k : keys) {
    SymmetricKey key{k.id, k.type, {}};
    key.secret.reserve(k.secret.size());
    for (const uint8_t b : k.secret) key.secret.push_back(static_cast<std::byte>(b));
    if (Status s = store.add(std::move(key)); !s) return s.error();
  }
  store.set_trusted(trusted);
  return store;
}

KeyStore::~KeyStore() {
  for (auto& [id, key] : keys_) wipe(key.secret);
}

Status KeyStore::add(SymmetricKey key) {
  if (key.id == 0) {
    return make_error(ErrorCode::kInvalidArgument, "key id 0 is reserved for the crypto-NAK");
  }
  if (key.secret.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("key {} has an empty secret", key.id));
  }
  if (key.type == KeyType::kAes128Cmac && key.secret.size() != kAes128KeyLength) {
    // Classic/NTPsec compatibility: pad with zeros or truncate to 16 bytes.
    std::vector<std::byte> fitted(kAes128KeyLength, std::byte{0});
    for (size_t i = 0; i < kAes128KeyLength && i < key.secret.size(); ++i)
      fitted[i] = key.secret[i];
    wipe(key.secret);
    key.secret = std::move(fitted);
  }
  auto it = keys_.find(key.id);
  if (it != keys_.end()) {
    wipe(it->second.secret);
    it->second = std::move(key);
  } else {
    const uint32_t id = key.id;
    keys_.emplace(id, std::move(key));
  }
  return {};
}

bool KeyStore::remove(uint32_t id) {
  auto it = keys_.find(id);
  if (it == keys_.end()) return false;
  wipe(it->second.secret);
  keys_.erase(it);
  return true;
}

const SymmetricKey* KeyStore::find(uint32_t id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace meridian::auth
