// DLG-UNCONSTRAINED: a non-DC account trusted for unconstrained delegation.
#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

void evaluate(const UserObject& u, const Context&, const Emit& emit) {
  if ((u.uac & scan::kUacTrustedForDelegation) == 0) return;
  bool is_dc = (u.uac & scan::kUacServerTrust) != 0 || u.primaryGroupId == 516 ||
               u.primaryGroupId == 521;
  if (is_dc) return;
  auto f = scan::makeFinding("DLG-UNCONSTRAINED", Severity::kHigh, u);
  f.details->set("userAccountControl", static_cast<std::int64_t>(u.uac));
  f.details->set("objectKind", u.isComputer ? "computer" : "user");
  markDisabled(f, u);
  f.summary = std::string(u.isComputer ? "Computer" : "User") +
              " account trusted for unconstrained delegation";
  f.remediation =
      "Replace unconstrained delegation with constrained or resource-based constrained "
      "delegation (Delegation tab: \"Trust this computer for delegation to specified services "
      "only\"), and mark admin accounts \"Account is sensitive and cannot be delegated\".";
  emit(std::move(f));
}

}  // namespace

extern const Rule kDlgUnconstrained{
    {.id = "DLG-UNCONSTRAINED",
     .title = "Unconstrained Kerberos delegation on a non-DC account",
     .severity = Severity::kHigh,
     .severityNote = "",
     .category = "delegation",
     .appliesTo = "users and computers except domain controllers",
     .rationale = "userAccountControl TRUSTED_FOR_DELEGATION (0x80000) makes every user who "
                  "authenticates to the account hand it a forwardable TGT. Whoever controls "
                  "the account can impersonate them anywhere, domain admins included.",
     .remediation = "Use constrained or resource-based constrained delegation instead.",
     .references = {"MS-ADTS 2.2.16 userAccountControl", "PingCastle P-UnconstrainedDelegation"},
     .inputs = {"user:userAccountControl", "user:primaryGroupID"}},
    evaluate, nullptr};

}  // namespace adcheck::rules
