#include "web/server/auth_local.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <sstream>
#include <stdexcept>
#include <vector>

namespace adcheck::web {
namespace {

constexpr std::size_t kHashBytes = 32;
constexpr std::size_t kSaltBytes = 16;
constexpr std::string_view kPrefix = "pbkdf2-sha256";

std::string b64(const std::string& raw) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << raw;
  enc.close();
  return out.str();
}

Result<std::string> unb64(const std::string& text, const char* what) {
  try {
    std::istringstream in(text);
    Poco::Base64Decoder dec(in);
    std::string out((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    return out;
  } catch (const std::exception&) {
    return fail(ErrorCode::kConfig, std::string("[web] admin_password_hash: the ") + what +
                                        " is not valid base64",
                "make a new one with adcheck hash-password");
  }
}

std::string derive(std::string_view password, const std::string& salt, int iterations) {
  std::string out(kHashBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        iterations, EVP_sha256(), static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1)
    throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
  return out;
}

struct Parsed {
  int iterations = 0;
  std::string salt;
  std::string hash;
};

Result<Parsed> parse(const std::string& encoded) {
  const std::string hint = "make one with: adcheck hash-password < password-file";
  std::vector<std::string> parts;
  std::size_t pos = 0;
  for (;;) {
    auto end = encoded.find('$', pos);
    parts.push_back(encoded.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  if (parts.size() != 4 || parts[0] != kPrefix)
    return fail(ErrorCode::kConfig,
                "[web] admin_password_hash is not of the form pbkdf2-sha256$ITERATIONS$SALT$HASH", hint);
  Parsed p;
  try {
    std::size_t used = 0;
    p.iterations = std::stoi(parts[1], &used);
    if (used != parts[1].size()) p.iterations = 0;
  } catch (const std::exception&) {
    p.iterations = 0;
  }
  if (p.iterations < 1000)
    return fail(ErrorCode::kConfig,
                "[web] admin_password_hash: iterations '" + parts[1] + "' must be a number of at least 1000",
                hint);
  auto salt = unb64(parts[2], "salt");
  if (!salt) return fail(salt.error());
  auto hash = unb64(parts[3], "hash");
  if (!hash) return fail(hash.error());
  if (salt->size() < 8 || hash->size() != kHashBytes)
    return fail(ErrorCode::kConfig,
                "[web] admin_password_hash: the salt must be at least 8 bytes and the hash 32 bytes", hint);
  p.salt = std::move(*salt);
  p.hash = std::move(*hash);
  return p;
}

}  // namespace

std::string hashPassword(std::string_view password, int iterations) {
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  return std::string(kPrefix) + "$" + std::to_string(iterations) + "$" + b64(salt) + "$" +
         b64(derive(password, salt, iterations));
}

Result<void> checkPasswordHash(const std::string& encoded) {
  auto p = parse(encoded);
  if (!p) return fail(p.error());
  return {};
}

Result<bool> verifyPassword(std::string_view password, const std::string& encoded) {
  auto p = parse(encoded);
  if (!p) return fail(p.error());
  std::string got = derive(password, p->salt, p->iterations);
  bool same = CRYPTO_memcmp(got.data(), p->hash.data(), kHashBytes) == 0;
  OPENSSL_cleanse(got.data(), got.size());
  return same;
}

}  // namespace adcheck::web
