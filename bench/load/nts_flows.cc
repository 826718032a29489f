#include "nts_flows.h"

#include <fmt/format.h>
#include <time.h>

#include <utility>

#include "core/net/address.h"
#include "platform/nts_ke_client.h"
#include "platform/random_os.h"

namespace meridian::bench {

namespace {

double monotonic_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

Result<std::unique_ptr<NtsFlows>> NtsFlows::create(const NtsFlowOptions& options) {
  auto aead = KeyedSivAead::create();
  if (!aead) return aead.error();
  platform::OsRandom os_random;
  std::unique_ptr<NtsFlows> pool(new NtsFlows(std::move(*aead), os_random.next_u64()));

  platform::NtsKeClientOptions ke;
  ke.host = options.host.empty() ? options.server_address : options.host;
  ke.address = net::IpAddress::parse(options.server_address);
  if (!ke.address) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("NTS: {} is not an IP address", options.server_address));
  }
  ke.port = options.ke_port;
  ke.ca_file = options.ca_file;
  ke.timeout_ms = options.ke_timeout_ms;

  const double start_s = monotonic_s();
  pool->flows_.reserve(options.flows);
  for (size_t i = 0; i < options.flows; ++i) {
    auto outcome = platform::nts_ke_exchange(ke);
    if (!outcome) {
      return make_error(outcome.error().code, fmt::format("NTS-KE {} of {}: {}", i + 1,
                                                          options.flows, outcome.error().message));
    }
    ++pool->counters_.key_exchanges;
    // RFC 8915 §4.1.8: the KE server may move NTP to another port; a
    // benchmark that then sent elsewhere would measure nothing.
    if (outcome->port && *outcome->port != options.ntp_port) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("NTS-KE names NTP port {}, but the load goes to port {}",
                                    *outcome->port, options.ntp_port));
    }
    pool->flows_.emplace_back(*pool->aead_);
    pool->flows_.back().set_keys(outcome->keys, std::move(outcome->cookies));
    pool->free_.push_back(i);
  }
  pool->ke_seconds_ = monotonic_s() - start_s;
  return pool;
}

int64_t NtsFlows::acquire() {
  if (free_.empty()) return -1;
  const size_t flow = free_.back();
  free_.pop_back();
  return static_cast<int64_t>(flow);
}

Result<std::vector<std::byte>> NtsFlows::make_request(size_t flow,
                                                      std::span<const std::byte, 48> header) {
  auto request = flows_[flow].make_request(header, random_);
  if (!request) {
    ++counters_.retired;  // no cookie left: it would need NTS-KE
    return request.error();
  }
  ++counters_.requests;
  return request;
}

nts::ReplyVerdict NtsFlows::on_reply(size_t flow, std::span<const std::byte> datagram) {
  const uint64_t cookies_before = flows_[flow].counters().cookies_received;
  const nts::ReplyVerdict v = flows_[flow].on_reply(datagram);
  switch (v) {
    case nts::ReplyVerdict::kOk:
      ++counters_.authentic;
      counters_.cookies_received += flows_[flow].counters().cookies_received - cookies_before;
      break;
    case nts::ReplyVerdict::kNak:
      ++counters_.naks;
      break;
    case nts::ReplyVerdict::kBadAuth:
      ++counters_.bad_auth;
      break;
    case nts::ReplyVerdict::kMalformed:
      ++counters_.malformed;
      break;
    case nts::ReplyVerdict::kNotOurs:
      ++counters_.not_ours;
      break;
  }
  return v;
}

void NtsFlows::release(size_t flow) {
  if (flows_[flow].needs_key_exchange()) {
    ++counters_.retired;
    return;
  }
  free_.push_back(flow);
}

}  // namespace meridian::bench
