// The CPU time a process has used, all its threads, from
// /proc/PID/task/*/schedstat (nanoseconds, exact; /proc/PID/stat counts
// 10 ms ticks). For the load generator's --server-pid: the server's CPU over
// the measured phase only.
#pragma once

#include <dirent.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace meridian::bench {

// 0 when the process is gone or /proc is unreadable.
inline int64_t server_cpu_ns(int pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return 0;
  int64_t total = 0;
  // Bounded: a process has at most a few thousand threads.
  for (int i = 0; i < 100000; ++i) {
    const dirent* e = readdir(d);
    if (e == nullptr) break;
    if (e->d_name[0] == '.') continue;
    const std::string path = dir + "/" + e->d_name + "/schedstat";
    FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) continue;
    long long ns = 0;
    if (std::fscanf(f, "%lld", &ns) == 1) total += ns;
    std::fclose(f);
  }
  closedir(d);
  return total;
}

}  // namespace meridian::bench
