#include "adcheck/core/error.h"

namespace adcheck {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid-argument";
    case ErrorCode::kConfig: return "config";
    case ErrorCode::kParse: return "parse";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kNotFound: return "not-found";
    case ErrorCode::kAuth: return "auth";
    case ErrorCode::kTls: return "tls";
    case ErrorCode::kServerDown: return "server-down";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kLdap: return "ldap";
    case ErrorCode::kStore: return "store";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Error::toString() const {
  if (hint.empty()) return message;
  return message + " (" + hint + ")";
}

}  // namespace adcheck
