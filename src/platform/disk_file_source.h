// config::FileSource over the real filesystem.
#pragma once

#include "core/config/file_source.h"

namespace meridian::platform {

class DiskFileSource final : public config::FileSource {
 public:
  Result<std::string> read(const std::string& path) override;
  Result<std::vector<std::string>> list_directory(const std::string& dir) override;
};

// True when `path` exists (any file type).
bool path_exists(const std::string& path);

}  // namespace meridian::platform
