// meridian-test-responder: the test responder as a program, for the README
// demo and shell tests. Serves on 127.0.0.1 until killed or --seconds pass.
//   meridian-test-responder --port N [--offset S] [--stratum N] [--leap N] [--kiss CODE] [--seconds
//   S]
#include <fmt/format.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "tests/support/ntp_responder.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  using namespace meridian;
  testing::ResponderBehaviour b;
  uint16_t port = 0;
  double seconds = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    const char* v = argv[i + 1];
    if (opt == "--port")
      port = static_cast<uint16_t>(std::atoi(v));
    else if (opt == "--offset")
      b.offset_s = std::atof(v);
    else if (opt == "--stratum")
      b.stratum = static_cast<uint8_t>(std::atoi(v));
    else if (opt == "--leap")
      b.leap = static_cast<wire::LeapIndicator>(std::atoi(v) & 3);
    else if (opt == "--kiss" && std::strlen(v) == 4) {
      b.kiss = uint32_t{static_cast<uint8_t>(v[0])} << 24 |
               uint32_t{static_cast<uint8_t>(v[1])} << 16 |
               uint32_t{static_cast<uint8_t>(v[2])} << 8 | uint32_t{static_cast<uint8_t>(v[3])};
    } else if (opt == "--seconds")
      seconds = std::atof(v);
    else {
      fmt::print(stderr, "meridian-test-responder: unknown option {}\n", opt);
      return 2;
    }
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  testing::NtpResponder responder(b, net::IpAddress::v4_loopback(), port);
  fmt::print("meridian-test-responder: serving on 127.0.0.1:{} with offset {:+.6f} s, stratum {}\n",
             responder.port(), b.offset_s, b.stratum);
  std::fflush(stdout);
  // Bounded lifetime: a forgotten demo responder exits on its own.
  for (int i = 0; i < static_cast<int>(seconds * 10) && !g_stop; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}
