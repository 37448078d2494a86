// EP-HTTP-STATUS: the GET answer explained. 501/505 (responding) and 401 (credentials) are what a
// healthy ActiveSync front end says to an anonymous GET, so they give no finding.
#include "rules/endpoint_rule.h"

namespace adcheck::rules {
namespace {

std::optional<Severity> severityFor(int status) {
  if (status == 401 || status == 501 || status == 505) return std::nullopt;
  if (status >= 200 && status < 300) return Severity::kLow;
  if (status == 403) return Severity::kMedium;
  if (status == 404 || status >= 500) return Severity::kHigh;
  return Severity::kMedium;
}

void evaluate(const probe::ProbeResult& r, const config::RulesConfig&, const Emit& emit) {
  if (!r.error.empty()) return;
  const auto* get = r.find("GET");
  if (!get || get->status == 0) return;  // EP-UNREACHABLE
  auto sev = severityFor(get->status);
  if (!sev) return;
  auto f = makeEndpointFinding("EP-HTTP-STATUS", *sev, r);
  bool client_cert = get->status == 403 && get->headers.contains("x-adcheck-substatus");
  std::string meaning = probe::explainStatus(get->status);
  if (client_cert)
    meaning = r.clientCertSubject.empty()
                  ? "client certificate required (403.7): the server requires a client "
                    "certificate; set [endpoint] client_pkcs12"
                  : "client certificate required (403.7): the server did not accept the client "
                    "certificate " + r.clientCertSubject;
  f.details->set("status", get->status);
  f.details->set("reason", get->reason);
  f.details->set("meaning", meaning);
  if (const auto* opt = r.find("OPTIONS"); opt && opt->status != 0) {
    f.details->set("optionsStatus", opt->status);
    if (auto it = opt->headers.find("ms-asprotocolversions"); it != opt->headers.end())
      f.details->set("protocolVersions", it->second);
  }
  f.summary = "GET answered " + std::to_string(get->status) + ": " + meaning;
  if (get->status == 404)
    f.remediation = "Recreate the Microsoft-Server-ActiveSync virtual directory or fix the "
                    "publishing rule that routes it.";
  else if (get->status == 403)
    f.remediation = client_cert ? "Configure devices with a client certificate, or relax the "
                                  "virtual directory's client certificate setting."
                                : "Require SSL consistently and check the virtual directory's "
                                  "SSL and client certificate settings.";
  else if (get->status >= 500)
    f.remediation = "Check the Exchange server's event log and the MSExchangeSyncAppPool.";
  else
    f.remediation = "Publish the URL directly: ActiveSync clients expect 401 or 501 to a bare GET.";
  emit(std::move(f));
}

}  // namespace

extern const EndpointRule kEpHttpStatus{
    {.id = "EP-HTTP-STATUS",
     .title = "Unexpected HTTP status from the ActiveSync endpoint",
     .severity = Severity::kMedium,
     .severityNote = "by status: 404 and 5xx high, 403 and 3xx medium, 2xx low; 401/501/505 none",
     .category = "endpoint",
     .appliesTo = "[endpoint] urls",
     .rationale = "A healthy ActiveSync front end answers an anonymous GET with 401 or 501/505; "
                  "anything else means a missing virtual directory, a fault or a policy that "
                  "devices will trip over.",
     .remediation = "Follow the explanation of the status in the finding.",
     .references = {"MS-ASHTTP", "SPEC 8"},
     .inputs = {}},
    evaluate};

}  // namespace adcheck::rules
