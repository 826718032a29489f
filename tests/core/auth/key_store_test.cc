// KeyStore: key ids, type names, trust, and classic/NTPsec CMAC key fitting.
#include "core/auth/key_store.h"

#include <gtest/gtest.h>

#include <vector>

namespace meridian::auth {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int x : v) out.push_back(static_cast<std::byte>(x));
  return out;
}

TEST(KeyStoreTest, AddFindReplaceRemove) {
  KeyStore ks;
  ASSERT_TRUE(ks.add({10, KeyType::kSha1, bytes({1, 2, 3})}).ok());
  ASSERT_NE(ks.find(10), nullptr);
  EXPECT_EQ(ks.find(10)->type, KeyType::kSha1);
  ASSERT_TRUE(ks.add({10, KeyType::kMd5, bytes({4})}).ok());  // replaces
  EXPECT_EQ(ks.find(10)->type, KeyType::kMd5);
  EXPECT_EQ(ks.find(10)->secret, bytes({4}));
  EXPECT_EQ(ks.size(), 1u);
  EXPECT_EQ(ks.find(11), nullptr);
  EXPECT_TRUE(ks.remove(10));
  EXPECT_FALSE(ks.remove(10));
  EXPECT_EQ(ks.find(10), nullptr);
}

TEST(KeyStoreTest, RejectsKeyIdZeroAndEmptySecret) {
  KeyStore ks;
  EXPECT_FALSE(ks.add({0, KeyType::kMd5, bytes({1})}).ok());
  EXPECT_FALSE(ks.add({1, KeyType::kMd5, {}}).ok());
  EXPECT_TRUE(ks.add({0xffffffff, KeyType::kMd5, bytes({1})}).ok());  // chrony-style 32-bit ids
}

TEST(KeyStoreTest, CmacKeysArePaddedOrTruncatedTo16Bytes) {
  KeyStore ks;
  ASSERT_TRUE(ks.add({1, KeyType::kAes128Cmac, bytes({1, 2, 3})}).ok());
  auto padded = bytes({1, 2, 3});
  padded.resize(16, std::byte{0});
  EXPECT_EQ(ks.find(1)->secret, padded);
  std::vector<std::byte> long_key(32, std::byte{7});
  ASSERT_TRUE(ks.add({2, KeyType::kAes128Cmac, long_key}).ok());
  EXPECT_EQ(ks.find(2)->secret, std::vector<std::byte>(16, std::byte{7}));
  ASSERT_TRUE(ks.add({3, KeyType::kMd5, long_key}).ok());  // digest keys keep their length
  EXPECT_EQ(ks.find(3)->secret.size(), 32u);
}

TEST(KeyStoreTest, TrustIsIndependentOfPresence) {
  KeyStore ks;
  ks.trust(5);  // trustedkey before the keys file is read
  EXPECT_TRUE(ks.is_trusted(5));
  ASSERT_TRUE(ks.add({5, KeyType::kMd5, bytes({1})}).ok());
  EXPECT_TRUE(ks.is_trusted(5));
  ks.untrust(5);
  EXPECT_FALSE(ks.is_trusted(5));
  ks.set_trusted({1, 2});
  EXPECT_TRUE(ks.is_trusted(2));
  EXPECT_FALSE(ks.is_trusted(5));
}

TEST(KeyStoreTest, CopiesAreIndependent) {
  KeyStore a;
  ASSERT_TRUE(a.add({1, KeyType::kMd5, bytes({1})}).ok());
  KeyStore b = a;
  ASSERT_TRUE(b.remove(1));
  EXPECT_NE(a.find(1), nullptr);
  KeyStore c = std::move(a);
  EXPECT_NE(c.find(1), nullptr);
}

TEST(KeyStoreTest, FromConfigKeyFile) {
  std::vector<config::SymmetricKey> file(2);
  file[0].id = 1;
  file[0].type = config::KeyType::kMd5;
  file[0].secret = {'a', 'b', 'c'};
  file[1].id = 7;
  file[1].type = config::KeyType::kAes128Cmac;
  file[1].secret = std::vector<uint8_t>(16, 0x42);
  auto ks = KeyStore::from_config(file, {7});
  ASSERT_TRUE(ks.ok());
  EXPECT_EQ(ks->size(), 2u);
  EXPECT_EQ(ks->find(1)->secret, bytes({'a', 'b', 'c'}));
  EXPECT_EQ(ks->find(7)->type, KeyType::kAes128Cmac);
  EXPECT_FALSE(ks->is_trusted(1));
  EXPECT_TRUE(ks->is_trusted(7));
  file[0].id = 0;
  EXPECT_FALSE(KeyStore::from_config(file, {}).ok());
}

TEST(KeyStoreTest, TypeNames) {
  EXPECT_EQ(to_string(KeyType::kAes128Cmac), "AES128CMAC");
  EXPECT_EQ(to_string(KeyType::kMd5), "MD5");
  EXPECT_EQ(to_string(KeyType::kSha1), "SHA1");
  EXPECT_EQ(to_string(KeyType::kSha256), "SHA256");
}

}  // namespace
}  // namespace meridian::auth
