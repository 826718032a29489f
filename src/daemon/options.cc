#include "daemon/options.h"

#include <fmt/format.h>
#include <getopt.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

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
  kVersion
};

}  // namespace

std::string usage() {
  return "usage: ntpd [-46dgnNqx] [-c conffile] [-l logfile] [-p pidfile] [-u user[:group]]\n"
         "            [--port N] [--check] [--print-default-config]\n"
         "            [--clock system|virtual|readonly] [--clock-offset S] [--clock-freq-ppm P]\n";
}

Result<Options> parse_options(const std::vector<std::string>& args) {
  std::vector<std::string> storage = args;
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
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
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  optind = 0;
  opterr = 0;
  int c = 0;
  const int argc = static_cast<int>(storage.size());
  while ((c = getopt_long(argc, argv.data(), "46c:dgl:nNp:qu:x", kLong, nullptr)) != -1) {
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
      case kPort: {
        char* end = nullptr;
        const long v = std::strtol(optarg, &end, 10);
        if (*end != '\0' || v < 1 || v > 65535) {
          return make_error(ErrorCode::kInvalidArgument,
                            fmt::format("--port {}: expected 1..65535", optarg));
        }
        o.port = static_cast<uint16_t>(v);
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
        char* end = nullptr;
        const double v = std::strtod(optarg, &end);
        if (*end != '\0' || !std::isfinite(v)) {
          return make_error(ErrorCode::kInvalidArgument,
                            fmt::format("--virtual-offset {}: not a number", optarg));
        }
        o.virtual_offset_s = v;
        break;
      }
      case kVirtualFreq: {
        char* end = nullptr;
        const double v = std::strtod(optarg, &end);
        if (*end != '\0' || !std::isfinite(v) || std::fabs(v) > 1000) {
          return make_error(
              ErrorCode::kInvalidArgument,
              fmt::format("--clock-freq-ppm {}: expected a number in [-1000, 1000]", optarg));
        }
        o.virtual_freq_ppm = v;
        break;
      }
      case kHelp:
        o.show_help = true;
        break;
      case kVersion:
        o.show_version = true;
        break;
      default: {
        const std::string opt = optopt > 0 && optopt < 256
                                    ? fmt::format("-{}", static_cast<char>(optopt))
                                    : std::string(argv[optind - 1]);
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("unknown option or missing argument: {}", opt));
      }
    }
  }
  if (optind < argc) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("unexpected argument: {}", argv[optind]));
  }
  return o;
}

}  // namespace meridian::daemon
