// A mode 6 client session (RFC 9327): send one request, collect and
// reassemble the response fragments. Shared by ntpq and ntpstat.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/control/control_message.h"
#include "core/net/address.h"
#include "core/result.h"
#include "platform/udp_socket.h"

namespace meridian::ntpq {

// "host", "host:port", "[v6]:port" or a literal; default port 123.
// REQUIRES nothing; resolves names with the system resolver.
Result<net::Endpoint> resolve_target(std::string_view text, uint16_t default_port,
                                     std::optional<net::Family> family = std::nullopt);

struct ControlResponse {
  uint16_t status = 0;
  std::string data;  // reassembled data of every fragment
};

class Session {
 public:
  static Result<Session> open(const net::Endpoint& server, double timeout_s);

  // One request/response exchange. Errors: kTimeout (no complete answer in
  // time), kUnavailable (the server reported an error: message says which;
  // server_error() gives the code).
  Result<ControlResponse> query(control::Opcode opcode, uint16_t association,
                                std::string_view data = {});
  std::optional<control::ControlError> server_error() const { return server_error_; }
  const net::Endpoint& server() const { return server_; }

 private:
  Session(platform::UdpSocket socket, net::Endpoint server, double timeout_s)
      : socket_(std::move(socket)), server_(server), timeout_s_(timeout_s) {}
  platform::UdpSocket socket_;
  net::Endpoint server_;
  double timeout_s_;
  uint16_t sequence_ = 0;
  std::optional<control::ControlError> server_error_;
};

// "name=value" pairs of a READVAR response, in order; quotes kept.
std::vector<std::pair<std::string, std::string>> parse_variables(std::string_view data);
std::optional<std::string> find_variable(
    const std::vector<std::pair<std::string, std::string>>& vars, std::string_view name);

}  // namespace meridian::ntpq
