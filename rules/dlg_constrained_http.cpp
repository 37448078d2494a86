// DLG-CONSTRAINED-HTTP: constrained delegation to http/ services (how reverse proxies publish
// ActiveSync with Kerberos).
#include <Poco/JSON/Array.h>

#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

void evaluate(const UserObject& u, const Context&, const Emit& emit) {
  if (u.entry == nullptr) return;
  const auto* targets = u.entry->values("msDS-AllowedToDelegateTo");
  if (targets == nullptr) return;
  Poco::JSON::Array::Ptr http = new Poco::JSON::Array;
  for (const auto& spn : *targets)
    if (spn.size() >= 5 && ldap::iequals(std::string_view(spn).substr(0, 5), "http/")) http->add(spn);
  if (http->size() == 0) return;
  bool transition = (u.uac & scan::kUacTrustedToAuthForDelegation) != 0;
  auto f = scan::makeFinding("DLG-CONSTRAINED-HTTP",
                             transition ? Severity::kMedium : Severity::kLow, u);
  f.details->set("services", http);
  f.details->set("protocolTransition", transition);
  markDisabled(f, u);
  f.summary = std::string("Constrained delegation to ") + std::to_string(http->size()) +
              " http/ service(s)" + (transition ? " with protocol transition" : "");
  f.remediation =
      transition
          ? "Protocol transition (\"Use any authentication protocol\") lets the account obtain "
            "tickets for any user without their password. Keep it only on the reverse proxy that "
            "publishes ActiveSync, restrict the SPN list to the Exchange servers, and protect the "
            "account like a tier-0 asset."
          : "Confirm the account is the reverse proxy that publishes ActiveSync/OWA with "
            "Kerberos and that the SPN list names only the Exchange servers.";
  emit(std::move(f));
}

}  // namespace

extern const Rule kDlgConstrainedHttp{
    {.id = "DLG-CONSTRAINED-HTTP",
     .title = "Constrained delegation to http/ services",
     .severity = Severity::kLow,
     .severityNote = "medium with protocol transition (TRUSTED_TO_AUTH_FOR_DELEGATION 0x1000000)",
     .category = "delegation",
     .appliesTo = "accounts with msDS-AllowedToDelegateTo",
     .rationale = "Reverse proxies that publish ActiveSync with Kerberos use constrained "
                  "delegation to http/ SPNs of the Exchange servers. It is legitimate, but the "
                  "account can act as any user towards those services; with protocol transition "
                  "it needs no user credentials at all.",
     .remediation = "Limit the SPN list; avoid protocol transition where possible.",
     .references = {"MS-SFU", "MS-ADTS 2.2.16 userAccountControl"},
     .inputs = {"user:msDS-AllowedToDelegateTo"}},
    evaluate, nullptr};

}  // namespace adcheck::rules
