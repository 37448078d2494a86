#include "ldap/session.h"

#include <lber.h>
#include <ldap.h>
#include <sasl/sasl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "ldap/internal.h"

namespace adcheck::ldap {
namespace detail {
namespace {

// libldap logs the reason of a failed TLS handshake (host name mismatch, unreadable CA file)
// only through its debug log, and only at level LDAP_DEBUG_ANY. We route that log into a
// per-thread buffer instead of stderr and keep its "TLS:" lines for error messages. Level
// 0x8000 (LDAP_DEBUG_NONE in libldap's private ldap_log.h) enables exactly the messages logged
// at LDAP_DEBUG_ANY, nothing of the per-packet tracing.
constexpr int kLdapDebugAnyOnly = 0x8000;
thread_local std::string t_tls_log;

void captureLog(const char* text) {
  if (text == nullptr) return;
  std::string_view line(text);
  if (!line.starts_with("TLS:")) return;
  line.remove_prefix(4);
  while (!line.empty() && (line.front() == ' ')) line.remove_prefix(1);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty() || line.find("can't connect") != std::string_view::npos) return;
  if (t_tls_log.size() > 2048) return;
  if (!t_tls_log.empty()) t_tls_log += "; ";
  t_tls_log += line;
}

}  // namespace

void initLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Before libldap's first initialisation (the ldap_set_option below): without LDAPNOINIT it
    // reads /etc/ldap/ldap.conf, ldaprc and .ldaprc in $HOME and the working directory, the files
    // named by LDAPCONF / LDAPRC, and every LDAP<option> variable (LDAPTLS_CACERT,
    // LDAPTLS_REQCERT=never, ...), and any of them would change whom adcheck trusts. Trust and
    // every other option come from adcheck's configuration only; connectOne sets the TLS
    // options explicitly as well. Set once, before any thread of ours reads the environment.
    ::setenv("LDAPNOINIT", "1", 1);
    ber_set_option(nullptr, LBER_OPT_LOG_PRINT_FN, reinterpret_cast<const void*>(&captureLog));
    int level = kLdapDebugAnyOnly;
    ldap_set_option(nullptr, LDAP_OPT_DEBUG_LEVEL, &level);
    // liblber writes with write(2): a DC that resets the connection would otherwise kill the
    // process with SIGPIPE instead of giving us EPIPE to report. Only when nobody chose a
    // disposition (Poco already blocks SIGPIPE in every thread it knows).
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      struct sigaction ignore {};
      ignore.sa_handler = SIG_IGN;
      ::sigemptyset(&ignore.sa_mask);
      ::sigaction(SIGPIPE, &ignore, nullptr);
    }
  });
}

std::string takeTlsLog() { return std::exchange(t_tls_log, std::string()); }

std::string diagnosticMessage(LDAP* ld) {
  char* msg = nullptr;
  if (ld == nullptr || ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) != LDAP_OPT_SUCCESS ||
      msg == nullptr)
    return {};
  std::string out(msg);
  ldap_memfree(msg);
  return out;
}

int handleResultCode(LDAP* ld) {
  int code = LDAP_OTHER;
  if (ld != nullptr) ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &code);
  return code;
}

}  // namespace detail

namespace {

using detail::LdapHandle;

struct ParsedUri {
  bool ldaps = false;
  std::string host;
};

Result<ParsedUri> parseUri(const std::string& uri) {
  const std::string hint =
      "write [directory] uri as ldaps://host[:port] or ldap://host[:port], several separated by "
      "spaces";
  if (uri.empty()) return fail(ErrorCode::kConfig, "[directory] uri contains an empty URI", hint);
  LDAPURLDesc* desc = nullptr;
  int rc = ldap_url_parse(uri.c_str(), &desc);
  if (rc != LDAP_URL_SUCCESS || desc == nullptr) {
    return fail(ErrorCode::kInvalidArgument,
                "[directory] uri \"" + uri + "\" is not a valid LDAP URI (ldap_url_parse error " +
                    std::to_string(rc) + ")",
                hint);
  }
  std::unique_ptr<LDAPURLDesc, decltype(&ldap_free_urldesc)> guard(desc, &ldap_free_urldesc);
  const std::string scheme = desc->lud_scheme != nullptr ? desc->lud_scheme : "";
  if (scheme != "ldap" && scheme != "ldaps") {
    return fail(ErrorCode::kInvalidArgument,
                "[directory] uri \"" + uri + "\" has the scheme \"" + scheme +
                    "\"; only ldap:// and ldaps:// are supported",
                hint);
  }
  if (desc->lud_host == nullptr || *desc->lud_host == '\0') {
    return fail(ErrorCode::kInvalidArgument, "[directory] uri \"" + uri + "\" names no host",
                hint);
  }
  if ((desc->lud_dn != nullptr && *desc->lud_dn != '\0') || desc->lud_attrs != nullptr ||
      desc->lud_filter != nullptr || desc->lud_exts != nullptr) {
    return fail(ErrorCode::kInvalidArgument,
                "[directory] uri \"" + uri + "\" carries a DN, attributes, filter or extensions",
                "give only scheme, host and port; the search base goes into [directory] base_dn");
  }
  return ParsedUri{scheme == "ldaps", desc->lud_host};
}

// Answers Cyrus SASL's questions during an interactive bind. GSSAPI and EXTERNAL ask at most
// for an authorization identity, which we leave empty ("act as the authenticated identity").
struct SaslDefaults {
  std::string authcid;
};

int saslInteract(LDAP*, unsigned, void* defaults, void* in) {
  const auto* d = static_cast<const SaslDefaults*>(defaults);
  for (auto* item = static_cast<sasl_interact_t*>(in); item->id != SASL_CB_LIST_END; ++item) {
    const char* value = "";
    switch (item->id) {
      case SASL_CB_AUTHNAME: value = d->authcid.c_str(); break;
      case SASL_CB_USER: value = ""; break;
      default: value = item->defresult != nullptr ? item->defresult : ""; break;
    }
    item->result = value;
    item->len = static_cast<unsigned>(std::strlen(value));
  }
  return LDAP_SUCCESS;
}

// Bounds the TLS handshake. libldap 2.5 with GnuTLS never gives up on a server that accepts
// the TCP connection and then stays silent: with a network timeout set it spins on EAGAIN
// forever, without one it blocks forever. So the handshake runs on a blocking socket and a
// watchdog thread shuts the socket down when connect_timeout has passed, which makes the
// handshake fail at once.
class HandshakeWatchdog {
 public:
  explicit HandshakeWatchdog(std::chrono::seconds limit) : limit_(limit) {}
  HandshakeWatchdog(const HandshakeWatchdog&) = delete;
  HandshakeWatchdog& operator=(const HandshakeWatchdog&) = delete;
  ~HandshakeWatchdog() { disarm(); }

  // From libldap's TLS connect callback, on the thread doing the connect.
  void arm(int fd) {
    std::lock_guard lock(mutex_);
    if (thread_.joinable() || fd < 0) return;
    started_ = true;
    fd_ = fd;
    const auto deadline = std::chrono::steady_clock::now() + limit_;
    thread_ = std::thread([this, deadline] {
      std::unique_lock lock2(mutex_);
      if (!cv_.wait_until(lock2, deadline, [this] { return stop_; })) {
        fired_ = true;
        ::shutdown(fd_, SHUT_RDWR);
      }
    });
  }
  // As soon as the connect or StartTLS call has returned.
  void disarm() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool started() const { return started_; }
  bool fired() const { return fired_; }

 private:
  std::chrono::seconds limit_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::thread thread_;
  int fd_ = -1;
  bool stop_ = false;
  bool started_ = false;
  bool fired_ = false;
};

int tlsConnectCallback(LDAP* ld, void*, void*, void* arg) {
  int fd = -1;
  if (arg != nullptr && ldap_get_option(ld, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS && fd >= 0) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    if (arg != nullptr) static_cast<HandshakeWatchdog*>(arg)->arm(fd);
  }
  return 0;
}

// The system trust store for an empty ca_file. libldap 2.5 with GnuTLS has no default of its
// own (Debian's /etc/ldap/ldap.conf names the bundle, and that file is not read: LDAPNOINIT), so
// the bundle is named here: Debian / Ubuntu, then Fedora / RHEL, openSUSE, Alpine.
const std::string* systemCaBundle() {
  static const std::optional<std::string> bundle = []() -> std::optional<std::string> {
    for (const char* path :
         {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
          "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem"}) {
      if (::access(path, R_OK) == 0) return std::string(path);
    }
    return std::nullopt;
  }();
  return bundle ? &*bundle : nullptr;
}

// libldap's TLS library: "GnuTLS" on Debian, "OpenSSL" elsewhere. After initLibrary().
bool tlsBackendIsGnuTls() {
  static const bool gnutls = [] {
    char* name = nullptr;
    bool is_gnutls = false;
    if (ldap_get_option(nullptr, LDAP_OPT_X_TLS_PACKAGE, &name) == LDAP_OPT_SUCCESS &&
        name != nullptr) {
      is_gnutls = std::string_view(name) == "GnuTLS";
      ldap_memfree(name);
    }
    return is_gnutls;
  }();
  return gnutls;
}

timeval toTimeval(std::chrono::seconds s) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(s.count());
  return tv;
}

Error combineAttempts(const std::vector<Attempt>& attempts) {
  if (attempts.size() == 1) return attempts.front().error;
  // Report the most telling reason: a credential or TLS problem explains more than a DC that
  // happened to be down.
  auto rank = [](ErrorCode c) {
    switch (c) {
      case ErrorCode::kAuth: return 0;
      case ErrorCode::kTls: return 1;
      case ErrorCode::kConfig: return 2;
      case ErrorCode::kInvalidArgument: return 3;
      case ErrorCode::kTimeout: return 5;
      case ErrorCode::kServerDown: return 6;
      default: return 4;
    }
  };
  const Attempt* best = &attempts.front();
  for (const auto& a : attempts)
    if (rank(a.error.code) < rank(best->error.code)) best = &a;
  std::string message = "no directory server could be used (" + std::to_string(attempts.size()) +
                        " tried):";
  for (const auto& a : attempts) message += " [" + a.uri + "] " + a.error.message + ";";
  message.pop_back();
  return Error{best->error.code, std::move(message), best->error.hint};
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Result<BindMode> parseBindMode(std::string_view text) {
  if (iequals(text, "simple")) return BindMode::kSimple;
  if (iequals(text, "gssapi")) return BindMode::kGssapi;
  if (iequals(text, "external")) return BindMode::kExternal;
  return fail(ErrorCode::kConfig, "[directory] bind = \"" + std::string(text) + "\" is not valid",
              "use simple, gssapi or external");
}

std::string_view bindModeName(BindMode mode) {
  switch (mode) {
    case BindMode::kSimple: return "simple";
    case BindMode::kGssapi: return "gssapi";
    case BindMode::kExternal: return "external";
  }
  return "unknown";
}

bool RootDse::supportsControl(std::string_view oid) const {
  return std::find(supported_controls.begin(), supported_controls.end(), oid) !=
         supported_controls.end();
}

bool RootDse::supportsSaslMechanism(std::string_view mechanism) const {
  return std::any_of(supported_sasl_mechanisms.begin(), supported_sasl_mechanisms.end(),
                     [&](const std::string& m) { return iequals(m, mechanism); });
}

ErrorContext Session::Impl::context(std::string_view operation, std::string_view dn) const {
  ErrorContext c;
  c.operation = operation;
  c.uri = uri;
  c.dn = dn;
  c.ca_file = options.ca_file;
  switch (options.bind) {
    case BindMode::kSimple: c.mechanism = "simple"; break;
    case BindMode::kGssapi: c.mechanism = "GSSAPI"; break;
    case BindMode::kExternal: c.mechanism = "EXTERNAL"; break;
  }
  return c;
}

Error Session::Impl::errorFromHandle(std::string_view operation, std::string_view dn,
                                     int code) const {
  const std::string tls_detail = detail::takeTlsLog();
  ErrorContext c = context(operation, dn);
  c.tls_detail = tls_detail;
  // Only connect and StartTLS run the handshake; later failures are not TLS problems.
  c.tls_handshake = tls_handshake_started && (operation == "connect" || operation == "StartTLS");
  return mapLdapError(code, detail::diagnosticMessage(ld.get()), {}, c);
}

namespace {

// Connects to one URI and binds; the unit of failover.
Result<std::unique_ptr<Session::Impl>> connectOne(const std::string& uri,
                                                  const SessionOptions& options) {
  auto parsed = parseUri(uri);
  if (!parsed) return fail(parsed.error());

  const bool tls = parsed->ldaps || options.starttls;
  if (options.bind == BindMode::kSimple && !tls) {
    // Checked before anything is sent: the password must never cross the wire in clear text.
    return fail(ErrorCode::kConfig,
                "refusing a simple bind over " + uri +
                    ": it would send the password unencrypted (and Active Directory refuses it "
                    "anyway: strongerAuthRequired)",
                "use ldaps://, starttls = true or bind = gssapi");
  }
  if (options.bind == BindMode::kExternal && !tls) {
    return fail(ErrorCode::kConfig,
                "bind = external over " + uri + " needs TLS to present the client certificate",
                "use an ldaps:// URI or starttls = true");
  }
  if (options.bind == BindMode::kSimple) {
    if (options.user.empty())
      return fail(ErrorCode::kConfig, "bind = simple needs [directory] user",
                  "set user to the UPN (svc-adcheck@corp.example.com) or DN of the bind account");
    if (options.password.empty())
      return fail(ErrorCode::kConfig,
                  "bind = simple with an empty password (that would be an anonymous bind)",
                  "set [directory] password_file or the environment variable "
                  "ADCHECK_BIND_PASSWORD");
  }
  if (options.bind == BindMode::kExternal &&
      (options.client_cert.empty() || options.client_key.empty())) {
    return fail(ErrorCode::kConfig, "bind = external needs a client certificate and key",
                "set [directory] client_cert and client_key (PEM files)");
  }
  for (const auto& [key, path] : {std::pair{"ca_file", &options.ca_file},
                                  std::pair{"client_cert", &options.client_cert},
                                  std::pair{"client_key", &options.client_key}}) {
    if (!tls || path->empty()) continue;
    if (::access(path->c_str(), R_OK) != 0) {
      return fail(ErrorCode::kTls,
                  std::string("[directory] ") + key + " \"" + *path + "\" cannot be read: " +
                      std::strerror(errno),
                  std::string("point ") + key + " at a readable PEM file");
    }
  }
  if (tls && !options.client_key.empty()) {
    if (auto ok = checkSecretFile(options.client_key, "[directory] client_key"); !ok)
      return fail(ok.error());
  }
  const std::string* ca_file = options.ca_file.empty() ? systemCaBundle() : &options.ca_file;
  if (tls && options.tls_verify && ca_file == nullptr) {
    return fail(ErrorCode::kTls,
                "[directory] ca_file is empty and no system trust store was found "
                "(/etc/ssl/certs/ca-certificates.crt and the like)",
                "set [directory] ca_file to the CA that signed the DC certificates (PEM)");
  }

  auto impl = std::make_unique<Session::Impl>();
  impl->uri = uri;
  impl->options = options;
  impl->options.password = Secret();  // only the bind below needs it
  impl->tls = tls;

  HandshakeWatchdog watchdog(options.connect_timeout);
  LDAP* raw = nullptr;
  int rc = ldap_initialize(&raw, uri.c_str());
  if (rc != LDAP_SUCCESS || raw == nullptr) {
    return fail(ErrorCode::kInvalidArgument,
                "[directory] uri \"" + uri + "\": " + ldap_err2string(rc),
                "write it as ldaps://host[:port] or ldap://host[:port]");
  }
  impl->ld.reset(raw);
  LDAP* ld = raw;
  detail::takeTlsLog();

  auto setOption = [&](int option, const void* value, const char* what) -> Result<void> {
    if (ldap_set_option(ld, option, value) != LDAP_OPT_SUCCESS) {
      return fail(ErrorCode::kInternal,
                  std::string("libldap refused the option ") + what + " for " + uri);
    }
    return {};
  };
  const int version = LDAP_VERSION3;
  const timeval connect_tv = toTimeval(options.connect_timeout);
  const timeval op_tv = toTimeval(options.timeout);
  Result<void> ok;
  // Referrals off: following them would bind to other servers with our credentials.
  if (ok) ok = setOption(LDAP_OPT_PROTOCOL_VERSION, &version, "protocol version 3");
  if (ok) ok = setOption(LDAP_OPT_REFERRALS, LDAP_OPT_OFF, "referrals off");
  if (ok) ok = setOption(LDAP_OPT_RESTART, LDAP_OPT_ON, "restart");
  if (ok) ok = setOption(LDAP_OPT_NETWORK_TIMEOUT, &connect_tv, "network timeout");
  if (ok) ok = setOption(LDAP_OPT_TIMEOUT, &op_tv, "timeout");
  if (ok && options.sasl_nocanon)
    ok = setOption(LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON, "SASL no-canonicalisation");
  if (ok && options.bind == BindMode::kGssapi) {
    // Over plain LDAP require a real security layer (56 = encryption; signing alone would
    // leave directory data readable on the wire). Inside TLS, AD refuses a second layer.
    ok = setOption(LDAP_OPT_X_SASL_SECPROPS, tls ? "maxssf=0" : "minssf=56", "SASL secprops");
  }
  if (ok && tls) {
    // Every TLS option of the handle is set here, none inherited: LDAPNOINIT already keeps
    // ldap.conf, ldaprc and LDAPTLS_* out, and this keeps them out even if something in the
    // process initialised libldap before us. A null value clears an option.
    auto orNull = [](const std::string& value) { return value.empty() ? nullptr : value.c_str(); };
    const int require = options.tls_verify ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
    ok = setOption(LDAP_OPT_X_TLS_REQUIRE_CERT, &require, "TLS verification");
    // Only the configured CA (or the system bundle): no extra trust anchors from a CA directory.
    if (ok)
      ok = setOption(LDAP_OPT_X_TLS_CACERTFILE, ca_file != nullptr ? ca_file->c_str() : nullptr,
                     "ca_file");
    if (ok) ok = setOption(LDAP_OPT_X_TLS_CACERTDIR, nullptr, "no CA directory");
    if (ok) ok = setOption(LDAP_OPT_X_TLS_CERTFILE, orNull(options.client_cert), "client_cert");
    if (ok) ok = setOption(LDAP_OPT_X_TLS_KEYFILE, orNull(options.client_key), "client_key");
    // TLS 1.0 and 1.1 are deprecated (RFC 8996); DCs speak 1.2 by default since Windows Server
    // 2012. libldap 2.5's GnuTLS backend (Debian's) ignores LDAP_OPT_X_TLS_PROTOCOL_MIN: measured,
    // a server offering only TLS 1.1 was accepted with it set. There the minimum goes into the
    // GnuTLS priority string (the cipher suite option; NORMAL is libldap's default); an OpenSSL
    // build honours PROTOCOL_MIN and keeps its default ciphers.
    const int tls_min = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
    if (ok) ok = setOption(LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls_min, "TLS 1.2 minimum");
    const char* suites =
        tlsBackendIsGnuTls() ? "NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1" : nullptr;
    if (ok) ok = setOption(LDAP_OPT_X_TLS_CIPHER_SUITE, suites, "TLS 1.2 minimum (priorities)");
    if (ok) ok = setOption(LDAP_OPT_X_TLS_CRLFILE, nullptr, "no CRL file");
    // The host name must match the certificate's subjectAltName when it has one (the default;
    // TLS_REQSAN never would drop that check).
    const int require_san = LDAP_OPT_X_TLS_ALLOW;
    if (ok) ok = setOption(LDAP_OPT_X_TLS_REQUIRE_SAN, &require_san, "subjectAltName check");
    if (ok) {
      ok = setOption(LDAP_OPT_X_TLS_CONNECT_CB,
                     reinterpret_cast<const void*>(&tlsConnectCallback), "TLS callback");
    }
    if (ok) ok = setOption(LDAP_OPT_X_TLS_CONNECT_ARG, &watchdog, "TLS callback argument");
    if (ok) {
      // A fresh TLS context for this handle, so the options above apply (libldap otherwise
      // shares the process-wide context built from ldap.conf).
      const int is_server = 0;
      if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server) != LDAP_OPT_SUCCESS) {
        const std::string detail = detail::takeTlsLog();
        return fail(ErrorCode::kTls,
                    "cannot set up TLS for " + uri + (detail.empty() ? "" : ": " + detail),
                    "check [directory] ca_file, client_cert and client_key: readable PEM files");
      }
    }
  }
  if (!ok) return fail(ok.error());

  // Connect explicitly so that a dead DC and a failed TLS handshake are told apart from a
  // refused bind.
  auto handshakeError = [&](const char* operation, const HandshakeWatchdog& dog) {
    impl->tls_handshake_started = dog.started();
    if (!dog.fired()) {
      // libldap logs why a certificate was refused; a refused protocol version leaves no line.
      const bool reason_logged = !detail::t_tls_log.empty();
      Error error = impl->errorFromHandle(operation, {}, rc);
      if (error.code == ErrorCode::kTls && !reason_logged)
        error.hint += "; or the DC offers nothing newer than TLS 1.1 (adcheck requires TLS 1.2)";
      return error;
    }
    detail::takeTlsLog();
    return Error{ErrorCode::kTimeout,
                 std::string(operation) + " on " + uri +
                     ": the TLS handshake did not complete within connect_timeout (" +
                     std::to_string(options.connect_timeout.count()) + " s)",
                 std::string("check that the port speaks ") +
                     (parsed->ldaps ? "LDAPS (usually 636)" : "LDAP with StartTLS (usually 389)") +
                     ", or raise [directory] connect_timeout"};
  };
  rc = ldap_connect(ld);
  watchdog.disarm();
  if (rc != LDAP_SUCCESS) return fail(handshakeError("connect", watchdog));
  {
    // libldap reads a message with blocking reads once poll() says data is there; a DC that
    // stops in the middle of a message would block it forever, past every timeout. With a
    // receive timeout the read returns EAGAIN, libldap goes back to waiting and its own
    // timeout applies.
    int fd = -1;
    if (ldap_get_option(ld, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS && fd >= 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &op_tv, sizeof op_tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &op_tv, sizeof op_tv);
    }
  }
  if (!parsed->ldaps && options.starttls) {
    HandshakeWatchdog starttls_watchdog(options.connect_timeout);
    ldap_set_option(ld, LDAP_OPT_X_TLS_CONNECT_ARG, &starttls_watchdog);
    rc = ldap_start_tls_s(ld, nullptr, nullptr);
    starttls_watchdog.disarm();
    ldap_set_option(ld, LDAP_OPT_X_TLS_CONNECT_ARG, nullptr);
    if (rc != LDAP_SUCCESS) return fail(handshakeError("StartTLS", starttls_watchdog));
  }
  ldap_set_option(ld, LDAP_OPT_X_TLS_CONNECT_ARG, nullptr);

  switch (options.bind) {
    case BindMode::kSimple: {
      const std::string_view pw = options.password.reveal();
      berval cred{};
      cred.bv_len = pw.size();
      cred.bv_val = const_cast<char*>(pw.data());
      rc = ldap_sasl_bind_s(ld, options.user.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr,
                            nullptr);
      if (rc != LDAP_SUCCESS) return fail(impl->errorFromHandle("bind", options.user, rc));
      break;
    }
    case BindMode::kGssapi:
    case BindMode::kExternal: {
      const char* mechanism = options.bind == BindMode::kGssapi ? "GSSAPI" : "EXTERNAL";
      SaslDefaults defaults;
      rc = ldap_sasl_interactive_bind_s(ld, nullptr, mechanism, nullptr, nullptr, LDAP_SASL_QUIET,
                                        &saslInteract, &defaults);
      if (rc != LDAP_SUCCESS) {
        Error error = impl->errorFromHandle("bind", options.user, rc);
        // Say which mechanisms the DC does offer when ours is not among them (the RootDSE
        // is readable without a bind).
        if (error.code == ErrorCode::kAuth || error.code == ErrorCode::kLdap) {
          auto dse = impl->baseSearch("", {"supportedSASLMechanisms"}, {}, nullptr);
          if (dse && *dse) {
            const auto* mechs = (*dse)->values("supportedSASLMechanisms");
            bool offered = false;
            std::string list;
            if (mechs != nullptr) {
              for (const auto& m : *mechs) {
                offered = offered || iequals(m, mechanism);
                list += (list.empty() ? "" : ", ") + m;
              }
            }
            if (!offered) {
              error.hint = std::string("the DC does not offer SASL ") + mechanism +
                           " (it offers: " + (list.empty() ? "none" : list) + "); " +
                           (options.bind == BindMode::kExternal
                                ? "use bind = gssapi, or bind = simple over ldaps://"
                                : error.hint);
            }
          }
        }
        return fail(std::move(error));
      }
      ber_len_t ssf = 0;
      if (ldap_get_option(ld, LDAP_OPT_X_SASL_SSF, &ssf) == LDAP_OPT_SUCCESS)
        impl->sasl_ssf = static_cast<int>(ssf);
      if (options.bind == BindMode::kGssapi && !tls && impl->sasl_ssf < 56) {
        return fail(ErrorCode::kAuth,
                    "GSSAPI bind to " + uri + " negotiated no encrypting security layer (SSF " +
                        std::to_string(impl->sasl_ssf) + ")",
                    "the DC must offer Kerberos sign and seal; use ldaps:// otherwise");
      }
      break;
    }
  }
  detail::takeTlsLog();
  return impl;
}

}  // namespace

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Result<Session> Session::open(const SessionOptions& options) {
  detail::initLibrary();
  if (options.uris.empty()) {
    return fail(ErrorCode::kConfig, "[directory] uri is empty",
                "list the domain controllers, e.g. uri = ldaps://dc1.corp.example.com "
                "ldaps://dc2.corp.example.com");
  }
  if (options.page_size <= 0) {
    return fail(ErrorCode::kConfig,
                "[directory] page_size = " + std::to_string(options.page_size) + " is not valid",
                "use a positive number, at most the DC's MaxPageSize (1000 by default)");
  }
  if (options.connect_timeout.count() <= 0 || options.timeout.count() <= 0) {
    return fail(ErrorCode::kConfig, "[directory] connect_timeout and timeout must be positive",
                "give them in seconds, e.g. connect_timeout = 10, timeout = 120");
  }
  std::vector<Attempt> attempts;
  for (const auto& uri : options.uris) {
    auto impl = connectOne(uri, options);
    if (impl) {
      (*impl)->attempts = std::move(attempts);
      return Session(std::move(*impl));
    }
    const bool wrong_password = impl.error().code == ErrorCode::kAuth &&
                                impl.error().message.find("invalidCredentials") !=
                                    std::string::npos;
    attempts.push_back(Attempt{uri, std::move(impl.error())});
    if (wrong_password) break;  // the next DC would only add a strike towards lockout
  }
  return fail(combineAttempts(attempts));
}

const std::string& Session::uri() const { return impl_->uri; }
const std::vector<Attempt>& Session::failedAttempts() const { return impl_->attempts; }
BindMode Session::bindMode() const { return impl_->options.bind; }
bool Session::tls() const { return impl_->tls; }
int Session::saslSsf() const { return impl_->sasl_ssf; }

std::string Session::boundName() const {
  if (impl_->options.bind == BindMode::kSimple) return impl_->options.user;
  char* name = nullptr;
  if (ldap_get_option(impl_->ld.get(), LDAP_OPT_X_SASL_USERNAME, &name) != LDAP_OPT_SUCCESS ||
      name == nullptr)
    return impl_->options.user;
  std::string out(name);
  ber_memfree(name);
  return out;
}

Result<RootDse> Session::rootDse() {
  if (impl_->root_dse) return *impl_->root_dse;
  static const std::vector<std::string> kAttributes = {
      "defaultNamingContext",    "configurationNamingContext", "schemaNamingContext",
      "rootDomainNamingContext", "dnsHostName",                "serverName",
      "supportedControl",        "supportedSASLMechanisms",    "domainFunctionality",
      "forestFunctionality",     "domainControllerFunctionality", "currentTime"};
  auto entry = impl_->baseSearch("", kAttributes, {}, nullptr);
  if (!entry) return fail(entry.error());
  if (!*entry) {
    return fail(ErrorCode::kLdap, "the RootDSE of " + impl_->uri + " returned no entry",
                "is this an LDAP directory server?");
  }
  const Entry& e = **entry;
  RootDse dse;
  dse.default_naming_context = e.firstOr("defaultNamingContext");
  dse.configuration_naming_context = e.firstOr("configurationNamingContext");
  dse.schema_naming_context = e.firstOr("schemaNamingContext");
  dse.root_domain_naming_context = e.firstOr("rootDomainNamingContext");
  dse.dns_host_name = e.firstOr("dnsHostName");
  dse.server_name = e.firstOr("serverName");
  dse.current_time = e.firstOr("currentTime");
  if (const auto* v = e.values("supportedControl")) dse.supported_controls = *v;
  if (const auto* v = e.values("supportedSASLMechanisms")) dse.supported_sasl_mechanisms = *v;
  auto toInt = [&](std::string_view name) -> std::optional<int> {
    auto v = e.integer(name);
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
  };
  dse.domain_functionality = toInt("domainFunctionality");
  dse.forest_functionality = toInt("forestFunctionality");
  dse.domain_controller_functionality = toInt("domainControllerFunctionality");
  impl_->root_dse = dse;
  return dse;
}

Result<std::optional<Entry>> Session::readEntry(std::string_view dn,
                                                const std::vector<std::string>& attributes) {
  SearchRequest request;
  request.base = std::string(dn);
  request.scope = Scope::kBase;
  request.attributes = attributes;
  std::vector<detail::PendingRange> pending;
  auto entry = impl_->baseSearch(dn, attributes, detail::requestControls(request), &pending);
  if (!entry) return fail(entry.error());
  if (*entry && !pending.empty()) {
    auto done = impl_->completeRanges(**entry, pending);
    if (!done) return fail(done.error());
  }
  return entry;
}

Result<std::vector<std::string>> Session::rangedValues(std::string_view dn,
                                                       std::string_view attribute,
                                                       std::size_t step) {
  return impl_->rangedFrom(dn, attribute, 0, step);
}

Result<std::uint64_t> Session::count(std::string_view base, std::string_view filter) {
  SearchRequest request;
  request.base = std::string(base);
  request.filter = std::string(filter);
  request.attributes = {"1.1"};  // RFC 4511: no attributes
  auto search = this->search(request);
  if (!search) return fail(search.error());
  std::uint64_t n = 0;
  for (;;) {
    auto entry = search->next();
    if (!entry) return fail(entry.error());
    if (!*entry) break;
    ++n;
  }
  return n;
}

// Self-contained on purpose (no shared helpers beyond errorFromHandle): ldap_whoami_s is
// synchronous and bounded by LDAP_OPT_TIMEOUT, set at connect.
Result<std::string> Session::whoAmI() {
  struct berval* authzid = nullptr;
  const int rc = ldap_whoami_s(impl_->ld.get(), &authzid, nullptr, nullptr);
  if (rc != LDAP_SUCCESS) {
    if (authzid != nullptr) ber_bvfree(authzid);
    return fail(impl_->errorFromHandle("who am I", {}, rc));
  }
  std::string out;
  if (authzid != nullptr) {
    if (authzid->bv_val != nullptr) out.assign(authzid->bv_val, authzid->bv_len);
    ber_bvfree(authzid);
  }
  return out;
}

}  // namespace adcheck::ldap
