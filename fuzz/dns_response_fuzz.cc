// DNS replies (core/dns): parse_response on arbitrary datagrams as the reply
// to an A and to an AAAA question for "pool.ntp.org", with the id taken from
// the input so the header check passes and the body gets exercised; the same
// bytes as hosts(5) and resolv.conf(5) text. Checks: no crash/UB, every
// answer has the asked family and a TTL below 2^31, a query we build parses
// back as nothing but a malformed reply (QR clear).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "core/dns/hosts_file.h"
#include "core/dns/message.h"
#include "core/dns/resolv_conf.h"

using namespace meridian;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  const uint16_t id = size >= 2 ? static_cast<uint16_t>(data[0] << 8 | data[1]) : 0;
  for (auto type : {dns::RecordType::kA, dns::RecordType::kAaaa}) {
    auto r = dns::parse_response(bytes, id, "pool.ntp.org", type);
    if (!r) continue;
    const auto family = type == dns::RecordType::kA ? net::Family::kIPv4 : net::Family::kIPv6;
    for (const auto& a : r->addresses) {
      if (a.address.family() != family || a.ttl_s > 0x7fffffffu) std::abort();
    }
    if (r->canonical_name.empty()) std::abort();
  }

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto hosts = dns::HostsTable::parse(text);
  (void)hosts.lookup("localhost");
  const auto conf = dns::parse_resolv_conf(text);
  if (conf.nameservers.empty() || conf.nameservers.size() > dns::kMaxNameservers) std::abort();
  if (conf.timeout_s < 1 || conf.timeout_s > dns::kMaxTimeoutS) std::abort();
  if (conf.attempts < 1 || conf.attempts > dns::kMaxAttempts) std::abort();
  (void)dns::search_names("timehost", conf);

  auto query = dns::build_query("pool.ntp.org", dns::RecordType::kA, id);
  if (!query || dns::parse_response(*query, id, "pool.ntp.org", dns::RecordType::kA)) std::abort();
  return 0;
}
