// meridian-nts-ke-probe: one NTS-KE exchange with our client (platform/
// nts_ke_client), for the interop shell tests against chronyd and NTPsec.
//   meridian-nts-ke-probe --host NAME [--address IP] [--port N] [--ca FILE]
//                         [--no-check-time] [--timeout-ms MS]
// Prints "ok cookies=N cookie_bytes=B c2s=HEX s2c=HEX [server=S] [port=P]"
// and exits 0, or "error: MESSAGE" on stderr and exits 1 (2 on usage errors).
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "platform/nts_ke_client.h"

namespace {

std::string hex(const std::array<std::byte, meridian::nts::kKeySize>& key) {
  std::string out;
  for (std::byte b : key) out += fmt::format("{:02x}", std::to_integer<unsigned>(b));
  return out;
}

int usage() {
  std::fprintf(stderr,
               "usage: meridian-nts-ke-probe --host NAME [--address IP] [--port N] [--ca FILE] "
               "[--no-check-time] [--timeout-ms MS]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace meridian;
  platform::NtsKeClientOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string opt = argv[i];
    if (opt == "--no-check-time") {
      o.check_time = false;
      continue;
    }
    if (i + 1 >= argc) return usage();
    const std::string v = argv[++i];
    if (opt == "--host") {
      o.host = v;
    } else if (opt == "--address") {
      o.address = net::IpAddress::parse(v);
      if (!o.address) return usage();
    } else if (opt == "--port") {
      o.port = static_cast<uint16_t>(std::atoi(v.c_str()));
    } else if (opt == "--ca") {
      o.ca_file = v;
    } else if (opt == "--timeout-ms") {
      o.timeout_ms = std::atoll(v.c_str());
    } else {
      return usage();
    }
  }
  if (o.host.empty()) return usage();
  auto r = platform::nts_ke_exchange(o);
  if (!r) {
    std::fprintf(stderr, "error: %s\n", r.error().message.c_str());
    return 1;
  }
  size_t bytes = 0;
  for (const auto& c : r->cookies) bytes += c.size();
  std::string line = fmt::format("ok cookies={} cookie_bytes={} c2s={} s2c={}", r->cookies.size(),
                                 bytes, hex(r->keys.c2s), hex(r->keys.s2c));
  if (r->server) line += " server=" + *r->server;
  if (r->port) line += fmt::format(" port={}", *r->port);
  std::printf("%s\n", line.c_str());
  return 0;
}
