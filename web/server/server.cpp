#include "web/server/server.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <algorithm>
#include <chrono>
#include <istream>
#include <mutex>

#include "ldap/secret.h"
#include "web/server/app.h"

namespace adcheck::web {
namespace {

constexpr std::int64_t kDrainLimit = 1024 * 1024;

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(App& app, bool secure) : app_(app), secure_(secure) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
    const auto t0 = std::chrono::steady_clock::now();
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
    if (resp.status == 0) resp = app_.handle(req, user);
    else addSecurityHeaders(resp, secure_);
    send(out, req, resp);
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
      if (req.body.size() > kMaxBodyBytes)
        return errorResponse(HttpError{413, "payload-too-large", "the request body is larger than 64 KiB", "", {}});
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
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(App& app, bool secure) : app_(app), secure_(secure) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(app_, secure_);
  }

 private:
  App& app_;
  bool secure_;
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
  params->setMaxThreads(16);
  params->setMaxQueued(256);
  params->setKeepAlive(true);
  params->setTimeout(Poco::Timespan(15, 0));
  params->setServerName("adcheck");
  try {
    if (s->tls_) {
      static std::once_flag ssl_once;
      std::call_once(ssl_once, [] { Poco::Net::initializeSSL(); });
      Poco::Net::Context::Ptr ctx;
      try {
        ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, web.tls_key, web.tls_cert, "",
                                     Poco::Net::Context::VERIFY_NONE, 9, false,
                                     "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:!aNULL:!MD5");
        ctx->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                              Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
      } catch (const Poco::Exception& e) {
        return fail(ErrorCode::kTls,
                    "[web] tls_cert '" + web.tls_cert + "' / tls_key '" + web.tls_key + "' cannot be used: " +
                        e.displayText(),
                    "give a PEM certificate (with its chain) and its unencrypted PEM private key");
      }
      // SO_REUSEADDR but never SO_REUSEPORT (Poco's default binds with both): a second server on
      // the same port must fail, not silently share the connections.
      Poco::Net::SecureServerSocket socket(ctx);
      socket.bind(sa, true, false);
      socket.listen(256);
      s->port_ = socket.address().port();
      s->http_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(app, true), socket, params);
    } else {
      Poco::Net::ServerSocket socket;
      socket.bind(sa, true, false);
      socket.listen(256);
      s->port_ = socket.address().port();
      s->http_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(app, false), socket, params);
    }
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::kIo, "cannot listen on " + addr->host + ":" + std::to_string(addr->port) + ": " +
                                    e.displayText(),
                "is another program using the port? choose another with [web] listen (or --listen)");
  }
  s->http_->start();
  return s;
}

Server::~Server() { stop(); }

void Server::stop() {
  if (!http_) return;
  http_->stopAll(false);
  http_.reset();
}

std::string Server::url() const {
  std::string h = host_ == "0.0.0.0" || host_ == "::" ? "localhost" : host_;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return std::string(tls_ ? "https" : "http") + "://" + h + ":" + std::to_string(port_) + "/";
}

}  // namespace adcheck::web
