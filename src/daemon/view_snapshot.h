// What the fast-path workers read about the server's state: the ServerView
// (stratum, refid, root delay/dispersion, leap …) and how the daemon's clock
// relates to the kernel's CLOCK_REALTIME, published by the main thread and
// read by every worker without a lock (a seqlock: one writer, many readers;
// a reader retries in the rare case it overlapped a write).
//
// Why a clock offset and not the Clock: the Clock backends are not
// thread-safe (the virtual clock advances its anchor on every read), so
// workers never call it. They timestamp with CLOCK_REALTIME (kernel RX
// timestamps, clock_gettime for transmit) plus `clock_offset`, which the
// main thread refreshes on every loop iteration (exactly 0 for the system
// clock, whose timescale is CLOCK_REALTIME).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/server/server_view.h"
#include "core/time/ntp_timestamp.h"

namespace meridian::daemon {

struct PublishedState {
  server::ServerView view;
  time::NtpDuration clock_offset;  // daemon clock − CLOCK_REALTIME
};

class ViewSnapshot {
 public:
  static_assert(std::is_trivially_copyable_v<PublishedState>);

  // One writer only (the main thread).
  void publish(const PublishedState& state) {
    std::array<uint64_t, kWords> words{};
    std::memcpy(words.data(), &state, sizeof(state));
    const uint64_t s = sequence_.load(std::memory_order_relaxed);
    sequence_.store(s + 1, std::memory_order_relaxed);  // odd: write in progress
    std::atomic_thread_fence(std::memory_order_release);
    for (size_t i = 0; i < kWords; ++i) words_[i].store(words[i], std::memory_order_relaxed);
    sequence_.store(s + 2, std::memory_order_release);
  }

  // Any thread; never blocks. Returns the sequence number read (even), so a
  // reader can skip the copy when nothing changed (`known`).
  uint64_t read(PublishedState& out, uint64_t known = 1) const {
    for (;;) {
      const uint64_t before = sequence_.load(std::memory_order_acquire);
      if (before == known) return before;
      if (before & 1) continue;  // a write is in progress: bounded by the writer's few stores
      std::array<uint64_t, kWords> words;
      for (size_t i = 0; i < kWords; ++i) words[i] = words_[i].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (sequence_.load(std::memory_order_relaxed) == before) {
        std::memcpy(static_cast<void*>(&out), words.data(), sizeof(out));  // trivially copyable
        return before;
      }
    }
  }

  uint64_t sequence() const { return sequence_.load(std::memory_order_acquire); }

 private:
  static constexpr size_t kWords = (sizeof(PublishedState) + 7) / 8;
  alignas(64) std::atomic<uint64_t> sequence_{0};
  std::array<std::atomic<uint64_t>, kWords> words_{};
};

}  // namespace meridian::daemon
