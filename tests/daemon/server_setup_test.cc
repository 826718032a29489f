// server_setup: the MAC engine is the keyless one until symmetric keys are
// configured, then one OpenSSL engine shared by every policy built after.
#include "daemon/server_setup.h"

#include <gtest/gtest.h>

#include <array>

#include "core/auth/keyless_mac_engine.h"
#include "core/auth/openssl_mac_engine.h"

namespace meridian::daemon {
namespace {

config::Config with_key() {
  config::Config c;
  config::SymmetricKey k;
  k.id = 1;
  k.type = config::KeyType::kMd5;
  k.secret = {'s', 'e', 'c', 'r', 'e', 't'};
  c.keys.push_back(k);
  c.trusted_keys.insert(1);
  return c;
}

TEST(ServerSetupTest, NoKeysMeansTheKeylessEngine) {
  auto engine = mac_engine_for(config::Config{});
  ASSERT_TRUE(engine.ok());
  EXPECT_NE(dynamic_cast<const auth::KeylessMacEngine*>(engine->get()), nullptr);
  const std::array<std::byte, 1> data{std::byte{1}};
  EXPECT_FALSE((*engine)->compute(auth::KeyType::kMd5, data, data).ok());
}

TEST(ServerSetupTest, KeysGetOneOpenSslEngineSharedByEveryPolicy) {
  auto first = mac_engine_for(with_key());
  auto second = mac_engine_for(with_key());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(dynamic_cast<const auth::OpenSslMacEngine*>(first->get()), nullptr);
  EXPECT_EQ(first->get(), second->get());
  // Without keys again (a reload removed them): keyless, the OpenSSL one kept for later.
  auto none = mac_engine_for(config::Config{});
  ASSERT_TRUE(none.ok());
  EXPECT_NE(none->get(), first->get());
  EXPECT_EQ(mac_engine_for(with_key())->get(), first->get());
}

TEST(ServerSetupTest, KeylessEngineComparesLikeAnyOther) {
  const auth::KeylessMacEngine e;
  const std::array<std::byte, 3> a{std::byte{1}, std::byte{2}, std::byte{3}};
  std::array<std::byte, 3> b = a;
  EXPECT_TRUE(e.equal(a, b));
  b[2] = std::byte{4};
  EXPECT_FALSE(e.equal(a, b));
  EXPECT_FALSE(e.equal(a, std::span<const std::byte>(b).first(2)));
  EXPECT_TRUE(e.equal({}, {}));
}

}  // namespace
}  // namespace meridian::daemon
