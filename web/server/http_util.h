// The HTTP vocabulary of the dashboard server, independent of Poco so that the routing, limits
// and error format are unit-testable: a Request read from the wire (already size-checked), a
// Response, the JSON error form of web/API.md, the security headers and query-string parsing.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adcheck/core/error.h"

namespace adcheck::web {

inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;  // larger bodies: 413
inline constexpr std::size_t kMaxUriBytes = 8 * 1024;    // longer URIs: 414

// For the HTML report (one self-contained file with an inline stylesheet): styles only, no script.
inline constexpr std::string_view kReportContentSecurityPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'";

inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'";

using Query = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", ...
  std::string path;    // percent-decoded path, without the query
  Query query;         // decoded name/value pairs in order
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string client;  // peer address, for throttling and the logs
  bool secure = false;  // arrived over TLS

  std::string header(const std::string& lower_name) const;
  std::string cookie(const std::string& name) const;
  // The last value of a query parameter (nullopt when absent), or all of them.
  std::optional<std::string> param(const std::string& name) const;
  std::vector<std::string> params(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string contentType = "application/json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void set(const std::string& name, const std::string& value);
};

// An API failure carried to the router: HTTP status + the code/message/hint of web/API.md.
struct HttpError {
  int status = 500;
  std::string code = "internal";
  std::string message;
  std::string hint;
  std::optional<int> retryAfter;  // seconds, for 429
  // For 500: the id of the server log line with the detail (answered as error.id).
  std::string id = {};
};

template <class T>
using HttpResult = std::expected<T, HttpError>;

inline std::unexpected<HttpError> httpFail(int status, std::string code, std::string message,
                                           std::string hint = {}) {
  return std::unexpected(HttpError{status, std::move(code), std::move(message), std::move(hint), {}});
}
HttpError badRequest(std::string message, std::string hint = {});
// A store or other internal error: logged by the caller, answered as 500 without details (with
// the id of the log line when given).
HttpError internalError(const std::string& id = "");

Response jsonResponse(int status, const Poco::JSON::Object::Ptr& body);
Response errorResponse(const HttpError& error);
Response noContent();

// Headers every response carries (CSP, nosniff, ...; HSTS when secure). A CSP the handler set
// already is kept.
void addSecurityHeaders(Response& response, bool secure);

// "a=1&b=x%20y&b=z" -> pairs; '+' is a space. Malformed escapes are an error naming the parameter.
Result<Query> parseQuery(std::string_view query);
std::string percentDecode(std::string_view text, bool plus_is_space, bool* ok);

// Query helpers for the API: each error names the parameter and what would be valid.
HttpResult<std::size_t> intParam(const Request& request, const std::string& name, std::size_t def,
                                 std::size_t min, std::size_t max);
HttpResult<Poco::JSON::Object::Ptr> parseJsonBody(const Request& request);

// Strings from JSON bodies.
std::optional<std::string> jsonString(const Poco::JSON::Object::Ptr& o, const std::string& key);

// Hex of `bytes` cryptographically random bytes (OpenSSL RAND_bytes).
std::string randomHex(std::size_t bytes);

// Constant-time comparison (for CSRF tokens and password hashes).
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace adcheck::web
