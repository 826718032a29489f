#include "tools/ntpdate/options.h"

#include <fmt/format.h>
#include <getopt.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "platform/command_line.h"

namespace meridian::ntpdate {

namespace {

enum LongOnly { kPort = 1000, kClock, kVirtualOffset, kInterval, kHelp, kVersion };

}  // namespace

std::string usage() {
  return "usage: ntpdate [-46bBdqsuv] [-a key] [-e authdelay] [-k keyfile] [-o version]\n"
         "               [-p samples] [-t timeout] [--port N] [--clock system|virtual|readonly]\n"
         "               [--virtual-offset S] [--interval S] server ...\n";
}

Result<Options> parse_options(const std::vector<std::string>& args) {
  platform::GetoptArgs argv(args);
  static const option kLong[] = {
      {"port", required_argument, nullptr, kPort},
      {"clock", required_argument, nullptr, kClock},
      {"virtual-offset", required_argument, nullptr, kVirtualOffset},
      {"interval", required_argument, nullptr, kInterval},
      {"help", no_argument, nullptr, kHelp},
      {"version", no_argument, nullptr, kVersion},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  const int argc = argv.argc();
  int c = 0;
  while ((c = getopt_long(argc, argv.argv(), "46bBdqsuva:e:k:o:p:t:", kLong, nullptr)) != -1) {
    switch (c) {
      case '4':
        o.family = net::Family::kIPv4;
        break;
      case '6':
        o.family = net::Family::kIPv6;
        break;
      case 'b':
        o.always_step = true;
        break;
      case 'B':
        o.always_slew = true;
        break;
      case 'd':
        o.debug = true;
        break;
      case 'q':
        o.query_only = true;
        break;
      case 's':
        o.use_syslog = true;
        break;
      case 'u':
        o.unprivileged_port = true;
        break;
      case 'v':
        o.verbose = true;
        break;
      case 'a': {
        auto v = platform::parse_integer(optarg, "-a", 1, 65535);
        if (!v) return v.error();
        o.key_id = static_cast<unsigned>(*v);
        break;
      }
      case 'e': {
        auto v = platform::parse_number(optarg, "-e");
        if (!v) return v.error();
        if (*v < 0 || *v > 1)
          return make_error(ErrorCode::kInvalidArgument, "option -e: authdelay must be 0..1 s");
        o.auth_delay_s = *v;
        break;
      }
      case 'k':
        o.key_file = optarg;
        break;
      case 'o': {
        auto v = platform::parse_integer(optarg, "-o", 1, 4);
        if (!v) return v.error();
        o.version = static_cast<int>(*v);
        break;
      }
      case 'p': {
        auto v = platform::parse_integer(optarg, "-p", 1, 8);
        if (!v) return v.error();
        o.samples = static_cast<int>(*v);
        break;
      }
      case 't': {
        auto v = platform::parse_number(optarg, "-t");
        if (!v) return v.error();
        if (*v <= 0 || *v > 60)
          return make_error(ErrorCode::kInvalidArgument, "option -t: timeout must be in (0, 60] s");
        o.timeout_s = *v;
        break;
      }
      case kPort: {
        auto v = platform::parse_integer(optarg, "--port", 1, 65535);
        if (!v) return v.error();
        o.port = static_cast<uint16_t>(*v);
        break;
      }
      case kClock:
        o.clock = optarg;
        break;
      case kVirtualOffset: {
        auto v = platform::parse_number(optarg, "--virtual-offset");
        if (!v) return v.error();
        o.virtual_offset_s = *v;
        break;
      }
      case kInterval: {
        auto v = platform::parse_number(optarg, "--interval");
        if (!v) return v.error();
        if (*v < 0.05 || *v > 64)
          return make_error(ErrorCode::kInvalidArgument,
                            "option --interval: must be in [0.05, 64] s");
        o.interval_s = *v;
        break;
      }
      case kHelp:
        o.show_help = true;
        break;
      case kVersion:
        o.show_version = true;
        break;
      default:
        return argv.unknown_option();
    }
  }
  for (int i = optind; i < argc; ++i) o.servers.emplace_back(argv.argv()[i]);
  if (o.always_step && o.always_slew) {
    return make_error(ErrorCode::kInvalidArgument, "-b and -B contradict each other");
  }
  if (o.clock != "system" && o.clock != "virtual" && o.clock != "readonly") {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("--clock {}: expected system, virtual or readonly", o.clock));
  }
  if (o.servers.empty() && !o.show_help && !o.show_version) {
    return make_error(ErrorCode::kInvalidArgument, "no servers can be used, exiting");
  }
  return o;
}

}  // namespace meridian::ntpdate
