// EP-CERT-EXPIRED: the leaf or an intermediate sent by the server has expired.
#include "rules/endpoint_rule.h"

namespace adcheck::rules {
namespace {

void evaluate(const probe::ProbeResult& r, const config::RulesConfig&, const Emit& emit) {
  for (std::size_t i = 0; i < r.chain.size(); ++i) {
    const auto& c = r.chain[i];
    if (i > 0 && c.selfSigned) continue;  // a sent root is not used: the device's own copy is
    if (c.notAfter > r.probedAt) continue;
    auto f = makeEndpointFinding("EP-CERT-EXPIRED", Severity::kHigh, r);
    // Several certificates of one URL can expire: the leaf keeps the plain URL as key.
    if (i > 0) f.key = r.url + "#" + c.sha1;
    f.details->set("certificate", i == 0 ? "leaf" : "intermediate");
    f.details->set("subject", c.subject);
    f.details->set("notAfter", scan::isoTime(c.notAfter));
    f.details->set("sha1", c.sha1);
    f.details->set("daysAgo", -daysUntil(r, c.notAfter));
    f.summary = std::string(i == 0 ? "Server" : "Intermediate") + " certificate " + c.subject +
                " expired on " + scan::isoTime(c.notAfter);
    f.remediation = "Renew the certificate and bind the new one where TLS terminates.";
    emit(std::move(f));
  }
}

}  // namespace

extern const EndpointRule kEpCertExpired{
    {.id = "EP-CERT-EXPIRED",
     .title = "Endpoint certificate expired",
     .severity = Severity::kHigh,
     .severityNote = "",
     .category = "endpoint",
     .appliesTo = "[endpoint] urls: the leaf and each intermediate as sent",
     .rationale = "Devices refuse an expired certificate and stop synchronising.",
     .remediation = "Renew the certificate.",
     .references = {"RFC 5280 4.1.2.5", "SPEC 8"},
     .inputs = {}},
    evaluate};

}  // namespace adcheck::rules
