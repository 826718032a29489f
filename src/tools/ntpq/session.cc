#include "tools/ntpq/session.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "platform/clock.h"
#include "platform/resolver.h"

namespace meridian::ntpq {

Result<net::Endpoint> resolve_target(std::string_view text, uint16_t default_port,
                                     std::optional<net::Family> family) {
  std::string_view host = text;
  uint16_t port = default_port;
  auto parse_port = [&](std::string_view p) -> bool {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || end != p.data() + p.size() || v == 0 || v > 65535) return false;
    port = static_cast<uint16_t>(v);
    return true;
  };
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("bad address {}", text));
    }
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':' || !parse_port(text.substr(close + 2))) {
        return make_error(ErrorCode::kInvalidArgument, fmt::format("bad port in {}", text));
      }
    }
  } else if (text.find(':') != std::string_view::npos && text.find(':') == text.rfind(':')) {
    host = text.substr(0, text.find(':'));
    if (!parse_port(text.substr(text.find(':') + 1))) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("bad port in {}", text));
    }
  }
  auto addresses = platform::resolve_host(host, family);
  // The default host is "localhost": a system without it in /etc/hosts (a
  // minimal container) still means this machine.
  if (!addresses && host == "localhost") {
    addresses = std::vector<net::IpAddress>{family == net::Family::kIPv6
                                                ? *net::IpAddress::parse("::1")
                                                : net::IpAddress::v4({127, 0, 0, 1})};
  }
  if (!addresses) return addresses.error();
  if (addresses->empty()) {
    return make_error(ErrorCode::kUnavailable, fmt::format("{}: no address", host));
  }
  return net::Endpoint{addresses->front(), port};
}

Result<Session> Session::open(const net::Endpoint& server, double timeout_s) {
  net::Endpoint local{server.address.family() == net::Family::kIPv4
                          ? net::IpAddress::v4({0, 0, 0, 0})
                          : net::IpAddress::v6({}),
                      0};
  auto socket = platform::UdpSocket::bind(local);
  if (!socket) return socket.error();
  return Session(std::move(*socket), server, timeout_s);
}

Result<ControlResponse> Session::query(control::Opcode opcode, uint16_t association,
                                       std::string_view data) {
  server_error_.reset();
  const uint16_t sequence = ++sequence_;
  control::ControlHeader h;
  h.leap = 0;
  h.version = 2;  // what classic ntpq sends; every server answers it
  h.opcode = static_cast<uint8_t>(opcode);
  h.sequence = sequence;
  h.association = association;
  const auto request = control::serialize(h, control::as_bytes(data));
  if (auto sent = socket_.send_to(server_, request); !sent) return sent.error();

  std::map<uint16_t, std::string> fragments;  // offset → data
  std::optional<size_t> total;
  ControlResponse response;
  const int64_t deadline = platform::read_monotonic_ns() + static_cast<int64_t>(timeout_s_ * 1e9);
  const int fds[] = {socket_.fd()};
  while (true) {
    const int64_t left = deadline - platform::read_monotonic_ns();
    if (left <= 0) return make_error(ErrorCode::kTimeout, "***Request timed out");
    auto ready = platform::wait_readable(fds, left);
    if (!ready) return ready.error();
    if (ready->empty()) continue;
    auto d = socket_.receive();
    if (!d) return d.error();
    if (!*d) continue;
    if ((*d)->from != server_) continue;
    auto m = control::parse_message((*d)->data);
    if (!m) continue;
    const auto& r = m->header;
    if (!r.response || r.sequence != sequence || r.opcode != h.opcode) continue;
    if (r.error) {
      const auto code = static_cast<control::ControlError>(r.status >> 8);
      server_error_ = code;
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("***Server reports {}", control::describe(code)));
    }
    response.status = r.status;
    fragments[r.offset] =
        std::string(reinterpret_cast<const char*>(m->data.data()), m->data.size());
    if (!r.more) total = size_t{r.offset} + m->data.size();
    if (total) {
      std::string assembled;
      bool complete = true;
      for (const auto& [offset, bytes] : fragments) {
        if (offset != assembled.size()) {
          complete = false;
          break;
        }
        assembled += bytes;
      }
      if (complete && assembled.size() == *total) {
        response.data = std::move(assembled);
        return response;
      }
    }
  }
}

std::vector<std::pair<std::string, std::string>> parse_variables(std::string_view data) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string item;
  bool quoted = false;
  auto flush = [&] {
    size_t b = item.find_first_not_of(" \t\r\n");
    size_t e = item.find_last_not_of(" \t\r\n");
    if (b != std::string::npos) {
      std::string t = item.substr(b, e - b + 1);
      const size_t eq = t.find('=');
      if (eq == std::string::npos) {
        out.emplace_back(t, "");
      } else {
        std::string name = t.substr(0, eq);
        std::string value = t.substr(eq + 1);
        name.erase(name.find_last_not_of(' ') + 1);
        value.erase(0, value.find_first_not_of(' '));
        out.emplace_back(name, value);
      }
    }
    item.clear();
  };
  for (char c : data) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      flush();
    } else if (c != '\0') {
      item += c;
    }
  }
  flush();
  return out;
}

std::optional<std::string> find_variable(
    const std::vector<std::pair<std::string, std::string>>& vars, std::string_view name) {
  for (const auto& [n, v] : vars) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace meridian::ntpq
