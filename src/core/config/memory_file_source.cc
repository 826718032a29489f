#include <fmt/format.h>

#include <set>

#include "core/config/file_source.h"

namespace meridian::config {

namespace {

std::string as_directory_prefix(const std::string& dir) {
  std::string prefix = dir;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  if (prefix != "/") prefix += '/';
  return prefix;
}

}  // namespace

Result<std::string> MemoryFileSource::read(const std::string& path) {
  if (auto it = files_.find(path); it != files_.end()) return it->second;
  const std::string prefix = as_directory_prefix(path);
  auto below = files_.lower_bound(prefix);
  if (below != files_.end() && below->first.compare(0, prefix.size(), prefix) == 0) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: is a directory", path));
  }
  return make_error(ErrorCode::kUnavailable, fmt::format("{}: no such file", path));
}

Result<std::vector<std::string>> MemoryFileSource::list_directory(const std::string& dir) {
  const std::string prefix = as_directory_prefix(dir);
  std::set<std::string> names;
  for (auto it = files_.lower_bound(prefix);
       it != files_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    const std::string rest = it->first.substr(prefix.size());
    if (rest.empty()) continue;
    names.insert(rest.substr(0, rest.find('/')));
  }
  if (names.empty()) {
    return make_error(ErrorCode::kUnavailable, fmt::format("{}: no such directory", dir));
  }
  return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace meridian::config
