// Session behaviour that needs no directory: URI validation, transport rules, failover over
// dead ports, and a server that accepts connections but never answers. Local sockets only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <regex>
#include <thread>
#include <vector>

#include "ldap/session.h"
#include "test_util.h"

extern char** environ;

namespace adcheck::ldap {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Listens on 127.0.0.1:<ephemeral>, accepts connections, counts them and the bytes received,
// and never answers.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~SilentServer() {
    stop_ = true;
    thread_.join();
    for (int c : clients_) ::close(c);
    ::close(fd_);
  }
  int port() const { return port_; }
  int connections() const { return connections_; }
  long bytes() const { return bytes_; }

 private:
  void run() {
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (int c : clients_) fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          clients_.push_back(c);
          ++connections_;
        }
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents & POLLIN) {
          char buf[4096];
          ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
          if (n > 0) bytes_ += n;
        }
      }
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::vector<int> clients_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<long> bytes_{0};
};

SessionOptions simpleOptions(std::vector<std::string> uris) {
  SessionOptions o;
  o.uris = std::move(uris);
  o.bind = BindMode::kSimple;
  o.user = "svc-adcheck@corp.example.com";
  o.password = Secret("not-sent-anywhere");
  o.connect_timeout = 2s;
  o.timeout = 2s;
  return o;
}

TEST(SessionLocal, SimpleBindOverPlainLdapIsRefusedBeforeConnecting) {
  SilentServer server;
  auto s = Session::open(simpleOptions({"ldap://127.0.0.1:" + std::to_string(server.port())}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kConfig);
  EXPECT_THAT(s.error().hint, HasSubstr("ldaps://"));
  EXPECT_THAT(s.error().hint, HasSubstr("starttls = true"));
  EXPECT_THAT(s.error().hint, HasSubstr("bind = gssapi"));
  EXPECT_THAT(s.error().toString(), ::testing::Not(HasSubstr("not-sent-anywhere")));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(server.connections(), 0) << "nothing may be sent before refusing";
  EXPECT_EQ(server.bytes(), 0);
}

TEST(SessionLocal, MalformedUrisNameTheUri) {
  for (std::string uri : {"ldaps//dc1", "http://dc1", "ldaps://", "ldap://dc1/DC=x??sub", "dc1"}) {
    auto s = Session::open(simpleOptions({uri}));
    ASSERT_FALSE(s) << uri;
    EXPECT_THAT(s.error().code, ::testing::AnyOf(ErrorCode::kInvalidArgument, ErrorCode::kConfig))
        << uri;
    EXPECT_THAT(s.error().message, HasSubstr("\"" + uri + "\"")) << s.error().message;
    EXPECT_THAT(s.error().hint, ::testing::AnyOf(HasSubstr("ldaps://host"), HasSubstr("base_dn")))
        << uri;
  }
}

TEST(SessionLocal, OptionsAreValidated) {
  auto none = Session::open(simpleOptions({}));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kConfig);
  EXPECT_THAT(none.error().message, HasSubstr("[directory] uri"));

  auto o = simpleOptions({"ldaps://127.0.0.1:1"});
  o.page_size = 0;
  auto page = Session::open(o);
  ASSERT_FALSE(page);
  EXPECT_THAT(page.error().message, HasSubstr("page_size"));

  o = simpleOptions({"ldaps://127.0.0.1:1"});
  o.password = Secret();
  auto nopw = Session::open(o);
  ASSERT_FALSE(nopw);
  EXPECT_EQ(nopw.error().code, ErrorCode::kConfig);
  EXPECT_THAT(nopw.error().message, HasSubstr("empty password"));

  o = simpleOptions({"ldaps://127.0.0.1:1"});
  o.ca_file = "/nonexistent/ca.pem";
  auto ca = Session::open(o);
  ASSERT_FALSE(ca);
  EXPECT_EQ(ca.error().code, ErrorCode::kTls);
  EXPECT_THAT(ca.error().message, HasSubstr("/nonexistent/ca.pem"));

  o = simpleOptions({"ldap://127.0.0.1:1"});
  o.bind = BindMode::kExternal;
  auto ext = Session::open(o);
  ASSERT_FALSE(ext);
  EXPECT_EQ(ext.error().code, ErrorCode::kConfig);
}

TEST(SessionLocal, DeadUrisAreAllReportedInOrder) {
  auto s = Session::open(simpleOptions({"ldaps://127.0.0.1:1", "ldaps://127.0.0.1:2"}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kServerDown);
  const auto& m = s.error().message;
  const auto first = m.find("ldaps://127.0.0.1:1");
  const auto second = m.find("ldaps://127.0.0.1:2");
  ASSERT_NE(first, std::string::npos) << m;
  ASSERT_NE(second, std::string::npos) << m;
  EXPECT_LT(first, second);
  EXPECT_THAT(m, HasSubstr("2 tried"));
}

TEST(SessionLocal, SilentServerTimesOutInsteadOfHanging) {
  SilentServer server;
  for (std::string scheme : {"ldaps", "ldap"}) {
    auto o = simpleOptions({scheme + "://127.0.0.1:" + std::to_string(server.port())});
    o.starttls = scheme == "ldap";
    o.tls_verify = false;
    const auto start = std::chrono::steady_clock::now();
    auto s = Session::open(o);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(s) << scheme;
    EXPECT_EQ(s.error().code, ErrorCode::kTimeout) << s.error().toString();
    EXPECT_LT(elapsed, 8s) << scheme;
    EXPECT_GE(elapsed, 1500ms) << scheme;
  }
  EXPECT_EQ(server.connections(), 2);
}

// `openssl s_server` on 127.0.0.1:<ephemeral>, speaking exactly one TLS version, with a
// certificate for 127.0.0.1 made for the test. Started and stopped by pid. OpenSSL 3 refuses
// TLS 1.0 / 1.1 below security level 0 (Debian's default is level 2), so the server lowers it:
// the point is a server that offers nothing newer, as an old DC would.
class OpenSslServer {
 public:
  explicit OpenSslServer(const std::string& version_flag) {
    cert_ = dir_.file("server.pem");
    key_ = dir_.file("server.key");
    const std::string make =
        "/usr/bin/openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
        "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout '" +
        key_ + "' -out '" + cert_ + "' >/dev/null 2>&1";
    if (std::system(make.c_str()) != 0)
      throw std::runtime_error("/usr/bin/openssl cannot make a test certificate");
    const std::string log = dir_.file("s_server.log");
    std::vector<std::string> args = {"/usr/bin/openssl",
                                     "s_server",
                                     "-accept",
                                     "127.0.0.1:0",
                                     "-cert",
                                     cert_,
                                     "-key",
                                     key_,
                                     version_flag,
                                     "-cipher",
                                     "DEFAULT@SECLEVEL=0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // s_server ends at EOF on its stdin: give it a pipe that stays open until we stop it.
    int stdin_pipe[2];
    if (::pipe2(stdin_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    stdin_ = stdin_pipe[1];
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdin_pipe[0], 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(stdin_pipe[0]);
    if (rc != 0) throw std::runtime_error("cannot start /usr/bin/openssl s_server");
    // It prints "ACCEPT 127.0.0.1:<port>" once it listens.
    const std::regex accept_line("ACCEPT 127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 100 && port_ == 0; ++i) {
      std::this_thread::sleep_for(50ms);
      std::smatch m;
      const std::string text = test::readFile(log);
      if (std::regex_search(text, m, accept_line)) port_ = std::stoi(m[1]);
    }
    if (port_ == 0)
      throw std::runtime_error("openssl s_server did not start: " + test::readFile(log));
  }
  ~OpenSslServer() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    ::close(stdin_);
  }
  OpenSslServer(const OpenSslServer&) = delete;
  OpenSslServer& operator=(const OpenSslServer&) = delete;
  std::string uri() const { return "ldaps://127.0.0.1:" + std::to_string(port_); }
  const std::string& cert() const { return cert_; }

 private:
  test::TempDir dir_;
  std::string cert_;
  std::string key_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = 0;
};

TEST(SessionLocal, TlsBelow12IsRefused) {
  // Control: the same server speaking TLS 1.2 completes the handshake (it then never answers
  // the bind, as it is no LDAP server: a timeout, not a TLS error).
  {
    OpenSslServer tls12("-tls1_2");
    auto o = simpleOptions({tls12.uri()});
    o.ca_file = tls12.cert();
    o.timeout = 1s;
    auto s = Session::open(o);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kTimeout) << s.error().toString();
  }
  for (const char* old_version : {"-tls1_1", "-tls1"}) {
    OpenSslServer server(old_version);
    auto o = simpleOptions({server.uri()});
    o.ca_file = server.cert();
    o.timeout = 1s;
    auto s = Session::open(o);
    ASSERT_FALSE(s) << old_version;
    EXPECT_EQ(s.error().code, ErrorCode::kTls) << old_version << ": " << s.error().toString();
    EXPECT_THAT(s.error().message, HasSubstr("TLS handshake")) << s.error().toString();
    EXPECT_THAT(s.error().hint, HasSubstr("requires TLS 1.2")) << s.error().toString();
    EXPECT_THAT(s.error().toString(), ::testing::Not(HasSubstr("not-sent-anywhere")));
  }
}

TEST(SessionLocal, ClientKeyOpenToOthersIsRefusedBeforeConnecting) {
  SilentServer server;
  test::TempDir dir;
  test::writeFile(dir.file("client.pem"), "-----BEGIN CERTIFICATE-----\n");
  test::writeFile(dir.file("client.key"), "-----BEGIN PRIVATE KEY-----\n");
  ::chmod(dir.file("client.key").c_str(), 0640);
  auto o = simpleOptions({"ldaps://127.0.0.1:" + std::to_string(server.port())});
  o.bind = BindMode::kExternal;
  o.password = Secret();
  o.client_cert = dir.file("client.pem");
  o.client_key = dir.file("client.key");
  auto s = Session::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kConfig) << s.error().toString();
  EXPECT_THAT(s.error().message, HasSubstr("[directory] client_key \"" + dir.file("client.key") +
                                           "\" is open to group or others (mode 0640)"));
  EXPECT_EQ(s.error().hint, "run chmod 600 " + dir.file("client.key"));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(server.connections(), 0);
}

}  // namespace
}  // namespace adcheck::ldap
