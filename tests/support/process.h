// Starting the real binaries from tests: spawn with arguments, capture
// stdout/stderr to files, signal, wait with a bound.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace meridian::testing {

class Process {
 public:
  // Starts argv[0] with stdout/stderr redirected to files in `dir`, with
  // `env` ("KEY=VALUE") added to the inherited environment.
  Process(const std::vector<std::string>& argv, const std::string& dir,
          const std::vector<std::string>& env = {});
  ~Process();  // SIGKILLs the process if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // Exit status, or nullopt if it did not exit within timeout_s (or died by signal → -signo).
  std::optional<int> wait(double timeout_s);
  bool running();
  std::string stdout_text() const;
  std::string stderr_text() const;
  // Polls stderr until it contains `needle`: false if the process exits or
  // timeout_s passes first.
  bool wait_for_stderr(const std::string& needle, double timeout_s);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_path_, err_path_;
};

// Runs a command to completion (bounded) and captures everything.
struct Completed {
  int status = -1;
  std::string out, err;
};
Completed run_command(const std::vector<std::string>& argv, const std::string& dir,
                      double timeout_s = 30);

// A UDP port that was free a moment ago on 127.0.0.1 and ::1.
uint16_t free_udp_port();

// A fresh temporary directory.
std::string make_temp_dir();
void write_file(const std::string& path, const std::string& content);

}  // namespace meridian::testing
