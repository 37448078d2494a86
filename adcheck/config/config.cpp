#include "adcheck/config/config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Util/IniFileConfiguration.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace adcheck::config {
namespace {

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> splitList(const std::string& text, bool on_space) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ',' || (on_space && std::isspace(static_cast<unsigned char>(c)))) {
      if (auto t = trim(cur); !t.empty()) out.push_back(t);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (auto t = trim(cur); !t.empty()) out.push_back(t);
  return out;
}

// A key's parser writes into Config or returns what would be valid.
using Apply = std::function<std::optional<std::string>(Config&, const std::string&)>;

struct KeySpec {
  const char* section;
  const char* key;
  Apply apply;
};

Apply intField(int min, int max, std::function<int&(Config&)> field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    int out = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || p != v.data() + v.size() || out < min || out > max)
      return "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    field(c) = out;
    return std::nullopt;
  };
}

Apply boolField(std::function<bool&(Config&)> field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    auto l = lower(v);
    if (l == "true" || l == "yes" || l == "on" || l == "1") {
      field(c) = true;
    } else if (l == "false" || l == "no" || l == "off" || l == "0") {
      field(c) = false;
    } else {
      return "true or false";
    }
    return std::nullopt;
  };
}

Apply stringField(std::function<std::string&(Config&)> field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    field(c) = v;
    return std::nullopt;
  };
}

Apply listField(bool on_space, std::function<std::vector<std::string>&(Config&)> field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    field(c) = splitList(v, on_space);
    return std::nullopt;
  };
}

const std::vector<KeySpec>& keySpecs() {
  static const std::vector<KeySpec> specs = {
      {"directory", "uri",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         c.directory.uris = splitList(v, true);
         for (const auto& u : c.directory.uris) {
           auto l = lower(u);
           if (l.rfind("ldap://", 0) != 0 && l.rfind("ldaps://", 0) != 0 &&
               l.rfind("ldapi://", 0) != 0)
             return "a space-separated list of ldap:// or ldaps:// URIs ('" + u +
                    "' is neither)";
         }
         if (c.directory.uris.empty()) return "at least one ldaps:// or ldap:// URI";
         return std::nullopt;
       }},
      {"directory", "bind",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         auto l = lower(v);
         if (l == "simple") c.directory.bind = BindMode::kSimple;
         else if (l == "gssapi") c.directory.bind = BindMode::kGssapi;
         else if (l == "external") c.directory.bind = BindMode::kExternal;
         else return "simple, gssapi or external";
         return std::nullopt;
       }},
      {"directory", "user", stringField([](Config& c) -> std::string& { return c.directory.user; })},
      {"directory", "password_file",
       stringField([](Config& c) -> std::string& { return c.directory.password_file; })},
      {"directory", "starttls", boolField([](Config& c) -> bool& { return c.directory.starttls; })},
      {"directory", "ca_file", stringField([](Config& c) -> std::string& { return c.directory.ca_file; })},
      {"directory", "tls_verify", boolField([](Config& c) -> bool& { return c.directory.tls_verify; })},
      {"directory", "client_cert",
       stringField([](Config& c) -> std::string& { return c.directory.client_cert; })},
      {"directory", "client_key",
       stringField([](Config& c) -> std::string& { return c.directory.client_key; })},
      {"directory", "connect_timeout",
       intField(1, 600, [](Config& c) -> int& { return c.directory.connect_timeout; })},
      {"directory", "timeout", intField(1, 86400, [](Config& c) -> int& { return c.directory.timeout; })},
      {"directory", "page_size", intField(1, 100000, [](Config& c) -> int& { return c.directory.page_size; })},
      {"directory", "base_dn", stringField([](Config& c) -> std::string& { return c.directory.base_dn; })},
      {"exchange", "server_groups",
       listField(false, [](Config& c) -> std::vector<std::string>& { return c.exchange.server_groups; })},
      {"rules", "enabled",
       listField(false, [](Config& c) -> std::vector<std::string>& { return c.rules.enabled; })},
      {"rules", "stale_device_days",
       intField(1, 36500, [](Config& c) -> int& { return c.rules.stale_device_days; })},
      {"rules", "cert_expiry_days",
       intField(0, 3650, [](Config& c) -> int& { return c.rules.cert_expiry_days; })},
      {"store", "path", stringField([](Config& c) -> std::string& { return c.store.path; })},
      {"store", "keep_scans", intField(1, 100000, [](Config& c) -> int& { return c.store.keep_scans; })},
      {"store", "keep_days", intField(0, 36500, [](Config& c) -> int& { return c.store.keep_days; })},
      {"web", "listen",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         auto colon = v.rfind(':');
         int port = 0;
         if (colon == std::string::npos || colon == 0) return "HOST:PORT, e.g. 127.0.0.1:8443";
         auto ps = v.substr(colon + 1);
         auto [p, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
         if (ec != std::errc() || p != ps.data() + ps.size() || port < 1 || port > 65535)
           return "HOST:PORT with a port from 1 to 65535";
         c.web.listen = v;
         return std::nullopt;
       }},
      {"web", "tls_cert", stringField([](Config& c) -> std::string& { return c.web.tls_cert; })},
      {"web", "tls_key", stringField([](Config& c) -> std::string& { return c.web.tls_key; })},
      {"web", "allow_plain_http", boolField([](Config& c) -> bool& { return c.web.allow_plain_http; })},
      {"web", "viewer_groups",
       listField(false, [](Config& c) -> std::vector<std::string>& { return c.web.viewer_groups; })},
      {"web", "operator_groups",
       listField(false, [](Config& c) -> std::vector<std::string>& { return c.web.operator_groups; })},
      {"web", "admin_user", stringField([](Config& c) -> std::string& { return c.web.admin_user; })},
      {"web", "admin_password_hash",
       stringField([](Config& c) -> std::string& { return c.web.admin_password_hash; })},
      {"web", "session_minutes", intField(1, 10080, [](Config& c) -> int& { return c.web.session_minutes; })},
      {"web", "access_log", stringField([](Config& c) -> std::string& { return c.web.access_log; })},
      {"web", "audit_log", stringField([](Config& c) -> std::string& { return c.web.audit_log; })},
      {"web", "trusted_proxies",
       listField(false, [](Config& c) -> std::vector<std::string>& { return c.web.trusted_proxies; })},
      {"web", "cookie_secure", boolField([](Config& c) -> bool& { return c.web.cookie_secure; })},
      {"web", "max_connections_per_client",
       intField(1, 4096, [](Config& c) -> int& { return c.web.max_connections_per_client; })},
      {"schedule", "interval",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v.empty() || v == "0") {
           c.schedule.interval = std::chrono::seconds(0);
           return std::nullopt;
         }
         auto d = parseDuration(v);
         if (!d || d->count() < 60) return "a duration of at least 1 minute like 30m, 6h or 1d, or 0";
         c.schedule.interval = *d;
         return std::nullopt;
       }},
      {"schedule", "daily_at",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v.empty()) return std::nullopt;
         if (v.size() != 5 || v[2] != ':' || !std::isdigit(static_cast<unsigned char>(v[0])) ||
             !std::isdigit(static_cast<unsigned char>(v[1])) ||
             !std::isdigit(static_cast<unsigned char>(v[3])) ||
             !std::isdigit(static_cast<unsigned char>(v[4])) || std::stoi(v.substr(0, 2)) > 23 ||
             std::stoi(v.substr(3, 2)) > 59)
           return "a time HH:MM (24 h, local time), e.g. 02:30";
         c.schedule.daily_at = v;
         return std::nullopt;
       }},
      {"endpoint", "urls",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         c.endpoint.urls = splitList(v, true);
         for (const auto& u : c.endpoint.urls)
           if (lower(u).rfind("https://", 0) != 0)
             return "space-separated https:// URLs ('" + u + "' is not https://)";
         return std::nullopt;
       }},
      {"endpoint", "ca_file", stringField([](Config& c) -> std::string& { return c.endpoint.ca_file; })},
      {"endpoint", "timeout", intField(1, 600, [](Config& c) -> int& { return c.endpoint.timeout; })},
      {"endpoint", "client_pkcs12",
       stringField([](Config& c) -> std::string& { return c.endpoint.client_pkcs12; })},
      {"endpoint", "client_pkcs12_password_file",
       stringField([](Config& c) -> std::string& { return c.endpoint.client_pkcs12_password_file; })},
  };
  return specs;
}

// Cross-key checks that a single key cannot make.
void validateCombination(const Config& c, std::vector<std::string>& problems) {
  const auto& d = c.directory;
  if (d.bind == BindMode::kSimple) {
    bool all_tls = !d.uris.empty();
    for (const auto& u : d.uris)
      if (lower(u).rfind("ldaps://", 0) != 0 && !d.starttls) all_tls = false;
    if (!all_tls && !d.uris.empty())
      problems.push_back(
          "[directory] bind = simple over a plain ldap:// URI would send the password in clear "
          "text: use ldaps:// URIs, set starttls = true, or bind = gssapi");
    if (d.user.empty()) problems.push_back("[directory] bind = simple needs user = (a UPN or DN)");
  }
  if (d.bind == BindMode::kExternal && (d.client_cert.empty() || d.client_key.empty()))
    problems.push_back("[directory] bind = external needs client_cert and client_key");
  if (c.schedule.interval.count() > 0 && !c.schedule.daily_at.empty())
    problems.push_back("[schedule] set either interval or daily_at, not both");
  if (c.web.tls_cert.empty() != c.web.tls_key.empty())
    problems.push_back("[web] tls_cert and tls_key go together: set both or neither");
}

// Poco's INI reader merges a section given twice and keeps the last of a repeated key, so a
// second [directory] further down would silently override the first: name both lines instead.
void findRepeats(const std::string& text, std::vector<std::string>& problems) {
  std::istringstream in(text);
  std::string line;
  int number = 0;
  std::map<std::string, int> sections;  // lower-case name -> first line
  std::map<std::string, int> keys;      // "section.key" -> first line
  std::string section;
  while (std::getline(in, line)) {
    ++number;
    auto t = trim(line);
    if (t.empty() || t[0] == ';' || t[0] == '#') continue;
    if (t[0] == '[') {
      section = lower(trim(
          t.substr(1, t.find(']') == std::string::npos ? std::string::npos : t.find(']') - 1)));
      if (auto [it, added] = sections.emplace(section, number); !added)
        problems.push_back("section [" + section + "] appears twice (lines " +
                           std::to_string(it->second) + " and " + std::to_string(number) +
                           "): the second would silently override the first; merge them");
      continue;
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = section + "." + lower(trim(t.substr(0, eq)));
    if (auto [it, added] = keys.emplace(key, number); !added)
      problems.push_back("[" + section + "] " + lower(trim(t.substr(0, eq))) +
                         " is set twice (lines " + std::to_string(it->second) + " and " +
                         std::to_string(number) + "): keep one");
  }
}

}  // namespace

Result<std::chrono::seconds> parseDuration(const std::string& text) {
  auto t = trim(text);
  if (t.size() < 2) return fail(ErrorCode::kInvalidArgument, "bad duration '" + text + "'");
  long long n = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size() - 1, n);
  if (ec != std::errc() || p != t.data() + t.size() - 1 || n < 0)
    return fail(ErrorCode::kInvalidArgument, "bad duration '" + text + "'");
  switch (t.back()) {
    case 's': return std::chrono::seconds(n);
    case 'm': return std::chrono::seconds(n * 60);
    case 'h': return std::chrono::seconds(n * 3600);
    case 'd': return std::chrono::seconds(n * 86400);
    default: return fail(ErrorCode::kInvalidArgument, "bad duration unit in '" + text + "'");
  }
}

std::vector<std::string> knownKeys() {
  std::vector<std::string> out;
  for (const auto& k : keySpecs()) out.push_back(std::string(k.section) + "." + k.key);
  return out;
}

Result<Config> parseConfig(const std::string& text, const std::string& source_name) {
  Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini;
  try {
    std::istringstream in(text);
    ini = new Poco::Util::IniFileConfiguration(in);
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::kConfig, source_name + ": cannot parse INI: " + e.displayText());
  }

  Config config;
  config.source = source_name;
  std::vector<std::string> problems;
  findRepeats(text, problems);
  std::set<std::string> sections;
  for (const auto& k : keySpecs()) sections.insert(k.section);

  Poco::Util::AbstractConfiguration::Keys top;
  ini->keys(top);
  for (const auto& section : top) {
    auto lsec = lower(section);
    Poco::Util::AbstractConfiguration::Keys keys;
    ini->keys(section, keys);
    if (!sections.contains(lsec)) {
      std::string valid;
      for (const auto& s : sections) valid += (valid.empty() ? "" : ", ") + ("[" + s + "]");
      problems.push_back(keys.empty() ? "key '" + section + "' is outside any section"
                                      : "unknown section [" + section + "]; valid sections: " +
                                            valid);
      continue;
    }
    for (const auto& key : keys) {
      auto lkey = lower(key);
      const KeySpec* spec = nullptr;
      for (const auto& k : keySpecs())
        if (lsec == k.section && lkey == k.key) spec = &k;
      if (spec == nullptr) {
        std::string valid;
        for (const auto& k : keySpecs())
          if (lsec == k.section) valid += (valid.empty() ? "" : ", ") + std::string(k.key);
        problems.push_back("[" + lsec + "] unknown key '" + key + "'; valid keys: " + valid);
        continue;
      }
      auto value = trim(ini->getRawString(section + "." + key, ""));
      if (auto bad = spec->apply(config, value))
        problems.push_back("[" + lsec + "] " + lkey + " = '" + value + "' is not valid: expected " +
                           *bad);
    }
  }
  if (problems.empty()) validateCombination(config, problems);
  if (!problems.empty()) {
    std::string msg = source_name + ": " + std::to_string(problems.size()) +
                      (problems.size() == 1 ? " problem" : " problems");
    for (const auto& p : problems) msg += "\n  - " + p;
    return fail(ErrorCode::kConfig, msg,
                "every key is documented in adcheck/adcheck.example.ini");
  }
  return config;
}

Result<Config> loadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(ErrorCode::kConfig, "cannot read configuration file '" + path + "'",
                "check the path given to --config and its permissions");
  std::stringstream ss;
  ss << in.rdbuf();
  return parseConfig(ss.str(), path);
}

}  // namespace adcheck::config
