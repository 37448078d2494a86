// EAS-INHERITANCE-DISABLED: a DACL protected by hand (not by SDProp).
#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

void evaluate(const UserObject& u, const Context& ctx, const Emit& emit) {
  if (!u.isPerson() || !u.sd || !u.daclProtected()) return;
  if (u.protection(ctx) != nullptr) return;  // SDProp's doing: EAS-PROTECTED-MAILBOX-USER
  auto f = scan::makeFinding("EAS-INHERITANCE-DISABLED",
                             u.isMailbox ? Severity::kMedium : Severity::kLow, u);
  f.details->set("mailbox", u.isMailbox);
  if (u.adminCount) f.details->set("adminCount", *u.adminCount);
  markDisabled(f, u);
  addDescriptor(f, u);
  f.summary = u.isMailbox
                  ? "Inheritance is disabled on a mailbox user: inherited Exchange rights are lost"
                  : "Inheritance is disabled on the user's DACL";
  f.remediation =
      u.adminCount.value_or(0) == 1
          ? "Clear adminCount (the account is no longer protected), then re-enable inheritance: "
            "ADUC > View > Advanced Features > the user > Properties > Security > Advanced > "
            "Enable inheritance."
          : "Re-enable inheritance: ADUC > View > Advanced Features > the user > Properties > "
            "Security > Advanced > Enable inheritance (\"Include inheritable permissions from "
            "this object's parent\").";
  emit(std::move(f));
}

}  // namespace

extern const Rule kEasInheritanceDisabled{
    {.id = "EAS-INHERITANCE-DISABLED",
     .title = "DACL inheritance disabled on a user that SDProp does not protect",
     .severity = Severity::kMedium,
     .severityNote = "medium for mailbox users, low for other users",
     .category = "activesync",
     .appliesTo = "users (not computers)",
     .rationale =
         "With \"Include inheritable permissions from this object's parent\" switched off "
         "(SE_DACL_PROTECTED), the user loses every permission delegated at the domain or OU "
         "level, including the Exchange servers' right to create ActiveSync device objects. "
         "Accounts that AdminSDHolder protects are reported by EAS-PROTECTED-MAILBOX-USER "
         "instead, since their inheritance comes back off within the hour.",
     .remediation = "Re-enable inheritance on the user; if adminCount=1 remains from a former "
                    "admin membership, clear it first.",
     .references = {"MS-DTYP 2.4.6 SECURITY_DESCRIPTOR (SE_DACL_PROTECTED)"},
     .inputs = {"user:nTSecurityDescriptor", "groups:member"}},
    evaluate, nullptr};

}  // namespace adcheck::rules
