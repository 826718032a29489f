#include "daemon/client_setup.h"

#include <gtest/gtest.h>

#include "core/config/file_source.h"
#include "core/config/parser.h"

namespace meridian::daemon {
namespace {

engine::ClientConfig from(std::string_view text) {
  config::MemoryFileSource files;
  const auto cfg = config::parse_config_text(text, "ntp.conf", files);
  return build_client_config(cfg, Options{}, -20, std::nullopt);
}

TEST(ClientSetup, DisableKernelMakesTheEngineStepLeapSeconds) {
  EXPECT_TRUE(from("server 192.0.2.1\n").clock_applies_leap);
  EXPECT_TRUE(from("enable kernel\n").clock_applies_leap);
  EXPECT_FALSE(from("disable kernel\n").clock_applies_leap);
}

}  // namespace
}  // namespace meridian::daemon
