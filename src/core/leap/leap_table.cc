#include "core/leap/leap_table.h"

#include <fmt/format.h>

#include <array>
#include <cstddef>

#include "core/leap/sha1.h"
#include "core/stats/calendar.h"
#include "core/time/ntp_timestamp.h"

namespace meridian::leap {

namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr size_t kMaxLineLength = 4096;
constexpr size_t kMaxEntries = 10000;
constexpr size_t kMaxTimeDigits = 12;  // NTP seconds: 10 digits until era 1 (2036)
constexpr int kMaxTaiOffset = 1000;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Whitespace-separated tokens of one line.
std::vector<std::string_view> tokens(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// A decimal number of at most `max_digits` digits, nothing else.
std::optional<int64_t> decimal(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<int> hex_digit(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

// The five 32-bit words of `#h`. Some published files drop a word's leading
// zeros, so 1..8 hex digits per word are accepted.
std::optional<Sha1Digest> hash_words(const std::vector<std::string_view>& words) {
  if (words.size() != 5) return std::nullopt;
  Sha1Digest d{};
  for (size_t w = 0; w < 5; ++w) {
    if (words[w].empty() || words[w].size() > 8) return std::nullopt;
    uint32_t v = 0;
    for (char c : words[w]) {
      const auto x = hex_digit(c);
      if (!x) return std::nullopt;
      v = v << 4 | static_cast<uint32_t>(*x);
    }
    for (size_t j = 0; j < 4; ++j) d[4 * w + j] = static_cast<uint8_t>(v >> (24 - 8 * j));
  }
  return d;
}

std::string hex(const Sha1Digest& d) {
  std::string s;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i > 0 && i % 4 == 0) s += ' ';
    s += fmt::format("{:02x}", d[i]);
  }
  return s;
}

std::string date_of(int64_t ntp_s) {
  const auto c = stats::civil_from_mjd(stats::kMjdOfNtpEpoch + ntp_s / kSecondsPerDay);
  return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

class Parser {
 public:
  explicit Parser(std::string_view file) : file_(file) {}

  Result<LeapTable> run(std::string_view text) {
    size_t line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      ++line_no;
      const std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      if (line.size() > kMaxLineLength) return fail(line_no, "line too long");
      if (line.find('\0') != std::string_view::npos) return fail(line_no, "NUL byte in the file");
      if (auto r = this->line(line, line_no); !r) return r.error();
    }
    return finish();
  }

 private:
  Error fail(size_t line, std::string_view message) const {
    return make_error(ErrorCode::kMalformed, fmt::format("{}:{}: {}", file_, line, message));
  }

  Result<void> line(std::string_view line, size_t n) {
    if (line.size() >= 2 && line[0] == '#') {
      const char kind = line[1];
      if (kind == '$' || kind == '@') return stamp(kind, tokens(line.substr(2)), n);
      if (kind == 'h') return hash_line(tokens(line.substr(2)), n);
      return {};  // a comment
    }
    if (!line.empty() && line[0] == '#') return {};
    const std::string_view data = line.substr(0, line.find('#'));
    const auto f = tokens(data);
    if (f.empty()) return {};
    return entry(f, n);
  }

  Result<void> stamp(char kind, const std::vector<std::string_view>& f, size_t n) {
    const char* what = kind == '$' ? "last-update (#$)" : "expiry (#@)";
    std::optional<int64_t>& slot = kind == '$' ? updated_ : expires_;
    std::string& text = kind == '$' ? updated_text_ : expires_text_;
    if (slot) return fail(n, fmt::format("second {} line", what));
    if (hash_) return fail(n, fmt::format("{} line after the hash (#h) line", what));
    if (f.size() != 1) return fail(n, fmt::format("{} line needs one NTP time", what));
    const auto v = decimal(f[0], kMaxTimeDigits);
    if (!v) return fail(n, fmt::format("{} time '{}' is not a decimal NTP time", what, f[0]));
    slot = *v;
    text = std::string(f[0]);
    return {};
  }

  Result<void> hash_line(const std::vector<std::string_view>& f, size_t n) {
    if (hash_) return fail(n, "second hash (#h) line");
    const auto d = hash_words(f);
    if (!d) return fail(n, "hash (#h) line needs five words of up to 8 hex digits");
    hash_ = *d;
    hash_line_ = n;
    return {};
  }

  Result<void> entry(const std::vector<std::string_view>& f, size_t n) {
    if (hash_) return fail(n, "data line after the hash (#h) line");
    if (f.size() != 2) return fail(n, "data line needs two fields: NTP time and TAI-UTC offset");
    const auto t = decimal(f[0], kMaxTimeDigits);
    if (!t) return fail(n, fmt::format("time '{}' is not a decimal NTP time", f[0]));
    const auto o = decimal(f[1], 4);
    if (!o || *o > kMaxTaiOffset) return fail(n, fmt::format("bad TAI-UTC offset '{}'", f[1]));
    if (*t % kSecondsPerDay != 0) return fail(n, fmt::format("time {} is not a UTC midnight", *t));
    if (table_.entries.size() >= kMaxEntries) return fail(n, "too many data lines");
    const int offset = static_cast<int>(*o);
    if (!table_.entries.empty()) {
      const auto& prev = table_.entries.back();
      if (*t <= prev.ntp_seconds) return fail(n, "times must increase from line to line");
      const int change = offset - prev.tai_offset_s;
      if (change != 1 && change != -1)
        return fail(
            n, fmt::format("TAI-UTC changes by {} s; a leap second changes it by 1 s", change));
    }
    table_.entries.push_back(LeapEntry{*t, offset});
    digits_ += f[0];
    digits_ += f[1];
    return {};
  }

  Result<LeapTable> finish() {
    if (table_.entries.empty()) return fail(0, "no leap second data lines");
    if (!updated_) return fail(0, "no last-update (#$) line");
    if (!expires_) return fail(0, "no expiry (#@) line");
    if (!hash_) return fail(0, "no hash (#h) line: the file's integrity cannot be checked");
    if (*expires_ <= *updated_) return fail(0, "expiry (#@) is not after the last update (#$)");
    const Sha1Digest computed = sha1(updated_text_ + expires_text_ + digits_);
    if (computed != *hash_) {
      return fail(hash_line_, fmt::format("hash mismatch: the file says {}, its data hash to {}",
                                          hex(*hash_), hex(computed)));
    }
    table_.updated_ntp_s = *updated_;
    table_.expires_ntp_s = *expires_;
    return std::move(table_);
  }

  std::string_view file_;
  LeapTable table_;
  std::optional<int64_t> updated_, expires_;
  std::string updated_text_, expires_text_, digits_;
  std::optional<Sha1Digest> hash_;
  size_t hash_line_ = 0;
};

}  // namespace

const char* leap_kind_name(LeapKind k) {
  switch (k) {
    case LeapKind::kNone:
      return "none";
    case LeapKind::kInsert:
      return "insert";
    case LeapKind::kDelete:
      return "delete";
  }
  return "?";
}

LeapKind LeapTable::leap_at(int64_t midnight_ntp_s) const {
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].ntp_seconds != midnight_ntp_s) continue;
    return entries[i].tai_offset_s > entries[i - 1].tai_offset_s ? LeapKind::kInsert
                                                                 : LeapKind::kDelete;
  }
  return LeapKind::kNone;
}

int LeapTable::tai_offset_at(int64_t ntp_s) const {
  int offset = 0;
  for (const auto& e : entries) {
    if (e.ntp_seconds > ntp_s) break;
    offset = e.tai_offset_s;
  }
  return offset;
}

std::optional<LeapEntry> LeapTable::last_leap() const {
  if (entries.size() < 2) return std::nullopt;
  return entries.back();
}

Result<LeapTable> parse_leap_seconds_list(std::string_view text, std::string_view file_name) {
  return Parser(file_name).run(text);
}

std::optional<std::string> expiry_warning(const LeapTable& table, int64_t now_ntp_s,
                                          int warn_days) {
  if (table.expired(now_ntp_s)) {
    return fmt::format(
        "leap second file expired on {}: leap seconds now come from the servers only",
        date_of(table.expires_ntp_s));
  }
  if (table.expires_ntp_s - now_ntp_s <= int64_t{warn_days} * kSecondsPerDay) {
    return fmt::format("leap second file expires on {}: install a newer one",
                       date_of(table.expires_ntp_s));
  }
  return std::nullopt;
}

}  // namespace meridian::leap
