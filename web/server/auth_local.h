// The local admin account ([web] admin_user / admin_password_hash) for set-ups without AD login.
// Hash format: pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64> (PBKDF2-HMAC-SHA256 via
// OpenSSL, 32-byte hash, 16-byte random salt); `adcheck hash-password` prints one.
#pragma once

#include <string>
#include <string_view>

#include "adcheck/core/error.h"

namespace adcheck::web {

inline constexpr int kDefaultPbkdf2Iterations = 600000;  // OWASP 2023 for PBKDF2-HMAC-SHA256

std::string hashPassword(std::string_view password, int iterations = kDefaultPbkdf2Iterations);

// Checks the format (errors name what is wrong, never the password), then compares in constant
// time. Returns false for a wrong password.
Result<bool> verifyPassword(std::string_view password, const std::string& encoded);

// Format check only, for start-up validation of the configuration.
Result<void> checkPasswordHash(const std::string& encoded);

}  // namespace adcheck::web
