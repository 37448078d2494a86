// A small HTTP(S) client for the dashboard server tests: one request per call, a cookie jar of the
// session cookie, and the response's status, headers and body.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace adcheck::webtest {

struct Reply {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // names as sent
  std::string body;
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (Poco::icompare(k, name) == 0) return v;
    return {};
  }
  std::vector<std::string> all(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers)
      if (Poco::icompare(k, name) == 0) out.push_back(v);
    return out;
  }
  Poco::JSON::Object::Ptr json() const {
    Poco::JSON::Parser p;
    return p.parse(body).extract<Poco::JSON::Object::Ptr>();
  }
  std::string errorCode() const {
    try {
      return json()->getObject("error")->getValue<std::string>("code");
    } catch (const std::exception&) {
      return "<no JSON error: " + body.substr(0, 200) + ">";
    }
  }
  std::string errorMessage() const {
    try {
      return json()->getObject("error")->getValue<std::string>("message");
    } catch (const std::exception&) {
      return "";
    }
  }
};

class Client {
 public:
  Client(std::string host, unsigned short port, bool tls = false) : host_(std::move(host)), port_(port), tls_(tls) {}

  Reply call(const std::string& method, const std::string& uri, const std::string& body = "",
             std::map<std::string, std::string> headers = {}) {
    std::unique_ptr<Poco::Net::HTTPClientSession> s;
    if (tls_) {
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                                           Poco::Net::Context::VERIFY_NONE);
      s = std::make_unique<Poco::Net::HTTPSClientSession>(host_, port_, ctx);
    } else {
      s = std::make_unique<Poco::Net::HTTPClientSession>(host_, port_);
    }
    s->setTimeout(Poco::Timespan(timeoutSeconds_, 0));
    Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!cookie_.empty() && !headers.count("Cookie")) req.set("Cookie", "adcheck_session=" + cookie_);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT") {
      if (!headers.count("Content-Type")) req.setContentType("application/json");
      req.setContentLength64(static_cast<std::int64_t>(body.size()));
    }
    auto& out = s->sendRequest(req);
    out << body;
    Poco::Net::HTTPResponse resp;
    auto& in = s->receiveResponse(resp);
    Reply r;
    r.status = resp.getStatus();
    for (const auto& [k, v] : resp) r.headers.emplace(k, v);
    Poco::StreamCopier::copyToString(in, r.body);
    for (const auto& c : r.all("Set-Cookie")) {
      const std::string prefix = "adcheck_session=";
      if (c.rfind(prefix, 0) == 0) {
        cookie_ = c.substr(prefix.size(), c.find(';') - prefix.size());
        lastSetCookie_ = c;
      }
    }
    return r;
  }

  // POST /api/v1/login; keeps the cookie and the CSRF token.
  Reply login(const std::string& user, const std::string& password) {
    Poco::JSON::Object o;
    o.set("username", user);
    o.set("password", password);
    std::ostringstream body;
    o.stringify(body);
    Reply r = call("POST", "/api/v1/login", body.str());
    if (r.status == 200) csrf_ = r.json()->getValue<std::string>("csrf");
    return r;
  }
  // A state change with the CSRF header.
  Reply change(const std::string& method, const std::string& uri, const std::string& body = "{}") {
    return call(method, uri, body, {{"X-CSRF-Token", csrf_}});
  }

  std::string cookie_;
  std::string csrf_;
  std::string lastSetCookie_;
  long timeoutSeconds_ = 60;  // per socket operation

 private:
  std::string host_;
  unsigned short port_;
  bool tls_;
};

}  // namespace adcheck::webtest
