#include "core/access/mru_table.h"

#include <algorithm>
#include <cstring>

#include "core/access/address_key.h"

namespace meridian::access {

namespace {

constexpr size_t kMinSlots = 16;
// Index slots stay ≤ 50 % full; the pool may hold 2^28 entries at most so
// 32-bit node indices (with kNil reserved) can never overflow.
constexpr size_t kMaxDepth = size_t{1} << 28;

// SplitMix64/Murmur3 finaliser: full avalanche, cheap.
uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

uint64_t load64(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

MruLimits MruLimits::from(const config::MruConfig& config) {
  MruLimits l;
  size_t depth = config.maxdepth > 0 ? static_cast<size_t>(config.maxdepth) : 1;
  if (config.maxmem_kib && *config.maxmem_kib > 0) {
    const size_t by_memory =
        static_cast<size_t>(*config.maxmem_kib) * 1024 / MruTable::bytes_per_entry();
    depth = std::min(depth, std::max<size_t>(by_memory, 1));
  }
  l.maxdepth = std::min(depth, kMaxDepth);
  l.mindepth = std::min(config.mindepth > 0 ? static_cast<size_t>(config.mindepth) : 0, l.maxdepth);
  l.maxage_s = config.maxage_s > 0 ? config.maxage_s : 0;
  return l;
}

MruTable::MruTable(const MruLimits& limits, uint64_t hash_seed)
    : limits_(limits), seed_(mix(hash_seed)) {
  limits_.maxdepth = std::clamp<size_t>(limits_.maxdepth, 1, kMaxDepth);
  limits_.mindepth = std::min(limits_.mindepth, limits_.maxdepth);
  slots_.assign(kMinSlots, kNil);
}

size_t MruTable::bytes_per_entry() { return sizeof(Node) + 4 * sizeof(uint32_t); }

size_t MruTable::memory_bytes() const {
  return nodes_.capacity() * sizeof(Node) + slots_.capacity() * sizeof(uint32_t);
}

uint64_t MruTable::hash(const net::IpAddress& key) const {
  const uint8_t* b = key.bytes().data();
  uint64_t h = mix(seed_ ^ load64(b) ^ static_cast<uint64_t>(key.family()));
  return mix(h + load64(b + 8) + seed_);
}

size_t MruTable::find_slot(const net::IpAddress& key) const {
  for (size_t i = hash(key) & slot_mask();; i = (i + 1) & slot_mask()) {
    const uint32_t node = slots_[i];
    if (node == kNil) return slots_.size();
    if (nodes_[node].entry.address == key) return i;
  }
}

void MruTable::index_insert(uint32_t node) {
  if ((size_ + 1) * 2 > slots_.size()) grow_index();
  size_t i = hash(nodes_[node].entry.address) & slot_mask();
  while (slots_[i] != kNil) i = (i + 1) & slot_mask();
  slots_[i] = node;
}

// Backward-shift deletion keeps every probe chain unbroken without tombstones
// (Knuth vol. 3, Algorithm 6.4R).
void MruTable::index_erase(size_t slot) {
  size_t hole = slot;
  for (size_t j = (hole + 1) & slot_mask(); slots_[j] != kNil; j = (j + 1) & slot_mask()) {
    const size_t home = hash(nodes_[slots_[j]].entry.address) & slot_mask();
    // Move slots_[j] into the hole unless its home lies cyclically in (hole, j].
    const bool home_between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!home_between) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = kNil;
}

void MruTable::grow_index() {
  std::vector<uint32_t> old = std::move(slots_);
  slots_.assign(std::max(kMinSlots, old.size() * 2), kNil);
  for (const uint32_t node : old) {
    if (node == kNil) continue;
    size_t i = hash(nodes_[node].entry.address) & slot_mask();
    while (slots_[i] != kNil) i = (i + 1) & slot_mask();
    slots_[i] = node;
  }
}

void MruTable::link_front(uint32_t node) {
  nodes_[node].newer = kNil;
  nodes_[node].older = head_;
  if (head_ != kNil) nodes_[head_].newer = node;
  head_ = node;
  if (tail_ == kNil) tail_ = node;
}

void MruTable::unlink(uint32_t node) {
  Node& n = nodes_[node];
  if (n.newer != kNil) {
    nodes_[n.newer].older = n.older;
  } else {
    head_ = n.older;
  }
  if (n.older != kNil) {
    nodes_[n.older].newer = n.newer;
  } else {
    tail_ = n.newer;
  }
  n.newer = n.older = kNil;
}

void MruTable::release(uint32_t node) {
  const size_t slot = find_slot(nodes_[node].entry.address);
  if (slot < slots_.size()) index_erase(slot);
  unlink(node);
  nodes_[node].newer = free_;
  free_ = node;
  --size_;
}

uint32_t MruTable::allocate() {
  if (free_ != kNil) {
    const uint32_t node = free_;
    free_ = nodes_[node].newer;
    return node;
  }
  nodes_.emplace_back();
  return static_cast<uint32_t>(nodes_.size() - 1);
}

MruTable::Touched MruTable::touch(const net::IpAddress& address, double now_s) {
  const net::IpAddress key = canonical_address(address);
  if (const size_t slot = find_slot(key); slot < slots_.size()) {
    const uint32_t node = slots_[slot];
    if (node != head_) {
      unlink(node);
      link_front(node);
    }
    return {&nodes_[node].entry, false};
  }
  // Classic mon_getmoremem()/mon_reclaim_entry() policy, minus classic's
  // "refuse to track" case: full → reuse the oldest; at or above mindepth
  // and the oldest is stale → reuse it rather than grow.
  if (tail_ != kNil) {
    const bool full = size_ >= limits_.maxdepth;
    const bool stale =
        size_ >= limits_.mindepth && now_s - nodes_[tail_].entry.last_seen_s > limits_.maxage_s;
    if (full || stale) {
      release(tail_);
      ++recycled_;
    }
  }
  const uint32_t node = allocate();
  nodes_[node].entry = MruEntry{};
  nodes_[node].entry.address = key;
  nodes_[node].entry.first_seen_s = now_s;
  nodes_[node].entry.last_seen_s = now_s;
  index_insert(node);
  link_front(node);
  ++size_;
  return {&nodes_[node].entry, true};
}

const MruEntry* MruTable::find(const net::IpAddress& address) const {
  const size_t slot = find_slot(canonical_address(address));
  return slot < slots_.size() ? &nodes_[slots_[slot]].entry : nullptr;
}

bool MruTable::remove(const net::IpAddress& address) {
  const size_t slot = find_slot(canonical_address(address));
  if (slot >= slots_.size()) return false;
  release(slots_[slot]);
  return true;
}

void MruTable::clear() {
  nodes_.clear();
  slots_.assign(kMinSlots, kNil);
  head_ = tail_ = free_ = kNil;
  size_ = 0;
}

}  // namespace meridian::access
