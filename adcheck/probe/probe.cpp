#include "adcheck/probe/probe.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "ldap/secret.h"

namespace adcheck::probe {
namespace {

using Clock = std::chrono::steady_clock;

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
std::string nameText(const X509_NAME* name);
std::string sslErrors();
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, Deleter<PKCS12, PKCS12_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

void freeChain(STACK_OF(X509)* chain) { sk_X509_pop_free(chain, X509_free); }
using ChainPtr = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), freeChain>>;

// The client certificate of [endpoint] client_pkcs12, loaded once per probe.
struct ClientCert {
  KeyPtr key;
  X509Ptr cert;
  ChainPtr chain;
  std::string subject;
};

constexpr const char* kClientCertHint = "the server requires a client certificate; set [endpoint] client_pkcs12";

// The PKCS#12 password: refused when group or others may read the file (ldap/secret.h), wiped
// from memory when the Secret goes away.
Result<ldap::Secret> readPassword(const std::string& path) {
  if (path.empty()) return ldap::Secret();
  return ldap::readSecretFile(path, "[endpoint] client_pkcs12_password_file");
}

Result<ClientCert> loadClientCert(const ProbeOptions& options) {
  const std::string& file = options.clientPkcs12;
  const std::string what = "the client certificate " + file + " ([endpoint] client_pkcs12)";
  auto password = readPassword(options.clientPkcs12PasswordFile);
  if (!password) return std::unexpected(password.error());
  ERR_clear_error();
  BioPtr bio(BIO_new_file(file.c_str(), "rb"));
  if (!bio) {
    ERR_clear_error();
    return fail(ErrorCode::kConfig, "cannot read " + what + ": " + std::strerror(errno),
                "check the path and that the adcheck user may read it");
  }
  Pkcs12Ptr p12(d2i_PKCS12_bio(bio.get(), nullptr));
  if (!p12) {
    sslErrors();
    return fail(ErrorCode::kConfig, "cannot use " + what + ": not a PKCS#12 (.pfx/.p12) file",
                "export the certificate with its private key as PKCS#12");
  }
  // An empty password file may mean "no password" or "the empty password": try both.
  const char* pass = password->revealCString();
  if (PKCS12_verify_mac(p12.get(), pass, -1) != 1) {
    if (password->empty() && PKCS12_verify_mac(p12.get(), nullptr, 0) == 1) {
      pass = nullptr;
    } else {
      sslErrors();
      return fail(ErrorCode::kConfig,
                  "cannot use " + what + ": wrong password" +
                      (options.clientPkcs12PasswordFile.empty()
                           ? std::string(" (no client_pkcs12_password_file is set)")
                           : " (read from " + options.clientPkcs12PasswordFile + ")"),
                  "put the PKCS#12 password in [endpoint] client_pkcs12_password_file");
    }
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* chain = nullptr;
  if (PKCS12_parse(p12.get(), pass, &key, &cert, &chain) != 1 || key == nullptr || cert == nullptr) {
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    std::string why = sslErrors();
    return fail(ErrorCode::kConfig,
                "cannot use " + what + ": " +
                    (why.empty() ? std::string("it holds no private key and certificate") : why),
                "export the certificate with its private key as PKCS#12");
  }
  ClientCert out{KeyPtr(key), X509Ptr(cert), ChainPtr(chain), {}};
  out.subject = nameText(X509_get_subject_name(cert));
  return out;
}

// Records that the server asked for a client certificate (called by OpenSSL when it does).
int noteCertRequest(SSL* ssl, void* flag) {
  (void)ssl;
  *static_cast<bool*>(flag) = true;
  return 1;
}

// Whether OpenSSL's words for a failure mean the server refused us for want of (or over) a client
// certificate: TLS 1.3's "certificate required" alert, or a handshake failure / bad certificate
// alert after the server had asked for one.
bool clientCertRefusal(const std::string& why, bool requested) {
  if (why.find("certificate required") != std::string::npos) return true;
  if (!requested) return false;
  for (const char* alert : {"alert handshake failure", "alert bad certificate", "alert unknown ca",
                            "alert certificate unknown", "alert access denied",
                            "alert certificate expired", "alert unsupported certificate"})
    if (why.find(alert) != std::string::npos) return true;
  return false;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// OpenSSL's error queue in words (the queue is per thread; draining it keeps later calls clean).
std::string sslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    const char* reason = ERR_reason_error_string(e);
    if (!out.empty()) out += "; ";
    out += reason ? reason : buf;
  }
  return out;
}

long remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? left : 0;
}

std::string seconds(std::chrono::milliseconds t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(t.count()) / 1000.0);
  return buf;
}

// Non-blocking connect bounded by the timeout; returns the socket or the error in words.
Result<int> connectTo(const std::string& host, unsigned short port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list); rc != 0)
    return fail(ErrorCode::kServerDown, "cannot resolve host " + host + ": " + gai_strerror(rc),
                "check the host name in [endpoint] urls and the DNS server");
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(list, ::freeaddrinfo);
  std::string last = "no address";
  auto deadline = Clock::now() + timeout;
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) {
      last = lower(std::strerror(errno));
      ::close(fd);
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    int rc = ::poll(&p, 1, static_cast<int>(remainingMs(deadline)));
    if (rc == 0) {
      ::close(fd);
      last = "connection timed out after " + seconds(timeout);
      continue;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (rc > 0 && err == 0) return fd;
    last = lower(std::strerror(err != 0 ? err : errno));
    ::close(fd);
  }
  return fail(ErrorCode::kServerDown,
              "cannot connect to " + host + ":" + service + ": " + last,
              "check that the server listens on this port and that no firewall blocks it");
}

// Waits for what OpenSSL asked for; false on timeout.
bool waitFor(int fd, int ssl_error, Clock::time_point deadline) {
  pollfd p{fd, static_cast<short>(ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
  return ::poll(&p, 1, static_cast<int>(remainingMs(deadline))) > 0;
}

std::string nameText(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

std::time_t asnTime(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return ::timegm(&tm);
}

CertInfo certInfo(X509* cert) {
  CertInfo info;
  info.subject = nameText(X509_get_subject_name(cert));
  info.issuer = nameText(X509_get_issuer_name(cert));
  info.notBefore = asnTime(X509_get0_notBefore(cert));
  info.notAfter = asnTime(X509_get0_notAfter(cert));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha1(), md, &len);
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned i = 0; i < len; ++i) {
    info.sha1 += kHex[md[i] >> 4];
    info.sha1 += kHex[md[i] & 0xF];
  }
  info.selfSigned = (X509_get_extension_flags(cert) & EXFLAG_SS) != 0;
  return info;
}

// Verifies the chain as sent against the trust store only: OpenSSL never follows AIA, so a
// missing intermediate shows up here exactly as it does on devices that do not fetch it.
// Validity dates are left to the expiry rules so that one expired leaf is not also reported as
// a broken chain.
void verifyChain(SSL* ssl, const ProbeOptions& options, ProbeResult& result) {
  X509* leaf = SSL_get0_peer_certificate(ssl);
  STACK_OF(X509)* sent = SSL_get_peer_cert_chain(ssl);
  if (!leaf) {
    result.verifyError = "the server sent no certificate";
    return;
  }
  StorePtr store(X509_STORE_new());
  int loaded = options.caFile.empty() ? X509_STORE_set_default_paths(store.get())
                                      : X509_STORE_load_file(store.get(), options.caFile.c_str());
  if (loaded != 1) {
    result.verifyError = "cannot load the trust store " +
                         (options.caFile.empty() ? std::string("(system default)") : options.caFile) +
                         ": " + sslErrors();
    return;
  }
  X509_STORE_set_flags(store.get(), X509_V_FLAG_NO_CHECK_TIME);
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, sent);
  if (X509_verify_cert(ctx.get()) == 1) {
    result.verified = true;
  } else {
    result.verifyError = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  }
  ERR_clear_error();
}

struct Connection {
  SslCtxPtr ctx;
  SslPtr ssl;
  int fd = -1;
  bool certRequested = false;  // set by noteCertRequest during the handshake
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    ssl.reset();  // before the socket it uses
    if (fd >= 0) ::close(fd);
  }
};

// What to tell the person when the server refused us over a client certificate.
std::string clientCertAdvice(const ClientCert* client, const std::string& why) {
  if (client == nullptr) return std::string(kClientCertHint) + " (TLS: " + why + ")";
  return "the server rejected the client certificate " + client->subject + " (TLS: " + why +
         "); check that a CA the server trusts issued it and that it is valid for client "
         "authentication";
}

Result<std::unique_ptr<Connection>> handshake(const ProbeResult& target, const ProbeOptions& options,
                                              const ClientCert* client, bool& cert_requested) {
  auto fd = connectTo(target.host, target.port, options.timeout);
  if (!fd) return std::unexpected(fd.error());
  auto conn = std::make_unique<Connection>();
  conn->fd = *fd;
  conn->ctx.reset(SSL_CTX_new(TLS_client_method()));
  // We verify ourselves (verifyChain) so that a bad chain is reported, not a failed handshake.
  SSL_CTX_set_verify(conn->ctx.get(), SSL_VERIFY_NONE, nullptr);
  if (client != nullptr) {
    // Sent only when the server asks (a CertificateRequest), with its chain.
    if (SSL_CTX_use_certificate(conn->ctx.get(), client->cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(conn->ctx.get(), client->key.get()) != 1 ||
        SSL_CTX_check_private_key(conn->ctx.get()) != 1)
      return fail(ErrorCode::kConfig,
                  "cannot use the client certificate " + options.clientPkcs12 + ": " + sslErrors(),
                  "export the certificate with its matching private key as PKCS#12");
    for (int i = 0; client->chain && i < sk_X509_num(client->chain.get()); ++i)
      SSL_CTX_add1_chain_cert(conn->ctx.get(), sk_X509_value(client->chain.get(), i));
  }
  conn->ssl.reset(SSL_new(conn->ctx.get()));
  SSL* ssl = conn->ssl.get();
  SSL_set_cert_cb(ssl, noteCertRequest, &conn->certRequested);
  SSL_set_fd(ssl, *fd);
  in6_addr addr6{};
  in_addr addr4{};
  bool is_ip = inet_pton(AF_INET, target.host.c_str(), &addr4) == 1 ||
               inet_pton(AF_INET6, target.host.c_str(), &addr6) == 1;
  if (!is_ip) SSL_set_tlsext_host_name(ssl, target.host.c_str());  // SNI: names only (RFC 6066)
  auto deadline = Clock::now() + options.timeout;
  ERR_clear_error();
  for (;;) {
    int rc = SSL_connect(ssl);
    if (rc == 1) break;
    int err = SSL_get_error(ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (!waitFor(*fd, err, deadline))
        return fail(ErrorCode::kTimeout,
                    "TLS handshake timed out after " + seconds(options.timeout) +
                        " (the server accepted the connection but did not answer)",
                    "check that the port serves HTTPS, or raise [endpoint] timeout");
      continue;
    }
    std::string why = sslErrors();
    if (why.empty() && err == SSL_ERROR_SYSCALL)
      why = errno ? lower(std::strerror(errno)) : "connection closed by the server";
    if (why.empty() && err == SSL_ERROR_ZERO_RETURN) why = "connection closed by the server";
    if (why == "wrong version number" || why == "packet length too long" ||
        why == "record layer failure")
      why += " (the server does not speak TLS on this port; plain HTTP?)";
    cert_requested = cert_requested || conn->certRequested;
    if (clientCertRefusal(why, conn->certRequested))
      return fail(ErrorCode::kTls, "TLS handshake failed: " + clientCertAdvice(client, why),
                  client ? "check the client certificate" : "set [endpoint] client_pkcs12");
    return fail(ErrorCode::kTls, "TLS handshake failed: " + why,
                "check that the URL's port serves HTTPS");
  }
  cert_requested = cert_requested || conn->certRequested;
  return conn;
}

// The chain, its verification, the host name match and the negotiated suite.
void inspectPeer(SSL* ssl, const ProbeOptions& options, ProbeResult& result) {
  if (STACK_OF(X509)* sent = SSL_get_peer_cert_chain(ssl))
    for (int i = 0; i < sk_X509_num(sent); ++i) result.chain.push_back(certInfo(sk_X509_value(sent, i)));
  verifyChain(ssl, options, result);
  if (X509* leaf = SSL_get0_peer_certificate(ssl)) {
    in6_addr a6{};
    in_addr a4{};
    bool is_ip = inet_pton(AF_INET, result.host.c_str(), &a4) == 1 ||
                 inet_pton(AF_INET6, result.host.c_str(), &a6) == 1;
    result.hostnameOk = is_ip ? X509_check_ip_asc(leaf, result.host.c_str(), 0) == 1
                              : X509_check_host(leaf, result.host.c_str(), 0, 0, nullptr) == 1;
  }
  result.protocol = SSL_get_version(ssl);
  result.cipher = SSL_get_cipher_name(ssl);
}

HttpResult request(Connection& conn, const std::string& method, const ProbeResult& target,
                   const std::string& path, const ProbeOptions& options) {
  HttpResult out;
  out.method = method;
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: " + target.host;
  if (target.port != 443) req += ":" + std::to_string(target.port);
  req += "\r\nUser-Agent: " + options.userAgent + "\r\nAccept: */*\r\nContent-Length: 0\r\n" +
         "Connection: close\r\n\r\n";
  SSL* ssl = conn.ssl.get();
  auto deadline = Clock::now() + options.timeout;
  std::size_t sent = 0;
  while (sent < req.size()) {
    int rc = SSL_write(ssl, req.data() + sent, static_cast<int>(req.size() - sent));
    if (rc > 0) {
      sent += static_cast<std::size_t>(rc);
      continue;
    }
    int err = SSL_get_error(ssl, rc);
    if ((err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) && waitFor(conn.fd, err, deadline))
      continue;
    // A server that refuses a missing client certificate (TLS 1.3) may have sent its alert and
    // closed before the request went out: read once so that OpenSSL reports the alert.
    std::string why = sslErrors();
    if (why.empty()) {
      char byte = 0;
      (void)SSL_read(ssl, &byte, 1);
      why = sslErrors();
    }
    if (why.empty()) why = errno != 0 ? lower(std::strerror(errno)) : "connection closed by the server";
    out.error = "sending the " + method + " request failed (TLS: " + why + ")";
    return out;
  }
  // Headers (and a little body: IIS names 403.7 only there) until the server closes.
  std::string data;
  std::string tls_error;
  constexpr std::size_t kMax = 64 * 1024;
  for (;;) {
    char buf[4096];
    int rc = SSL_read(ssl, buf, sizeof buf);
    if (rc > 0) {
      data.append(buf, static_cast<std::size_t>(rc));
      if (data.size() >= kMax) break;
      continue;
    }
    int err = SSL_get_error(ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (waitFor(conn.fd, err, deadline)) continue;
      if (data.find("\r\n\r\n") != std::string::npos) break;  // keep-alive server: we have enough
      out.error = "no answer to " + method + " within " + seconds(options.timeout);
      return out;
    }
    // Closed (cleanly or not): parse what we have. A TLS 1.3 server refuses a missing client
    // certificate only now, with an alert, after the client has finished its handshake.
    tls_error = sslErrors();
    break;
  }
  ERR_clear_error();
  auto head_end = data.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    out.error = data.empty() ? "the server closed the connection without answering " + method
                             : "malformed HTTP answer to " + method + " (no end of headers)";
    if (!tls_error.empty()) out.error += " (TLS: " + tls_error + ")";
    return out;
  }
  std::string head = data.substr(0, head_end);
  std::string body = data.substr(head_end + 4);
  auto eol = head.find("\r\n");
  std::string status_line = head.substr(0, eol);
  int status = 0;
  char reason[256] = {};
  if (std::sscanf(status_line.c_str(), "HTTP/%*d.%*d %d %255[^\r\n]", &status, reason) < 1) {
    out.error = "malformed HTTP status line: " + status_line.substr(0, 80);
    return out;
  }
  out.status = status;
  out.reason = reason;
  std::size_t pos = eol == std::string::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    auto next = head.find("\r\n", pos);
    if (next == std::string::npos) next = head.size();
    std::string line = head.substr(pos, next - pos);
    if (auto colon = line.find(':'); colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      out.headers[lower(line.substr(0, colon))] = value;
    }
    pos = next + 2;
  }
  if (status == 403 && body.find("403.7") != std::string::npos) out.headers["x-adcheck-substatus"] = "7";
  return out;
}

}  // namespace

const HttpResult* ProbeResult::find(const std::string& method) const {
  for (const auto& h : http)
    if (h.method == method) return &h;
  return nullptr;
}

ProbeOptions optionsFrom(const config::EndpointConfig& cfg) {
  ProbeOptions o;
  o.caFile = cfg.ca_file;
  o.timeout = std::chrono::seconds(cfg.timeout);
  o.clientPkcs12 = cfg.client_pkcs12;
  o.clientPkcs12PasswordFile = cfg.client_pkcs12_password_file;
  return o;
}

std::string explainStatus(int status) {
  switch (status) {
    case 501:
    case 505: return "responding (ActiveSync answers a plain GET with 501/505)";
    case 401: return "credentials needed (normal for ActiveSync)";
    case 403: return "forbidden: SSL required or client certificate required";
    case 404: return "virtual directory missing (Microsoft-Server-ActiveSync not published)";
    case 0: return "no answer";
    default: break;
  }
  if (status >= 200 && status < 300) return "answered without asking for credentials (unusual)";
  if (status >= 300 && status < 400) return "redirected (devices do not follow redirects)";
  if (status >= 500) return "server fault";
  return "unexpected status";
}

ProbeResult probeTls(const std::string& host, unsigned short port, const ProbeOptions& options) {
  ProbeResult result;
  result.url = host + ":" + std::to_string(port);
  result.host = host;
  result.port = port;
  result.probedAt = std::time(nullptr);
  bool requested = false;
  auto conn = handshake(result, options, nullptr, requested);
  if (!conn) {
    result.error = conn.error().message;
    return result;
  }
  inspectPeer((*conn)->ssl.get(), options, result);
  return result;
}

ProbeResult probeUrl(const std::string& url, const ProbeOptions& options) {
  ProbeResult result;
  result.url = url;
  result.probedAt = std::time(nullptr);
  std::string path;
  try {
    Poco::URI uri(url);
    if (lower(uri.getScheme()) != "https") {
      result.error = "malformed URL " + url + ": the scheme must be https (ActiveSync is HTTPS only)";
      return result;
    }
    if (uri.getHost().empty()) {
      result.error = "malformed URL " + url + ": no host";
      return result;
    }
    result.host = uri.getHost();
    result.port = uri.getPort();
    path = uri.getPathEtc();
    if (path.empty()) path = "/";
  } catch (const Poco::Exception& e) {
    result.error = "malformed URL " + url + ": " + e.message() +
                   " (expected https://host[:port]/Microsoft-Server-ActiveSync)";
    return result;
  }

  std::optional<ClientCert> client;
  if (!options.clientPkcs12.empty()) {
    auto loaded = loadClientCert(options);
    if (!loaded) {
      result.error = loaded.error().message + " (not probed: " + loaded.error().hint + ")";
      return result;
    }
    client = std::move(*loaded);
  }
  const ClientCert* presented = client ? &*client : nullptr;
  if (presented != nullptr) result.clientCertSubject = presented->subject;
  // An OPTIONS/GET that ended in a client certificate alert (TLS 1.3): "... (TLS: reason)".
  auto note_refusal = [&](const std::string& error) {
    auto at = error.rfind("(TLS: ");
    if (at == std::string::npos || !result.clientCertProblem.empty()) return;
    std::string why = error.substr(at + 6);
    if (!why.empty() && why.back() == ')') why.pop_back();
    if (clientCertRefusal(why, result.clientCertRequested))
      result.clientCertProblem = clientCertAdvice(presented, why);
  };

  auto conn = handshake(result, options, presented, result.clientCertRequested);
  if (!conn) {
    result.error = conn.error().message;
    if (clientCertRefusal(result.error, result.clientCertRequested))
      result.clientCertProblem = result.error.substr(std::string("TLS handshake failed: ").size());
    return result;
  }
  inspectPeer((*conn)->ssl.get(), options, result);
  result.http.push_back(request(**conn, "OPTIONS", result, path, options));
  note_refusal(result.http.back().error);
  conn->reset();
  // Connection: close above, so GET gets its own connection.
  auto second = handshake(result, options, presented, result.clientCertRequested);
  if (!second) {
    HttpResult get;
    get.method = "GET";
    get.error = second.error().message;
    result.http.push_back(get);
  } else {
    result.http.push_back(request(**second, "GET", result, path, options));
  }
  note_refusal(result.http.back().error);
  ERR_clear_error();
  return result;
}

}  // namespace adcheck::probe
