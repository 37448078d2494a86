// A password that must never end up in a message, a log line or a core dump if we can help it.
// The only way to read it is reveal(), so every use is easy to find in a review; printing a
// Secret prints "<redacted>". Secrets come from a file or the environment (SPEC section 5),
// never from the command line.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "adcheck/core/error.h"

namespace adcheck::ldap {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret& other) : value_(other.value_) {}
  Secret(Secret&& other) noexcept;
  Secret& operator=(const Secret& other);
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  bool empty() const { return value_.empty(); }
  std::size_t size() const { return value_.size(); }
  // The secret itself: pass it straight to the bind, never into a string that is printed.
  std::string_view reveal() const { return value_; }
  // Overwrites the bytes before releasing them.
  void wipe();

 private:
  std::string value_;
};

std::ostream& operator<<(std::ostream& out, const Secret& secret);

inline constexpr std::string_view kBindPasswordEnv = "ADCHECK_BIND_PASSWORD";

// Loads the bind password: from password_file when it is not empty (one trailing "\n" or
// "\r\n" stripped), else from the environment variable env_var. Errors name the file or the
// variable and say what to do; an empty password is refused because an LDAP simple bind with
// an empty password is an anonymous bind that servers report as success.
Result<Secret> loadSecret(const std::string& password_file,
                          std::string_view env_var = kBindPasswordEnv);

}  // namespace adcheck::ldap
