#include "daemon/fast_path.h"

#include <fmt/format.h>
#include <poll.h>

#include <array>

#include "daemon/server_setup.h"
#include "platform/batch_udp.h"
#include "platform/clock.h"
#include "platform/privileges.h"
#include "platform/random_os.h"

namespace meridian::daemon {

namespace {

constexpr int kPollTimeoutMs = 100;    // how soon a worker notices stop()
constexpr int kBatchesPerWakeup = 16;  // then poll again, so every socket gets its turn

}  // namespace

struct FastPath::Worker {
  std::vector<platform::UdpSocket> sockets;  // one per listening address
  std::unique_ptr<server::ServerCore> core;
  std::thread thread;
  // Written by the worker after each batch, read by the main thread.
  std::array<std::atomic<uint64_t>, static_cast<size_t>(server::Outcome::kCount)> outcomes{};
  std::atomic<uint64_t> received{0}, current_version{0}, old_version{0};
  // A reload's new policy: taken by the worker before its next batch.
  std::mutex pending_mutex;
  std::optional<server::ServerPolicy> pending;
  bool pending_keep_limiter = false;
  std::atomic<bool> has_pending{false};

  void publish_counters() {
    for (size_t i = 0; i < outcomes.size(); ++i)
      outcomes[i].store(core->count(static_cast<server::Outcome>(i)), std::memory_order_relaxed);
    received.store(core->received(), std::memory_order_relaxed);
    current_version.store(core->current_version(), std::memory_order_relaxed);
    old_version.store(core->old_version(), std::memory_order_relaxed);
  }
};

config::MruConfig mru_share(const config::MruConfig& total, int workers) {
  config::MruConfig share = total;
  const int n = std::max(1, workers);
  share.maxdepth = std::max(1, (total.maxdepth + n - 1) / n);
  share.mindepth = std::max(1, (total.mindepth + n - 1) / n);
  if (total.maxmem_kib) share.maxmem_kib = std::max(1, (*total.maxmem_kib + n - 1) / n);
  return share;
}

namespace {

Result<std::vector<server::ServerPolicy>> worker_policies(
    const config::Config& config, size_t workers, Logger& log,
    const std::shared_ptr<const server::NtsServerContext>& nts) {
  config::Config shared = config;
  shared.mru = mru_share(config.mru, static_cast<int>(workers));
  auto policy = build_server_policy(shared, log, nts);
  if (!policy) return policy.error();
  std::vector<server::ServerPolicy> out;
  platform::OsRandom random;
  for (size_t i = 0; i < workers; ++i) {
    server::ServerPolicy p{policy->restrict,
                           access::RateLimiter(shared.discard, shared.mru, random.next_u64()),
                           policy->keys, policy->mac_engine, policy->nts};
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<FastPath>> FastPath::open(
    const config::Config& config, int threads, const std::vector<net::Endpoint>& main_bound,
    Logger& log, std::shared_ptr<const server::NtsServerContext> nts) {
  if (threads < 1) return make_error(ErrorCode::kInvalidArgument, "threads: at least 1");
  std::unique_ptr<FastPath> fp(new FastPath());
  fp->nts_ = nts;
  auto policies = worker_policies(config, static_cast<size_t>(threads), log, nts);
  if (!policies) return policies.error();
  for (int i = 0; i < threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->core = std::make_unique<server::ServerCore>(std::move((*policies)[static_cast<size_t>(i)]));
    for (const auto& local : main_bound) {
      auto s = platform::UdpSocket::bind(local, true);
      if (!s)
        return make_error(s.error().code, fmt::format("worker {} socket on {}: {}", i,
                                                      local.to_string(), s.error().message));
      w->sockets.push_back(std::move(*s));
    }
    fp->workers_.push_back(std::move(w));
  }
  // The group now holds the main socket (index 0) and the workers' (1..N) in
  // join order; the program may be attached through any member.
  for (size_t k = 0; k < main_bound.size(); ++k) {
    const auto& last = fp->workers_.back()->sockets[k];
    if (auto st = platform::attach_steering(last.fd(), main_bound[k].address.family(),
                                            static_cast<uint32_t>(threads));
        !st) {
      return st.error();
    }
  }
  return fp;
}

FastPath::~FastPath() { stop(); }

Status FastPath::start() {
  for (auto& w : workers_) {
    Worker* raw = w.get();
    try {
      w->thread = std::thread([this, raw] { run(*raw); });
    } catch (const std::system_error& e) {
      stop();
      return make_error(ErrorCode::kUnavailable, fmt::format("cannot start worker: {}", e.what()));
    }
  }
  return {};
}

void FastPath::stop() {
  stop_.store(true, std::memory_order_relaxed);
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

Status FastPath::reconfigure(const config::Config& config, bool keep_limiter, Logger& log) {
  auto policies = worker_policies(config, workers_.size(), log, nts_);
  if (!policies) return policies.error();
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    std::lock_guard<std::mutex> lock(w.pending_mutex);
    w.pending = std::move((*policies)[i]);
    w.pending_keep_limiter = keep_limiter;
    w.has_pending.store(true, std::memory_order_release);
  }
  return {};
}

void FastPath::add_statistics(control::ServerStatistics& st) const {
  using server::Outcome;
  for (const auto& w : workers_) {
    const auto count = [&](Outcome o) {
      return w->outcomes[static_cast<size_t>(o)].load(std::memory_order_relaxed);
    };
    st.received += w->received.load(std::memory_order_relaxed);
    st.current_version += w->current_version.load(std::memory_order_relaxed);
    st.old_version += w->old_version.load(std::memory_order_relaxed);
    st.bad_format += count(Outcome::kDroppedMalformed);
    st.bad_auth += count(Outcome::kDroppedAuth) + count(Outcome::kKissDeny);
    st.declined += count(Outcome::kDroppedMode);
    st.restricted += count(Outcome::kDroppedRestricted);
    st.limited += count(Outcome::kDroppedRateLimited) + count(Outcome::kKissRate);
    st.kod_sent += count(Outcome::kKissRate);
    st.processed +=
        count(Outcome::kReplied) + count(Outcome::kKissRate) + count(Outcome::kKissDeny);
  }
}

std::vector<uint64_t> FastPath::received_per_worker() const {
  std::vector<uint64_t> out;
  for (const auto& w : workers_) out.push_back(w->received.load(std::memory_order_relaxed));
  return out;
}

// The per-packet path: no lock, no allocation (unauthenticated requests),
// one clock_gettime (vDSO) per reply for the transmit timestamp.
void FastPath::run(Worker& w) {
  // Workers need no capability (they only use their bound sockets): a
  // compromised worker cannot set the clock. Best effort (the integration
  // test checks that it happens).
  (void)platform::drop_thread_capabilities();
  auto batch = std::make_unique<platform::PacketBatch>();
  PublishedState state;
  uint64_t seen = snapshot_.read(state);
  w.core->set_view(state.view);
  std::array<pollfd, 2> fds{};
  const size_t nfds = std::min(fds.size(), w.sockets.size());
  for (size_t k = 0; k < nfds; ++k) fds[k] = pollfd{w.sockets[k].fd(), POLLIN, 0};
  platform::PacketBatch::Received r;
  while (!stop_.load(std::memory_order_relaxed)) {
    if (w.has_pending.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lock(w.pending_mutex);
      if (w.pending) w.core->reconfigure(std::move(*w.pending), w.pending_keep_limiter);
      w.pending.reset();
      w.has_pending.store(false, std::memory_order_relaxed);
    }
    for (auto& f : fds) f.revents = 0;
    if (poll(fds.data(), nfds, kPollTimeoutMs) <= 0) continue;
    for (size_t k = 0; k < nfds; ++k) {
      if ((fds[k].revents & (POLLIN | POLLERR)) == 0) continue;
      const int fd = fds[k].fd;
      for (int round = 0; round < kBatchesPerWakeup; ++round) {
        auto n = batch->receive(fd);
        if (!n || *n == 0) break;
        const uint64_t now_seq = snapshot_.read(state, seen);
        if (now_seq != seen) {
          seen = now_seq;
          w.core->set_view(state.view);
        }
        const double now_s = static_cast<double>(platform::read_monotonic_ns()) * 1e-9;
        for (size_t i = 0; i < *n; ++i) {
          if (!batch->get(i, r)) continue;
          const time::NtpTime tx = platform::read_realtime() + state.clock_offset;
          const time::NtpTime rx =
              r.kernel_rx_time
                  ? time::NtpTime::from_timespec(*r.kernel_rx_time) + state.clock_offset
                  : tx;
          const size_t len =
              w.core->handle_into(r.data, r.from, rx, tx, now_s, batch->reply_buffer(i));
          if (len > 0) batch->queue(i, len);
        }
        (void)batch->send(fd);
        w.publish_counters();
        if (*n < platform::PacketBatch::kBatch) break;
      }
    }
  }
}

}  // namespace meridian::daemon
