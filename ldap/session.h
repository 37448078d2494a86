// A connection to a domain controller, bound, as an RAII object (SPEC sections 2, 5 and 10).
//
//   SessionOptions options;
//   options.uris = {"ldaps://dc1.corp.example.com", "ldaps://dc2.corp.example.com"};
//   options.bind = BindMode::kSimple;
//   options.user = "svc-adcheck@corp.example.com";
//   options.password = *loadSecret(password_file);
//   options.ca_file = "/etc/adcheck/ca.pem";
//   auto session = Session::open(options);            // first URI that connects AND binds
//   auto search = session->search({.base = dn, .filter = "(objectClass=user)",
//                                  .attributes = {"objectGUID", "nTSecurityDescriptor"}});
//   for (;;) {
//     auto entry = search->next();
//     if (!entry) return fail(entry.error());  // lost connection, timeout, ... (says how far)
//     if (!*entry) break;                      // the last one was handed out
//     use(**entry);
//   }
//
// Transport rules: a simple bind is only ever sent over TLS (ldaps:// or StartTLS); GSSAPI
// runs over ldap:// with a Kerberos security layer (sign + seal) that is required, not just
// offered; EXTERNAL needs TLS and a client certificate. TLS always verifies the DC
// certificate unless tls_verify = false is set explicitly.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adcheck/core/error.h"
#include "ldap/entry.h"
#include "ldap/search.h"
#include "ldap/secret.h"

namespace adcheck::ldap {

enum class BindMode { kSimple, kGssapi, kExternal };

// "simple" | "gssapi" | "external" (the [directory] bind key); errors name the value.
Result<BindMode> parseBindMode(std::string_view text);
std::string_view bindModeName(BindMode mode);

struct SessionOptions {
  // Failover list, tried in order: ldap://host[:port] or ldaps://host[:port].
  std::vector<std::string> uris;
  BindMode bind = BindMode::kSimple;
  // simple: UPN or DN. gssapi: informative only (the principal is the one in the Kerberos
  // ccache, KRB5CCNAME, or keytab, KRB5_CLIENT_KTNAME). external: unused.
  std::string user;
  Secret password;  // simple only
  bool starttls = false;       // StartTLS on ldap:// URIs
  std::string ca_file;         // PEM; empty: the system trust store
  bool tls_verify = true;      // false only for a lab: no certificate check at all
  std::string client_cert;     // PEM, for bind = external
  std::string client_key;      // PEM, for bind = external
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds timeout{120};  // per operation, and per wait for the next entry
  int page_size = 1000;
  // Do not canonicalise the host name by reverse DNS for Kerberos: the URI's host name is
  // the service principal's (ldap/<host>).
  bool sasl_nocanon = true;
};

struct RootDse {
  std::string default_naming_context;
  std::string configuration_naming_context;
  std::string schema_naming_context;
  std::string root_domain_naming_context;
  std::string dns_host_name;
  std::string server_name;
  std::string current_time;  // the DC's clock, generalized time ("20261207231400.0Z")
  std::vector<std::string> supported_controls;
  std::vector<std::string> supported_sasl_mechanisms;
  std::optional<int> domain_functionality;
  std::optional<int> forest_functionality;
  std::optional<int> domain_controller_functionality;

  bool supportsControl(std::string_view oid) const;
  bool supportsSaslMechanism(std::string_view mechanism) const;
};

// Why one URI of the failover list was not used.
struct Attempt {
  std::string uri;
  Error error;
};

class Session {
 public:
  // Tries each URI in order and keeps the first that connects and binds. A rejected password
  // stops the walk at once (trying every DC would only count towards an account lockout).
  // When every URI fails the error lists each URI with its reason.
  static Result<Session> open(const SessionOptions& options);

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();  // unbinds

  // The URI that connected and bound, and why the ones before it failed.
  const std::string& uri() const;
  const std::vector<Attempt>& failedAttempts() const;
  BindMode bindMode() const;
  bool tls() const;      // ldaps:// or StartTLS
  int saslSsf() const;   // strength of the SASL security layer (0 for simple / none)
  // Who the directory thinks we are: the configured user for simple binds, the SASL
  // authentication id for GSSAPI ("Administrator@CORP.EXAMPLE.COM", or "Administrator"); empty
  // when unknown.
  std::string boundName() const;

  // The identity the server bound this connection to, by the "Who am I?" extended operation
  // (RFC 4532): "u:CORP\\alice" (AD and Samba), "dn:CN=...", or "" for anonymous. The server's
  // answer, not the name the client typed.
  Result<std::string> whoAmI();

  // Read once per session, then cached.
  Result<RootDse> rootDse();

  // Starts a paged search; the first page is requested at once, so a malformed filter fails
  // here and server errors on the first next().
  Result<PagedSearch> search(const SearchRequest& request);

  // One entry by DN (base search, SD flags as in SearchRequest); nullopt if it does not exist.
  Result<std::optional<Entry>> readEntry(std::string_view dn,
                                         const std::vector<std::string>& attributes);

  // All values of a multi-valued attribute, fetched with range retrieval (member;range=0-*,
  // then from where the server stopped, until "*"). step = 0 lets the server choose the chunk
  // size (MaxValRange, 1500 on Windows); step > 0 asks for chunks of that size.
  Result<std::vector<std::string>> rangedValues(std::string_view dn, std::string_view attribute,
                                                std::size_t step = 0);

  // Number of entries matching filter below base (subtree), paged.
  Result<std::uint64_t> count(std::string_view base, std::string_view filter);

  struct Impl;

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace adcheck::ldap
