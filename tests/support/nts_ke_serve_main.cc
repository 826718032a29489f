// meridian-nts-ke-serve: our NTS-KE server (platform/nts_ke_server) as a
// program, for the interop shell tests with chronyd and NTPsec as KE clients.
// Cookies are 100 random bytes each (no NTS-for-NTP here: the test checks
// the key establishment only).
//   meridian-nts-ke-serve --cert FILE --key FILE --port N [--address IP]...
//                         [--ntp-server NAME] [--ntp-port N] [--seconds S]
// Prints "listening ADDR:PORT" per address, then serves until SIGTERM/SIGINT
// or S seconds (default 60) and prints the counters:
// "connections=C handshakes=H keys_issued=K tls_failures=T bad_requests=B
//  refusals=R internal_errors=I timeouts=O". Exit 1 if it cannot start.
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "platform/nts_ke_server.h"
#include "platform/random_os.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  using namespace meridian;
  platform::NtsKeServerConfig cfg;
  uint16_t port = 0;
  std::vector<net::IpAddress> addresses;
  double seconds = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    const std::string v = argv[i + 1];
    if (opt == "--cert") {
      cfg.cert_file = v;
    } else if (opt == "--key") {
      cfg.key_file = v;
    } else if (opt == "--port") {
      port = static_cast<uint16_t>(std::atoi(v.c_str()));
    } else if (opt == "--address") {
      auto a = net::IpAddress::parse(v);
      if (!a) return 2;
      addresses.push_back(*a);
    } else if (opt == "--ntp-server") {
      cfg.ntp_server = v;
    } else if (opt == "--ntp-port") {
      cfg.ntp_port = static_cast<uint16_t>(std::atoi(v.c_str()));
    } else if (opt == "--seconds") {
      seconds = std::atof(v.c_str());
    } else {
      std::fprintf(stderr, "unknown option %s\n", opt.c_str());
      return 2;
    }
  }
  if (addresses.empty()) addresses.push_back(net::IpAddress::v4_loopback());
  for (const auto& a : addresses) cfg.listen.push_back({a, port});
  cfg.make_cookies = [](const nts::NtsKeys&) -> Result<std::vector<std::vector<std::byte>>> {
    platform::OsRandom random;
    std::vector<std::vector<std::byte>> cookies(8);
    for (auto& c : cookies) {
      for (int i = 0; i < 100; i += 8) {
        const uint64_t r = random.next_u64();
        for (int b = 0; b < 8 && i + b < 100; ++b)
          c.push_back(static_cast<std::byte>(r >> (8 * b)));
      }
    }
    return cookies;
  };
  cfg.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  auto server = platform::NtsKeServer::create(std::move(cfg));
  if (!server) {
    std::fprintf(stderr, "error: %s\n", server.error().message.c_str());
    return 1;
  }
  for (const auto& w : (*server)->warnings()) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (auto st = (*server)->start(); !st) {
    std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
    return 1;
  }
  for (const auto& ep : (*server)->bound()) std::printf("listening %s\n", ep.to_string().c_str());
  std::fflush(stdout);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!g_stop && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  (*server)->stop();
  const auto c = (*server)->counters();
  std::printf(
      "connections=%llu handshakes=%llu keys_issued=%llu tls_failures=%llu bad_requests=%llu "
      "refusals=%llu internal_errors=%llu timeouts=%llu\n",
      static_cast<unsigned long long>(c.connections), static_cast<unsigned long long>(c.handshakes),
      static_cast<unsigned long long>(c.keys_issued),
      static_cast<unsigned long long>(c.tls_failures),
      static_cast<unsigned long long>(c.bad_requests), static_cast<unsigned long long>(c.refusals),
      static_cast<unsigned long long>(c.internal_errors),
      static_cast<unsigned long long>(c.timeouts));
  return 0;
}
