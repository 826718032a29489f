// NTS Key Establishment messages (RFC 8915 §4): the records exchanged over
// TLS 1.3 (ALPN "ntske/1") before any NTS-protected NTP packet. Pure: framing,
// building and parsing of client requests and server responses; the TLS
// connection itself lives in src/platform (nts_ke_client, nts_ke_server).
//
// Record layout (§4): |C| type (15 bits) | body length (16 bits) | body.
// A message is a sequence of records ending with End of Message.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/nts/keys.h"
#include "core/result.h"

namespace meridian::nts {

// Record types, RFC 8915 §4.1 and §7.5 (IANA "NTS Key Establishment Record Types").
enum class KeRecordType : uint16_t {
  kEndOfMessage = 0,
  kNextProtocol = 1,
  kError = 2,
  kWarning = 3,
  kAeadAlgorithm = 4,
  kNewCookie = 5,
  kServer = 6,
  kPort = 7,
};

// Error codes, RFC 8915 §4.1.3.
enum class KeErrorCode : uint16_t {
  kUnrecognizedCriticalRecord = 0,
  kBadRequest = 1,
  kInternalServerError = 2,
};

constexpr uint16_t kProtocolNtpV4 = 0;  // NTS Next Protocol id, RFC 8915 §7.7
constexpr uint16_t kKeDefaultPort = 4460;
constexpr std::string_view kKeAlpn = "ntske/1";                                // RFC 8915 §4
constexpr std::string_view kExporterLabel = "EXPORTER-network-time-security";  // §5.1
// Our bound on one whole message (all records). RFC 8915 sets none; a
// response with 8 cookies is a few hundred bytes.
constexpr size_t kMaxKeMessageBytes = 64 * 1024;
constexpr size_t kMaxServerNameBytes = 255;  // a DNS name or an address literal
constexpr uint16_t kCriticalBit = 0x8000;

struct KeRecord {
  bool critical = false;
  uint16_t type = 0;  // without the critical bit
  std::span<const std::byte> body;
};

// Incremental framing of a message arriving over a stream: given the bytes
// received so far, the length of the complete message (up to and including
// End of Message) or nullopt when more bytes are needed. Errors: a malformed
// End of Message (non-empty body) or no End of Message within `max_bytes`.
Result<std::optional<size_t>> message_length(std::span<const std::byte> received,
                                             size_t max_bytes = kMaxKeMessageBytes);

// Splits one complete message into records, End of Message included as the
// last one. Errors: truncated record, missing End of Message, bytes after it.
Result<std::vector<KeRecord>> split_records(std::span<const std::byte> message);

// RFC 8915 §5.1: the TLS exporter context is Protocol ID (u16) ‖ AEAD id (u16)
// ‖ 0x00 for the client-to-server key or 0x01 for the server-to-client key.
enum class KeyDirection : uint8_t { kClientToServer = 0, kServerToClient = 1 };
std::array<std::byte, 5> exporter_context(uint16_t aead_id, KeyDirection direction);

// ---------------------------------------------------------------- client side
struct ClientRequestOptions {
  std::optional<std::string> server;  // ask for this NTP server (§4.1.7), non-critical
  std::optional<uint16_t> port;       // ask for this NTP port (§4.1.8), non-critical
};
// Next Protocol {NTPv4} (critical), AEAD {AEAD_AES_SIV_CMAC_256} (critical:
// we speak nothing else), optional server/port, End of Message.
std::vector<std::byte> build_client_request(const ClientRequestOptions& options = {});

struct ServerResponse {
  uint16_t aead = kAeadAesSivCmac256;
  std::vector<std::vector<std::byte>> cookies;  // at least one
  std::optional<std::string> server;            // NTP server to use instead of the KE host
  std::optional<uint16_t> port;                 // NTP port to use instead of 123
};
// Parses one complete response (message_length() said it is complete).
// Errors carry a reason for the log: an Error record (with its code), a
// Warning (§4.1.4: none are defined, unknown ones are errors), NTPv4 or our
// AEAD not granted, an unrecognized critical record, no cookie, duplicates.
Result<ServerResponse> parse_server_response(std::span<const std::byte> message);

// ---------------------------------------------------------------- server side
struct ClientRequest {
  std::vector<uint16_t> protocols;    // Next Protocol ids offered, in the client's order
  std::vector<uint16_t> aeads;        // AEAD ids offered (empty if no AEAD record)
  std::optional<std::string> server;  // requested NTP server (we may ignore it)
  std::optional<uint16_t> port;       // requested NTP port (we may ignore it)
  bool offers_ntpv4() const;
  bool offers_aes_siv() const;
};
struct RequestError {
  KeErrorCode code = KeErrorCode::kBadRequest;
  std::string reason;  // for the log
};
// Parses one complete request: what the client asked for, or the error code
// to answer with (§4.1.3: 0 for an unrecognized critical record, 1 for a
// malformed or incomplete request).
std::variant<ClientRequest, RequestError> parse_client_request(std::span<const std::byte> message);

// The answer to a well-formed request that cannot be granted, or nullopt when
// it can (NTPv4 and AEAD_AES_SIV_CMAC_256 both offered): §4.1.2 an empty Next
// Protocol record when NTPv4 is not offered, §4.1.5 an empty AEAD record when
// no AEAD we support is.
std::optional<std::vector<std::byte>> build_refusal_response(const ClientRequest& request);

struct ServerResponseFields {
  std::vector<std::vector<std::byte>> cookies;  // REQUIRES: 1..N non-empty cookies
  std::optional<std::string> server;
  std::optional<uint16_t> port;
};
// Next Protocol {NTPv4}, AEAD {15}, the cookies, optional server and port,
// End of Message. Errors: no cookie, an empty cookie or one over 65535 bytes,
// a bad server name, or a total over kMaxKeMessageBytes.
Result<std::vector<std::byte>> build_server_response(const ServerResponseFields& fields);
std::vector<std::byte> build_error_response(KeErrorCode code);

// True for a server name record body we accept: 1..255 printable ASCII
// characters without spaces (an A-label DNS name or an address literal).
bool valid_server_name(std::string_view name);

}  // namespace meridian::nts
