#include "web/server/http_util.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <sstream>
#include <stdexcept>

namespace adcheck::web {

std::string Request::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string Request::cookie(const std::string& name) const {
  const std::string all = header("cookie");
  std::size_t pos = 0;
  while (pos < all.size()) {
    std::size_t end = all.find(';', pos);
    if (end == std::string::npos) end = all.size();
    std::string_view part(all.data() + pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (auto eq = part.find('='); eq != std::string_view::npos && part.substr(0, eq) == name)
      return std::string(part.substr(eq + 1));
    pos = end + 1;
  }
  return {};
}

std::optional<std::string> Request::param(const std::string& name) const {
  std::optional<std::string> v;
  for (const auto& [k, value] : query)
    if (k == name) v = value;
  return v;
}

std::vector<std::string> Request::params(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : query)
    if (k == name && !v.empty()) out.push_back(v);
  return out;
}

void Response::set(const std::string& name, const std::string& value) {
  for (auto& [k, v] : headers)
    if (k == name) {
      v = value;
      return;
    }
  headers.emplace_back(name, value);
}

HttpError badRequest(std::string message, std::string hint) {
  return HttpError{400, "bad-request", std::move(message), std::move(hint), {}};
}

HttpError internalError(const std::string& id) {
  if (id.empty()) return HttpError{500, "internal", "internal error", "the server log has the details", {}};
  return HttpError{500, "internal", "internal error", "the server log has the details under id " + id, {}, id};
}

Response jsonResponse(int status, const Poco::JSON::Object::Ptr& body) {
  Response r;
  r.status = status;
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(body, out);
  r.body = out.str();
  r.set("Cache-Control", "no-store");
  return r;
}

Response errorResponse(const HttpError& error) {
  Poco::JSON::Object::Ptr e = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  e->set("code", error.code);
  e->set("message", error.message);
  e->set("hint", error.hint);
  if (!error.id.empty()) e->set("id", error.id);
  Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
  body->set("error", e);
  Response r = jsonResponse(error.status, body);
  if (error.retryAfter) r.set("Retry-After", std::to_string(*error.retryAfter));
  return r;
}

Response noContent() {
  Response r;
  r.status = 204;
  r.contentType.clear();
  r.set("Cache-Control", "no-store");
  return r;
}

void addSecurityHeaders(Response& response, bool secure) {
  // A handler may have set a stricter policy (the HTML report: no script at all).
  bool has_csp = false;
  for (const auto& h : response.headers) has_csp = has_csp || h.first == "Content-Security-Policy";
  if (!has_csp) response.set("Content-Security-Policy", std::string(kContentSecurityPolicy));
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set("X-Frame-Options", "DENY");
  if (secure) response.set("Strict-Transport-Security", "max-age=31536000");
}

std::string percentDecode(std::string_view text, bool plus_is_space, bool* ok) {
  std::string out;
  out.reserve(text.size());
  *ok = true;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      const bool room = i + 2 < text.size();
      int hi = room ? hex(text[i + 1]) : -1;
      int lo = room ? hex(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        *ok = false;
        return out;
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<Query> parseQuery(std::string_view query) {
  Query out;
  std::size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    std::size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view part = query.substr(pos, end - pos);
    if (!part.empty()) {
      auto eq = part.find('=');
      std::string_view k = part.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
      bool ok1 = true, ok2 = true;
      std::string key = percentDecode(k, true, &ok1);
      std::string value = percentDecode(v, true, &ok2);
      if (!ok1 || !ok2)
        return fail(ErrorCode::kInvalidArgument,
                    "query parameter '" + (ok1 ? key : std::string(k.substr(0, 40))) +
                        "' has a malformed %-escape",
                    "escape '%' as %25");
      out.emplace_back(std::move(key), std::move(value));
    }
    pos = end + 1;
  }
  return out;
}

HttpResult<std::size_t> intParam(const Request& request, const std::string& name, std::size_t def,
                                 std::size_t min, std::size_t max) {
  auto v = request.param(name);
  if (!v || v->empty()) return def;
  std::size_t used = 0;
  unsigned long long n = 0;
  try {
    if ((*v)[0] == '-' || (*v)[0] == '+') throw std::invalid_argument("sign");
    n = std::stoull(*v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v->size() || n < min || n > max)
    return std::unexpected(badRequest("parameter '" + name + "' must be a whole number from " +
                                      std::to_string(min) + " to " + std::to_string(max)));
  return static_cast<std::size_t>(n);
}

HttpResult<Poco::JSON::Object::Ptr> parseJsonBody(const Request& request) {
  if (request.body.empty()) return Poco::JSON::Object::Ptr(new Poco::JSON::Object);
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(request.body);
    if (v.type() != typeid(Poco::JSON::Object::Ptr))
      return std::unexpected(badRequest("the request body must be a JSON object"));
    return v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    // Poco's parser message says where it stopped, never echoes the body.
    return std::unexpected(badRequest("the request body is not valid JSON", "send a JSON object"));
  } catch (const std::exception&) {
    return std::unexpected(badRequest("the request body is not valid JSON", "send a JSON object"));
  }
}

std::optional<std::string> jsonString(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  if (!o || !o->has(key)) return std::nullopt;
  auto v = o->get(key);
  if (!v.isString()) return std::nullopt;
  return v.extract<std::string>();
}

std::string randomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed");  // no entropy: nothing safe to do
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  OPENSSL_cleanse(raw.data(), raw.size());
  return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace adcheck::web
