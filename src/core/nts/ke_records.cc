// NTS-KE record codec, RFC 8915 §4. See ke_records.h.
#include "core/nts/ke_records.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/wire/byte_reader.h"

namespace meridian::nts {
namespace {

constexpr size_t kRecordHeaderBytes = 4;
constexpr size_t kMaxBodyBytes = 0xffff;

uint16_t type_of(KeRecordType t) { return static_cast<uint16_t>(t); }

void write_record(wire::ByteWriter& w, KeRecordType type, bool critical,
                  std::span<const std::byte> body) {
  w.u16(static_cast<uint16_t>(type_of(type) | (critical ? kCriticalBit : 0)));
  w.u16(static_cast<uint16_t>(body.size()));
  w.bytes(body);
}

void write_u16_list(wire::ByteWriter& w, KeRecordType type, bool critical,
                    std::span<const uint16_t> ids) {
  std::vector<std::byte> body;
  wire::ByteWriter b(body);
  for (uint16_t id : ids) b.u16(id);
  write_record(w, type, critical, body);
}

void write_end_of_message(wire::ByteWriter& w) {
  write_record(w, KeRecordType::kEndOfMessage, true, {});  // §4.1.1: critical, empty
}

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

// A body that is a list of u16 ids (§4.1.2, §4.1.5); nullopt for an odd length.
std::optional<std::vector<uint16_t>> u16_list(std::span<const std::byte> body) {
  if (body.size() % 2 != 0) return std::nullopt;
  std::vector<uint16_t> ids;
  wire::ByteReader r(body);
  while (auto id = r.u16()) ids.push_back(*id);
  return ids;
}

std::optional<uint16_t> single_u16(std::span<const std::byte> body) {
  if (body.size() != 2) return std::nullopt;
  return wire::ByteReader(body).u16();
}

std::string body_text(std::span<const std::byte> body) {
  std::string s(body.size(), '\0');
  std::transform(body.begin(), body.end(), s.begin(),
                 [](std::byte b) { return static_cast<char>(b); });
  return s;
}

std::string_view error_name(uint16_t code) {
  switch (code) {
    case 0:
      return "unrecognized critical record";
    case 1:
      return "bad request";
    case 2:
      return "internal server error";
    default:
      return "unknown error code";
  }
}

Error malformed(std::string message) {
  return make_error(ErrorCode::kMalformed, std::move(message));
}

}  // namespace

Result<std::optional<size_t>> message_length(std::span<const std::byte> received,
                                             size_t max_bytes) {
  size_t pos = 0;
  // Each pass consumes one whole record, so the loop runs at most
  // received.size() / 4 + 1 times.
  while (true) {
    if (received.size() - pos < kRecordHeaderBytes) {
      if (pos + kRecordHeaderBytes > max_bytes) {
        return malformed(fmt::format("NTS-KE message longer than {} bytes", max_bytes));
      }
      return std::optional<size_t>{};
    }
    wire::ByteReader r(received.subspan(pos, kRecordHeaderBytes));
    const uint16_t type = static_cast<uint16_t>(*r.u16() & ~kCriticalBit);
    const size_t body = *r.u16();
    const size_t end = pos + kRecordHeaderBytes + body;
    if (end > max_bytes) {
      return malformed(fmt::format("NTS-KE message longer than {} bytes", max_bytes));
    }
    if (type == type_of(KeRecordType::kEndOfMessage)) {
      if (body != 0) return malformed("NTS-KE End of Message record with a non-empty body");
      return std::optional<size_t>{end};
    }
    if (received.size() < end) return std::optional<size_t>{};
    pos = end;
  }
}

Result<std::vector<KeRecord>> split_records(std::span<const std::byte> message) {
  std::vector<KeRecord> records;
  wire::ByteReader r(message);
  while (r.remaining() > 0) {
    auto head = r.u16();
    auto length = r.u16();
    if (!head || !length)
      return make_error(ErrorCode::kTruncated, "NTS-KE record header truncated");
    auto body = r.bytes(*length);
    if (!body) return make_error(ErrorCode::kTruncated, "NTS-KE record body truncated");
    KeRecord rec{(*head & kCriticalBit) != 0, static_cast<uint16_t>(*head & ~kCriticalBit), *body};
    records.push_back(rec);
    if (rec.type == type_of(KeRecordType::kEndOfMessage)) {
      if (!rec.body.empty()) return malformed("NTS-KE End of Message record with a non-empty body");
      if (r.remaining() != 0) return malformed("NTS-KE bytes after End of Message");
      return records;
    }
  }
  return make_error(ErrorCode::kTruncated, "NTS-KE message without End of Message");
}

std::array<std::byte, 5> exporter_context(uint16_t aead_id, KeyDirection direction) {
  return {std::byte{kProtocolNtpV4 >> 8}, std::byte{kProtocolNtpV4 & 0xff},
          static_cast<std::byte>(aead_id >> 8), static_cast<std::byte>(aead_id & 0xff),
          static_cast<std::byte>(direction)};
}

bool valid_server_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxServerNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::vector<std::byte> build_client_request(const ClientRequestOptions& options) {
  std::vector<std::byte> out;
  wire::ByteWriter w(out);
  const uint16_t protocols[] = {kProtocolNtpV4};
  const uint16_t aeads[] = {kAeadAesSivCmac256};
  write_u16_list(w, KeRecordType::kNextProtocol, true, protocols);  // §4.1.2: critical
  write_u16_list(w, KeRecordType::kAeadAlgorithm, true, aeads);     // §4.1.5: may be critical
  if (options.server && valid_server_name(*options.server)) {
    write_record(w, KeRecordType::kServer, false, as_bytes(*options.server));
  }
  if (options.port) {
    std::vector<std::byte> body;
    wire::ByteWriter(body).u16(*options.port);
    write_record(w, KeRecordType::kPort, false, body);
  }
  write_end_of_message(w);
  return out;
}

Result<ServerResponse> parse_server_response(std::span<const std::byte> message) {
  auto records = split_records(message);
  if (!records) return records.error();
  // §4.1.3/§4.1.4: an Error or Warning decides the outcome whatever else came.
  for (const KeRecord& rec : *records) {
    if (rec.type == type_of(KeRecordType::kError)) {
      auto code = single_u16(rec.body);
      if (!code) return malformed("NTS-KE server sent a malformed Error record");
      return make_error(ErrorCode::kUnavailable, fmt::format("NTS-KE server reported error {} ({})",
                                                             *code, error_name(*code)));
    }
    if (rec.type == type_of(KeRecordType::kWarning)) {
      auto code = single_u16(rec.body);
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("NTS-KE server sent warning {} (no warning codes are defined; "
                                    "RFC 8915 §4.1.4 treats unknown ones as errors)",
                                    code ? static_cast<int>(*code) : -1));
    }
  }
  ServerResponse out;
  std::optional<std::vector<uint16_t>> protocols, aeads;
  for (const KeRecord& rec : *records) {
    switch (static_cast<KeRecordType>(rec.type)) {
      case KeRecordType::kEndOfMessage:
        break;
      case KeRecordType::kNextProtocol:
        if (protocols) return malformed("NTS-KE response with two Next Protocol records");
        protocols = u16_list(rec.body);
        if (!protocols) return malformed("NTS-KE Next Protocol record of odd length");
        break;
      case KeRecordType::kAeadAlgorithm:
        if (aeads) return malformed("NTS-KE response with two AEAD Algorithm records");
        aeads = u16_list(rec.body);
        if (!aeads) return malformed("NTS-KE AEAD Algorithm record of odd length");
        break;
      case KeRecordType::kNewCookie:
        if (rec.body.empty()) return malformed("NTS-KE New Cookie record with an empty cookie");
        out.cookies.emplace_back(rec.body.begin(), rec.body.end());
        break;
      case KeRecordType::kServer: {
        if (out.server) return malformed("NTS-KE response with two Server records");
        std::string name = body_text(rec.body);
        if (!valid_server_name(name)) return malformed("NTS-KE Server record with an invalid name");
        out.server = std::move(name);
        break;
      }
      case KeRecordType::kPort: {
        if (out.port) return malformed("NTS-KE response with two Port records");
        auto port = single_u16(rec.body);
        if (!port || *port == 0) return malformed("NTS-KE Port record malformed or port 0");
        out.port = *port;
        break;
      }
      default:  // Error and Warning were handled above
        if (rec.critical) {
          return make_error(
              ErrorCode::kUnsupported,
              fmt::format("NTS-KE response with unrecognized critical record type {}", rec.type));
        }
        break;  // §4: a non-critical record we do not know is ignored
    }
  }
  if (!protocols) return malformed("NTS-KE response without a Next Protocol record");
  if (protocols->empty()) {
    return make_error(ErrorCode::kUnsupported, "NTS-KE server does not offer NTPv4");
  }
  if (*protocols != std::vector<uint16_t>{kProtocolNtpV4}) {
    return malformed("NTS-KE server granted a protocol we did not ask for");
  }
  if (!aeads) return malformed("NTS-KE response without an AEAD Algorithm record");
  if (aeads->empty()) {
    return make_error(ErrorCode::kUnsupported,
                      "NTS-KE server supports none of our AEAD algorithms (AES-SIV-CMAC-256)");
  }
  if (*aeads != std::vector<uint16_t>{kAeadAesSivCmac256}) {
    return malformed("NTS-KE server chose an AEAD algorithm we did not offer");
  }
  out.aead = kAeadAesSivCmac256;
  if (out.cookies.empty()) return malformed("NTS-KE response without a cookie");
  return out;
}

bool ClientRequest::offers_ntpv4() const {
  return std::find(protocols.begin(), protocols.end(), kProtocolNtpV4) != protocols.end();
}

bool ClientRequest::offers_aes_siv() const {
  return std::find(aeads.begin(), aeads.end(), kAeadAesSivCmac256) != aeads.end();
}

std::variant<ClientRequest, RequestError> parse_client_request(std::span<const std::byte> message) {
  auto bad = [](std::string reason) { return RequestError{KeErrorCode::kBadRequest, reason}; };
  auto records = split_records(message);
  if (!records) return bad(records.error().message);
  ClientRequest out;
  bool have_protocols = false, have_aeads = false;
  for (const KeRecord& rec : *records) {
    switch (static_cast<KeRecordType>(rec.type)) {
      case KeRecordType::kEndOfMessage:
      case KeRecordType::kNewCookie:  // meaningless in a request, and never critical: ignored
        break;
      case KeRecordType::kNextProtocol: {
        if (have_protocols) return bad("two Next Protocol records");
        auto ids = u16_list(rec.body);
        if (!ids || ids->empty()) return bad("Next Protocol record empty or of odd length");
        out.protocols = std::move(*ids);
        have_protocols = true;
        break;
      }
      case KeRecordType::kAeadAlgorithm: {
        if (have_aeads) return bad("two AEAD Algorithm records");
        auto ids = u16_list(rec.body);
        if (!ids || ids->empty()) return bad("AEAD Algorithm record empty or of odd length");
        out.aeads = std::move(*ids);
        have_aeads = true;
        break;
      }
      case KeRecordType::kError:
      case KeRecordType::kWarning:  // §4.1.3/§4.1.4: clients MUST NOT send them
        return bad("Error or Warning record in a request");
      case KeRecordType::kServer: {
        if (out.server) return bad("two Server records");
        std::string name = body_text(rec.body);
        if (!valid_server_name(name)) return bad("Server record with an invalid name");
        out.server = std::move(name);
        break;
      }
      case KeRecordType::kPort: {
        if (out.port) return bad("two Port records");
        auto port = single_u16(rec.body);
        if (!port) return bad("Port record of the wrong length");
        out.port = *port;
        break;
      }
      default:
        if (rec.critical) {
          return RequestError{KeErrorCode::kUnrecognizedCriticalRecord,
                              fmt::format("unrecognized critical record type {}", rec.type)};
        }
        break;
    }
  }
  if (!have_protocols) return bad("no Next Protocol record");
  // §4.1.5: with NTPv4 offered the AEAD record MUST be present.
  if (out.offers_ntpv4() && !have_aeads)
    return bad("NTPv4 offered without an AEAD Algorithm record");
  return out;
}

std::optional<std::vector<std::byte>> build_refusal_response(const ClientRequest& request) {
  if (request.offers_ntpv4() && request.offers_aes_siv()) return std::nullopt;
  std::vector<std::byte> out;
  wire::ByteWriter w(out);
  if (!request.offers_ntpv4()) {
    write_u16_list(w, KeRecordType::kNextProtocol, true, {});  // §4.1.2: the empty subset
  } else {
    const uint16_t protocols[] = {kProtocolNtpV4};
    write_u16_list(w, KeRecordType::kNextProtocol, true, protocols);
    write_u16_list(w, KeRecordType::kAeadAlgorithm, true, {});  // §4.1.5: none acceptable
  }
  write_end_of_message(w);
  return out;
}

Result<std::vector<std::byte>> build_server_response(const ServerResponseFields& fields) {
  if (fields.cookies.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "NTS-KE response needs at least one cookie");
  }
  if (fields.server && !valid_server_name(*fields.server)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("invalid NTS-KE server name '{}'", *fields.server));
  }
  std::vector<std::byte> out;
  wire::ByteWriter w(out);
  const uint16_t protocols[] = {kProtocolNtpV4};
  const uint16_t aeads[] = {kAeadAesSivCmac256};
  write_u16_list(w, KeRecordType::kNextProtocol, true, protocols);
  write_u16_list(w, KeRecordType::kAeadAlgorithm, true, aeads);
  for (const auto& cookie : fields.cookies) {
    if (cookie.empty() || cookie.size() > kMaxBodyBytes) {
      return make_error(ErrorCode::kInvalidArgument, "NTS cookie empty or over 65535 bytes");
    }
    write_record(w, KeRecordType::kNewCookie, false, cookie);  // §4.1.6: never critical
  }
  // Server and port are critical: a client that ignored them would talk NTP
  // to a host that cannot decrypt its cookies.
  if (fields.server) write_record(w, KeRecordType::kServer, true, as_bytes(*fields.server));
  if (fields.port) {
    std::vector<std::byte> body;
    wire::ByteWriter(body).u16(*fields.port);
    write_record(w, KeRecordType::kPort, true, body);
  }
  write_end_of_message(w);
  if (out.size() > kMaxKeMessageBytes) {
    return make_error(ErrorCode::kInvalidArgument, "NTS-KE response over the message size bound");
  }
  return out;
}

std::vector<std::byte> build_error_response(KeErrorCode code) {
  std::vector<std::byte> out;
  wire::ByteWriter w(out);
  std::vector<std::byte> body;
  wire::ByteWriter(body).u16(static_cast<uint16_t>(code));
  write_record(w, KeRecordType::kError, true, body);  // §4.1.3: critical
  write_end_of_message(w);
  return out;
}

}  // namespace meridian::nts
