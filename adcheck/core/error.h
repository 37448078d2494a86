// Error values used across adcheck. Inside the code base failures travel as return values
// (std::expected); exceptions from Poco and result codes from libldap are translated at the
// edges into an Error that names what went wrong and what to do about it.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace adcheck {

enum class ErrorCode {
  kInvalidArgument,  // caller gave something unusable (bad URI, bad rule id, ...)
  kConfig,           // configuration file or key is wrong
  kParse,            // malformed bytes or text (descriptor, LDIF, SDDL, ...)
  kIo,               // file system
  kNotFound,         // object, file or id does not exist
  kAuth,             // bind refused: bad credentials, strong auth required, ...
  kTls,              // TLS set-up or certificate verification
  kServerDown,       // DC unreachable or connection lost
  kTimeout,          // operation or connect time-out
  kLdap,             // any other LDAP error
  kStore,            // database
  kUnsupported,      // feature not available
  kInternal,         // bug: should not happen
};

std::string_view errorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // what happened, naming the thing (key, offset, DN, URI, ...)
  std::string hint;     // what to do about it; may be empty

  // "message (hint)" on one line, for logs and the terminal.
  std::string toString() const;
};

template <class T>
using Result = std::expected<T, Error>;

// Shorthand: `return fail(ErrorCode::kParse, "...");` inside a function returning Result<T>.
inline std::unexpected<Error> fail(ErrorCode code, std::string message, std::string hint = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(hint)});
}

inline std::unexpected<Error> fail(Error error) { return std::unexpected(std::move(error)); }

}  // namespace adcheck
