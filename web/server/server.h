// The socket side of the dashboard: a Poco HTTP server, HTTPS with the configured certificate and
// key ([web] tls_cert / tls_key), requests read with size limits (URI 8 KiB -> 414, body 64 KiB ->
// 413) and handed to App, one JSON access-log line per request. Plain HTTP is refused on a
// non-loopback address unless [web] allow_plain_http = true.
#pragma once

#include <memory>
#include <string>

#include "adcheck/config/config.h"
#include "adcheck/core/error.h"

namespace Poco::Net {
class HTTPServer;
}

namespace adcheck::web {

class App;

struct ListenAddress {
  std::string host;  // IP address or "localhost"
  unsigned short port = 0;
  bool loopback = false;
};

// "127.0.0.1:8443", "[::1]:8443", "localhost:8080", "0.0.0.0:443". Errors name the value.
Result<ListenAddress> parseListen(const std::string& text);

// Whether the address may serve: TLS configured, or loopback, or allow_plain_http. The error
// names the keys to set.
Result<void> checkTransport(const ListenAddress& address, const config::WebConfig& web);

class Server {
 public:
  // Binds and starts serving. `listen` overrides [web] listen when not empty. Port 0 picks a free
  // port (see port()).
  static Result<std::unique_ptr<Server>> start(App& app, const config::WebConfig& web,
                                               const std::string& listen = "");
  ~Server();
  // Stops accepting, lets requests in progress finish.
  void stop();
  unsigned short port() const { return port_; }
  bool tls() const { return tls_; }
  std::string url() const;

 private:
  Server() = default;
  std::unique_ptr<Poco::Net::HTTPServer> http_;
  std::string host_;
  unsigned short port_ = 0;
  bool tls_ = false;
};

}  // namespace adcheck::web
