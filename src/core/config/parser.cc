// The parser's driver: the directive table, includefile and the public entry points.
#include "core/config/parser.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/config/parse_context.h"
#include "core/config/path.h"
#include "core/config/values.h"

namespace meridian::config {

namespace internal {

namespace {

struct Directive {
  std::string_view name;
  Handler handler;
  // A line that cannot be parsed is fatal: skipping it could leave access
  // control weaker than written (restrict, keys, interface).
  bool fatal_on_failure;
};

constexpr Directive kDirectives[] = {
    {"server", parse_association, false},
    {"pool", parse_association, false},
    {"peer", parse_association, false},
    {"refclock", parse_refclock, false},
    {"fudge", parse_fudge, false},
    {"restrict", parse_restrict, true},
    {"unrestrict", parse_restrict, true},
    {"discard", parse_discard, false},
    {"mru", parse_mru, false},
    {"interface", parse_interface, true},
    {"nic", parse_interface, true},
    {"keys", parse_keys, true},
    {"trustedkey", parse_trustedkey, true},
    {"requestkey", parse_key_id, false},
    {"controlkey", parse_key_id, false},
    {"tinker", parse_tinker, false},
    {"tos", parse_tos, false},
    {"enable", parse_enable, false},
    {"disable", parse_enable, false},
    {"threads", parse_threads, false},
    {"nts", parse_nts, false},
    {"driftfile", parse_path, false},
    {"logfile", parse_path, false},
    {"leapfile", parse_path, false},
    {"statsdir", parse_path, false},
    {"statistics", parse_statistics, false},
    {"filegen", parse_filegen, false},
    {"logconfig", parse_logconfig, false},
    {"includefile", parse_includefile, false},
};

const Directive* find_directive(std::string_view name) {
  for (const Directive& d : kDirectives) {
    if (d.name == name) return &d;
  }
  static constexpr Directive kObsolete{"", parse_obsolete, false};
  static constexpr Directive kRefused{"", parse_refused, false};
  if (obsolete_reason(name) != nullptr) return &kObsolete;
  if (refused_reason(name) != nullptr) return &kRefused;
  return nullptr;
}

int brace_balance(const Statement& st) {
  int balance = 0;
  for (const Token& t : st.tokens) {
    if (t.quoted) continue;
    for (char c : t.text) balance += (c == '{') - (c == '}');
  }
  return balance;
}

}  // namespace

void ParseContext::parse_text(std::string_view text, const std::string& file) {
  const std::string outer = file_;
  file_ = file;
  const std::vector<Statement> statements = lex_config(text);
  int skip_block = 0;  // open braces of a refused `simulate { ... }` block
  for (const Statement& st : statements) {
    if (skip_block > 0) {
      skip_block += brace_balance(st);
      continue;
    }
    dispatch(st);
    if (!st.tokens.empty() && iequals(st.tokens.front().text, "simulate")) {
      skip_block = std::max(0, brace_balance(st));
    }
  }
  file_ = outer;
}

void ParseContext::dispatch(const Statement& st) {
  const std::string name = st.tokens.empty() ? std::string() : to_lower(st.tokens.front().text);
  const Directive* directive = find_directive(name);
  fail_is_fatal_ = directive != nullptr && directive->fatal_on_failure;
  if (!st.error.empty()) {
    fail(st.error_line, fmt::format("{}: {}", name, st.error));
    return;
  }
  if (directive == nullptr) {
    error(st.line, fmt::format("unknown directive '{}'; line ignored", st.tokens.front().text));
    return;
  }
  directive->handler(*this, st);
}

void ParseContext::include(const std::string& path, int line) {
  const std::string resolved = normalize_path(join_path(parent_directory(file_), path));
  if (!may_include(resolved, path, line)) return;
  auto content = files_.read(resolved);
  if (content.ok()) {
    include_content(resolved, *content);
    return;
  }
  auto listing = files_.list_directory(resolved);
  if (!listing.ok()) {
    // A file that does not exist is what classic ntpd shrugs off (the stock
    // Red Hat ntp.conf includes /etc/ntp/crypto/pw, absent elsewhere): a
    // warning, so `ntpd --check` passes such a config. Unreadable is an error.
    const std::string message =
        fmt::format("includefile {}: cannot read ({}); skipped", path, content.error().message);
    if (content.error().code == ErrorCode::kUnavailable)
      warning(line, message);
    else
      error(line, message);
    return;
  }
  // NTPsec: a directory means every *.conf file in it, in name order.
  std::vector<std::string> names;
  for (const std::string& name : *listing) {
    if (name.size() > 5 && name.front() != '.' && name.ends_with(".conf")) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  if (names.empty())
    warning(line, fmt::format("includefile {}: no *.conf files in directory", path));
  for (const std::string& name : names) {
    const std::string file = join_path(resolved, name);
    const std::string as_written = join_path(path, name);
    if (!may_include(file, as_written, line)) continue;
    auto file_content = files_.read(file);
    if (!file_content.ok()) {
      error(line, fmt::format("includefile {}: cannot read ({}); skipped", as_written,
                              file_content.error().message));
      continue;
    }
    include_content(file, *file_content);
  }
}

bool ParseContext::may_include(const std::string& resolved, const std::string& as_written,
                               int line) {
  if (std::find(include_stack_.begin(), include_stack_.end(), resolved) != include_stack_.end()) {
    std::string chain;
    for (const std::string& f : include_stack_) chain += f + " -> ";
    error(line, fmt::format("includefile {}: include loop ({}{}); not read again", as_written,
                            chain, resolved));
    return false;
  }
  if (include_stack_.size() > static_cast<size_t>(kMaxIncludeDepth)) {
    error(line, fmt::format("includefile {}: includes nested deeper than {} levels; not read",
                            as_written, kMaxIncludeDepth));
    return false;
  }
  if (included_files_ >= kMaxIncludedFiles) {
    // Said once: every later includefile line hits the same limit.
    if (included_files_++ == kMaxIncludedFiles) {
      error(line, fmt::format("includefile {}: more than {} files included; this and every later "
                              "includefile are not read",
                              as_written, kMaxIncludedFiles));
    }
    return false;
  }
  return true;
}

void ParseContext::include_content(const std::string& resolved, std::string_view content) {
  ++included_files_;
  include_stack_.push_back(resolved);
  parse_text(content, resolved);
  include_stack_.pop_back();
}

void parse_includefile(ParseContext& ctx, const Statement& st) {
  Args args(st);
  if (args.done()) {
    ctx.fail(st.line, "includefile: missing file name");
    return;
  }
  const Token& path = args.take();
  if (!args.done()) {
    ctx.warning(args.line(), fmt::format("includefile: extra '{}' ignored", args.peek().text));
  }
  ctx.include(path.text, path.line);
}

}  // namespace internal

Config parse_config_text(std::string_view text, const std::string& filename, FileSource& files) {
  Config config;
  config.file = filename;
  internal::ParseContext ctx(config, files);
  ctx.push_file(internal::normalize_path(filename));
  ctx.parse_text(text, filename);
  internal::apply_fudges(ctx);
  internal::load_keys(ctx);
  return config;
}

Result<Config> parse_config_file(const std::string& path, FileSource& files) {
  auto text = files.read(path);
  if (!text.ok()) return text.error();
  return parse_config_text(*text, path, files);
}

}  // namespace meridian::config
