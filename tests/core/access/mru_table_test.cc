// MruTable: bounded size, LRU order and eviction, O(1) index correctness
// (checked against a simple reference model under random operations).
#include "core/access/mru_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <map>
#include <vector>

#include "core/random.h"
#include "restrict_test_util.h"

namespace meridian::access {
namespace {

using testing::ip;

net::IpAddress v4(uint32_t n) {
  return net::IpAddress::v4({static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                             static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
}

MruLimits limits(size_t maxdepth, size_t mindepth = 0, double maxage_s = 1e9) {
  MruLimits l;
  l.maxdepth = maxdepth;
  l.mindepth = mindepth;
  l.maxage_s = maxage_s;
  return l;
}

std::vector<net::IpAddress> newest_first(const MruTable& t) {
  std::vector<net::IpAddress> out;
  for (const MruEntry& e : t) out.push_back(e.address);
  return out;
}

TEST(MruTableTest, TenTimesMaxdepthAddressesStayBounded) {
  constexpr size_t kDepth = 64;
  MruTable t(limits(kDepth, kDepth), 42);
  for (uint32_t i = 0; i < 10 * kDepth; ++i) {
    t.touch(v4(0x0a000000 + i), i);
    ASSERT_LE(t.size(), kDepth);
  }
  EXPECT_EQ(t.size(), kDepth);
  EXPECT_EQ(t.recycled(), 9 * kDepth);
  // The survivors are exactly the last kDepth addresses, newest first.
  const auto order = newest_first(t);
  ASSERT_EQ(order.size(), kDepth);
  for (size_t k = 0; k < kDepth; ++k) EXPECT_EQ(order[k], v4(0x0a000000 + 10 * kDepth - 1 - k));
  EXPECT_EQ(t.find(v4(0x0a000000)), nullptr);
}

TEST(MruTableTest, TouchMovesToFrontAndEvictsLeastRecent) {
  MruTable t(limits(3, 3));
  t.touch(ip("192.0.2.1"), 1);
  t.touch(ip("192.0.2.2"), 2);
  t.touch(ip("192.0.2.3"), 3);
  EXPECT_FALSE(t.touch(ip("192.0.2.1"), 4).created);  // .1 is now newest; .2 oldest
  EXPECT_EQ(newest_first(t), (std::vector{ip("192.0.2.1"), ip("192.0.2.3"), ip("192.0.2.2")}));
  EXPECT_TRUE(t.touch(ip("192.0.2.4"), 5).created);  // evicts .2
  EXPECT_EQ(newest_first(t), (std::vector{ip("192.0.2.4"), ip("192.0.2.1"), ip("192.0.2.3")}));
  EXPECT_EQ(t.find(ip("192.0.2.2")), nullptr);
  std::vector<net::IpAddress> oldest;
  for (const MruEntry& e : t.oldest_first()) oldest.push_back(e.address);
  EXPECT_EQ(oldest, (std::vector{ip("192.0.2.3"), ip("192.0.2.1"), ip("192.0.2.4")}));
}

TEST(MruTableTest, NewEntryHasTimesSetAndRestZero) {
  MruTable t(limits(8));
  auto [e, created] = t.touch(ip("2001:db8::1"), 12.5);
  ASSERT_TRUE(created);
  EXPECT_EQ(e->address, ip("2001:db8::1"));
  EXPECT_EQ(e->first_seen_s, 12.5);
  EXPECT_EQ(e->last_seen_s, 12.5);
  EXPECT_EQ(e->count, 0u);
  EXPECT_EQ(e->last_kod_s, kNeverSeen);
  e->count = 7;
  EXPECT_EQ(t.find(ip("2001:db8::1"))->count, 7u);
}

TEST(MruTableTest, MappedAddressSharesTheIpv4Entry) {
  MruTable t(limits(8));
  t.touch(ip("192.0.2.1"), 1);
  EXPECT_FALSE(t.touch(ip("::ffff:192.0.2.1"), 2).created);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.begin()->address, ip("192.0.2.1"));
}

TEST(MruTableTest, FamiliesAreDistinctKeys) {
  MruTable t(limits(8));
  t.touch(ip("0.0.0.1"), 1);
  EXPECT_TRUE(t.touch(ip("::1"), 1).created);
  EXPECT_EQ(t.size(), 2u);
}

TEST(MruTableTest, StaleEntriesRecycledAboveMindepth) {
  // Classic: at or above mindepth, an oldest entry idle > maxage is reused
  // instead of growing the table.
  MruTable t(limits(100, 2, 64));
  t.touch(ip("192.0.2.1"), 0);
  t.touch(ip("192.0.2.2"), 10);
  t.touch(ip("192.0.2.3"), 30);  // size 2 ≥ mindepth, oldest idle 30 s ≤ 64: grow
  EXPECT_EQ(t.size(), 3u);
  t.touch(ip("192.0.2.4"), 100);  // oldest (.1) idle 100 s > 64: recycled
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.find(ip("192.0.2.1")), nullptr);
  EXPECT_EQ(t.recycled(), 1u);
}

TEST(MruTableTest, RemoveAndClear) {
  MruTable t(limits(8));
  for (uint32_t i = 0; i < 5; ++i) t.touch(v4(i + 1), i);
  EXPECT_TRUE(t.remove(v4(3)));
  EXPECT_FALSE(t.remove(v4(3)));
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(newest_first(t), (std::vector{v4(5), v4(4), v4(2), v4(1)}));
  t.touch(v4(9), 9);  // reuses the freed node
  EXPECT_EQ(t.size(), 5u);
  t.clear();
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.begin(), t.end());
  EXPECT_TRUE(t.touch(v4(1), 1).created);
}

TEST(MruTableTest, LimitsFromConfig) {
  config::MruConfig c;
  c.maxdepth = 5000;
  c.mindepth = 10000;
  c.maxage_s = 64;
  auto l = MruLimits::from(c);
  EXPECT_EQ(l.maxdepth, 5000u);
  EXPECT_EQ(l.mindepth, 5000u);  // clamped to maxdepth
  c.maxmem_kib = 64;             // 64 KiB caps the depth below 5000
  l = MruLimits::from(c);
  EXPECT_EQ(l.maxdepth, 64u * 1024 / MruTable::bytes_per_entry());
  c.maxdepth = 0;
  c.maxmem_kib.reset();
  EXPECT_EQ(MruLimits::from(c).maxdepth, 1u);
}

TEST(MruTableTest, MemoryPerEntryIsSmallAndBounded) {
  EXPECT_LE(MruTable::bytes_per_entry(), 128u);
  MruTable t(limits(1000, 1000));
  for (uint32_t i = 0; i < 5000; ++i) t.touch(v4(i), i);
  // Pool ≤ maxdepth nodes (vector growth may round up), index ≤ 4 slots/entry.
  EXPECT_LE(t.memory_bytes(), 2 * 1000 * MruTable::bytes_per_entry());
  std::printf("MRU: %zu bytes/entry worst case; 1000 entries hold %zu bytes\n",
              MruTable::bytes_per_entry(), t.memory_bytes());
}

// Random touches/removes over a small address space (lots of index collisions,
// wrap-around and backward shifts) must match a plain list model exactly.
TEST(MruTableTest, MatchesReferenceModelUnderRandomOperations) {
  constexpr size_t kDepth = 37;
  MruTable t(limits(kDepth, kDepth), 3);
  std::list<uint32_t> model;  // newest first
  SeededRandom rng(2024);
  for (int step = 0; step < 20000; ++step) {
    const uint32_t key = static_cast<uint32_t>(rng.next_u64() % 100);
    if (rng.next_u64() % 5 == 0) {
      const auto it = std::find(model.begin(), model.end(), key);
      const bool present = it != model.end();
      if (present) model.erase(it);
      ASSERT_EQ(t.remove(v4(key)), present);
    } else {
      const auto it = std::find(model.begin(), model.end(), key);
      const bool present = it != model.end();
      if (present) {
        model.erase(it);
      } else if (model.size() == kDepth) {
        model.pop_back();
      }
      model.push_front(key);
      ASSERT_EQ(t.touch(v4(key), step).created, !present) << "step " << step;
    }
    ASSERT_EQ(t.size(), model.size());
    if (step % 97 == 0) {
      std::vector<net::IpAddress> expected;
      for (const uint32_t k : model) expected.push_back(v4(k));
      ASSERT_EQ(newest_first(t), expected) << "step " << step;
      for (uint32_t k = 0; k < 100; ++k) {
        const bool in_model = std::find(model.begin(), model.end(), k) != model.end();
        ASSERT_EQ(t.find(v4(k)) != nullptr, in_model) << "key " << k;
      }
    }
  }
}

}  // namespace
}  // namespace meridian::access
