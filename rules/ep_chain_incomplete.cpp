// EP-CHAIN-INCOMPLETE: the chain as sent does not reach a trusted root without fetching anything.
#include "rules/endpoint_rule.h"

namespace adcheck::rules {
namespace {

void evaluate(const probe::ProbeResult& r, const config::RulesConfig&, const Emit& emit) {
  if (!r.error.empty() || r.chain.empty() || r.verified) return;
  auto f = makeEndpointFinding("EP-CHAIN-INCOMPLETE", Severity::kHigh, r);
  f.details->set("verifyError", r.verifyError);
  f.details->set("certificatesSent", static_cast<int>(r.chain.size()));
  f.details->set("leafIssuer", r.chain.front().issuer);
  f.summary = "Certificate chain as sent does not verify: " + r.verifyError + " (" +
              std::to_string(r.chain.size()) + " certificate(s) sent)";
  f.remediation =
      "Install the intermediate CA certificate(s) on the Exchange server or load balancer so "
      "the full chain is sent, and check that the root is trusted by the devices.";
  emit(std::move(f));
}

}  // namespace

extern const EndpointRule kEpChainIncomplete{
    {.id = "EP-CHAIN-INCOMPLETE",
     .title = "Endpoint certificate chain incomplete or untrusted",
     .severity = Severity::kHigh,
     .severityNote = "",
     .category = "endpoint",
     .appliesTo = "[endpoint] urls",
     .rationale = "Windows Phone and older devices do not fetch missing intermediates (AIA); a "
                  "chain that only verifies after fetching breaks them while iOS and Android cope.",
     .remediation = "Send the full chain: install the intermediates where TLS terminates.",
     .references = {"SPEC 8", "RFC 5246 7.4.2 (certificate_list)"},
     .inputs = {}},
    evaluate};

}  // namespace adcheck::rules
