// The ActiveSync endpoint probe (SPEC 8): one TLS + HTTP look at each configured URL. The probe
// only gathers facts; rules/endpoint_rules.cpp turns them into findings.
#pragma once

#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adcheck/config/config.h"
#include "adcheck/core/error.h"

namespace adcheck::probe {

struct CertInfo {
  std::string subject;     // RFC 2253
  std::string issuer;      // RFC 2253
  std::time_t notBefore = 0;
  std::time_t notAfter = 0;
  std::string sha1;        // upper-case hex thumbprint, as Windows shows it
  bool selfSigned = false;
};

struct HttpResult {
  std::string method;
  int status = 0;  // 0: no answer (see error)
  std::string reason;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string error;
};

struct ProbeResult {
  std::string url;
  std::string host;
  unsigned short port = 0;
  std::time_t probedAt = 0;
  // Set when the URL is malformed or the TCP/TLS handshake failed; the rest is then empty.
  std::string error;
  std::vector<CertInfo> chain;  // as sent by the server, leaf first
  bool verified = false;        // chain reaches a trusted root without fetching anything
  std::string verifyError;      // OpenSSL's words when not verified
  bool hostnameOk = false;
  std::string protocol;  // "TLSv1.3"
  std::string cipher;
  std::vector<HttpResult> http;  // OPTIONS, then GET
  // The server asked for a client certificate in the handshake (CertificateRequest).
  bool clientCertRequested = false;
  // Set when the server refused the connection for want of a client certificate (TLS alert
  // "certificate required", or a handshake failure right after asking for one, with none to
  // give) or rejected the one presented: what to do, in words. The failure itself is in `error`
  // or in the OPTIONS/GET results.
  std::string clientCertProblem;
  std::string clientCertSubject;  // of the certificate configured and offered; "" none

  const HttpResult* find(const std::string& method) const;
};

struct ProbeOptions {
  std::string caFile;                           // empty: the system store
  // Client certificate for servers that require one ([endpoint] client_pkcs12): a PKCS#12 file
  // (key, certificate, chain) and the file holding its password (trailing newline stripped;
  // empty: no password). Presented only when the server asks. A file that cannot be used is
  // recorded as each URL's error (the URL is not probed without the certificate it was
  // configured with).
  std::string clientPkcs12;
  std::string clientPkcs12PasswordFile;
  std::chrono::milliseconds timeout{15000};     // connect, handshake and each read
  std::string userAgent = "adcheck-probe/0.1";
};

ProbeOptions optionsFrom(const config::EndpointConfig& cfg);

// Never fails as a whole: every problem is recorded in the result, so one bad URL does not hide
// the others.
ProbeResult probeUrl(const std::string& url, const ProbeOptions& options);

// The TLS handshake alone (no HTTP), for a server that speaks TLS from the first byte (LDAPS):
// chain, verification against options.caFile, host name, suite. Never fails as a whole.
ProbeResult probeTls(const std::string& host, unsigned short port, const ProbeOptions& options);

// What a GET status means for an ActiveSync virtual directory.
std::string explainStatus(int status);

}  // namespace adcheck::probe
