// File access for the config parser. The core never opens files (DESIGN.md
// §1): whoever parses ntp.conf passes a FileSource. The daemon uses the disk
// implementation in src/platform; tests and fuzzers use MemoryFileSource.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace meridian::config {

class FileSource {
 public:
  virtual ~FileSource() = default;
  // The whole content of the regular file `path` (as given: absolute, or
  // relative to the process's working directory). Errors: kUnavailable when it
  // does not exist, kPermissionDenied, kInvalidArgument when it is a
  // directory, kIo otherwise. The message names the path.
  virtual Result<std::string> read(const std::string& path) = 0;
  // The names (not paths) of the entries of directory `dir`, in any order,
  // without "." and "..". An error when `dir` is not a readable directory.
  virtual Result<std::vector<std::string>> list_directory(const std::string& dir) = 0;
};

// Files held in memory, keyed by path exactly as the parser will ask for it
// (the parser normalizes paths lexically: "/etc/./ntp/../ntp.conf" is asked
// for as "/etc/ntp.conf"). A directory exists when some file lies under it.
class MemoryFileSource final : public FileSource {
 public:
  MemoryFileSource() = default;
  explicit MemoryFileSource(std::map<std::string, std::string> files) : files_(std::move(files)) {}

  void add(const std::string& path, std::string content) { files_[path] = std::move(content); }

  Result<std::string> read(const std::string& path) override;
  Result<std::vector<std::string>> list_directory(const std::string& dir) override;

 private:
  std::map<std::string, std::string> files_;
};

}  // namespace meridian::config
