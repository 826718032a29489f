#include "daemon/options.h"

#include <fmt/format.h>
#include <getopt.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "platform/command_line.h"

namespace meridian::daemon {

namespace {

enum LongOnly {
  kPort = 1000,
  kCheck,
  kPrintDefault,
  kClock,
  kVirtualOffset,
  kVirtualFreq,
  kHelp,
  kVersion,
  kNoSeccomp,
  kThreads
};

}  // namespace

std::string usage() {
  return "usage: ntpd [-46dgnNqx] [-c conffile] [-l logfile] [-p pidfile] [-u user[:group]]\n"
         "            [--port N] [--check] [--print-default-config]\n"
         "            [--clock system|virtual|readonly] [--clock-offset S] [--clock-freq-ppm P]\n"
         "            [--no-seccomp] [--threads N]\n";
}

Result<Options> parse_options(const std::vector<std::string>& args) {
  platform::GetoptArgs argv(args);
  static const option kLong[] = {
      {"port", required_argument, nullptr, kPort},
      {"check", no_argument, nullptr, kCheck},
      {"print-default-config", no_argument, nullptr, kPrintDefault},
      {"clock", required_argument, nullptr, kClock},
      {"virtual-offset", required_argument, nullptr, kVirtualOffset},
      {"clock-offset", required_argument, nullptr, kVirtualOffset},
      {"clock-freq-ppm", required_argument, nullptr, kVirtualFreq},
      {"help", no_argument, nullptr, kHelp},
      {"version", no_argument, nullptr, kVersion},
      {"no-seccomp", no_argument, nullptr, kNoSeccomp},
      {"threads", required_argument, nullptr, kThreads},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  int c = 0;
  const int argc = argv.argc();
  while ((c = getopt_long(argc, argv.argv(), "46c:dgl:nNp:qu:x", kLong, nullptr)) != -1) {
    switch (c) {
      case '4':
        o.family = net::Family::kIPv4;
        break;
      case '6':
        o.family = net::Family::kIPv6;
        break;
      case 'c':
        o.config_file = optarg;
        o.config_given = true;
        break;
      case 'd':
        ++o.debug;
        o.foreground = true;
        break;
      case 'g':
        o.allow_big_first_step = true;
        break;
      case 'l':
        o.logfile = optarg;
        break;
      case 'n':
        o.foreground = true;
        break;
      case 'N':
        o.high_priority = true;
        break;
      case 'p':
        o.pidfile = optarg;
        break;
      case 'q':
        o.set_once_and_exit = true;
        break;
      case 'u':
        o.user = optarg;
        break;
      case 'x':
        o.slew_only = true;
        break;
      case kThreads: {
        auto v = platform::parse_integer(optarg, "--threads", 1, 256);
        if (!v) return v.error();
        o.threads = static_cast<int>(*v);
        break;
      }
      case kPort: {
        auto v = platform::parse_integer(optarg, "--port", 1, 65535);
        if (!v) return v.error();
        o.port = static_cast<uint16_t>(*v);
        break;
      }
      case kCheck:
        o.check_only = true;
        break;
      case kPrintDefault:
        o.print_default_config = true;
        break;
      case kClock:
        o.clock = optarg;
        if (o.clock != "system" && o.clock != "virtual" && o.clock != "readonly") {
          return make_error(
              ErrorCode::kInvalidArgument,
              fmt::format("--clock {}: expected system, virtual or readonly", o.clock));
        }
        break;
      case kVirtualOffset: {
        auto v = platform::parse_number(optarg, "--clock-offset");
        if (!v) return v.error();
        o.virtual_offset_s = *v;
        break;
      }
      case kVirtualFreq: {
        auto v = platform::parse_number(optarg, "--clock-freq-ppm");
        if (!v) return v.error();
        if (std::fabs(*v) > 1000) {
          return make_error(ErrorCode::kInvalidArgument,
                            "option --clock-freq-ppm: must be in [-1000, 1000]");
        }
        o.virtual_freq_ppm = *v;
        break;
      }
      case kHelp:
        o.show_help = true;
        break;
      case kVersion:
        o.show_version = true;
        break;
      case kNoSeccomp:
        o.seccomp = false;
        break;
      default:
        return argv.unknown_option();
    }
  }
  if (optind < argc) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("unexpected argument: {}", argv.argv()[optind]));
  }
  return o;
}

}  // namespace meridian::daemon
