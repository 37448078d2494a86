#include "lab.h"

#include "tests/support/lab_fixture.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace adcheck::ldap::lab {
namespace {

Result<Poco::JSON::Object::Ptr> parseJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(ErrorCode::kNotFound, path + " cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return Poco::JSON::Parser().parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception& e) {
    return fail(ErrorCode::kParse, path + " is not valid JSON: " + e.what());
  }
}

}  // namespace

// Finding, reading and parsing lab.json is tests/support's job (one place that knows
// ADCHECK_LAB_DIR and says how to start the lab); this only maps it onto the struct.
Result<Lab> loadLab() {
  try {
    const auto json = testing::loadLab();
    auto account = [&](const std::string& key) {
      return Account{json.str(key + ".user"), json.str(key + ".dn"), json.str(key + ".password_file"),
                     json.str(key + ".ccache")};
    };
    Lab lab;
    lab.dir = json.dir;
    lab.ip = json.str("ip");
    lab.host = json.str("host");
    lab.realm = json.str("realm");
    lab.base_dn = json.str("base_dn");
    lab.domain_sid = json.str("domain_sid");
    lab.ldap_uri = json.str("ldap_uri");
    lab.ldaps_uri = json.str("ldaps_uri");
    lab.ca_file = json.str("ca_file");
    lab.krb5_config = json.str("krb5_config");
    lab.manifest = json.str("manifest");
    lab.admin = account("admin");
    lab.reader = account("reader");
    return lab;
  } catch (const std::exception& e) {
    return fail(ErrorCode::kNotFound, e.what());
  }
}

Result<BulkGroup> bulkGroup(const Lab& lab) {
  auto json = parseJsonFile(lab.manifest);
  if (!json) return fail(json.error());
  auto objects = (*json)->getArray("objects");
  if (!objects) return fail(ErrorCode::kParse, lab.manifest + " has no \"objects\"");
  for (std::size_t i = 0; i < objects->size(); ++i) {
    auto o = objects->getObject(static_cast<unsigned>(i));
    if (o && o->has("kind") && o->getValue<std::string>("kind") == "bulk-users")
      return BulkGroup{o->getValue<std::string>("group"), o->getValue<std::size_t>("count")};
  }
  return fail(ErrorCode::kNotFound, lab.manifest + " has no object of kind \"bulk-users\"");
}

void LabTest::SetUp() {
  auto lab = loadLab();
  if (!lab) GTEST_FAIL() << lab.error().toString();
  lab_ = *lab;
  ::setenv("KRB5_CONFIG", lab_.krb5_config.c_str(), 1);
}

SessionOptions LabTest::gssapi(const Account& who) const {
  ::setenv("KRB5CCNAME", who.ccache.c_str(), 1);
  SessionOptions o;
  o.uris = {lab_.ldap_uri};
  o.bind = BindMode::kGssapi;
  o.user = who.user;
  o.connect_timeout = std::chrono::seconds(5);
  o.timeout = std::chrono::seconds(30);
  return o;
}

SessionOptions LabTest::ldaps() const {
  SessionOptions o;
  o.uris = {lab_.ldaps_uri};
  o.bind = BindMode::kSimple;
  o.user = lab_.reader.user;
  auto secret = loadSecret(lab_.reader.password_file);
  EXPECT_TRUE(secret) << secret.error().toString();
  if (secret) o.password = *secret;
  o.ca_file = lab_.ca_file;
  o.connect_timeout = std::chrono::seconds(5);
  o.timeout = std::chrono::seconds(30);
  return o;
}

SessionOptions LabTest::startTls() const {
  SessionOptions o = ldaps();
  o.uris = {lab_.ldap_uri};
  o.starttls = true;
  return o;
}

Result<CertFiles> makeSelfSigned(const std::string& dir, const std::string& cn) {
  CertFiles files{dir + "/" + cn + ".pem", dir + "/" + cn + ".key"};
  const std::string command = "/usr/bin/openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=" +
                              cn + "' -keyout '" + files.key + "' -out '" + files.cert +
                              "' >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0 || !std::filesystem::exists(files.cert)) {
    return fail(ErrorCode::kInternal,
                "cannot create a test certificate with /usr/bin/openssl (Debian package openssl)");
  }
  return files;
}

ScratchDir::ScratchDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "adcheck-ldap-it-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Relay::Relay(const std::string& ip, int target_port, std::size_t limit, Fault fault)
    : ip_(ip), target_port_(target_port), limit_(limit), fault_(fault) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  ::inet_pton(AF_INET, ip_.c_str(), &addr.sin_addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 4) != 0) {
    throw std::runtime_error("relay cannot listen on " + ip_);
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

void Relay::resetNow() {
  reset_ = true;
  while (!reset_done_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the RST arrive
}

Relay::~Relay() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

void Relay::run() {
  int client = -1;
  while (!stop_ && client < 0) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  }
  if (client < 0) return;
  int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(target_port_));
  ::inet_pton(AF_INET, ip_.c_str(), &addr.sin_addr);
  if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(client);
    ::close(server);
    return;
  }
  std::size_t downstream = 0;
  std::vector<char> buf(16384);
  while (!stop_) {
    if (reset_) {
      linger hard{1, 0};
      ::setsockopt(client, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
      ::close(client);
      ::close(server);
      faulted_ = true;
      reset_done_ = true;
      return;
    }
    if (faulted_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(fds, 2, 50) <= 0) continue;
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = ::read(client, buf.data(), buf.size());
      if (n <= 0) break;
      if (::write(server, buf.data(), static_cast<std::size_t>(n)) != n) break;
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      std::size_t want = std::min(buf.size(), limit_ - std::min(limit_, downstream));
      if (want == 0) want = 1;
      ssize_t n = ::read(server, buf.data(), want);
      if (n <= 0) break;
      if (::write(client, buf.data(), static_cast<std::size_t>(n)) != n) break;
      downstream += static_cast<std::size_t>(n);
      if (downstream >= limit_) {
        faulted_ = true;
        if (fault_ == Fault::kDrop) {
          ::shutdown(client, SHUT_RDWR);
          ::shutdown(server, SHUT_RDWR);
          break;
        }
      }
    }
  }
  ::close(client);
  ::close(server);
}

}  // namespace adcheck::ldap::lab

// Leaks inside system libraries that no caller can free, suppressed for LeakSanitizer (sanitize
// preset) so that our own leaks stay visible:
// - libldap 2.5.13's GnuTLS backend never frees a context's client certificate and key
//   (reproduced with a 10-line C program: set X_TLS_CERTFILE/KEYFILE, NEWCTX, unbind);
// - Cyrus SASL's GSSAPI plugin leaks the credential handle when the DC refuses the bind after
//   the security-layer negotiation (GSSAPI inside TLS on Samba).
extern "C" const char* __lsan_default_suppressions() {
  return "leak:gnutls_x509_privkey_init\n"
         "leak:gnutls_x509_crt_init\n"
         "leak:gss_acquire_cred_from\n";
}
