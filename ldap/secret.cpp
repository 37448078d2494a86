#include "ldap/secret.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <system_error>

namespace adcheck::ldap {
namespace {

void scrub(std::string& s) {
  // explicit_bzero cannot be optimised away, unlike a memset of memory about to be freed.
  // The whole capacity: a moved-from or shortened string still holds the old bytes.
  if (s.capacity() > 0) explicit_bzero(s.data(), s.capacity());
  s.clear();
}

}  // namespace

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    wipe();
    value_ = other.value_;
  }
  return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

Secret::~Secret() { wipe(); }

void Secret::wipe() { scrub(value_); }

std::ostream& operator<<(std::ostream& out, const Secret&) { return out << "<redacted>"; }

Result<Secret> loadSecret(const std::string& password_file, std::string_view env_var) {
  if (!password_file.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(password_file, ec)) {
      return fail(ErrorCode::kConfig,
                  "password_file \"" + password_file + "\" is a directory, not a file",
                  "set [directory] password_file to the file that holds the bind password");
    }
    std::ifstream in(password_file, std::ios::binary);
    if (!in) {
      const int err = errno;
      return fail(ErrorCode::kIo,
                  "cannot read password_file \"" + password_file + "\": " +
                      std::generic_category().message(err),
                  "create it with the bind password on one line, readable by the adcheck user "
                  "only (chmod 600), or set [directory] password_file to the right path");
    }
    // Read straight into one buffer (no stream copies of the password left behind).
    std::string value;
    char chunk[256];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
      value.append(chunk, static_cast<std::size_t>(in.gcount()));
      if (value.size() > 64 * 1024) break;
    }
    explicit_bzero(chunk, sizeof chunk);
    if (in.bad()) {
      scrub(value);
      return fail(ErrorCode::kIo, "error while reading password_file \"" + password_file + "\"",
                  "check the file and its permissions");
    }
    if (value.size() > 64 * 1024) {
      scrub(value);
      return fail(ErrorCode::kConfig,
                  "password_file \"" + password_file + "\" is larger than 64 KiB",
                  "is it the right file? It must hold only the bind password");
    }
    // One line ending only: the password itself may end in blanks.
    if (!value.empty() && value.back() == '\n') value.pop_back();
    if (!value.empty() && value.back() == '\r') value.pop_back();
    if (value.empty()) {
      return fail(ErrorCode::kConfig, "password_file \"" + password_file + "\" is empty",
                  "write the bind password into it (an empty password would bind anonymously)");
    }
    if (value.find('\n') != std::string::npos) {
      scrub(value);
      return fail(ErrorCode::kConfig,
                  "password_file \"" + password_file + "\" holds more than one line",
                  "put only the password in it, on one line");
    }
    Secret secret(std::move(value));
    scrub(value);
    return secret;
  }
  const std::string name(env_var);
  const char* env = name.empty() ? nullptr : std::getenv(name.c_str());
  if (env == nullptr) {
    return fail(ErrorCode::kConfig,
                "no bind password: [directory] password_file is not set and the environment "
                "variable " + name + " is not set",
                "set [directory] password_file (recommended) or " + name +
                    "; passwords are never taken from the command line");
  }
  if (*env == '\0') {
    return fail(ErrorCode::kConfig, "the environment variable " + name + " is empty",
                "put the bind password in it (an empty password would bind anonymously)");
  }
  return Secret(std::string(env));
}

}  // namespace adcheck::ldap
