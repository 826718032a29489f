#include "tests/support/ntpd_harness.h"

#include <fmt/format.h>

#include <chrono>
#include <regex>
#include <thread>

namespace meridian::testing {

std::unique_ptr<Process> start_ntpd(const std::string& bin_dir, const std::string& dir,
                                    const std::string& name, const std::string& config,
                                    uint16_t port, double offset_s, double freq_ppm) {
  const std::string path = dir + "/" + name + ".conf";
  write_file(path, config);
  auto p = std::make_unique<Process>(
      std::vector<std::string>{bin_dir + "/ntpd", "-n", "-c", path, "--port", std::to_string(port),
                               "--clock", "virtual", "--clock-offset", fmt::format("{}", offset_s),
                               "--clock-freq-ppm", fmt::format("{}", freq_ppm)},
      dir);
  p->wait_for_stderr("ready: ", 10);  // callers check running() and what it logged
  return p;
}

std::optional<std::pair<int, double>> probe_ntpd(const std::string& bin_dir, const std::string& dir,
                                                 uint16_t port, int samples) {
  const Completed c =
      run_command({bin_dir + "/ntpdate", "-q", "-p", std::to_string(samples), "--interval", "0.05",
                   "-t", "0.5", "--port", std::to_string(port), "127.0.0.1"},
                  dir);
  std::smatch m;
  if (c.status != 0 ||
      !std::regex_search(c.out, m, std::regex(R"(stratum (\d+), offset (-?\d+\.\d+))"))) {
    return std::nullopt;
  }
  return std::make_pair(std::stoi(m[1]), std::stod(m[2]));
}

}  // namespace meridian::testing
