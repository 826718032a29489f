#include "platform/disk_file_source.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace meridian::platform {

namespace {

constexpr size_t kMaxConfigFile = 64 * 1024 * 1024;  // refuse absurd files, never OOM

Error file_error(const std::string& path, int err) {
  ErrorCode code = ErrorCode::kIo;
  if (err == ENOENT || err == ENOTDIR) code = ErrorCode::kUnavailable;
  if (err == EACCES || err == EPERM) code = ErrorCode::kPermissionDenied;
  if (err == EISDIR) code = ErrorCode::kInvalidArgument;
  return make_error(code, fmt::format("{}: {}", path, std::strerror(err)));
}

}  // namespace

Result<std::string> DiskFileSource::read(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) < 0) return file_error(path, errno);
  if (S_ISDIR(st.st_mode)) return file_error(path, EISDIR);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) return file_error(path, errno);
  std::string content;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f.get())) > 0) {
    content.append(buf, n);
    if (content.size() > kMaxConfigFile) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: larger than 64 MiB", path));
    }
  }
  if (std::ferror(f.get())) return file_error(path, EIO);
  return content;
}

Result<std::vector<std::string>> DiskFileSource::list_directory(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) return file_error(dir, errno);
  std::vector<std::string> names;
  while (dirent* e = readdir(d.get())) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  return names;
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

}  // namespace meridian::platform
