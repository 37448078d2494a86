// The socket side of the dashboard: Poco's HTTP connection handling behind an accept gate of our
// own, HTTPS with the configured certificate and key ([web] tls_cert / tls_key; ECDHE and TLS 1.3
// only, server order), requests read with size limits (URI 8 KiB -> 414, body 64 KiB -> 413) and
// handed to App, one JSON access-log line per request. Plain HTTP is refused on a non-loopback
// address unless [web] allow_plain_http = true.
//
// Slow and idle clients: an accepted connection waits in a poll set, costing no worker thread,
// until its first bytes arrive; only then does a worker read it. Reading a request (header and
// body, also the wait for the next request on a kept-alive connection) has a total deadline
// (kHeaderTimeout), and one client address holds at most [web] max_connections_per_client
// connections: a new one evicts the address's oldest connection that is not being answered.
#pragma once

#include <memory>
#include <string>

#include <Poco/Net/Context.h>

#include "adcheck/config/config.h"
#include "adcheck/core/error.h"


namespace adcheck::web {

class App;
class Listener;  // server.cpp

// Total time to read one request (header and body, or the wait for the next request on a
// kept-alive connection) and time a new connection may stay silent.
inline constexpr int kHeaderTimeoutSeconds = 5;
inline constexpr int kIdleTimeoutSeconds = 10;

// The dashboard's TLS context from [web] tls_cert / tls_key (ECDHE and TLS 1.3, server order), with
// the key checked against the certificate. Also what `adcheck doctor` checks.
Result<Poco::Net::Context::Ptr> serverTlsContext(const config::WebConfig& web);

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
  std::shared_ptr<Listener> listener_;
  std::string host_;
  unsigned short port_ = 0;
  bool tls_ = false;
};

}  // namespace adcheck::web
