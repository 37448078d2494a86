// The endpoint probe and the EP-* rules against real TLS servers on 127.0.0.1, with a PKI made at
// test time (root, intermediate, leaves), so no lab and no network are needed.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <Poco/JSON/Parser.h>
#include <sys/wait.h>

#include <fstream>

#include "adcheck/probe/probe.h"
#include "rules/endpoint_rule.h"

namespace adcheck::probe {
namespace {

using namespace std::chrono_literals;

constexpr long kDay = 86400;

EVP_PKEY* newKey() { return EVP_EC_gen("P-256"); }

void addExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate valid from now+from to now+to (seconds); issuer null = self-signed.
X509* makeCert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca,
               long from, long to, const std::string& san, const char* eku = nullptr) {
  static long serial = 1;
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), from);
  X509_gmtime_adj(X509_getm_notAfter(cert), to);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("adcheck test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(signer));
  addExt(cert, signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  addExt(cert, signer, NID_key_usage,
         ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment");
  addExt(cert, signer, NID_subject_key_identifier, "hash");
  if (issuer) addExt(cert, signer, NID_authority_key_identifier, "keyid:always");
  if (!san.empty()) addExt(cert, signer, NID_subject_alt_name, san.c_str());
  if (eku != nullptr) addExt(cert, signer, NID_ext_key_usage, eku);
  X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256());
  return cert;
}

struct Pki {
  EVP_PKEY* rootKey = nullptr;
  EVP_PKEY* interKey = nullptr;
  EVP_PKEY* leafKey = nullptr;
  X509* root = nullptr;
  X509* inter = nullptr;
  X509* good = nullptr;
  X509* expired = nullptr;
  X509* expiring = nullptr;
  X509* wrongHost = nullptr;
  X509* otherRoot = nullptr;
  EVP_PKEY* clientKey = nullptr;
  X509* client = nullptr;  // a user's certificate for client authentication, issued by inter
  std::string clientP12;   // client + key + inter, password kP12Password
  std::string clientP12PasswordFile;
  std::string wrongPasswordFile;
  std::filesystem::path dir;
  std::string caFile;
  std::string otherCaFile;
};

Pki* pki = nullptr;

void writePem(X509* cert, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  PEM_write_X509(f, cert);
  std::fclose(f);
}

constexpr const char* kP12Password = "s3cret pass";

enum class Mode { kTls, kPlainHttp, kStall };

// How a TLS test server treats client certificates.
enum class ClientAuth { kNone, kRequired, kRequiredTls12 };

// A one-thread HTTPS (or plain, or silent) server on 127.0.0.1, random port.
class TestServer {
 public:
  TestServer(Mode mode, X509* leaf, std::vector<X509*> extra, int get_status, std::string get_body = {},
             ClientAuth client_auth = ClientAuth::kNone)
      : mode_(mode), get_status_(get_status), get_body_(std::move(get_body)) {
    if (mode == Mode::kTls) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      SSL_CTX_use_certificate(ctx_, leaf);
      SSL_CTX_use_PrivateKey(ctx_, pki->leafKey);
      if (client_auth != ClientAuth::kNone) {
        // As IIS with "Require client certificates": no certificate, no session.
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        SSL_CTX_load_verify_locations(ctx_, pki->caFile.c_str(), nullptr);
        if (client_auth == ClientAuth::kRequiredTls12) SSL_CTX_set_max_proto_version(ctx_, TLS1_2_VERSION);
      }
      for (X509* c : extra) {
        X509_up_ref(c);
        SSL_CTX_add_extra_chain_cert(ctx_, c);
      }
    }
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  ~TestServer() {
    stop_ = true;
    thread_.join();
    for (int fd : stalled_) ::close(fd);
    ::close(listen_);
    if (ctx_) SSL_CTX_free(ctx_);
  }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_) + "/Microsoft-Server-ActiveSync";
  }
  std::vector<std::string> requests() const { return requests_; }  // read after the probe

 private:
  void run() {
    while (!stop_) {
      pollfd p{listen_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      timeval tv{2, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      if (mode_ == Mode::kStall) {
        stalled_.push_back(fd);
        continue;
      }
      if (mode_ == Mode::kPlainHttp) {
        char buf[1024];
        (void)::recv(fd, buf, sizeof buf, 0);
        const char kAnswer[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        (void)::send(fd, kAnswer, sizeof kAnswer - 1, MSG_NOSIGNAL);
        ::close(fd);
        continue;
      }
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) {
        std::string req;
        char buf[1024];
        while (req.find("\r\n\r\n") == std::string::npos) {
          int n = SSL_read(ssl, buf, sizeof buf);
          if (n <= 0) break;
          req.append(buf, static_cast<std::size_t>(n));
        }
        requests_.push_back(req.substr(0, req.find("\r\n")));
        std::string answer;
        if (req.starts_with("OPTIONS")) {
          answer = "HTTP/1.1 200 OK\r\nMS-ASProtocolVersions: 2.5,12.1,14.1,16.1\r\n"
                   "MS-ASProtocolCommands: Sync,FolderSync,Ping\r\nContent-Length: 0\r\n"
                   "Connection: close\r\n\r\n";
        } else {
          answer = "HTTP/1.1 " + std::to_string(get_status_) + " Status\r\nContent-Length: " +
                   std::to_string(get_body_.size()) + "\r\nConnection: close\r\n\r\n" + get_body_;
        }
        SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
        SSL_shutdown(ssl);
      }
      SSL_free(ssl);
      ERR_clear_error();
      ::close(fd);
    }
  }

  Mode mode_;
  int get_status_;
  std::string get_body_;
  SSL_CTX* ctx_ = nullptr;
  int listen_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<int> stalled_;
  std::vector<std::string> requests_;
};

class ProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::signal(SIGPIPE, SIG_IGN);  // a peer closing mid-write must not kill the test
    pki = new Pki;
    pki->rootKey = newKey();
    pki->interKey = newKey();
    pki->leafKey = newKey();
    EVP_PKEY* other_key = newKey();
    pki->root = makeCert("Test Root", pki->rootKey, nullptr, nullptr, true, -kDay, 3650 * kDay, "");
    pki->otherRoot = makeCert("Other Root", other_key, nullptr, nullptr, true, -kDay, 3650 * kDay, "");
    pki->inter = makeCert("Test Issuing CA", pki->interKey, pki->root, pki->rootKey, true, -kDay,
                          1000 * kDay, "");
    const std::string san = "DNS:localhost,IP:127.0.0.1";
    pki->good = makeCert("mail.corp.example.com", pki->leafKey, pki->inter, pki->interKey, false,
                         -kDay, 365 * kDay, san);
    pki->expired = makeCert("mail.corp.example.com", pki->leafKey, pki->inter, pki->interKey, false,
                            -30 * kDay, -kDay, san);
    pki->expiring = makeCert("mail.corp.example.com", pki->leafKey, pki->inter, pki->interKey, false,
                             -kDay, 10 * kDay + 3600, san);
    pki->wrongHost = makeCert("mail.other.example", pki->leafKey, pki->inter, pki->interKey, false,
                              -kDay, 365 * kDay, "DNS:mail.other.example,DNS:*.other.example");
    EVP_PKEY_free(other_key);
    pki->dir = std::filesystem::temp_directory_path() /
               ("adcheck_probe_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(pki->dir);
    pki->caFile = (pki->dir / "ca.pem").string();
    pki->otherCaFile = (pki->dir / "other.pem").string();
    writePem(pki->root, pki->caFile);
    writePem(pki->otherRoot, pki->otherCaFile);
    // The device user's certificate as a PKCS#12 export (key, certificate, issuing CA).
    pki->clientKey = newKey();
    pki->client = makeCert("jdoe@corp.example.com", pki->clientKey, pki->inter, pki->interKey, false,
                           -kDay, 365 * kDay, "", "clientAuth");
    STACK_OF(X509)* ca = sk_X509_new_null();
    sk_X509_push(ca, pki->inter);
    PKCS12* p12 = PKCS12_create(kP12Password, "jdoe", pki->clientKey, pki->client, ca, 0, 0, 0, 0, 0);
    sk_X509_free(ca);
    ASSERT_NE(p12, nullptr);
    pki->clientP12 = (pki->dir / "jdoe.p12").string();
    FILE* f = std::fopen(pki->clientP12.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    i2d_PKCS12_fp(f, p12);
    std::fclose(f);
    PKCS12_free(p12);
    pki->clientP12PasswordFile = (pki->dir / "p12.pw").string();
    std::ofstream(pki->clientP12PasswordFile) << kP12Password << "\n";  // as `echo` writes it
    pki->wrongPasswordFile = (pki->dir / "wrong.pw").string();
    std::ofstream(pki->wrongPasswordFile) << "not the password\n";
    // Password files readable by the owner only, as adcheck requires (ldap/secret.h).
    for (const auto& pw : {pki->clientP12PasswordFile, pki->wrongPasswordFile})
      std::filesystem::permissions(pw, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(pki->dir);
    for (X509* c : {pki->root, pki->inter, pki->good, pki->expired, pki->expiring, pki->wrongHost,
                    pki->otherRoot, pki->client})
      X509_free(c);
    for (EVP_PKEY* k : {pki->rootKey, pki->interKey, pki->leafKey, pki->clientKey}) EVP_PKEY_free(k);
    delete pki;
    pki = nullptr;
  }

  static ProbeOptions options(std::chrono::milliseconds timeout = 3000ms) {
    ProbeOptions o;
    o.caFile = pki->caFile;
    o.timeout = timeout;
    return o;
  }

  static ProbeOptions withClientCert(const std::string& password_file) {
    ProbeOptions o = options();
    o.clientPkcs12 = pki->clientP12;
    o.clientPkcs12PasswordFile = password_file;
    return o;
  }

  // rule id -> findings
  static std::map<std::string, std::vector<scan::Finding>> findings(const ProbeResult& r, int expiry_days = 30) {
    config::RulesConfig cfg;
    cfg.cert_expiry_days = expiry_days;
    std::map<std::string, std::vector<scan::Finding>> out;
    rules::evaluateEndpoint(r, cfg, [&](scan::Finding&& f) { out[f.rule].push_back(std::move(f)); });
    return out;
  }

  static std::vector<std::string> ruleIds(const ProbeResult& r) {
    std::vector<std::string> ids;
    for (const auto& [id, list] : findings(r)) ids.push_back(id);
    return ids;
  }
};

using ::testing::ElementsAre;

TEST_F(ProbeTest, FullChainResponding501GivesNoFinding) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 501);
  auto r = probeUrl(server.url(), options());
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.chain.size(), 2u);
  EXPECT_NE(r.chain[0].subject.find("CN=mail.corp.example.com"), std::string::npos) << r.chain[0].subject;
  EXPECT_NE(r.chain[0].issuer.find("CN=Test Issuing CA"), std::string::npos) << r.chain[0].issuer;
  EXPECT_EQ(r.chain[0].sha1.size(), 40u);
  EXPECT_GT(r.chain[0].notAfter, r.probedAt + 364 * kDay);
  EXPECT_TRUE(r.verified) << r.verifyError;
  EXPECT_TRUE(r.hostnameOk);
  EXPECT_TRUE(r.protocol.starts_with("TLSv1.")) << r.protocol;
  EXPECT_FALSE(r.cipher.empty());
  const auto* opt = r.find("OPTIONS");
  ASSERT_NE(opt, nullptr);
  EXPECT_EQ(opt->status, 200);
  EXPECT_EQ(opt->headers.at("ms-asprotocolversions"), "2.5,12.1,14.1,16.1");
  EXPECT_EQ(opt->headers.at("ms-asprotocolcommands"), "Sync,FolderSync,Ping");
  const auto* get = r.find("GET");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->status, 501) << get->error;
  EXPECT_EQ(explainStatus(501).substr(0, 10), "responding");
  EXPECT_TRUE(ruleIds(r).empty()) << ::testing::PrintToString(ruleIds(r));
}

TEST_F(ProbeTest, LeafOnlyIsChainIncompleteOnly) {
  TestServer server(Mode::kTls, pki->good, {}, 501);
  auto r = probeUrl(server.url(), options());
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.chain.size(), 1u);
  EXPECT_FALSE(r.verified);
  EXPECT_NE(r.verifyError.find("issuer"), std::string::npos) << r.verifyError;
  auto f = findings(r);
  ASSERT_THAT(ruleIds(r), ElementsAre("EP-CHAIN-INCOMPLETE"));
  const auto& finding = f["EP-CHAIN-INCOMPLETE"].front();
  EXPECT_EQ(finding.dn, server.url());
  EXPECT_EQ(finding.key, server.url());
  EXPECT_EQ(finding.severity, scan::Severity::kHigh);
}

TEST_F(ProbeTest, UntrustedRootIsChainIncomplete) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 501);
  auto o = options();
  o.caFile = pki->otherCaFile;
  auto r = probeUrl(server.url(), o);
  ASSERT_EQ(r.error, "");
  EXPECT_FALSE(r.verified);
  EXPECT_THAT(ruleIds(r), ElementsAre("EP-CHAIN-INCOMPLETE"));
}

TEST_F(ProbeTest, MissingCaFileIsReportedNotTrusted) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 501);
  auto o = options();
  o.caFile = (pki->dir / "missing.pem").string();
  auto r = probeUrl(server.url(), o);
  EXPECT_FALSE(r.verified);
  EXPECT_NE(r.verifyError.find("missing.pem"), std::string::npos) << r.verifyError;
}

TEST_F(ProbeTest, ExpiredLeafIsCertExpiredOnly) {
  TestServer server(Mode::kTls, pki->expired, {pki->inter}, 501);
  auto r = probeUrl(server.url(), options());
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.verified) << "dates are the expiry rules' business: " << r.verifyError;
  auto f = findings(r);
  ASSERT_THAT(ruleIds(r), ElementsAre("EP-CERT-EXPIRED"));
  EXPECT_EQ(f["EP-CERT-EXPIRED"].size(), 1u);
  EXPECT_EQ(f["EP-CERT-EXPIRED"].front().severity, scan::Severity::kHigh);
}

TEST_F(ProbeTest, ExpiringLeafFollowsTheThreshold) {
  TestServer server(Mode::kTls, pki->expiring, {pki->inter}, 501);
  auto r = probeUrl(server.url(), options());
  ASSERT_EQ(r.error, "");
  auto f = findings(r, 30);
  ASSERT_THAT(ruleIds(r), ElementsAre("EP-CERT-EXPIRING"));
  const auto& finding = f["EP-CERT-EXPIRING"].front();
  EXPECT_EQ(finding.severity, scan::Severity::kMedium);
  EXPECT_EQ(finding.details->getValue<long>("daysLeft"), 10);
  EXPECT_TRUE(findings(r, 7).empty()) << "10 days left is not within a 7-day threshold";
}

TEST_F(ProbeTest, WrongHostIsHostnameMismatchOnly) {
  TestServer server(Mode::kTls, pki->wrongHost, {pki->inter}, 501);
  auto r = probeUrl(server.url(), options());
  ASSERT_EQ(r.error, "");
  EXPECT_FALSE(r.hostnameOk);
  EXPECT_TRUE(r.verified) << r.verifyError;
  EXPECT_THAT(ruleIds(r), ElementsAre("EP-HOSTNAME-MISMATCH"));
}

TEST_F(ProbeTest, HostNameMatchesSanDnsEntry) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 401);
  auto r = probeUrl(server.url("localhost"), options());
  if (!r.error.empty()) GTEST_FAIL() << "localhost must resolve to 127.0.0.1 here: " << r.error;
  EXPECT_TRUE(r.hostnameOk);
  EXPECT_EQ(r.find("GET")->status, 401);
  EXPECT_TRUE(ruleIds(r).empty()) << "401 = credentials needed, normal";
}

TEST_F(ProbeTest, Forbidden403IsHttpStatusFinding) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 403);
  auto r = probeUrl(server.url(), options());
  ASSERT_EQ(r.error, "");
  auto f = findings(r);
  ASSERT_THAT(ruleIds(r), ElementsAre("EP-HTTP-STATUS"));
  const auto& finding = f["EP-HTTP-STATUS"].front();
  EXPECT_EQ(finding.severity, scan::Severity::kMedium);
  EXPECT_EQ(finding.details->getValue<int>("status"), 403);
  EXPECT_EQ(finding.details->getValue<std::string>("protocolVersions"), "2.5,12.1,14.1,16.1");
  EXPECT_NE(finding.summary.find("SSL required"), std::string::npos) << finding.summary;
}

TEST_F(ProbeTest, Forbidden4037NamesTheClientCertificate) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 403,
                    "<html>HTTP Error 403.7 - Forbidden: client certificate required</html>");
  auto r = probeUrl(server.url(), options());
  auto f = findings(r);
  ASSERT_THAT(ruleIds(r), ElementsAre("EP-HTTP-STATUS"));
  EXPECT_NE(f["EP-HTTP-STATUS"].front().summary.find("403.7"), std::string::npos)
      << f["EP-HTTP-STATUS"].front().summary;
}

TEST_F(ProbeTest, NotFound404IsHigh) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 404);
  auto r = probeUrl(server.url(), options());
  auto f = findings(r);
  ASSERT_THAT(ruleIds(r), ElementsAre("EP-HTTP-STATUS"));
  EXPECT_EQ(f["EP-HTTP-STATUS"].front().severity, scan::Severity::kHigh);
  EXPECT_NE(f["EP-HTTP-STATUS"].front().summary.find("virtual directory missing"), std::string::npos);
}

TEST_F(ProbeTest, RefusedPortIsUnreachableInWords) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // bound, never listening, now closed: nothing answers on this port
  std::string url = "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/Microsoft-Server-ActiveSync";
  auto r = probeUrl(url, options());
  EXPECT_NE(r.error.find("connection refused"), std::string::npos) << r.error;
  auto f = findings(r);
  ASSERT_THAT(ruleIds(r), ElementsAre("EP-UNREACHABLE"));
  EXPECT_NE(f["EP-UNREACHABLE"].front().summary.find("connection refused"), std::string::npos);
  EXPECT_EQ(f["EP-UNREACHABLE"].front().dn, url);
}

TEST_F(ProbeTest, PlainHttpOnTheHttpsPortIsUnreachable) {
  TestServer server(Mode::kPlainHttp, nullptr, {}, 0);
  auto r = probeUrl(server.url(), options());
  EXPECT_NE(r.error.find("TLS handshake failed"), std::string::npos) << r.error;
  EXPECT_TRUE(r.chain.empty());
  EXPECT_THAT(ruleIds(r), ElementsAre("EP-UNREACHABLE"));
}

TEST_F(ProbeTest, StalledHandshakeHonoursTheTimeout) {
  TestServer server(Mode::kStall, nullptr, {}, 0);
  auto start = std::chrono::steady_clock::now();
  auto r = probeUrl(server.url(), options(700ms));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
  EXPECT_GE(took, 600ms);
  EXPECT_LT(took, 3s);
  EXPECT_THAT(ruleIds(r), ElementsAre("EP-UNREACHABLE"));
}

TEST_F(ProbeTest, MalformedUrlsAreNamed) {
  for (std::string url : {"https://[::1", "http://mail.example.com/Microsoft-Server-ActiveSync",
                          "mail.example.com", "https:///nohost"}) {
    auto r = probeUrl(url, options());
    EXPECT_NE(r.error.find("malformed URL " + url), std::string::npos) << url << ": " << r.error;
    EXPECT_THAT(ruleIds(r), ElementsAre("EP-UNREACHABLE")) << url;
  }
}


// --- client certificates (issue 8) ---------------------------------------------------------------

constexpr const char* kSetPkcs12 = "the server requires a client certificate; set [endpoint] client_pkcs12";

TEST_F(ProbeTest, ClientCertRequiredWithoutOneIsUnreachableInWords) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 501, {}, ClientAuth::kRequired);
  auto r = probeUrl(server.url(), options());
  EXPECT_TRUE(r.clientCertRequested);
  EXPECT_NE(r.clientCertProblem.find(kSetPkcs12), std::string::npos) << r.clientCertProblem;
  EXPECT_NE(r.clientCertProblem.find("certificate required"), std::string::npos)
      << "TLS 1.3 names the alert: " << r.clientCertProblem;
  auto f = findings(r);
  ASSERT_THAT(ruleIds(r), ElementsAre("EP-UNREACHABLE"));
  const auto& finding = f["EP-UNREACHABLE"].front();
  EXPECT_NE(finding.summary.find(kSetPkcs12), std::string::npos) << finding.summary;
  EXPECT_EQ(finding.details->getValue<std::string>("clientCertificate"), "required");
  EXPECT_TRUE(server.requests().empty()) << "no request gets through without a certificate";
}

TEST_F(ProbeTest, ClientCertRequiredOverTls12IsRecognisedFromTheHandshakeFailure) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 501, {}, ClientAuth::kRequiredTls12);
  auto r = probeUrl(server.url(), options());
  EXPECT_TRUE(r.clientCertRequested);
  EXPECT_NE(r.error.find(kSetPkcs12), std::string::npos) << r.error;
  auto f = findings(r);
  ASSERT_THAT(ruleIds(r), ElementsAre("EP-UNREACHABLE"));
  EXPECT_NE(f["EP-UNREACHABLE"].front().summary.find(kSetPkcs12), std::string::npos);
}

TEST_F(ProbeTest, TheRightPkcs12GetsThrough) {
  for (auto auth : {ClientAuth::kRequired, ClientAuth::kRequiredTls12}) {
    TestServer server(Mode::kTls, pki->good, {pki->inter}, 501, {}, auth);
    auto r = probeUrl(server.url(), withClientCert(pki->clientP12PasswordFile));
    ASSERT_EQ(r.error, "");
    EXPECT_TRUE(r.clientCertRequested);
    EXPECT_EQ(r.clientCertProblem, "");
    EXPECT_NE(r.clientCertSubject.find("CN=jdoe@corp.example.com"), std::string::npos);
    ASSERT_NE(r.find("GET"), nullptr);
    EXPECT_EQ(r.find("GET")->status, 501) << r.find("GET")->error << " (Exchange answers a bare GET so)";
    EXPECT_TRUE(ruleIds(r).empty()) << ::testing::PrintToString(ruleIds(r));
    EXPECT_THAT(server.requests(), ElementsAre("OPTIONS /Microsoft-Server-ActiveSync HTTP/1.1",
                                               "GET /Microsoft-Server-ActiveSync HTTP/1.1"));
  }
}

TEST_F(ProbeTest, AClientCertIsOfferedOnlyWhenAsked) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 501);
  auto r = probeUrl(server.url(), withClientCert(pki->clientP12PasswordFile));
  ASSERT_EQ(r.error, "");
  EXPECT_FALSE(r.clientCertRequested);
  EXPECT_TRUE(ruleIds(r).empty());
}

TEST_F(ProbeTest, WrongPkcs12PasswordIsAClearErrorNamingTheFiles) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 501, {}, ClientAuth::kRequired);
  auto r = probeUrl(server.url(), withClientCert(pki->wrongPasswordFile));
  EXPECT_NE(r.error.find("wrong password"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(pki->clientP12), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(pki->wrongPasswordFile), std::string::npos) << r.error;
  EXPECT_THAT(ruleIds(r), ElementsAre("EP-UNREACHABLE"));
  EXPECT_TRUE(server.requests().empty());
  auto no_file = withClientCert(pki->clientP12PasswordFile);
  no_file.clientPkcs12PasswordFile = "";
  auto r2 = probeUrl(server.url(), no_file);
  EXPECT_NE(r2.error.find("wrong password (no client_pkcs12_password_file is set)"), std::string::npos)
      << r2.error;
}

TEST_F(ProbeTest, Pkcs12PasswordFileOpenToOthersIsRefused) {
  // ssh's rule for secret files (ldap/secret.h): the password is not used, nothing is sent.
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 501, {}, ClientAuth::kRequired);
  const std::string open_file = (pki->dir / "open.pw").string();
  std::ofstream(open_file) << kP12Password << "\n";
  std::filesystem::permissions(open_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                              std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  auto r = probeUrl(server.url(), withClientCert(open_file));
  EXPECT_NE(r.error.find("client_pkcs12_password_file \"" + open_file + "\" is open to group or others (mode 0644)"),
            std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("chmod 600 " + open_file), std::string::npos) << r.error;
  EXPECT_TRUE(server.requests().empty());
  std::filesystem::remove(open_file);
}

TEST_F(ProbeTest, UnreadableOrForeignPkcs12IsAClearError) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 501, {}, ClientAuth::kRequired);
  auto missing = withClientCert(pki->clientP12PasswordFile);
  missing.clientPkcs12 = (pki->dir / "nope.p12").string();
  auto r = probeUrl(server.url(), missing);
  EXPECT_NE(r.error.find("cannot read the client certificate " + missing.clientPkcs12), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("No such file"), std::string::npos) << r.error;
  EXPECT_THAT(ruleIds(r), ElementsAre("EP-UNREACHABLE"));

  auto pem = withClientCert(pki->clientP12PasswordFile);
  pem.clientPkcs12 = pki->caFile;  // a PEM certificate, not a PKCS#12
  auto r2 = probeUrl(server.url(), pem);
  EXPECT_NE(r2.error.find("not a PKCS#12"), std::string::npos) << r2.error;
  EXPECT_NE(r2.error.find(pki->caFile), std::string::npos) << r2.error;

  auto no_pw = withClientCert((pki->dir / "missing.pw").string());
  auto r3 = probeUrl(server.url(), no_pw);
  EXPECT_NE(r3.error.find("missing.pw"), std::string::npos) << r3.error;
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(ProbeTest, OneBadUrlDoesNotStopTheOthers) {
  // Every URL is probed and reported on its own; the same bad PKCS#12 is named for each.
  TestServer a(Mode::kTls, pki->good, {pki->inter}, 501, {}, ClientAuth::kRequired);
  TestServer b(Mode::kTls, pki->good, {pki->inter}, 501);
  auto bad = withClientCert(pki->wrongPasswordFile);
  for (const auto& url : {a.url(), b.url()}) {
    auto r = probeUrl(url, bad);
    EXPECT_NE(r.error.find("wrong password"), std::string::npos) << url << ": " << r.error;
  }
  auto good = probeUrl(b.url(), options());
  EXPECT_TRUE(ruleIds(good).empty());
}

TEST_F(ProbeTest, Forbidden4037WithoutACertSaysToSetOne) {
  TestServer server(Mode::kTls, pki->good, {pki->inter}, 403,
                    "<html>HTTP Error 403.7 - Forbidden: client certificate required</html>");
  auto r = probeUrl(server.url(), options());
  auto f = findings(r);
  ASSERT_THAT(ruleIds(r), ElementsAre("EP-HTTP-STATUS"));
  EXPECT_NE(f["EP-HTTP-STATUS"].front().summary.find(kSetPkcs12), std::string::npos)
      << f["EP-HTTP-STATUS"].front().summary;
}

// Each of the servers gives exactly its finding and no other: every endpoint rule runs
// on each probe and the complete set of rule ids is compared.
TEST_F(ProbeTest, EachServerGivesExactlyItsFinding) {
  struct Case {
    const char* name;
    X509* leaf;
    std::vector<X509*> extra;
    int status;
    std::string body;
    ClientAuth auth;
    bool presentCert;
    std::set<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"full chain, 501", pki->good, {pki->inter}, 501, "", ClientAuth::kNone, false, {}},
      {"full chain, 505", pki->good, {pki->inter}, 505, "", ClientAuth::kNone, false, {}},
      {"leaf only", pki->good, {}, 501, "", ClientAuth::kNone, false, {"EP-CHAIN-INCOMPLETE"}},
      {"expired", pki->expired, {pki->inter}, 501, "", ClientAuth::kNone, false, {"EP-CERT-EXPIRED"}},
      {"expiring", pki->expiring, {pki->inter}, 501, "", ClientAuth::kNone, false, {"EP-CERT-EXPIRING"}},
      {"wrong host", pki->wrongHost, {pki->inter}, 501, "", ClientAuth::kNone, false,
       {"EP-HOSTNAME-MISMATCH"}},
      {"client cert required, none", pki->good, {pki->inter}, 501, "", ClientAuth::kRequired, false,
       {"EP-UNREACHABLE"}},
      {"client cert required, given", pki->good, {pki->inter}, 501, "", ClientAuth::kRequired, true, {}},
      {"404", pki->good, {pki->inter}, 404, "", ClientAuth::kNone, false, {"EP-HTTP-STATUS"}},
      {"403.7", pki->good, {pki->inter}, 403, "HTTP Error 403.7", ClientAuth::kNone, false,
       {"EP-HTTP-STATUS"}},
  };
  for (const auto& c : cases) {
    TestServer server(Mode::kTls, c.leaf, c.extra, c.status, c.body, c.auth);
    auto r = probeUrl(server.url(), c.presentCert ? withClientCert(pki->clientP12PasswordFile) : options());
    std::set<std::string> got;
    for (const auto& [id, list] : findings(r)) {
      got.insert(id);
      EXPECT_EQ(list.size(), 1u) << c.name << ": " << id;
    }
    EXPECT_EQ(got, c.expected) << c.name << " (error: " << r.error << ")";
  }
}

// `adcheck probe` end to end: the binary, a configuration file and a server; exit code and JSON.
struct CliRun {
  int exitCode = -1;
  std::string out;
};

CliRun runAdcheck(const std::string& args) {
  std::string cmd = std::string(ADCHECK_BINARY_DIR) + "/adcheck/app/adcheck " + args + " 2>&1";
  CliRun run;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return run;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) run.out.append(buf, n);
  int status = ::pclose(pipe);
  run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST_F(ProbeTest, CliPrintsJsonAndExitsByFindings) {
  TestServer good(Mode::kTls, pki->good, {pki->inter}, 501);
  TestServer missing(Mode::kTls, pki->good, {pki->inter}, 404);
  std::string ini = (pki->dir / "probe.ini").string();
  {
    std::ofstream f(ini);
    f << "[directory]\nuri = ldaps://dc.example.com\n[endpoint]\nurls = " << good.url()
      << "\nca_file = " << pki->caFile << "\ntimeout = 3\n";
  }
  auto ok = runAdcheck("probe --config " + ini + " --format json");
  ASSERT_EQ(ok.exitCode, 0) << ok.out;
  auto parsed = Poco::JSON::Parser().parse(ok.out).extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(parsed->size(), 1u);
  auto first = parsed->getObject(0);
  EXPECT_EQ(first->getValue<std::string>("url"), good.url());
  EXPECT_TRUE(first->getValue<bool>("verified"));
  EXPECT_EQ(first->getArray("chain")->size(), 2u);
  EXPECT_EQ(first->getArray("findings")->size(), 0u);

  auto bad = runAdcheck("probe --config " + ini + " " + missing.url());
  EXPECT_EQ(bad.exitCode, 1) << bad.out;
  EXPECT_NE(bad.out.find("EP-HTTP-STATUS"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("virtual directory missing"), std::string::npos) << bad.out;

  auto usage = runAdcheck("probe --config " + ini + " --format xml");
  EXPECT_EQ(usage.exitCode, 2);
  EXPECT_NE(usage.out.find("table or json"), std::string::npos) << usage.out;
}

TEST(EndpointRegistry, IdsAreUniqueAndFindable) {
  std::vector<std::string> ids;
  for (const auto* r : rules::endpointRegistry()) {
    ids.emplace_back(r->meta.id);
    EXPECT_EQ(rules::findEndpointRule(r->meta.id), r);
    EXPECT_EQ(r->meta.category, "endpoint");
    EXPECT_FALSE(r->meta.rationale.empty());
  }
  EXPECT_THAT(ids, ElementsAre("EP-UNREACHABLE", "EP-CHAIN-INCOMPLETE", "EP-HOSTNAME-MISMATCH",
                               "EP-CERT-EXPIRED", "EP-CERT-EXPIRING", "EP-HTTP-STATUS"));
  EXPECT_EQ(rules::findEndpointRule("NOPE"), nullptr);
}

TEST(EndpointOptions, TimeoutComesFromConfig) {
  config::EndpointConfig cfg;
  cfg.timeout = 7;
  cfg.ca_file = "/x/ca.pem";
  cfg.client_pkcs12 = "/x/jdoe.p12";
  cfg.client_pkcs12_password_file = "/x/p12.pw";
  auto o = optionsFrom(cfg);
  EXPECT_EQ(o.timeout, 7000ms);
  EXPECT_EQ(o.caFile, "/x/ca.pem");
  EXPECT_EQ(o.clientPkcs12, "/x/jdoe.p12");
  EXPECT_EQ(o.clientPkcs12PasswordFile, "/x/p12.pw");
}

}  // namespace
}  // namespace adcheck::probe
