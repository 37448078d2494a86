// EP-UNREACHABLE: no TLS session or no HTTP answer at all, with the socket/TLS error in words.
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
     .references = {"SPEC 8"}},
    evaluate};

}  // namespace adcheck::rules
