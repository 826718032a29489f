// Lexical path arithmetic for includefile (no file system access: symlinks
// are not resolved, so include loops through links are caught by the depth
// limit rather than by name).
#pragma once

#include <string>
#include <string_view>

namespace meridian::config::internal {

// "/etc/ntp.conf" → "/etc"; "ntp.conf" → ""; "/ntp.conf" → "/".
std::string parent_directory(std::string_view path);

// `path` if absolute or `dir` empty, else dir/path.
std::string join_path(std::string_view dir, std::string_view path);

// Removes "." and empty components, folds "x/.." and drops a trailing slash:
// "/etc//ntp/./a/../b.conf" → "/etc/ntp/b.conf"; "../x" stays "../x".
std::string normalize_path(std::string_view path);

}  // namespace meridian::config::internal
