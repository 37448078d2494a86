// Behind a TLS-terminating reverse proxy ([web] trusted_proxies, cookie_secure): the peer of the
// socket is the proxy, so the real client's address and whether it used TLS come from the
// proxy's X-Forwarded-For / X-Forwarded-Proto headers. Those headers are believed only from the
// configured proxies; anyone else could send them to pose as another address (and escape the
// login throttle) or to make the server set cookies it should not.
#pragma once

#include <Poco/Net/IPAddress.h>

#include <string>
#include <utility>
#include <vector>

#include "adcheck/core/error.h"
#include "web/server/http_util.h"

namespace adcheck::web {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Each value an IP address ("10.0.0.5", "::1") or a network ("10.0.0.0/8"). Errors name the
  // key and the value.
  static Result<TrustedProxies> parse(const std::vector<std::string>& values);

  bool empty() const { return nets_.empty(); }
  bool trusts(const std::string& address) const;

  // When req.client is a trusted proxy: req.client becomes the nearest address of
  // X-Forwarded-For that is not itself a trusted proxy (read from the right, as each proxy
  // appends), and X-Forwarded-Proto "https" (the nearest proxy's, the last value) sets
  // req.secure. From any other peer both headers are ignored.
  void apply(Request& req) const;

 private:
  std::vector<std::pair<Poco::Net::IPAddress, unsigned>> nets_;  // network, prefix length
};

}  // namespace adcheck::web
