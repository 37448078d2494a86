#include "web/server/server.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerDispatcher.h>
#include <Poco/ThreadPool.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <istream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "ldap/secret.h"
#include "web/server/app.h"

namespace adcheck::web {

namespace {

constexpr std::int64_t kDrainLimit = 1024 * 1024;
constexpr int kWorkerThreads = 16;
// All open connections together; beyond it new ones are closed at once. Also bounds what can be
// queued for the workers (Poco drops connections silently past its queue limit).
constexpr std::size_t kMaxOpenConnections = 512;
// The wait for the next request on a kept-alive connection; shorter than kHeaderTimeoutSeconds
// so an idle keep-alive normally ends before the gate has to cut it.
constexpr int kKeepAliveSeconds = 4;

using SteadyClock = std::chrono::steady_clock;

}  // namespace

// The accept gate: accepts connections, keeps them in a poll set until they have something to
// read, hands them to Poco's HTTP connection handling (a TCPServerDispatcher on our thread pool),
// enforces the per-address bound and the read deadlines, and tracks every open connection until
// its worker is done with it.
class Listener {
 public:
  enum class State {
    kWaiting,   // accepted, nothing read yet: in the poll set, no worker
    kReading,   // a worker reads a request (or waits for the next one on a kept-alive connection)
    kHandling,  // the request has been read; the App answers it. Never cut.
    kClosing,   // cut by the gate (deadline or eviction); the worker will notice and finish
  };

  Listener(Poco::Net::ServerSocket socket, int max_per_client)
      : socket_(std::move(socket)), maxPerClient_(static_cast<std::size_t>(std::max(1, max_per_client))),
        pool_("adcheck-web", 2, kWorkerThreads) {}

  ~Listener() { stop(); }

  // stop_handlers tells the connections that the server stops (Poco's serverStopped event, which
  // only the handler factory itself may raise).
  void start(Poco::Net::TCPServerConnectionFactory::Ptr factory, Poco::Net::HTTPServerParams::Ptr params,
             std::function<void()> stop_handlers) {
    stopHandlers_ = std::move(stop_handlers);
    dispatcher_ = new Poco::Net::TCPServerDispatcher(factory, pool_, params);
    thread_ = std::thread([this] { run(); });
  }

  // Stops accepting, closes the waiting connections, ends the kept-alive ones between requests
  // and lets requests in progress finish.
  void stop() {
    if (stopping_.exchange(true)) return;
    if (thread_.joinable()) thread_.join();
    try {
      socket_.close();
    } catch (const Poco::Exception&) {
    }
    {
      // The gate thread is gone: no deadline would end these any more.
      std::lock_guard lock(mutex_);
      for (auto it = conns_.begin(); it != conns_.end();) {
        if (it->second.state == State::kWaiting) {
          closeQuietly(it->second.socket);
          it = conns_.erase(it);
          continue;
        }
        if (it->second.state == State::kReading) cut(it->second);
        ++it;
      }
      perClient_.clear();
    }
    // HTTPServerConnection: waits for the request in progress, then shuts its socket down.
    if (stopHandlers_) stopHandlers_();
    if (dispatcher_) dispatcher_->stop();
    pool_.joinAll();
    dispatcher_.reset();
  }

  // Called by the request handler once the request is read, and after the answer is sent.
  void handling(const Poco::Net::SocketImpl* key) { setState(key, State::kHandling); }
  void answered(const Poco::Net::SocketImpl* key) { setState(key, State::kReading); }

  // Called when the worker is done with a connection.
  void finished(const Poco::Net::SocketImpl* key) {
    std::lock_guard lock(mutex_);
    auto it = conns_.find(key);
    if (it == conns_.end()) return;
    if (it->second.state != State::kClosing) release(it->second.client);
    conns_.erase(it);
  }

 private:
  struct Conn {
    Poco::Net::StreamSocket socket;
    std::string client;  // peer IP address
    State state = State::kWaiting;
    SteadyClock::time_point since;  // when the state began
  };

  static void closeQuietly(Poco::Net::StreamSocket& s) {
    try {
      s.close();
    } catch (const Poco::Exception&) {
    }
  }

  // Ends a connection a worker owns: its blocking read returns at once and the worker finishes.
  static void cut(Conn& c) {
    ::shutdown(c.socket.impl()->sockfd(), SHUT_RDWR);
    c.state = State::kClosing;
  }

  void setState(const Poco::Net::SocketImpl* key, State state) {
    std::lock_guard lock(mutex_);
    auto it = conns_.find(key);
    if (it == conns_.end() || it->second.state == State::kClosing) return;
    it->second.state = state;
    it->second.since = SteadyClock::now();
  }

  void release(const std::string& client) {
    auto it = perClient_.find(client);
    if (it == perClient_.end()) return;
    if (--it->second == 0) perClient_.erase(it);
  }

  // Makes room for one more connection of `client`: ends its oldest silent connection, else its
  // oldest one being read. False when all of them are being answered.
  bool evictOne(const std::string& client) {
    auto pick = conns_.end();
    for (State wanted : {State::kWaiting, State::kReading}) {
      for (auto it = conns_.begin(); it != conns_.end(); ++it)
        if (it->second.client == client && it->second.state == wanted &&
            (pick == conns_.end() || it->second.since < pick->second.since))
          pick = it;
      if (pick != conns_.end()) break;
    }
    if (pick == conns_.end()) return false;
    release(client);
    if (pick->second.state == State::kWaiting) {
      closeQuietly(pick->second.socket);
      conns_.erase(pick);
    } else {
      cut(pick->second);
    }
    return true;
  }

  void accept() {
    Poco::Net::SocketAddress peer;
    Poco::Net::StreamSocket s;
    try {
      s = socket_.acceptConnection(peer);
      s.setNoDelay(true);
    } catch (const Poco::Exception&) {
      return;  // the client went away between poll and accept, or no descriptors left
    }
    const std::string client = peer.host().toString();
    std::lock_guard lock(mutex_);
    if (conns_.size() >= kMaxOpenConnections ||
        (perClient_[client] >= maxPerClient_ && !evictOne(client))) {
      closeQuietly(s);
      return;
    }
    ++perClient_[client];
    conns_.emplace(s.impl(), Conn{s, client, State::kWaiting, SteadyClock::now()});
  }

  void run() {
    std::vector<pollfd> fds;
    std::vector<const Poco::Net::SocketImpl*> keys;
    while (!stopping_) {
      fds.clear();
      keys.clear();
      fds.push_back({socket_.impl()->sockfd(), POLLIN, 0});
      {
        std::lock_guard lock(mutex_);
        for (const auto& [key, c] : conns_)
          if (c.state == State::kWaiting) {
            fds.push_back({c.socket.impl()->sockfd(), POLLIN, 0});
            keys.push_back(key);
          }
      }
      if (::poll(fds.data(), fds.size(), 200) > 0) {
        std::vector<Poco::Net::StreamSocket> ready;
        {
          std::lock_guard lock(mutex_);
          for (std::size_t i = 1; i < fds.size(); ++i) {
            if (fds[i].revents == 0) continue;
            auto it = conns_.find(keys[i - 1]);
            if (it == conns_.end() || it->second.state != State::kWaiting) continue;
            it->second.state = State::kReading;
            it->second.since = SteadyClock::now();
            ready.push_back(it->second.socket);
          }
        }
        for (const auto& r : ready) dispatcher_->enqueue(r);
        if (fds[0].revents & POLLIN) accept();
      }
      expire();
    }
  }

  void expire() {
    const auto now = SteadyClock::now();
    std::lock_guard lock(mutex_);
    for (auto it = conns_.begin(); it != conns_.end();) {
      Conn& c = it->second;
      if (c.state == State::kWaiting && now - c.since > std::chrono::seconds(kIdleTimeoutSeconds)) {
        release(c.client);
        closeQuietly(c.socket);
        it = conns_.erase(it);
        continue;
      }
      if (c.state == State::kReading && now - c.since > std::chrono::seconds(kHeaderTimeoutSeconds)) {
        release(c.client);
        cut(c);
      }
      ++it;
    }
  }

  Poco::Net::ServerSocket socket_;
  std::size_t maxPerClient_;
  Poco::ThreadPool pool_;
  Poco::AutoPtr<Poco::Net::TCPServerDispatcher> dispatcher_;
  std::function<void()> stopHandlers_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::map<const Poco::Net::SocketImpl*, Conn> conns_;
  std::map<std::string, std::size_t> perClient_;
};

namespace {

const Poco::Net::SocketImpl* connectionKey(Poco::Net::HTTPServerRequest& in) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&in);
  return impl ? impl->socket().impl() : nullptr;
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(App& app, bool secure, Listener& listener) : app_(app), secure_(secure), listener_(listener) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
    const auto t0 = std::chrono::steady_clock::now();
    const auto* key = connectionKey(in);
    Request req;
    req.method = in.getMethod();
    req.secure = secure_;
    try {
      req.client = in.clientAddress().host().toString();
    } catch (const Poco::Exception&) {
      req.client = "?";
    }
    std::string user;
    Response resp = read(in, req);
    app_.applyForwarded(req);  // [web] trusted_proxies, cookie_secure
    // The request is read: from here the answer may take as long as it needs.
    listener_.handling(key);
    if (resp.status == 0) resp = app_.handle(req, user);
    else addSecurityHeaders(resp, secure_);
    send(out, req, resp);
    listener_.answered(key);
    log(req, resp.status, user, t0);
  }
 private:
  // Fills req; returns a response with status != 0 when the request is refused before routing.
  Response read(Poco::Net::HTTPServerRequest& in, Request& req) {
    const std::string& uri = in.getURI();
    if (uri.size() > kMaxUriBytes)
      return errorResponse(HttpError{414, "uri-too-long", "the URI is longer than 8 KiB",
                                     "send fewer or shorter query parameters", {}});
    const auto q = uri.find('?');
    req.path = uri.substr(0, q);
    if (req.path.empty() || req.path[0] != '/') req.path = "/" + req.path;
    if (q != std::string::npos) {
      auto parsed = parseQuery(std::string_view(uri).substr(q + 1));
      if (!parsed) return errorResponse(badRequest(parsed.error().message, parsed.error().hint));
      req.query = std::move(*parsed);
    }
    for (const auto& [name, value] : in) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      req.headers[lower] = value;
    }
    const auto length = in.getContentLength64();
    if (length > static_cast<std::int64_t>(kMaxBodyBytes)) {
      // Read (and drop) a moderately large body so the client sees the answer rather than a reset;
      // beyond 1 MiB the connection is just closed after the answer.
      if (length <= kDrainLimit) {
        std::istream& body = in.stream();
        std::string sink(16384, '\0');
        while (body.read(sink.data(), static_cast<std::streamsize>(sink.size())) || body.gcount() > 0) {
        }
      }
      Response r = errorResponse(HttpError{413, "payload-too-large", "the request body is larger than 64 KiB", "", {}});
      r.set("Connection", "close");
      return r;
    }
    if (length > 0 || in.getChunkedTransferEncoding()) {
      std::istream& body = in.stream();
      req.body.resize(kMaxBodyBytes + 1);
      body.read(req.body.data(), static_cast<std::streamsize>(req.body.size()));
      req.body.resize(static_cast<std::size_t>(body.gcount()));
      if (req.body.size() > kMaxBodyBytes) {
        // The rest of a chunked body is still on the wire: keeping the connection would read it
        // as the next request (request smuggling), so the answer closes it.
        Response r = errorResponse(HttpError{413, "payload-too-large", "the request body is larger than 64 KiB", "", {}});
        r.set("Connection", "close");
        return r;
      }
    }
    Response none;
    none.status = 0;
    return none;
  }

  void send(Poco::Net::HTTPServerResponse& out, const Request& req, const Response& resp) {
    out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
    for (const auto& [k, v] : resp.headers) out.set(k, v);
    if (!resp.contentType.empty() && resp.status != 204 && resp.status != 304) out.setContentType(resp.contentType);
    if (resp.status == 204 || resp.status == 304) {
      out.setContentLength(0);
      out.send();
      return;
    }
    if (req.method == "HEAD") {
      out.setContentLength64(static_cast<std::int64_t>(resp.body.size()));
      out.send();
      return;
    }
    out.sendBuffer(resp.body.data(), resp.body.size());
  }

  void log(const Request& req, int status, const std::string& user, std::chrono::steady_clock::time_point t0) {
    if (!app_.accessLog().enabled()) return;
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("client", req.client);
    o->set("method", req.method.substr(0, 16));
    // The path only: query values are never logged, and the path is clipped.
    o->set("path", req.path.substr(0, 256));
    o->set("status", status);
    o->set("ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    o->set("user", user);
    app_.accessLog().write(o);
  }

  App& app_;
  bool secure_;
  Listener& listener_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(App& app, bool secure, Listener& listener) : app_(app), secure_(secure), listener_(listener) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(app_, secure_, listener_);
  }
  // What Poco's HTTPServer::stopAll does: kept-alive connections end after their current request.
  void stopConnections() {
    const bool abort_current = false;
    serverStopped.notify(this, abort_current);
  }

 private:
  App& app_;
  bool secure_;
  Listener& listener_;
};

// Poco's HTTP connection (keep-alive loop, request parsing, error answers) that tells the gate
// when the worker is done with it.
class TrackedConnection : public Poco::Net::HTTPServerConnection {
 public:
  TrackedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers, Listener& listener)
      : HTTPServerConnection(socket, params, handlers), listener_(listener), key_(socket.impl()) {}
  ~TrackedConnection() override { listener_.finished(key_); }

 private:
  Listener& listener_;
  const Poco::Net::SocketImpl* key_;
};

class ConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  ConnectionFactory(Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                    Listener& listener)
      : params_(params), handlers_(handlers), listener_(listener) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new TrackedConnection(socket, params_, handlers_, listener_);
  }

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  Listener& listener_;
};

}  // namespace

Result<ListenAddress> parseListen(const std::string& text) {
  ListenAddress a;
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    auto end = text.find(']');
    if (end == std::string::npos || end + 1 >= text.size() || text[end + 1] != ':')
      return fail(ErrorCode::kConfig, "[web] listen '" + text + "' is not HOST:PORT", "e.g. [::1]:8443");
    host = text.substr(1, end - 1);
    port = text.substr(end + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos)
      return fail(ErrorCode::kConfig, "[web] listen '" + text + "' is not HOST:PORT", "e.g. 127.0.0.1:8443");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  try {
    std::size_t used = 0;
    int p = std::stoi(port, &used);
    if (used != port.size() || p < 0 || p > 65535) throw std::out_of_range("port");
    a.port = static_cast<unsigned short>(p);
  } catch (const std::exception&) {
    return fail(ErrorCode::kConfig, "[web] listen '" + text + "': port '" + port + "' is not 0..65535");
  }
  if (host == "localhost") {
    a.host = "127.0.0.1";
    a.loopback = true;
    return a;
  }
  Poco::Net::IPAddress ip;
  if (!Poco::Net::IPAddress::tryParse(host, ip))
    return fail(ErrorCode::kConfig, "[web] listen '" + text + "': '" + host + "' is not an IP address",
                "give the address to listen on, e.g. 0.0.0.0:8443 or 127.0.0.1:8443");
  a.host = host;
  a.loopback = ip.isLoopback();
  return a;
}

Result<void> checkTransport(const ListenAddress& address, const config::WebConfig& web) {
  const bool tls = !web.tls_cert.empty();
  if (tls || address.loopback || web.allow_plain_http) return {};
  return fail(ErrorCode::kConfig,
              "refusing plain HTTP on the non-loopback address " + address.host +
                  ": passwords and session cookies would cross the network in clear text",
              "set [web] tls_cert and tls_key, listen on 127.0.0.1, or set [web] allow_plain_http = true "
              "behind a TLS-terminating proxy");
}

Result<Poco::Net::Context::Ptr> serverTlsContext(const config::WebConfig& web) {
  static std::once_flag ssl_once;
  std::call_once(ssl_once, [] { Poco::Net::initializeSSL(); });
  const std::string both = "[web] tls_cert '" + web.tls_cert + "' / tls_key '" + web.tls_key + "'";
  Poco::Net::Context::Ptr ctx;
  try {
    Poco::Net::Context::Params p;
    p.privateKeyFile = web.tls_key;
    p.certificateFile = web.tls_cert;
    p.verificationMode = Poco::Net::Context::VERIFY_NONE;
    p.loadDefaultCAs = false;
    // Forward secrecy by ECDHE only: no DHE, whose default group in Poco is 1024 bits. TLS 1.3
    // suites are OpenSSL's defaults (all AEAD, ECDHE).
    p.cipherList = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5";
    p.dhUse2048Bits = true;
    ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, p);
    ctx->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                          Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
    ctx->preferServerCiphers();
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::kTls, both + " cannot be used: " + e.displayText(),
                "give a PEM certificate (with its chain) and its unencrypted PEM private key");
  }
  // Poco loads both files but never checks that they belong together: the server would start and
  // every handshake would fail.
  if (SSL_CTX_check_private_key(ctx->sslContext()) != 1)
    return fail(ErrorCode::kTls, both + " cannot be used together: the key is not the certificate's",
                "give the private key that belongs to the certificate (openssl x509 -noout -pubkey -in "
                "CERT and openssl pkey -pubout -in KEY must print the same key)");
  return ctx;
}

Result<std::unique_ptr<Server>> Server::start(App& app, const config::WebConfig& web, const std::string& listen) {
  auto addr = parseListen(listen.empty() ? web.listen : listen);
  if (!addr) return fail(addr.error());
  if (auto ok = checkTransport(*addr, web); !ok) return fail(ok.error());
  // The private key follows ssh's rule for secret files (owner only), as every secret file does.
  if (auto ok = ldap::checkSecretFile(web.tls_key, "[web] tls_key"); !ok) return fail(ok.error());
  std::unique_ptr<Server> s(new Server);
  s->tls_ = !web.tls_cert.empty();
  s->host_ = addr->host;
  const Poco::Net::SocketAddress sa(addr->host, addr->port);
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;  // owned, also on error
  params->setMaxThreads(kWorkerThreads);
  params->setMaxQueued(static_cast<int>(kMaxOpenConnections));
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(kKeepAliveSeconds, 0));
  // Per socket read or write; the gate bounds the total time to read a request.
  params->setTimeout(Poco::Timespan(15, 0));
  params->setServerName("adcheck");
  Poco::Net::ServerSocket socket;
  try {
    if (s->tls_) {
      auto ctx = serverTlsContext(web);
      if (!ctx) return fail(ctx.error());
      socket = Poco::Net::SecureServerSocket(*ctx);
    }
    // SO_REUSEADDR but never SO_REUSEPORT (Poco's default binds with both): a second server on
    // the same port must fail, not silently share the connections.
    socket.bind(sa, true, false);
    socket.listen(256);
    s->port_ = socket.address().port();
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::kIo, "cannot listen on " + addr->host + ":" + std::to_string(addr->port) + ": " +
                                    e.displayText(),
                "is another program using the port? choose another with [web] listen (or --listen)");
  }
  s->listener_ = std::make_shared<Listener>(socket, web.max_connections_per_client);
  Poco::SharedPtr<Factory> factory = new Factory(app, s->tls_, *s->listener_);
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers = factory;
  Poco::Net::TCPServerConnectionFactory::Ptr connections = new ConnectionFactory(params, handlers, *s->listener_);
  // The raw pointer stays valid: the connection factory (owned by the dispatcher until stop) holds it.
  s->listener_->start(connections, params, [f = factory.get()] { f->stopConnections(); });
  return s;
}

Server::~Server() { stop(); }

void Server::stop() {
  if (!listener_) return;
  listener_->stop();
  listener_.reset();
}

std::string Server::url() const {
  std::string h = host_ == "0.0.0.0" || host_ == "::" ? "localhost" : host_;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return std::string(tls_ ? "https" : "http") + "://" + h + ":" + std::to_string(port_) + "/";
}

}  // namespace adcheck::web
