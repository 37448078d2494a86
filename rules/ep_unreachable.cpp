// EP-UNREACHABLE: no TLS session or no HTTP answer at all, with the socket/TLS error in words;
// also a server that ends the session for want of a client certificate, and a configured client
// certificate that cannot be used (the URL is then not probed).
#include "rules/endpoint_rule.h"

namespace adcheck::rules {
namespace {

void evaluate(const probe::ProbeResult& r, const config::RulesConfig&, const Emit& emit) {
  std::string why = r.error;
  if (why.empty()) {
    const auto* get = r.find("GET");
    if (!get || get->status != 0) return;
    why = "TLS works but GET got no answer: " + get->error;
  }
  auto f = makeEndpointFinding("EP-UNREACHABLE", Severity::kHigh, r);
  f.details->set("error", why);
  if (!r.clientCertProblem.empty()) {
    // The server ends the TLS session over the client certificate: no HTTP answer at all, so
    // this rule, with what to do in words (rules/SEMANTICS.md, endpoint rules).
    f.details->set("clientCertificate", r.clientCertSubject.empty() ? "required" : "rejected");
    f.summary = "ActiveSync endpoint refuses the connection: " + r.clientCertProblem;
    f.remediation = r.clientCertSubject.empty()
                        ? "The server requires a client certificate: set [endpoint] client_pkcs12 "
                          "(and client_pkcs12_password_file) to a certificate the devices would "
                          "use, or relax the virtual directory's client certificate setting."
                        : "The server refused the configured client certificate: use one issued "
                          "by a CA the server trusts, valid for client authentication.";
    emit(std::move(f));
    return;
  }
  f.summary = "ActiveSync endpoint unreachable: " + why;
  f.remediation =
      "Check DNS, the firewall and the load balancer in front of Exchange, and that the URL's "
      "port serves HTTPS; devices cannot sync until this URL answers.";
  emit(std::move(f));
}

}  // namespace

extern const EndpointRule kEpUnreachable{
    {.id = "EP-UNREACHABLE",
     .title = "ActiveSync endpoint unreachable",
     .severity = Severity::kHigh,
     .severityNote = "",
     .category = "endpoint",
     .appliesTo = "[endpoint] urls",
     .rationale = "When the TCP connection, the TLS handshake or the HTTP exchange fails, no "
                  "device can synchronise through this URL.",
     .remediation = "Fix name resolution, firewall, load balancer or the HTTPS binding.",
     .references = {"SPEC 8"},
     .inputs = {}},
    evaluate};

}  // namespace adcheck::rules
