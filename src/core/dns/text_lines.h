// Line and field splitting shared by the hosts(5) and resolv.conf(5) parsers.
#pragma once

#include <string_view>
#include <vector>

namespace meridian::dns {

// The whitespace-separated fields of one line, up to the first comment
// character (any of `comment_chars`).
std::vector<std::string_view> split_fields(std::string_view line, std::string_view comment_chars);

// Calls `on_line(line)` for each '\n'-separated line of `text` ('\r' stripped).
template <typename F>
void for_each_line(std::string_view text, F&& on_line) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    on_line(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

}  // namespace meridian::dns
