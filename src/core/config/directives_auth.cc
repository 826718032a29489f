// Symmetric-key authentication directives: keys, trustedkey, requestkey,
// controlkey; and loading the key file named by `keys`.
#include <fmt/format.h>

#include "core/config/key_file.h"
#include "core/config/parse_context.h"
#include "core/config/values.h"

namespace meridian::config::internal {

namespace {

constexpr int64_t kMaxKeyId = 65535;

// The trustedkey list as a character stream, so that "(5 ... 9)", "(5...9)"
// and "( 5 ... 9 )" all read the same.
struct KeyListScanner {
  std::string text;
  std::vector<int> lines;  // line of each character
  size_t pos = 0;

  void skip_blanks() {
    while (pos < text.size() && text[pos] == ' ') ++pos;
  }
  int line() const { return lines.empty() ? 0 : lines[std::min(pos, lines.size() - 1)]; }
  bool at_end() {
    skip_blanks();
    return pos >= text.size();
  }
  bool take(std::string_view s) {
    skip_blanks();
    if (text.compare(pos, s.size(), s) != 0) return false;
    pos += s.size();
    return true;
  }
  // A run of characters up to a blank, paren or "...".
  std::string word() {
    skip_blanks();
    const size_t start = pos;
    while (pos < text.size() && text[pos] != ' ' && text[pos] != '(' && text[pos] != ')' &&
           text.compare(pos, 3, "...") != 0) {
      ++pos;
    }
    return text.substr(start, pos - start);
  }
};

}  // namespace

void parse_keys(ParseContext& ctx, const Statement& st) {
  Args args(st);
  if (args.done()) {
    ctx.fail(st.line, "keys: missing key file name");
    return;
  }
  const Token& path = args.take();
  if (!args.done()) {
    ctx.fail(args.line(),
             fmt::format("keys: unexpected '{}' after the file name", args.peek().text));
    return;
  }
  Config& config = ctx.config();
  if (config.keys_file) {
    const SourceLocation& before = config.locations["keys"];
    ctx.warning(st.line, fmt::format("keys: already set to {} at {}:{}; this line wins",
                                     *config.keys_file, before.file, before.line));
  }
  config.keys_file = path.text;
  ctx.set_location("keys", st.line);
}

void parse_trustedkey(ParseContext& ctx, const Statement& st) {
  KeyListScanner scan;
  for (size_t i = 1; i < st.tokens.size(); ++i) {
    scan.text += st.tokens[i].text;
    scan.text += ' ';
    scan.lines.insert(scan.lines.end(), st.tokens[i].text.size() + 1, st.tokens[i].line);
  }
  if (scan.at_end()) {
    ctx.warning(st.line, "trustedkey: no key ids given");
    return;
  }
  std::vector<uint32_t> ids;
  auto key_id = [&](std::optional<uint32_t>& out) {
    scan.skip_blanks();
    const int line = scan.line();
    const std::string w = scan.word();
    if (w.empty()) {
      ctx.fail(line, "trustedkey: expected a key id");
      return false;
    }
    const auto v = parse_integer(w);
    if (!v || w.find_first_not_of("0123456789") != std::string::npos || *v < 1 || *v > kMaxKeyId) {
      ctx.fail(line, fmt::format("trustedkey: '{}' is not a key id (1..{})", w, kMaxKeyId));
      return false;
    }
    out = static_cast<uint32_t>(*v);
    return true;
  };
  while (!scan.at_end()) {
    std::optional<uint32_t> first;
    if (!scan.take("(")) {
      if (!key_id(first)) return;
      ids.push_back(*first);
      continue;
    }
    std::optional<uint32_t> last;
    scan.skip_blanks();
    const int line = scan.line();
    if (!key_id(first)) return;
    if (!scan.take("...")) {
      ctx.fail(scan.line(), "trustedkey: a range is written (FIRST ... LAST)");
      return;
    }
    if (!key_id(last)) return;
    if (!scan.take(")")) {
      ctx.fail(scan.line(), "trustedkey: missing ')' after a range");
      return;
    }
    if (*first > *last) {
      ctx.fail(line, fmt::format("trustedkey: empty range ({} ... {})", *first, *last));
      return;
    }
    for (uint32_t id = *first; id <= *last; ++id) ids.push_back(id);
  }
  if (!ctx.config().locations.count("trustedkey")) ctx.set_location("trustedkey", st.line);
  ctx.config().trusted_keys.insert(ids.begin(), ids.end());
}

void parse_key_id(ParseContext& ctx, const Statement& st) {
  Args args(st);
  const std::string who = to_lower(st.tokens.front().text);
  if (args.done()) {
    ctx.fail(st.line, fmt::format("{}: missing key id", who));
    return;
  }
  const Token& value = args.take();
  auto id = integer_value("key id", value, 1, kMaxKeyId);
  if (!id.ok()) {
    ctx.fail(value.line, fmt::format("{}: {}", who, id.error().message));
    return;
  }
  if (!args.done()) {
    ctx.warning(args.line(), fmt::format("{}: extra '{}' ignored", who, args.peek().text));
  }
  const auto key = static_cast<uint32_t>(*id);
  ctx.set_location(who, st.line);
  ctx.no_effect(st.line, who,
                who == "requestkey"
                    ? "mode 7 (ntpdc) requests are never answered"
                    : "mode 6 writes (ntpq :config, setvar, traps) are refused to everyone");
  if (who == "requestkey") {
    ctx.config().request_key = key;
  } else {
    ctx.config().control_key = key;
  }
}

void load_keys(ParseContext& ctx) {
  Config& config = ctx.config();
  if (!config.keys_file) return;
  auto text = ctx.files().read(*config.keys_file);
  if (!text.ok()) {
    // Classic ntpd starts without keys; authenticated associations then fail
    // (lint names each key that is used but not defined). A key file that
    // does not exist is a warning, as for a missing includefile (the stock
    // Red Hat ntp.conf names /etc/ntp/keys); one we cannot read is an error.
    const auto severity = text.error().code == ErrorCode::kUnavailable
                              ? Diagnostic::Severity::kWarning
                              : Diagnostic::Severity::kError;
    config.diagnostics.push_back(
        Diagnostic{severity, config.locations["keys"],
                   fmt::format("keys: cannot read key file ({})", text.error().message)});
    return;
  }
  KeyFile keys = scan_key_file(*text, *config.keys_file);
  for (Diagnostic& d : keys.diagnostics) {
    // A key file with errors is fatal: which keys would be missing is unknowable.
    if (d.severity == Diagnostic::Severity::kError) d.severity = Diagnostic::Severity::kFatal;
    config.diagnostics.push_back(std::move(d));
  }
  config.keys = std::move(keys.keys);
}

}  // namespace meridian::config::internal
