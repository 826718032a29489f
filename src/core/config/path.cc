#include "core/config/path.h"

#include <vector>

namespace meridian::config::internal {

std::string parent_directory(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return "";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string join_path(std::string_view dir, std::string_view path) {
  if (dir.empty() || (!path.empty() && path.front() == '/')) return std::string(path);
  std::string out(dir);
  if (out.back() != '/') out += '/';
  out += path;
  return out;
}

std::string normalize_path(std::string_view path) {
  const bool absolute = !path.empty() && path.front() == '/';
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view part = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
        continue;
      }
      if (absolute) continue;  // "/.." is "/"
    }
    parts.push_back(part);
  }
  // Built by appending (not from a conditional literal): g++ 12 -O2 reports a
  // false -Wrestrict for `std::string out = c ? "/" : ""; out += ...`.
  std::string out;
  if (absolute) out.push_back('/');
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  if (out.empty()) out.push_back('.');  // push_back, not `= "."`: same g++ 12 false positive
  return out;
}

}  // namespace meridian::config::internal
