// Internal to the parser: the state shared by the directive handlers
// (directives_*.cc) while one configuration (with its includes) is parsed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/config/file_source.h"
#include "core/config/lexer.h"
#include "core/result.h"

namespace meridian::config::internal {

// A `fudge 127.127.T.U ...` line, applied after the whole file is read
// because it may come before or after its `server` line.
struct PendingFudge {
  std::string address;  // "127.127.1.0"
  int type = 0;         // T
  int unit = 0;         // U
  std::optional<int> stratum;
  std::optional<std::string> refid;
  std::map<std::string, std::string> options;  // time1, flag2, ... as written
  SourceLocation where;
};

class ParseContext {
 public:
  ParseContext(Config& config, FileSource& files) : config_(config), files_(files) {}

  Config& config() { return config_; }
  FileSource& files() { return files_; }
  const std::string& file() const { return file_; }
  SourceLocation at(int line) const { return SourceLocation{file_, line}; }

  void warning(int line, std::string message);
  void error(int line, std::string message);  // never fatal
  // Accepted but without effect in Meridian: the one warning format for all
  // of them, "'WHAT' has no effect in Meridian: REASON" (docs/ntp.conf.md
  // lists every such directive and option).
  void no_effect(int line, std::string_view what, std::string_view reason);
  // Cannot be honoured and must not be ignored (it would silently weaken
  // security, e.g. `server HOST nts` used as plain NTP): kFatal, so ntpd
  // refuses to start and `ntpd --check` fails.
  void fatal(int line, std::string message);
  // The statement cannot be used: kFatal for restrict/unrestrict, keys,
  // trustedkey and interface/nic lines; otherwise a kError with "; line
  // ignored" appended.
  void fail(int line, std::string message);

  // Parses `text` as the content of `file`, which the caller has pushed on
  // the include stack.
  void parse_text(std::string_view text, const std::string& file);
  void push_file(const std::string& normalized_path) { include_stack_.push_back(normalized_path); }
  // includefile PATH (as written on `line`): a file, or a directory whose
  // *.conf files are read in name order.
  void include(const std::string& path, int line);

  std::vector<PendingFudge> fudges;
  // Records where single-valued `directive` was set (Config::locations).
  void set_location(const std::string& directive, int line) {
    config_.locations[directive] = at(line);
  }

 private:
  void dispatch(const Statement& statement);
  bool may_include(const std::string& resolved, const std::string& as_written, int line);
  void include_content(const std::string& resolved, std::string_view content);

  Config& config_;
  FileSource& files_;
  std::string file_;
  bool fail_is_fatal_ = false;
  std::vector<std::string> include_stack_;  // normalized paths, outermost first
  int included_files_ = 0;
};

// The arguments after the directive word.
class Args {
 public:
  explicit Args(const Statement& statement) : tokens_(statement.tokens) {}
  bool done() const { return next_ >= tokens_.size(); }
  // REQUIRES: !done().
  const Token& peek() const { return tokens_[next_]; }
  const Token& take() { return tokens_[next_++]; }
  // Takes the next token when it equals `keyword` (case-insensitive).
  bool take_if(std::string_view keyword);
  // Takes a leading "-4"/"-6".
  std::optional<net::Family> take_family();
  // The line of the next token, or of the last one when done.
  int line() const { return done() ? tokens_.back().line : tokens_[next_].line; }

 private:
  const std::vector<Token>& tokens_;
  size_t next_ = 1;
};

// "minpoll 99 is out of range (3..17)" / "minpoll 'x' is not a number".
Result<int64_t> integer_value(std::string_view option, const Token& value, int64_t lo, int64_t hi);
Result<double> number_value(std::string_view option, const Token& value, double lo, double hi);

// Directive handlers (the table is in parser.cc).
using Handler = void (*)(ParseContext&, const Statement&);
void parse_association(ParseContext& ctx, const Statement& st);  // server, pool, peer
void parse_refclock(ParseContext& ctx, const Statement& st);     // NTPsec refclock
void parse_fudge(ParseContext& ctx, const Statement& st);
void apply_fudges(ParseContext& ctx);
void parse_restrict(ParseContext& ctx, const Statement& st);  // restrict, unrestrict
void parse_discard(ParseContext& ctx, const Statement& st);
void parse_mru(ParseContext& ctx, const Statement& st);
void parse_interface(ParseContext& ctx, const Statement& st);  // interface, nic
void parse_keys(ParseContext& ctx, const Statement& st);
void parse_trustedkey(ParseContext& ctx, const Statement& st);
void parse_key_id(ParseContext& ctx, const Statement& st);  // requestkey, controlkey
void parse_tinker(ParseContext& ctx, const Statement& st);
void parse_tos(ParseContext& ctx, const Statement& st);
void parse_enable(ParseContext& ctx, const Statement& st);  // enable, disable
void parse_threads(ParseContext& ctx, const Statement& st);
void parse_nts(ParseContext& ctx, const Statement& st);   // nts enable|cert|key|ca|cookie|port
void parse_path(ParseContext& ctx, const Statement& st);  // driftfile logfile leapfile statsdir
void parse_statistics(ParseContext& ctx, const Statement& st);
void parse_filegen(ParseContext& ctx, const Statement& st);
void parse_logconfig(ParseContext& ctx, const Statement& st);
void parse_includefile(ParseContext& ctx, const Statement& st);
void parse_obsolete(ParseContext& ctx, const Statement& st);  // accepted and ignored
void parse_refused(ParseContext& ctx, const Statement& st);   // recognised, not supported

// Obsolete/refused directives: the reason given in the diagnostic, or
// nullptr when `name` (lower case) is not one.
const char* obsolete_reason(std::string_view name);
const char* refused_reason(std::string_view name);

// Reads the `keys` file named by config.keys_file into config.keys.
void load_keys(ParseContext& ctx);

}  // namespace meridian::config::internal
