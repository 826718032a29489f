#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "platform/udp_socket.h"

namespace meridian::testing {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int counter = 0;

}  // namespace

Process::Process(const std::vector<std::string>& argv, const std::string& dir,
                 const std::vector<std::string>& env) {
  const int n = ++counter;
  out_path_ = dir + "/proc" + std::to_string(n) + ".out";
  err_path_ = dir + "/proc" + std::to_string(n) + ".err";
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));  // the child's copy
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

Process::~Process() {
  if (running()) {
    kill(pid_, SIGKILL);
    wait(5);
  }
}

void Process::signal(int sig) const { kill(pid_, sig); }

bool Process::running() {
  if (status_) return false;
  int st = 0;
  const pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    return false;
  }
  return r == 0;
}

std::optional<int> Process::wait(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

bool Process::wait_for_stderr(const std::string& needle, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    if (stderr_text().find(needle) != std::string::npos) return true;
    if (!running() || std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string Process::stdout_text() const { return slurp(out_path_); }
std::string Process::stderr_text() const { return slurp(err_path_); }

Completed run_command(const std::vector<std::string>& argv, const std::string& dir,
                      double timeout_s) {
  Process p(argv, dir);
  Completed c;
  auto st = p.wait(timeout_s);
  c.status = st.value_or(-1000);
  c.out = p.stdout_text();
  c.err = p.stderr_text();
  return c;
}

uint16_t free_udp_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto s = platform::UdpSocket::bind({net::IpAddress::v4_loopback(), 0});
    if (!s) continue;
    const uint16_t port = s->local_endpoint()->port;
    auto v6 = platform::UdpSocket::bind({*net::IpAddress::parse("::1"), port});
    if (v6 || v6.error().code == ErrorCode::kUnsupported) return port;
  }
  throw std::runtime_error("no free UDP port");
}

std::string make_temp_dir() {
  std::string tmpl = "/tmp/meridian-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path);
  f << content;
}

}  // namespace meridian::testing
