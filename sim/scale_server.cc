#include "sim/scale_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/access/rate_limiter.h"
#include "core/auth/key_store.h"
#include "core/wire/ntp_packet.h"
#include "sim/sim_server.h"

namespace meridian::sim {

namespace {

server::ServerPolicy make_policy(const ScaleModel& scale, uint64_t hash_seed) {
  const auto& conf = scale.server_config;
  return server::ServerPolicy{scale.restrict,
                              access::RateLimiter(conf.discard, conf.mru, hash_seed),
                              auth::KeyStore{}, nullptr};
}

}  // namespace

ScaleServer::ScaleServer(const ServerModel& model, const ScaleModel& scale, uint64_t clock_seed,
                         uint64_t hash_seed)
    : model_(model),
      clock_(model.clock, clock_seed),
      core_(make_policy(scale, hash_seed)),
      precision_log2_(precision_log2(model.clock.resolution_s)) {}

uint32_t ScaleServer::flags_for(const net::Endpoint& client) const {
  return core_.restrict_table().flags_for(client.address, client.port);
}

ScaleServer::Handled ScaleServer::handle(double t, std::span<const std::byte> request,
                                         const net::Endpoint& client) {
  Handled out;
  for (const auto& w : model_.down) {
    if (w.contains(t)) {
      out.fate = Fate::kDown;
      ++fates_[static_cast<size_t>(Fate::kDown)];
      return out;
    }
  }
  ++arrived_;
  const auto second = static_cast<int64_t>(std::floor(t));
  if (second != rate_second_) {
    rate_second_ = second;
    rate_count_ = 0;
  }
  peak_rate_ = std::max(peak_rate_, ++rate_count_);

  // A synchronised stratum-1 server whose clock was last set at this read.
  const double rx_s = clock_.reading_s(t);
  const time::NtpTime rx = to_ntp(rx_s);
  const time::NtpTime tx = to_ntp(rx_s + model_.hold_s);
  core_.set_view(synchronised_view(model_.stratum, precision_log2_, rx));

  auto reply = core_.handle(request, client, rx, tx, t);
  mru_peak_ = std::max(mru_peak_, core_.limiter().mru().size());
  if (!reply) {
    ++fates_[static_cast<size_t>(Fate::kNoReply)];
    return out;
  }
  auto header = wire::parse_header(*reply);
  if (!header) {
    out.fate = Fate::kOtherReply;
  } else if (header->stratum == 0 && header->reference_id == wire::kKissRate) {
    out.fate = Fate::kKissRate;
  } else if (header->stratum == model_.stratum && header->mode == wire::Mode::kServer) {
    out.fate = Fate::kTime;
  } else {
    out.fate = Fate::kOtherReply;
  }
  ++fates_[static_cast<size_t>(out.fate)];
  out.reply = std::move(*reply);
  return out;
}

int ScaleServer::counter_mismatches(std::vector<std::string>* failures) const {
  using O = server::Outcome;
  const auto& rate = core_.limiter().counters();
  uint64_t outcomes = 0;
  for (size_t o = 0; o < static_cast<size_t>(O::kCount); ++o)
    outcomes += core_.count(static_cast<O>(o));
  uint64_t dropped = 0;
  for (O o : {O::kDroppedMalformed, O::kDroppedMode, O::kDroppedRestricted, O::kDroppedRateLimited,
              O::kDroppedAuth, O::kControl})
    dropped += core_.count(o);
  const auto& mru = core_.limiter().mru();
  uint64_t mru_packets = 0;
  for (const auto& e : mru) mru_packets += e.count;
  struct Identity {
    const char* what;
    uint64_t lhs, rhs;
    bool ok;
  };
  const Identity ids[] = {
      {"core received == requests handed to it", core_.received(), arrived_,
       core_.received() == arrived_},
      {"sum of outcome counters == received", outcomes, core_.received(),
       outcomes == core_.received()},
      {"replied == time replies seen", core_.count(O::kReplied), fate_count(Fate::kTime),
       core_.count(O::kReplied) == fate_count(Fate::kTime)},
      {"KoD RATE == RATE replies seen", core_.count(O::kKissRate), fate_count(Fate::kKissRate),
       core_.count(O::kKissRate) == fate_count(Fate::kKissRate)},
      {"dropped (all reasons) == requests without reply", dropped, fate_count(Fate::kNoReply),
       dropped == fate_count(Fate::kNoReply)},
      {"other replies (crypto-NAK, odd) == 0", fate_count(Fate::kOtherReply), 0,
       fate_count(Fate::kOtherReply) == 0},
      {"limiter kod_sent == KoD RATE", rate.kod_sent, core_.count(O::kKissRate),
       rate.kod_sent == core_.count(O::kKissRate)},
      {"limiter limited == KoD RATE + rate-limit drops", rate.limited,
       core_.count(O::kKissRate) + core_.count(O::kDroppedRateLimited),
       rate.limited == core_.count(O::kKissRate) + core_.count(O::kDroppedRateLimited)},
      {"limiter packets == admitted (received − restricted/mode/malformed)", rate.packets,
       core_.received() - core_.count(O::kDroppedRestricted) - core_.count(O::kDroppedMode) -
           core_.count(O::kDroppedMalformed),
       rate.packets == core_.received() - core_.count(O::kDroppedRestricted) -
                           core_.count(O::kDroppedMode) - core_.count(O::kDroppedMalformed)},
      {"MRU size <= maxdepth", mru.size(), mru.limits().maxdepth,
       mru.size() <= mru.limits().maxdepth},
      {"packets counted in MRU entries <= limiter packets", mru_packets, rate.packets,
       mru_packets <= rate.packets},
  };
  int failed = 0;
  for (const auto& id : ids) {
    if (id.ok) continue;
    ++failed;
    if (failures) failures->push_back(fmt::format("{}: {} vs {}", id.what, id.lhs, id.rhs));
  }
  return failed;
}

}  // namespace meridian::sim
