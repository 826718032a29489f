#include "core/nts/cookie_keyring.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

namespace meridian::nts {

namespace {

constexpr size_t kHexKeyDigits = 2 * kKeySize;
constexpr int kMaxIdDraws = 64;  // ids are drawn until unused; a bound, never reached in practice

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <typename T>
bool parse_decimal(std::string_view s, T& out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::vector<std::string_view> split_blanks(std::string_view line) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) tokens.push_back(line.substr(start, i - start));
  }
  return tokens;
}

}  // namespace

const CookieKey* CookieKeyring::find(uint32_t id) const {
  for (const CookieKey& k : keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

Status CookieKeyring::add(const CookieKey& key) {
  if (find(key.id) != nullptr) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cookie key id {} is already in the keyring", key.id));
  }
  // After every key created at the same time or earlier: ties go to the later add.
  const auto at = std::upper_bound(
      keys_.begin(), keys_.end(), key.created_unix_s,
      [](int64_t created, const CookieKey& k) { return created < k.created_unix_s; });
  keys_.insert(at, key);
  trim();
  return {};
}

void CookieKeyring::trim() {
  const size_t keep = policy_.max_previous + 1;
  if (keys_.size() > keep) keys_.erase(keys_.begin(), keys_.end() - static_cast<ptrdiff_t>(keep));
}

bool CookieKeyring::needs_rotation(int64_t now_unix_s) const {
  if (keys_.empty()) return true;
  const int64_t age_s = now_unix_s - current().created_unix_s;
  return age_s >= policy_.rotate_interval_s || age_s < -policy_.rotate_interval_s;
}

bool CookieKeyring::rotate(int64_t now_unix_s, RandomSource& random) {
  const bool due = needs_rotation(now_unix_s);
  if (due) {
    // Keys "from the future" came from a wrong clock; the new key must be current.
    std::erase_if(keys_, [&](const CookieKey& k) { return k.created_unix_s > now_unix_s; });
    CookieKey key;
    key.created_unix_s = now_unix_s;
    for (int draw = 0; draw < kMaxIdDraws && (key.id == 0 || find(key.id) != nullptr); ++draw) {
      key.id = static_cast<uint32_t>(random.next_u64() >> 32);
    }
    if (key.id == 0 || find(key.id) != nullptr) {  // a broken RandomSource: count up instead
      key.id = 1;
      for (const CookieKey& k : keys_) key.id = std::max(key.id, k.id + 1);
    }
    random.fill(key.key);
    keys_.push_back(key);
    trim();
  }
  // Cookies are never older than the key that sealed them: a key older than
  // the whole window can only open cookies the policy no longer honours.
  const int64_t window_s =
      static_cast<int64_t>(policy_.max_previous + 1) * policy_.rotate_interval_s;
  if (!keys_.empty()) {
    const uint32_t current_id = keys_.back().id;
    std::erase_if(keys_, [&](const CookieKey& k) {
      return k.id != current_id && now_unix_s - k.created_unix_s > window_s;
    });
  }
  return due;
}

std::string serialize_keyring(const CookieKeyring& keyring) {
  std::string out =
      "# Meridian NTS cookie keys (RFC 8915 section 6): ID CREATED_UNIX_S HEX_KEY, oldest first.\n"
      "# Secret: readable by the NTP servers only. The last key seals new cookies.\n";
  static constexpr char kDigits[] = "0123456789abcdef";
  for (const CookieKey& k : keyring.keys()) {
    out += fmt::format("{} {} ", k.id, k.created_unix_s);
    for (const std::byte b : k.key) {
      out.push_back(kDigits[std::to_integer<unsigned>(b) >> 4]);
      out.push_back(kDigits[std::to_integer<unsigned>(b) & 0xf]);
    }
    out.push_back('\n');
  }
  return out;
}

KeyringFile parse_keyring(std::string_view text, KeyringPolicy policy) {
  KeyringFile file{CookieKeyring(policy), {}};
  std::set<uint32_t> seen;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const auto tokens = split_blanks(line);
    if (tokens.empty()) continue;
    const auto error = [&](std::string message) {
      file.errors.push_back({line_number, std::move(message)});
    };
    if (tokens.size() != 3) {
      error(fmt::format("expected ID CREATED_UNIX_S HEX_KEY, found {} fields", tokens.size()));
      continue;
    }
    CookieKey key;
    if (!parse_decimal(tokens[0], key.id)) {
      error(fmt::format("key id '{}' is not a number 0..4294967295", tokens[0]));
      continue;
    }
    if (!parse_decimal(tokens[1], key.created_unix_s)) {
      error(fmt::format("creation time '{}' is not a non-negative number of seconds", tokens[1]));
      continue;
    }
    const std::string_view hex = tokens[2];
    bool hex_ok = hex.size() == kHexKeyDigits;
    for (size_t i = 0; hex_ok && i < kKeySize; ++i) {
      const int hi = hex_value(hex[2 * i]);
      const int lo = hex_value(hex[2 * i + 1]);
      hex_ok = hi >= 0 && lo >= 0;
      if (hex_ok) key.key[i] = static_cast<std::byte>(hi * 16 + lo);
    }
    if (!hex_ok) {
      error(fmt::format("key must be {} hex digits ({} bytes)", kHexKeyDigits, kKeySize));
      continue;
    }
    if (!seen.insert(key.id).second) {
      error(fmt::format("key id {} appears twice", key.id));
      continue;
    }
    if (auto added = file.keyring.add(key); !added) error(added.error().message);
  }
  return file;
}

}  // namespace meridian::nts
