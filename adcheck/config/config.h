// adcheck's configuration: an INI file (SPEC section 5) read with Poco's configuration classes,
// validated in full at start. Every key is declared once in kKeys (config.cpp) with its type,
// default and what would be valid; the annotated example file must document exactly those keys
// (a unit test holds the two together). Unknown keys are errors: a typo must not pass silently.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "adcheck/core/error.h"

namespace adcheck::config {

enum class BindMode { kSimple, kGssapi, kExternal };

struct DirectoryConfig {
  std::vector<std::string> uris;
  BindMode bind = BindMode::kGssapi;
  std::string user;
  std::string password_file;  // or ADCHECK_BIND_PASSWORD; never on the command line
  bool starttls = false;
  std::string ca_file;
  bool tls_verify = true;
  std::string client_cert;  // for bind = external
  std::string client_key;
  int connect_timeout = 10;  // seconds
  int timeout = 120;         // seconds
  int page_size = 1000;
  std::string base_dn;  // empty: defaultNamingContext from RootDSE
};

struct ExchangeConfig {
  std::vector<std::string> server_groups{"Exchange Servers", "Exchange Trusted Subsystem"};
};

struct RulesConfig {
  std::vector<std::string> enabled{"all"};
  int stale_device_days = 180;
  int cert_expiry_days = 30;
};

struct StoreConfig {
  std::string path = "/var/lib/adcheck/adcheck.sqlite";
  int keep_scans = 100;
  int keep_days = 0;  // 0: no age limit
};

struct WebConfig {
  std::string listen = "127.0.0.1:8443";
  std::string tls_cert;
  std::string tls_key;
  bool allow_plain_http = false;
  std::vector<std::string> viewer_groups{"AdCheck Viewers"};
  std::vector<std::string> operator_groups{"AdCheck Operators"};
  std::string admin_user;           // local admin, for set-ups without AD login
  std::string admin_password_hash;  // pbkdf2-sha256$iterations$salt$hash
  int session_minutes = 480;
  std::string access_log;         // JSON lines per request; "" off, "-" standard error
  std::string audit_log = "-";    // JSON lines: logins, scans started, exceptions changed
  // Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For / -Proto are believed.
  std::vector<std::string> trusted_proxies;
  bool cookie_secure = false;  // Secure cookie and HSTS although the connection to us is plain
  // Open connections per client address (idle ones included); behind a reverse proxy all
  // clients share its address.
  int max_connections_per_client = 8;
};

struct ScheduleConfig {
  std::chrono::seconds interval{0};  // 0: no periodic scans
  std::string daily_at;              // "HH:MM", alternative to interval
};

struct EndpointConfig {
  std::vector<std::string> urls;
  std::string ca_file;
  int timeout = 15;
  std::string client_pkcs12;
  std::string client_pkcs12_password_file;
};

struct Config {
  std::string source;  // file the configuration came from, for messages
  DirectoryConfig directory;
  ExchangeConfig exchange;
  RulesConfig rules;
  StoreConfig store;
  WebConfig web;
  ScheduleConfig schedule;
  EndpointConfig endpoint;
};

// Reads and validates the file. The error lists every problem found, one per line, each naming
// the section, key, value and what would be valid.
Result<Config> loadConfig(const std::string& path);

// Same, from INI text (for tests and the embedded demo configuration).
Result<Config> parseConfig(const std::string& text, const std::string& source_name);

// "section.key" of every key adcheck knows, in declaration order.
std::vector<std::string> knownKeys();

// "6h", "30m", "90s", "1d" -> seconds.
Result<std::chrono::seconds> parseDuration(const std::string& text);

}  // namespace adcheck::config
