// The MRU ("most recently used") list of classic ntpd's monitor
// (ntpd/ntp_monitor.c): one entry per remote address, most recent first, with
// the counters ntpq's `mrulist` shows and the rate limiter's per-address state.
//
// Bounded memory: at most `maxdepth` entries (classic `mru maxdepth`, or what
// fits in `mru maxmem` KiB, whichever is smaller). A new address reuses the
// least recently used entry when the table is full, or — as in classic —
// when it holds at least `mindepth` entries and the oldest was last seen more
// than `maxage` seconds ago. Lookup is O(1): an open-addressing hash index
// (linear probing, backward-shift deletion) over a node pool linked into an
// LRU list by 32-bit indices. Nothing is allocated per packet once the pool
// has grown to its working size.
//
// The index hash is keyed with a caller-supplied seed (from the daemon's
// RandomSource), because the keys are attacker-chosen source addresses and an
// unkeyed hash would let a flood of crafted addresses degrade every lookup.
//
// Keys are canonical: IPv4-mapped IPv6 sources share the IPv4 entry. The port
// is not part of the key (classic: "otherwise cron'ed ntpdate or similar
// evades RES_LIMITED"); the entry records the latest source port.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <vector>

#include "core/config/config.h"
#include "core/net/address.h"

namespace meridian::access {

inline constexpr double kNeverSeen = -std::numeric_limits<double>::infinity();

// One remote address. Times are the caller's monotonic seconds.
struct MruEntry {
  net::IpAddress address;       // canonical (IPv4-mapped sources stored as IPv4)
  uint16_t port = 0;            // source port of the latest packet
  uint8_t mode = 0;             // NTP mode of the latest packet
  uint8_t version = 0;          // NTP version of the latest packet
  uint32_t count = 0;           // packets seen (saturates)
  uint32_t restrict_flags = 0;  // flags after the latest rate decision: kLimited/kKod
                                // are set only if that packet was limited (classic)
  double first_seen_s = 0;
  double last_seen_s = 0;
  double last_kod_s = kNeverSeen;  // when we last sent this address a RATE KoD
  double score_s = 0;              // leaky-bucket level (classic mon->leak), seconds
};

struct MruLimits {
  size_t maxdepth = 1024;
  size_t mindepth = 600;
  double maxage_s = 64;
  // maxdepth = min(mru maxdepth, mru maxmem / bytes per entry), at least 1.
  static MruLimits from(const config::MruConfig& config);
};

class MruTable {
 private:
  struct Node;
  static constexpr uint32_t kNil = std::numeric_limits<uint32_t>::max();

 public:
  // Walks the LRU list; kOlder: newest → oldest, else oldest → newest.
  template <bool kOlder>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = MruEntry;
    using difference_type = std::ptrdiff_t;
    using pointer = const MruEntry*;
    using reference = const MruEntry&;

    Iterator() = default;
    reference operator*() const { return (*nodes_)[at_].entry; }
    pointer operator->() const { return &(*nodes_)[at_].entry; }
    Iterator& operator++() {
      at_ = kOlder ? (*nodes_)[at_].older : (*nodes_)[at_].newer;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator& other) const { return at_ == other.at_; }

   private:
    friend class MruTable;
    Iterator(const std::vector<Node>* nodes, uint32_t at) : nodes_(nodes), at_(at) {}
    const std::vector<Node>* nodes_ = nullptr;
    uint32_t at_ = kNil;
  };
  using const_iterator = Iterator<true>;

  struct OldestFirst {
    Iterator<false> first, last;
    Iterator<false> begin() const { return first; }
    Iterator<false> end() const { return last; }
  };

  explicit MruTable(const MruLimits& limits, uint64_t hash_seed = 0);
  explicit MruTable(const config::MruConfig& config, uint64_t hash_seed = 0)
      : MruTable(MruLimits::from(config), hash_seed) {}

  struct Touched {
    MruEntry* entry;  // valid until the next non-const call
    bool created;     // a fresh entry: address, first/last_seen set, the rest zero
  };
  // Finds `address` and makes it the most recent entry, or creates it (reusing
  // the LRU entry when the limits say so). Does not update counters: the
  // caller (RateLimiter) owns the entry's contents.
  Touched touch(const net::IpAddress& address, double now_s);

  const MruEntry* find(const net::IpAddress& address) const;
  bool remove(const net::IpAddress& address);
  void clear();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const MruLimits& limits() const { return limits_; }
  uint64_t recycled() const { return recycled_; }  // entries reused for new addresses

  const_iterator begin() const { return {&nodes_, head_}; }  // newest first
  const_iterator end() const { return {&nodes_, kNil}; }
  OldestFirst oldest_first() const { return {{&nodes_, tail_}, {&nodes_, kNil}}; }

  // Worst-case bytes per entry: the node plus up to four 32-bit index slots
  // (the index is a power of two kept at most half full).
  static size_t bytes_per_entry();
  size_t memory_bytes() const;  // what the table holds now

 private:
  struct Node {
    MruEntry entry;
    uint32_t newer = kNil;  // towards head_; also the free-list link
    uint32_t older = kNil;  // towards tail_
  };

  uint64_t hash(const net::IpAddress& key) const;
  size_t slot_mask() const { return slots_.size() - 1; }
  size_t find_slot(const net::IpAddress& key) const;  // slots_.size() when absent
  void index_insert(uint32_t node);
  void index_erase(size_t slot);
  void grow_index();
  void link_front(uint32_t node);
  void unlink(uint32_t node);
  void release(uint32_t node);  // unlink + unindex + free list
  uint32_t allocate();

  MruLimits limits_;
  uint64_t seed_;
  std::vector<Node> nodes_;      // pool; grows up to limits_.maxdepth
  std::vector<uint32_t> slots_;  // hash index → node, kNil when empty
  uint32_t head_ = kNil;         // most recent
  uint32_t tail_ = kNil;         // least recent
  uint32_t free_ = kNil;         // free-list head (linked through `newer`)
  size_t size_ = 0;
  uint64_t recycled_ = 0;
};

}  // namespace meridian::access
