#include "daemon/fast_path.h"

#include <gtest/gtest.h>

#include <thread>

#include "daemon/view_snapshot.h"

namespace meridian::daemon {
namespace {

PublishedState state_for(uint32_t i) {
  PublishedState s;
  s.view.stratum = static_cast<uint8_t>(1 + i % 15);
  s.view.leap = wire::LeapIndicator::kNoWarning;
  s.view.reference_id = i;
  s.view.root_delay_s = i * 0.5;
  s.view.root_dispersion_s = i * 0.25;
  s.view.reference_time = time::NtpTime::from_parts(i, i);
  s.clock_offset = time::NtpDuration::from_seconds(i);
  return s;
}

TEST(ViewSnapshot, ReadsWhatWasPublished) {
  ViewSnapshot snap;
  snap.publish(state_for(7));
  PublishedState out;
  const uint64_t seq = snap.read(out);
  EXPECT_EQ(out.view.reference_id, 7u);
  EXPECT_EQ(out.view.stratum, 8);
  EXPECT_EQ(out.view.root_delay_s, 3.5);
  EXPECT_EQ(out.clock_offset, time::NtpDuration::from_seconds(7));
  // Nothing new: the reader keeps its copy (same sequence, no copy).
  PublishedState untouched = state_for(99);
  EXPECT_EQ(snap.read(untouched, seq), seq);
  EXPECT_EQ(untouched.view.reference_id, 99u);
  snap.publish(state_for(8));
  EXPECT_NE(snap.read(out, seq), seq);
  EXPECT_EQ(out.view.reference_id, 8u);
}

// One writer, one reader at full speed: no reader ever sees a mix of
// two publications (every field must belong to the same i).
TEST(ViewSnapshot, ReadersNeverSeeATornState) {
  ViewSnapshot snap;
  snap.publish(state_for(0));
  std::atomic<bool> done{false};
  std::atomic<uint64_t> torn{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 1; ++r) {  // one reader: this machine may have two cores
    readers.emplace_back([&] {
      PublishedState s;
      while (!done.load()) {
        snap.read(s);
        const uint32_t i = s.view.reference_id;
        const PublishedState want = state_for(i);
        if (s.view.stratum != want.view.stratum || s.view.root_delay_s != want.view.root_delay_s ||
            s.view.root_dispersion_s != want.view.root_dispersion_s ||
            !(s.view.reference_time == want.view.reference_time) ||
            !(s.clock_offset == want.clock_offset)) {
          torn.fetch_add(1);
        }
        reads.fetch_add(1);
      }
    });
  }
  // The writer starts once the reader runs (on a second core if any).
  while (reads.load() == 0) std::this_thread::yield();
  for (uint32_t i = 1; i <= 2'000'000; ++i) snap.publish(state_for(i));
  done.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
}

TEST(FastPath, MruDepthIsSharedSoTheTotalIsMaxdepth) {
  config::MruConfig total;
  total.maxdepth = 100'000;
  total.mindepth = 600;
  total.maxmem_kib = 1000;
  for (int n : {1, 2, 3, 7}) {
    const auto share = mru_share(total, n);
    EXPECT_GE(share.maxdepth * n, total.maxdepth) << n;
    EXPECT_LT(share.maxdepth * n, total.maxdepth + n) << n;
    EXPECT_GE(*share.maxmem_kib * n, *total.maxmem_kib) << n;
    EXPECT_LT(*share.maxmem_kib * n, *total.maxmem_kib + n) << n;
  }
  EXPECT_EQ(mru_share(total, 1), total);
}

}  // namespace
}  // namespace meridian::daemon
