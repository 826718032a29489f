#include "core/dns/text_lines.h"

namespace meridian::dns {

std::vector<std::string_view> split_fields(std::string_view line, std::string_view comment_chars) {
  if (const size_t c = line.find_first_of(comment_chars); c != std::string_view::npos) {
    line = line.substr(0, c);
  }
  std::vector<std::string_view> fields;
  constexpr std::string_view kSpace = " \t\v\f\r";
  while (true) {
    const size_t start = line.find_first_not_of(kSpace);
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    const size_t end = line.find_first_of(kSpace);
    fields.push_back(line.substr(0, end));
    if (end == std::string_view::npos) break;
    line.remove_prefix(end);
  }
  return fields;
}

}  // namespace meridian::dns
