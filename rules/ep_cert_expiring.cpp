// EP-CERT-EXPIRING: the leaf or an intermediate expires within [rules] cert_expiry_days.
#include "rules/endpoint_rule.h"

namespace adcheck::rules {
namespace {

void evaluate(const probe::ProbeResult& r, const config::RulesConfig& cfg, const Emit& emit) {
  for (std::size_t i = 0; i < r.chain.size(); ++i) {
    const auto& c = r.chain[i];
    if (i > 0 && c.selfSigned) continue;  // a sent root is not used: the device's own copy is
    if (c.notAfter <= r.probedAt) continue;  // EP-CERT-EXPIRED
    long days = daysUntil(r, c.notAfter);
    if (days >= cfg.cert_expiry_days) continue;
    auto f = makeEndpointFinding("EP-CERT-EXPIRING", Severity::kMedium, r);
    if (i > 0) f.key = r.url + "#" + c.sha1;
    f.details->set("certificate", i == 0 ? "leaf" : "intermediate");
    f.details->set("subject", c.subject);
    f.details->set("notAfter", scan::isoTime(c.notAfter));
    f.details->set("sha1", c.sha1);
    f.details->set("daysLeft", days);
    f.details->set("threshold", cfg.cert_expiry_days);
    f.summary = std::string(i == 0 ? "Server" : "Intermediate") + " certificate " + c.subject +
                " expires in " + std::to_string(days) + " day(s)";
    f.remediation = "Renew the certificate before " + scan::isoTime(c.notAfter) + ".";
    emit(std::move(f));
  }
}

}  // namespace

extern const EndpointRule kEpCertExpiring{
    {.id = "EP-CERT-EXPIRING",
     .title = "Endpoint certificate expiring soon",
     .severity = Severity::kMedium,
     .severityNote = "threshold: [rules] cert_expiry_days",
     .category = "endpoint",
     .appliesTo = "[endpoint] urls: the leaf and each intermediate as sent",
     .rationale = "Renewing in time avoids every device failing on the same day.",
     .remediation = "Renew the certificate before it expires.",
     .references = {"SPEC 8"},
     .inputs = {}},
    evaluate};

}  // namespace adcheck::rules
