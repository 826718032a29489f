// refid_for: the reference id we publish for an upstream server.
#include <openssl/evp.h>

#include "core/engine/client_engine.h"

namespace meridian::engine {

uint32_t refid_for(const net::IpAddress& address) {
  if (address.family() == net::Family::kIPv4) return address.v4_value();
  // RFC 5905 §7.3: for IPv6, the first four octets of the MD5 hash of the
  // address, so loop detection works across implementations.
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(address.bytes().data(), 16, digest, &len, EVP_md5(), nullptr) != 1 || len < 4) {
    return 0;
  }
  return uint32_t{digest[0]} << 24 | uint32_t{digest[1]} << 16 | uint32_t{digest[2]} << 8 |
         digest[3];
}

}  // namespace meridian::engine
