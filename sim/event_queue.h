// A discrete-event queue ordered by (time, insertion order): events at the
// same simulated instant run in the order they were scheduled, so a run is
// bit-for-bit reproducible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <queue>
#include <vector>

namespace meridian::sim {

template <typename Payload>
class EventQueue {
 public:
  struct Entry {
    double time_s;
    uint64_t order;
    Payload payload;
  };

  void push(double time_s, Payload payload) {
    heap_.push(Entry{time_s, next_order_++, std::move(payload)});
  }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  // REQUIRES: !empty().
  double next_time_s() const { return heap_.top().time_s; }
  // REQUIRES: !empty().
  Entry pop() {
    Entry e = std::move(const_cast<Entry&>(heap_.top()));
    heap_.pop();
    return e;
  }

 private:
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.time_s != b.time_s ? a.time_s > b.time_s : a.order > b.order;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, Later> heap_;
  uint64_t next_order_ = 0;
};

}  // namespace meridian::sim
