// A password that must never end up in a message, a log line or a core dump if we can help it.
// The only way to read it is reveal(), so every use is easy to find in a review; printing a
// Secret prints "<redacted>". Secrets come from a file or the environment (SPEC section 5),
// never from the command line.
//
// Files that hold a secret (password files, private keys) follow ssh's rule for private keys:
// refused when group or others have any access, or when they belong to someone else than the
// user adcheck runs as or root. checkSecretFile() is that rule, used by every reader of such a
// file ([directory] password_file and client_key, [endpoint] client_pkcs12_password_file,
// [web] tls_key).
//
// This file needs no libldap (target adcheck_secret), so the probe and the web server use it
// without linking the directory client.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "adcheck/core/error.h"

namespace adcheck::ldap {

// Overwrites the whole buffer (capacity, not just size) in a way the compiler cannot drop, then
// clears it. For request bodies and other std::strings that held a password.
void wipe(std::string& s);

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
  // The same, NUL-terminated, for C APIs (OpenSSL's PKCS#12 password).
  const char* revealCString() const { return value_.c_str(); }
  // Overwrites the bytes before releasing them.
  void wipe();

 private:
  std::string value_;
};

std::ostream& operator<<(std::ostream& out, const Secret& secret);

inline constexpr std::string_view kBindPasswordEnv = "ADCHECK_BIND_PASSWORD";

// ssh's rule for a file that holds a secret: refused if group or others have any permission bit
// (mode & 077), or if it is owned by neither the effective user nor root. `key` names the setting
// in messages ("password_file", "[web] tls_key"); the hint gives the chmod / chown to run.
// A file that does not exist passes: its reader reports that with its own words.
Result<void> checkSecretFile(const std::string& path, std::string_view key);

// Reads a whole secret file (at most 64 KiB) after checking it with checkSecretFile's rule on the
// opened file; one trailing "\n" or "\r\n" is stripped. An empty file gives an empty Secret.
Result<Secret> readSecretFile(const std::string& path, std::string_view key);

// Loads the bind password: from password_file when it is not empty (one trailing "\n" or
// "\r\n" stripped; permissions as checkSecretFile), else from the environment variable env_var.
// Errors name the file or the variable and say what to do; an empty password is refused because
// an LDAP simple bind with an empty password is an anonymous bind that servers report as success.
//
// A password taken from the environment is wiped from it (overwritten in place, so it also
// leaves /proc/<pid>/environ, then unset): child processes and `ps e` never see it. It is kept
// in memory for later calls with the same env_var (the web server opens a session per scan).
Result<Secret> loadSecret(const std::string& password_file,
                          std::string_view env_var = kBindPasswordEnv);

// Forgets the passwords loadSecret took from the environment (for tests).
void forgetEnvironmentSecrets();

}  // namespace adcheck::ldap
