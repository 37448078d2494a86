// EP-HOSTNAME-MISMATCH: the leaf certificate does not name the URL's host (SAN, wildcards).
#include "rules/endpoint_rule.h"

namespace adcheck::rules {
namespace {

void evaluate(const probe::ProbeResult& r, const config::RulesConfig&, const Emit& emit) {
  if (!r.error.empty() || r.chain.empty() || r.hostnameOk) return;
  auto f = makeEndpointFinding("EP-HOSTNAME-MISMATCH", Severity::kHigh, r);
  f.details->set("host", r.host);
  f.details->set("leafSubject", r.chain.front().subject);
  f.summary = "Certificate does not match host " + r.host + " (leaf: " + r.chain.front().subject + ")";
  f.remediation = "Issue a certificate whose subjectAltName contains " + r.host +
                  " (or a matching wildcard), or use the name the certificate was issued for.";
  emit(std::move(f));
}

}  // namespace

extern const EndpointRule kEpHostnameMismatch{
    {.id = "EP-HOSTNAME-MISMATCH",
     .title = "Endpoint certificate does not match the host name",
     .severity = Severity::kHigh,
     .severityNote = "",
     .category = "endpoint",
     .appliesTo = "[endpoint] urls",
     .rationale = "Devices refuse (or ask users to accept) a certificate that does not name the "
                  "server, which trains users to accept interception.",
     .remediation = "Put the ActiveSync host name in the certificate's subjectAltName.",
     .references = {"RFC 6125", "SPEC 8"},
     .inputs = {}},
    evaluate};

}  // namespace adcheck::rules
