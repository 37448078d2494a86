// The dashboard server's socket-level defences against one client (issue 13 section 6, issue 18):
// idle and slow connections must not take the worker threads from logged-in users, a 413 on a
// chunked body closes the connection (the rest of the body is never parsed as a request), the TLS
// suites offered (no DHE, server order, checked with Debian's `openssl s_client`), and internal
// errors answered with an id instead of the detail. A real server on loopback, raw sockets.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/unit/web/web_test_client.h"
#include "web/server/app.h"
#include "web/server/auth_local.h"
#include "web/server/server.h"

namespace adcheck::web {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kPassword = "S3cret-admin-passw0rd";

// A raw TCP connection from `source` (any 127.0.0.0/8 address is local on Linux) to the server.
class RawConn {
 public:
  RawConn(const std::string& source, unsigned short port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &src.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) return;
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) == 0;
  }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;
  ~RawConn() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return ok_; }
  bool send(const std::string& data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Everything the server sends until it closes the connection or `limit` passes.
  std::string readUntilClosed(std::chrono::milliseconds limit, bool* closed) {
    std::string out;
    *closed = false;
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count());
      if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        *closed = true;
        break;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
  // Whether the server has closed the connection (EOF or reset) by now, without waiting.
  bool closedByServer() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, MSG_DONTWAIT | MSG_PEEK) <= 0;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// Runs a shell command, returns its standard output and error and its exit status.
std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return {-1, ""};
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string lineWith(const std::string& text, const std::string& what) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(what) != std::string::npos) return line;
  return "<no line with '" + what + "'>";
}

struct Latency {
  double median = 0;
  double max = 0;
};

Latency summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.back()};
}

class WebLimits : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->stop();
    server_.reset();
    if (app_) app_->stop();
    app_.reset();
  }

  void start(bool tls, std::optional<SourceFactory> source = std::nullopt) {
    char tmpl[] = "/tmp/adcheck-web-limits-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_.store.path = dir_ + "/store.sqlite";
    config_.web.admin_user = "admin";
    config_.web.admin_password_hash = hashPassword(kPassword, 1000);
    config_.web.access_log = "";
    config_.web.audit_log = dir_ + "/audit.log";
    config_.directory.uris.clear();
    if (tls) {
      const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout " +
                              dir_ + "/key.pem -out " + dir_ + "/cert.pem 2>/dev/null";
      ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a test certificate";
      config_.web.tls_cert = dir_ + "/cert.pem";
      config_.web.tls_key = dir_ + "/key.pem";
    }
    AppOptions o;
    o.config = config_;
    o.source = source ? *source
                      : snapshotSourceFactory({std::string(ADCHECK_SOURCE_DIR) + "/adcheck/demo/scan-1.ldif.gz"});
    o.startScheduler = false;
    o.clock = [this] { return std::time(nullptr) + clockOffset_; };
    auto app = App::create(o);
    ASSERT_TRUE(app) << app.error().toString();
    app_ = std::move(*app);
    auto server = Server::start(*app_, config_.web, "127.0.0.1:0");
    ASSERT_TRUE(server) << server.error().toString();
    server_ = std::move(*server);
    client_ = std::make_unique<webtest::Client>("127.0.0.1", server_->port(), tls);
    auto r = client_->login("admin", kPassword);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // `n` logged-in GET /api/v1/session requests, each on a new connection; latencies in ms (a
  // request that fails or times out counts as its time so far).
  Latency measure(int n) {
    std::vector<double> ms;
    client_->timeoutSeconds_ = 40;
    for (int i = 0; i < n; ++i) {
      const auto t0 = Clock::now();
      int status = 0;
      try {
        status = client_->call("GET", "/api/v1/session").status;
      } catch (const std::exception&) {
      }
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      EXPECT_EQ(status, 200) << "request " << i;
    }
    return summarize(ms);
  }

  std::string dir_;
  config::Config config_;
  std::unique_ptr<App> app_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<webtest::Client> client_;
  std::time_t clockOffset_ = 0;
};

TEST_F(WebLimits, HundredIdleConnectionsDoNotDelayALoggedInRequest) {
  start(false);
  const auto quiet = measure(5);
  std::vector<std::unique_ptr<RawConn>> idle;
  for (int i = 0; i < 100; ++i) {
    idle.push_back(std::make_unique<RawConn>("127.0.0.1", server_->port()));
    ASSERT_TRUE(idle.back()->ok()) << "connection " << i;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto loaded = measure(5);
  std::printf("[ latency ] no idle connections: median %.1f ms, max %.1f ms\n", quiet.median, quiet.max);
  std::printf("[ latency ] with 100 idle connections from 127.0.0.1: median %.1f ms, max %.1f ms\n",
              loaded.median, loaded.max);
  EXPECT_LT(loaded.max, 2000.0);
}

TEST_F(WebLimits, SlowHeadersAreCutAtTheHeaderTimeoutAndLeaveWorkersForOthers) {
  start(false);
  // 30 clients from another address each send a request line and then one header byte every
  // 300 ms: never idle long enough for a per-read timeout, never finishing the header.
  std::vector<std::unique_ptr<RawConn>> slow;
  for (int i = 0; i < 30; ++i) {
    slow.push_back(std::make_unique<RawConn>("127.0.0.2", server_->port()));
    ASSERT_TRUE(slow.back()->ok());
    slow.back()->send("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  }
  std::atomic<bool> stop{false};
  std::thread dribble([&] {
    while (!stop) {
      for (auto& c : slow) c->send("a");
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto loaded = measure(5);
  std::printf("[ latency ] with 30 slow-header clients from 127.0.0.2: median %.1f ms, max %.1f ms\n",
              loaded.median, loaded.max);
  EXPECT_LT(loaded.max, 2000.0);
  // The header timeout (5 s) ends every one of them although they keep sending.
  std::this_thread::sleep_for(std::chrono::seconds(7));
  int closed = 0;
  for (auto& c : slow) closed += c->closedByServer() ? 1 : 0;
  stop = true;
  dribble.join();
  EXPECT_EQ(closed, 30) << "slow-header connections still open after 7.5 s";
}

TEST_F(WebLimits, A413OnAChunkedBodyClosesTheConnection) {
  start(false);
  RawConn c("127.0.0.1", server_->port());
  ASSERT_TRUE(c.ok());
  // One 70 KiB chunk: the server stops reading after 64 KiB + 1 and answers 413; what follows
  // in the body must never be read as the next request.
  const std::string data(70 * 1024, 'x');
  char size[32];
  std::snprintf(size, sizeof size, "%zx", data.size());
  ASSERT_TRUE(c.send("POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n" +
                     std::string(size) + "\r\n" + data + "\r\n0\r\n\r\n"));
  bool closed = false;
  const std::string answer = c.readUntilClosed(std::chrono::seconds(8), &closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer.substr(0, 200);
  EXPECT_EQ(count(answer, "HTTP/1.1 "), 1u) << "the rest of the body was answered as a request:\n"
                                             << answer.substr(0, 2000);
  EXPECT_TRUE(closed) << "the connection stayed open after the 413";
}

TEST_F(WebLimits, TlsOffersNoDheAndPrefersTheServerOrder) {
  start(true);
  const std::string connect = "timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(server_->port()) +
                              " -servername localhost </dev/null";
  // SECLEVEL=0: the client would take even a 1024-bit group, so only the server can refuse.
  auto dhe = run(connect + " -tls1_2 -cipher 'DHE:@SECLEVEL=0'");
  std::printf("[ tls ] TLS 1.2 with only DHE suites offered by the client: exit %d, %s\n", dhe.first,
              lineWith(dhe.second, "Cipher").c_str());
  EXPECT_NE(dhe.first, 0) << "a DHE suite was negotiated:\n" << dhe.second;
  EXPECT_EQ(dhe.second.find("Cipher is DHE"), std::string::npos) << dhe.second;
  auto tls12 = run(connect + " -tls1_2");
  std::printf("[ tls ] TLS 1.2: %s\n", lineWith(tls12.second, "Cipher is").c_str());
  EXPECT_EQ(tls12.first, 0) << tls12.second;
  EXPECT_NE(tls12.second.find("Cipher is ECDHE-"), std::string::npos) << tls12.second;
  auto tls13 = run(connect + " -tls1_3");
  std::printf("[ tls ] TLS 1.3: %s\n", lineWith(tls13.second, "Cipher is").c_str());
  EXPECT_EQ(tls13.first, 0) << tls13.second;
  EXPECT_NE(tls13.second.find("New, TLSv1.3, Cipher is TLS_"), std::string::npos) << tls13.second;
  // The client lists CHACHA20 first; the server's order (AES-GCM first) decides.
  auto order = run(connect + " -tls1_2 -cipher 'ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256'");
  std::printf("[ tls ] TLS 1.2, client prefers CHACHA20: %s\n", lineWith(order.second, "Cipher is").c_str());
  EXPECT_NE(order.second.find("Cipher is ECDHE-RSA-AES128-GCM-SHA256"), std::string::npos) << order.second;
}

TEST_F(WebLimits, HealthAnswersAStoreFailureWithAnIdNotTheDetail) {
  start(false);
  // Break the database under the open connections.
  {
    std::ofstream f(config_.store.path, std::ios::binary | std::ios::trunc);
    f << std::string(8192, '\x5a');
  }
  testing::internal::CaptureStderr();
  auto r = client_->call("GET", "/api/v1/health");
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(r.status, 503) << r.body;
  auto o = r.json();
  EXPECT_EQ(o->getValue<std::string>("status"), "degraded");
  EXPECT_EQ(o->getValue<std::string>("store"), "unavailable") << r.body;
  const std::string id = o->optValue<std::string>("id", "");
  EXPECT_EQ(id.size(), 12u) << r.body;
  EXPECT_EQ(r.body.find("database"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(dir_), std::string::npos) << r.body;
  EXPECT_NE(log.find("\"id\":\"" + id + "\""), std::string::npos) << log;
}

// A directory that cannot be reached; the error names the DC and the bind DN, as libldap's do.
SourceFactory unreachableDirectory() {
  SourceFactory f;
  f.target = "ldaps://dc1.corp.example:636";
  f.open = [](bool) -> Result<ScanInput> {
    return fail(ErrorCode::kServerDown,
                "ldaps://dc1.corp.example:636: bind as CN=svc-adcheck,OU=Service,DC=corp,DC=example failed: "
                "Can't contact LDAP server");
  };
  return f;
}

TEST_F(WebLimits, ObjectsAnswerADirectoryFailureWithAnIdNotTheDetail) {
  start(false, unreachableDirectory());
  testing::internal::CaptureStderr();
  auto r = client_->call("GET", "/api/v1/objects/0b0c1b3c-6c40-4a5e-9a55-1d8a0e1f2a3b");
  const std::string log = testing::internal::GetCapturedStderr();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("dc1.corp.example"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("svc-adcheck"), std::string::npos) << r.body;
  auto o = r.json();
  const std::string id = o->optValue<std::string>("explainErrorId", "");
  ASSERT_EQ(id.size(), 12u) << r.body;
  EXPECT_NE(o->getValue<std::string>("explainError").find(id), std::string::npos) << r.body;
  EXPECT_NE(log.find(id), std::string::npos) << log;
  EXPECT_NE(log.find("dc1.corp.example"), std::string::npos) << "the detail belongs in the log: " << log;
}

TEST_F(WebLimits, ObjectLookupsAreRateLimitedPerSession) {
  start(false, unreachableDirectory());
  const std::string path = "/api/v1/objects/0b0c1b3c-6c40-4a5e-9a55-1d8a0e1f2a3b";
  int ok = 0;
  webtest::Reply last;
  for (int i = 0; i < 40; ++i) {
    last = client_->call("GET", path);
    if (last.status != 200) break;
    ++ok;
  }
  EXPECT_EQ(ok, 20);
  EXPECT_EQ(last.status, 429) << last.body;
  EXPECT_EQ(last.errorCode(), "too-many-requests");
  EXPECT_GT(std::stoi(last.header("Retry-After").empty() ? "0" : last.header("Retry-After")), 0);
  // Another session has its own budget; the window passes for this one.
  webtest::Client other("127.0.0.1", server_->port());
  ASSERT_EQ(other.login("admin", kPassword).status, 200);
  EXPECT_EQ(other.call("GET", path).status, 200);
  clockOffset_ = 61;
  EXPECT_EQ(client_->call("GET", path).status, 200);
}

}  // namespace
}  // namespace adcheck::web
