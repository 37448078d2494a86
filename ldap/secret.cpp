#include "ldap/secret.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <ostream>
#include <system_error>

namespace adcheck::ldap {
namespace {

constexpr std::size_t kMaxSecretFile = 64 * 1024;

// For the chmod / chown in a hint: a path the user can paste into a shell as it is.
std::string shellWord(const std::string& path) {
  const bool plain = !path.empty() && path.find_first_not_of(
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789/._-+,@:%=") == std::string::npos;
  if (plain) return path;
  std::string out = "'";
  for (char c : path) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string userName(uid_t uid) {
  passwd pw{};
  passwd* found = nullptr;
  char buf[1024];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != nullptr)
    return found->pw_name;
  return std::to_string(uid);
}

std::string octalMode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string quoted(std::string_view key, const std::string& path) {
  return std::string(key) + " \"" + path + "\"";
}

Result<void> checkStat(const struct stat& st, const std::string& path, std::string_view key) {
  if ((st.st_mode & 077) != 0) {
    return fail(ErrorCode::kConfig,
                quoted(key, path) + " is open to group or others (mode " + octalMode(st.st_mode) +
                    "); a file holding a secret must be readable by its owner only",
                "run chmod 600 " + shellWord(path));
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != me && st.st_uid != 0) {
    return fail(ErrorCode::kConfig,
                quoted(key, path) + " belongs to " + userName(st.st_uid) +
                    ", not to the user adcheck runs as (" + userName(me) + ") or root",
                "run chown " + userName(me) + " " + shellWord(path));
  }
  return {};
}

std::mutex g_env_mutex;
std::map<std::string, Secret, std::less<>>& envSecrets() {
  static std::map<std::string, Secret, std::less<>> secrets;  // wiped at exit
  return secrets;
}

}  // namespace

void wipe(std::string& s) {
  // explicit_bzero cannot be optimised away, unlike a memset of memory about to be freed.
  // The whole capacity: a moved-from or shortened string still holds the old bytes.
  if (s.capacity() > 0) explicit_bzero(s.data(), s.capacity());
  s.clear();
}

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

void Secret::wipe() { ldap::wipe(value_); }

std::ostream& operator<<(std::ostream& out, const Secret&) { return out << "<redacted>"; }

Result<void> checkSecretFile(const std::string& path, std::string_view key) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return {};
  return checkStat(st, path, key);
}

Result<Secret> readSecretFile(const std::string& path, std::string_view key) {
  const std::string what = quoted(key, path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    const std::string hint = "create it with the secret on one line, readable by the adcheck "
                             "user only (chmod 600), or set " +
                             std::string(key) + " to the right path";
    return fail(ErrorCode::kIo,
                "cannot read " + what + ": " + std::generic_category().message(err), hint);
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  // Checked on the opened file, so the file read is the file checked.
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    return fail(ErrorCode::kIo, "cannot read " + what + ": " + std::generic_category().message(err),
                "check the file");
  }
  if (S_ISDIR(st.st_mode)) {
    return fail(ErrorCode::kConfig, what + " is a directory, not a file",
                "set " + std::string(key) + " to the file that holds the secret");
  }
  if (auto ok = checkStat(st, path, key); !ok) return fail(ok.error());
  // Read straight into one buffer of its final size (no stream copies left behind).
  std::string value;
  value.reserve(kMaxSecretFile + 1);
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      explicit_bzero(chunk, sizeof chunk);
      wipe(value);
      return fail(ErrorCode::kIo,
                  "error while reading " + what + ": " + std::generic_category().message(err),
                  "check the file and its permissions");
    }
    if (n == 0) break;
    value.append(chunk, std::min(static_cast<std::size_t>(n), kMaxSecretFile + 1 - value.size()));
    if (value.size() > kMaxSecretFile) break;
  }
  explicit_bzero(chunk, sizeof chunk);
  if (value.size() > kMaxSecretFile) {
    wipe(value);
    return fail(ErrorCode::kConfig, what + " is larger than 64 KiB",
                "is it the right file? It must hold only the secret");
  }
  // One line ending only: the secret itself may end in blanks.
  if (!value.empty() && value.back() == '\n') value.pop_back();
  if (!value.empty() && value.back() == '\r') value.pop_back();
  Secret secret(std::move(value));
  wipe(value);
  return secret;
}

Result<Secret> loadSecret(const std::string& password_file, std::string_view env_var) {
  if (!password_file.empty()) {
    auto secret = readSecretFile(password_file, "password_file");
    if (!secret) {
      Error e = secret.error();
      if (e.code == ErrorCode::kIo && e.message.starts_with("cannot read"))
        e.hint =
            "create it with the bind password on one line, readable by the adcheck user "
            "only (chmod 600), or set [directory] password_file to the right path";
      return fail(std::move(e));
    }
    if (secret->empty()) {
      return fail(ErrorCode::kConfig, "password_file \"" + password_file + "\" is empty",
                  "write the bind password into it (an empty password would bind anonymously)");
    }
    if (secret->reveal().find('\n') != std::string_view::npos) {
      return fail(ErrorCode::kConfig,
                  "password_file \"" + password_file + "\" holds more than one line",
                  "put only the password in it, on one line");
    }
    return secret;
  }
  const std::string name(env_var);
  std::lock_guard lock(g_env_mutex);
  char* env = name.empty() ? nullptr : std::getenv(name.c_str());
  if (env == nullptr) {
    // Taken (and wiped from the environment) by an earlier call.
    auto& taken = envSecrets();
    if (auto it = taken.find(name); it != taken.end()) return it->second;
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
  std::string value(env);
  Secret secret(std::move(value));
  wipe(value);  // a short string's bytes stay in its inline buffer after the move
  // In place first: unsetenv alone leaves the bytes where they were (for the initial
  // environment, in the memory /proc/<pid>/environ shows).
  explicit_bzero(env, std::strlen(env));
  ::unsetenv(name.c_str());
  envSecrets()[name] = secret;
  return secret;
}

void forgetEnvironmentSecrets() {
  std::lock_guard lock(g_env_mutex);
  envSecrets().clear();
}

}  // namespace adcheck::ldap
